/**
 * BatchNormalization re-calibration for graphs that kept their BN nodes: re-estimate each
 * affected BN's running mean and variance from the pruned model's own activations, in order.
 */
import type { CalibrationSet } from "../data/calibration.js";
import type { GraphIndex } from "../graph/graph-index.js";
import type { ModelProto } from "../onnx/proto.js";
import { writeFloats } from "../onnx/tensor.js";
import { streamPaired } from "./paired-stream.js";

export async function recalibrateBatchNorm(
  pruned: ModelProto, prunedIndex: GraphIndex, node: number, data: CalibrationSet,
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
  await streamPaired(pruned, pruned, data, [], [x], { ...o, label: prunedIndex.nodeName(node) }, (b) => {
    const t = b.pruned.get(x)!;
    const c = t.dims[1]!;
    const plane = t.data.length / (b.n * c);
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
  const mean = sum!.map((v) => v / count);
  const variance = sumSq!.map((v, i) => Math.max(0, v / count - mean[i]! ** 2));
  writeFloats(meanT, [mean.length], mean);
  writeFloats(varT, [variance.length], variance);
  return true;
}
