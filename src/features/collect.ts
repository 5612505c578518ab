/**
 * Step 1 of the method: stream the calibration data and accumulate, per tapped tensor, the
 * statistics the criteria need (activeness sums, pairwise differences, Gram sums) in the WASM
 * kernels, batch by batch.
 */
import type { CalibrationSet } from "../data/calibration.js";
import type { ShapeMap } from "../graph/shapes.js";
import type { DistanceKind, Kernels, LayerAccumulator, LayerStatistics } from "../kernels/index.js";
import type { ModelProto } from "../onnx/proto.js";
import { RankAccumulator } from "../score/hrank.js";
import { UnsupportedStructureError } from "../errors.js";
import { bytesPerSample, chooseBatchSize, FeatureStreamer } from "./stream.js";

export interface CollectOptions {
  distance: DistanceKind;
  samples?: number;
  threads?: number;
  /** Also accumulate Gram matrices (for regression substitutability). */
  gram?: boolean;
  /** Also compute HRank's mean map rank, over at most this many samples. */
  rankSamples?: number;
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface TapStatistics {
  stats: Map<string, LayerStatistics>;
  ranks: Map<string, Float64Array>;
  batchSize: number;
  /** Bytes of tapped maps in one batch: the most held at once. */
  batchBytes: number;
  samples: number;
}

export async function collectTapStatistics(
  kernels: Kernels, model: ModelProto, shapes: ShapeMap, data: CalibrationSet, taps: readonly string[], label: string, o: CollectOptions,
): Promise<TapStatistics> {
  const perSample = bytesPerSample(shapes, taps);
  const largestActivation = Math.max(0, ...[...shapes.values()].map((s) => s.slice(1).reduce((a, b) => a * b, 1) * 4));
  const batchSize = o.batchSize ?? chooseBatchSize(perSample, largestActivation * 4);
  const accs = new Map<string, LayerAccumulator>();
  const ranks = new Map<string, RankAccumulator>();
  for (const t of taps) {
    const dims = shapes.get(t);
    if (!dims || dims.length < 2) throw new UnsupportedStructureError(`${label}: tap tensor '${t}' has no channel axis`);
    const spatial = dims.slice(2).reduce((a, b) => a * b, 1);
    accs.set(t, kernels.createLayerAccumulator({ channels: dims[1]!, spatial, distance: o.distance, accumulateGram: o.gram ?? false }));
    // A map without spatial axes (a Gemm's features) is a 1×1 matrix: rank 1 where non-zero.
    if (o.rankSamples) ranks.set(t, new RankAccumulator(dims[1]!, dims[2] ?? 1, dims.slice(3).reduce((a, b) => a * b, 1), o.rankSamples));
  }
  const streamer = await FeatureStreamer.open(model, taps, label, { threads: o.threads });
  try {
    await streamer.run(data, { batchSize, samples: o.samples, onProgress: o.onProgress }, (batch) => {
      for (const [name, t] of batch.tensors) {
        accs.get(name)!.addBatch(t.data, batch.n);
        ranks.get(name)?.addBatch(t.data, batch.n);
      }
    });
  } finally {
    await streamer.close();
  }
  const stats = new Map<string, LayerStatistics>();
  for (const [name, acc] of accs) {
    stats.set(name, acc.finalize());
    acc.dispose();
  }
  const rankMeans = new Map<string, Float64Array>();
  for (const [name, r] of ranks) rankMeans.set(name, r.mean());
  return { stats, ranks: rankMeans, batchSize, batchBytes: perSample * batchSize, samples: Math.min(data.count, o.samples ?? data.count) };
}
