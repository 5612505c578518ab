/**
 * Evaluation: top-1 accuracy against labels, top-1 agreement and mean absolute output difference
 * against a reference model, and latency (median of repeated runs) in onnxruntime-web.
 */
import { forEachBatch, type CalibrationSet } from "../data/calibration.js";
import { DataError } from "../errors.js";
import { encodeModel } from "../onnx/model-io.js";
import type { ModelProto } from "../onnx/proto.js";
import { floatTensor, ModelSession, tensorData } from "../runtime/ort.js";
import type { ProgressCallback } from "./progress.js";

export interface EvaluateOptions {
  labels?: Int32Array;
  reference?: ModelProto;
  batchSize?: number;
  samples?: number;
  threads?: number;
  /** Timed repetitions for latency (after one warm-up); 0 skips timing. Default 20 single-sample, 5 batch. */
  latencyRuns?: number;
  onProgress?: ProgressCallback;
}

export interface EvaluationResult {
  samples: number;
  accuracy?: number;
  referenceAccuracy?: number;
  agreement?: number;
  meanAbsDiff?: number;
  latency_ms: number;
  batch_latency_ms: number;
  batch_size: number;
  reference_latency_ms?: number;
  reference_batch_latency_ms?: number;
  speedup?: number;
}

export function argmaxRows(data: Float32Array, rows: number, cols: number, out: Int32Array, offset: number): void {
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < cols; c++) if (data[r * cols + c]! > data[r * cols + best]!) best = c;
    out[offset + r] = best;
  }
}

async function predict(session: ModelSession, data: CalibrationSet, total: number, batchSize: number, keepOutputs: boolean, onBatch?: (done: number) => void): Promise<{ top1: Int32Array; outputs: Float32Array[] }> {
  const top1 = new Int32Array(total);
  const outputs: Float32Array[] = [];
  const inputName = session.inputNames[0]!;
  const output = session.outputNames[0]!;
  await forEachBatch(data, total, batchSize, async ({ start, n, input, dims }) => {
    const r = await session.run({ [inputName]: floatTensor(input, dims) }, [output]);
    const y = tensorData(r[output]!, output);
    const cols = y.length / n;
    argmaxRows(y, n, cols, top1, start);
    if (keepOutputs) outputs.push(y.slice());
    r[output]!.dispose();
    onBatch?.(start + n);
  });
  return { top1, outputs };
}

/** Feeds of `batch` samples, ready for repeated timed runs. */
function latencyFeeds(session: ModelSession, data: CalibrationSet, batch: number): Record<string, ReturnType<typeof floatTensor>> {
  const sampleSize = data.sampleShape.reduce((a, b) => a * b, 1);
  const n = Math.min(batch, data.count);
  const buf = new Float32Array(n * sampleSize);
  data.read(0, n, buf);
  return { [session.inputNames[0]!]: floatTensor(buf, [n, ...data.sampleShape]) };
}

/**
 * Median latency of each session, with their runs interleaved (A, B, A, B, …) so that load from
 * other processes affects both alike; one warm-up run each first.
 */
async function latencies(sessions: readonly ModelSession[], data: CalibrationSet, batch: number, runs: number): Promise<number[]> {
  const feeds = sessions.map((s) => latencyFeeds(s, data, batch));
  for (const [i, s] of sessions.entries()) await s.run(feeds[i]!);
  const times = sessions.map(() => [] as number[]);
  for (let r = 0; r < runs; r++) {
    for (const [i, s] of sessions.entries()) {
      const t0 = performance.now();
      await s.run(feeds[i]!);
      times[i]!.push(performance.now() - t0);
    }
  }
  return times.map((t) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)]!);
}

export async function evaluate(model: ModelProto, data: CalibrationSet, label: string, o: EvaluateOptions = {}): Promise<EvaluationResult> {
  const total = Math.min(data.count, o.samples ?? data.count);
  if (o.labels && o.labels.length < total) throw new DataError(`labels: ${o.labels.length} labels for ${total} samples`);
  const batchSize = o.batchSize ?? 64;
  const session = await ModelSession.create(encodeModel(model), label, { threads: o.threads });
  const refSession = o.reference ? await ModelSession.create(encodeModel(o.reference), `${label} (reference)`, { threads: o.threads }) : undefined;
  try {
    const mine = await predict(session, data, total, batchSize, !!refSession, (d) => o.onProgress?.({ stage: "evaluate", done: d, total: refSession ? 2 * total : total }));
    const result: EvaluationResult = { samples: total, latency_ms: 0, batch_latency_ms: 0, batch_size: Math.min(batchSize, total) };
    if (o.labels) result.accuracy = accuracyOf(mine.top1, o.labels);
    if (refSession) {
      const ref = await predict(refSession, data, total, batchSize, true, (d) => o.onProgress?.({ stage: "evaluate", done: total + d, total: 2 * total }));
      let agree = 0;
      for (let i = 0; i < total; i++) if (mine.top1[i] === ref.top1[i]) agree++;
      result.agreement = agree / total;
      let sum = 0;
      let count = 0;
      mine.outputs.forEach((y, b) => {
        const r = ref.outputs[b]!;
        for (let i = 0; i < y.length; i++) sum += Math.abs(y[i]! - r[i]!);
        count += y.length;
      });
      result.meanAbsDiff = sum / Math.max(1, count);
      if (o.labels) result.referenceAccuracy = accuracyOf(ref.top1, o.labels);
    }
    const runs = o.latencyRuns ?? 20;
    if (runs === 0) return result;
    const sessions = refSession ? [session, refSession] : [session];
    const single = await latencies(sessions, data, 1, runs);
    const batched = await latencies(sessions, data, result.batch_size, Math.max(3, Math.floor(runs / 4)));
    result.latency_ms = single[0]!;
    result.batch_latency_ms = batched[0]!;
    if (refSession) {
      result.reference_latency_ms = single[1]!;
      result.reference_batch_latency_ms = batched[1]!;
      result.speedup = result.reference_batch_latency_ms / result.batch_latency_ms;
    }
    return result;
  } finally {
    await session.release();
    await refSession?.release();
  }
}

function accuracyOf(top1: Int32Array, labels: Int32Array): number {
  let ok = 0;
  for (let i = 0; i < top1.length; i++) if (top1[i] === labels[i]) ok++;
  return ok / top1.length;
}
