/**
 * BatchNormalization re-calibration for graphs that kept their BN nodes: re-estimate a BN's
 * running mean and variance from the pruned model's own activations, in order, when its input
 * actually differs from the original model's (kept channels compared). A BN whose input only lost
 * channels keeps its trained statistics: calibration data would only add sampling noise.
 */
import type { CalibrationSet } from "../data/calibration.js";
import type { GraphIndex } from "../graph/graph-index.js";
import type { ModelProto } from "../onnx/proto.js";
import { writeFloats } from "../onnx/tensor.js";
import type { ChannelMap } from "./channel-map.js";
import { streamPaired } from "./paired-stream.js";

export async function recalibrateBatchNorm(
  original: ModelProto, pruned: ModelProto, prunedIndex: GraphIndex, node: number, channels: ChannelMap, data: CalibrationSet,
  o: { samples: number; batchSize: number; threads?: number },
): Promise<boolean> {
  const n = prunedIndex.nodes[node]!;
  const meanT = prunedIndex.initializer(n.input[3] ?? "");
  const varT = prunedIndex.initializer(n.input[4] ?? "");
  if (!meanT || !varT || prunedIndex.consumersOf(n.input[3]!).length > 1 || prunedIndex.consumersOf(n.input[4]!).length > 1) return false;
  const x = n.input[0]!;
  let sum: Float64Array | undefined;
  let sumSq: Float64Array | undefined;
  let count = 0;
  let maxDiff = 0;
  let maxAbs = 0;
  const kept = channels.keptChannels(x);
  await streamPaired(original, pruned, data, [x], [x], { ...o, label: prunedIndex.nodeName(node) }, (b) => {
    const t = b.pruned.get(x)!;
    const orig = b.original.get(x)!;
    const c = t.dims[1]!;
    const plane = t.data.length / (b.n * c);
    const fullC = orig.dims[1]!;
    for (let s = 0; s < b.n; s++) {
      for (let ch = 0; ch < c; ch++) {
        const pBase = (s * c + ch) * plane;
        const oBase = (s * fullC + kept[ch]!) * plane;
        for (let p = 0; p < plane; p++) {
          const ov = orig.data[oBase + p]!;
          maxAbs = Math.max(maxAbs, Math.abs(ov));
          maxDiff = Math.max(maxDiff, Math.abs(t.data[pBase + p]! - ov));
        }
      }
    }
    sum ??= new Float64Array(c);
    sumSq ??= new Float64Array(c);
    for (let s = 0; s < b.n; s++) {
      for (let ch = 0; ch < c; ch++) {
        const base = (s * c + ch) * plane;
        for (let p = 0; p < plane; p++) {
          const v = t.data[base + p]!;
          sum[ch] += v;
          sumSq[ch] += v * v;
        }
      }
    }
    count += b.n * plane;
  });
  if (maxDiff <= 1e-6 * Math.max(maxAbs, 1e-30)) return false;
  const mean = sum!.map((v) => v / count);
  const variance = sumSq!.map((v, i) => Math.max(0, v / count - mean[i]! ** 2));
  writeFloats(meanT, [mean.length], mean);
  writeFloats(varT, [variance.length], variance);
  return true;
}
