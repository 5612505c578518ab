/**
 * Streaming calibration data through a model: the requested intermediate tensors become extra
 * graph outputs, batches run in onnxruntime-web, and each batch's tensors go to a callback and
 * are dropped before the next batch runs, so at most one batch of feature maps is ever held.
 */
import { DataError } from "../errors.js";
import { forEachBatch, type CalibrationSet } from "../data/calibration.js";
import { encodeModel } from "../onnx/model-io.js";
import type { ModelProto } from "../onnx/proto.js";
import { withExtraOutputs } from "../graph/shapes.js";
import { floatTensor, ModelSession, tensorData, type RuntimeOptions } from "../runtime/ort.js";

export interface FeatureBatch {
  /** Samples in this batch. */
  n: number;
  /** Index of the batch's first sample in the calibration set. */
  start: number;
  /** The input batch (NCHW float32). */
  input: Float32Array;
  /** The fetched tensors: data (NCHW float32) and dims. */
  tensors: Map<string, { data: Float32Array; dims: readonly number[] }>;
}

export interface StreamOptions extends RuntimeOptions {
  batchSize: number;
  /** Only the first `samples` samples of the set are used. */
  samples?: number;
  onProgress?: (done: number, total: number) => void;
}

/** Bytes per sample of the given tensors (float32), from their per-sample shapes. */
export function bytesPerSample(shapes: Map<string, number[]>, names: Iterable<string>): number {
  let total = 0;
  for (const n of names) {
    const s = shapes.get(n);
    if (s) total += s.slice(1).reduce((a, b) => a * b, 1) * 4;
  }
  return total;
}

/**
 * A batch size that keeps one batch of tapped maps (plus the model's own activations, estimated
 * by `activationBytes`) under `budgetBytes`.
 */
export function chooseBatchSize(tapBytesPerSample: number, activationBytes: number, budgetBytes = 256 * 2 ** 20, maxBatch = 64): number {
  const perSample = Math.max(1, tapBytesPerSample * 2 + activationBytes); // ×2: ORT's copy + ours
  return Math.max(1, Math.min(maxBatch, Math.floor(budgetBytes / perSample)));
}

export class FeatureStreamer {
  private constructor(private readonly session: ModelSession, private readonly inputName: string, readonly fetches: readonly string[]) {}

  static async open(model: ModelProto, fetches: readonly string[], label: string, options: RuntimeOptions = {}): Promise<FeatureStreamer> {
    const probe = withExtraOutputs(model, fetches);
    const session = await ModelSession.create(encodeModel(probe), label, { optimization: options.optimization ?? "disabled", threads: options.threads });
    const inputs = session.inputNames;
    if (inputs.length !== 1) {
      await session.release();
      throw new DataError(`${label}: models with ${inputs.length} inputs are not supported for calibration (need exactly 1)`);
    }
    return new FeatureStreamer(session, inputs[0]!, fetches);
  }

  async run(data: CalibrationSet, options: StreamOptions, onBatch: (batch: FeatureBatch) => void | Promise<void>): Promise<void> {
    const total = Math.min(data.count, options.samples ?? data.count);
    await forEachBatch(data, total, options.batchSize, async ({ start, n, input, dims }) => {
      const result = await this.session.run({ [this.inputName]: floatTensor(input, dims) }, this.fetches);
      const tensors = new Map<string, { data: Float32Array; dims: readonly number[] }>();
      for (const name of this.fetches) {
        const t = result[name]!;
        tensors.set(name, { data: tensorData(t, name), dims: t.dims });
      }
      await onBatch({ n, start, input, tensors });
      for (const t of Object.values(result)) t.dispose();
      options.onProgress?.(start + n, total);
    });
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
