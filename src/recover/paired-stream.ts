/**
 * Runs the original and the pruned model side by side on the same calibration batches, each
 * truncated to the tensors a recovery step needs.
 */
import { forEachBatch, type CalibrationSet } from "../data/calibration.js";
import { truncateModel } from "../graph/truncate.js";
import { encodeModel } from "../onnx/model-io.js";
import type { ModelProto } from "../onnx/proto.js";
import { floatTensor, ModelSession, tensorData } from "../runtime/ort.js";

export type Fetched = Map<string, { data: Float32Array; dims: readonly number[] }>;

export interface PairedBatch {
  n: number;
  start: number;
  original: Fetched;
  pruned: Fetched;
}

async function open(model: ModelProto, fetches: readonly string[], label: string, threads?: number): Promise<ModelSession | undefined> {
  if (fetches.length === 0) return undefined;
  return ModelSession.create(encodeModel(truncateModel(model, fetches)), label, { optimization: "disabled", threads });
}

async function fetch(session: ModelSession | undefined, input: Float32Array, dims: number[], fetches: readonly string[]): Promise<Fetched> {
  const out: Fetched = new Map();
  if (!session) return out;
  const r = await session.run({ [session.inputNames[0]!]: floatTensor(input, dims) }, fetches);
  for (const name of fetches) out.set(name, { data: tensorData(r[name]!, name), dims: r[name]!.dims });
  return out;
}

export async function streamPaired(
  original: ModelProto, pruned: ModelProto, data: CalibrationSet,
  fetchOriginal: readonly string[], fetchPruned: readonly string[],
  o: { samples: number; batchSize: number; threads?: number; label: string },
  onBatch: (b: PairedBatch) => void,
): Promise<void> {
  const so = await open(original, fetchOriginal, `${o.label} (original)`, o.threads);
  const sp = await open(pruned, fetchPruned, `${o.label} (pruned)`, o.threads);
  try {
    await forEachBatch(data, Math.min(o.samples, data.count), o.batchSize, async ({ start, n, input, dims }) => {
      const originalOut = await fetch(so, input, dims, fetchOriginal);
      const prunedOut = await fetch(sp, input, dims, fetchPruned);
      onBatch({ n, start, original: originalOut, pruned: prunedOut });
    });
  } finally {
    await so?.release();
    await sp?.release();
  }
}
