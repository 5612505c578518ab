/**
 * Bias compensation: a removed input channel c contributes, on average, Σ W(o,c,·,·)·μ(c) to each
 * consumer output o; fold that into the consumer's bias. Exact for constant maps (dead or
 * bias-only channels), approximate at padded borders and for varying maps.
 */
import type { CalibrationSet } from "../data/calibration.js";
import { attrFloat, attrInt, type GraphIndex } from "../graph/graph-index.js";
import type { ConsumerChange } from "../groups/types.js";
import type { ModelProto } from "../onnx/proto.js";
import { readFloats, tensorDims } from "../onnx/tensor.js";
import { streamPaired } from "./paired-stream.js";
import type { ChannelMap } from "./channel-map.js";
import type { RecoveryTarget } from "./targets.js";
import { applyDelta } from "./weights.js";

export interface BiasCompensation {
  node: string;
  op: string;
  shift: number;
}

export async function compensateBiases(
  original: ModelProto, originalIndex: GraphIndex, prunedIndex: GraphIndex, consumers: readonly ConsumerChange[], channels: ChannelMap,
  data: CalibrationSet, o: { samples: number; batchSize: number; threads?: number },
): Promise<BiasCompensation[]> {
  const usable = consumers.filter((c) => {
    const n = originalIndex.nodes[c.node]!;
    if (n.opType === "Conv") return attrInt(n, "group", 1) === 1;
    if (n.opType === "Gemm") return attrInt(n, "transA", 0) === 0;
    return false;
  });
  const inputs = [...new Set(usable.map((c) => originalIndex.nodes[c.node]!.input[0]!))];
  // Mean of each input channel (Conv) or feature (Gemm) of the original model.
  const sums = new Map<string, { sum: Float64Array; count: number; perFeature: boolean }>();
  await streamPaired(original, original, data, inputs, [], { ...o, label: "bias compensation" }, (b) => {
    for (const name of inputs) {
      const t = b.original.get(name)!;
      const channels = t.dims[1]!;
      const plane = t.data.length / (b.n * channels);
      let acc = sums.get(name);
      if (!acc) sums.set(name, (acc = { sum: new Float64Array(channels), count: 0, perFeature: t.dims.length === 2 }));
      for (let s = 0; s < b.n; s++) {
        for (let c = 0; c < channels; c++) {
          let v = 0;
          const base = (s * channels + c) * plane;
          for (let p = 0; p < plane; p++) v += t.data[base + p]!;
          acc.sum[c] += v / plane;
        }
      }
      acc.count += b.n;
    }
  });
  const out: BiasCompensation[] = [];
  for (const c of usable) {
    const on = originalIndex.nodes[c.node]!;
    const mean = sums.get(on.input[0]!)!;
    const kept = new Set(c.keptInputs);
    const wt = originalIndex.constantTensor(on.input[1]!);
    if (!wt) continue;
    const w = readFloats(wt);
    const dims = tensorDims(wt);
    const isConv = on.opType === "Conv";
    const transB = !isConv && attrInt(on, "transB", 0) === 1;
    const cout = isConv ? dims[0]! : transB ? dims[0]! : dims[1]!;
    const alpha = isConv ? 1 : attrFloat(on, "alpha", 1);
    const shift = new Float64Array(cout);
    for (let i = 0; i < c.originalInputs; i++) {
      if (kept.has(i)) continue;
      const mu = mean.sum[i]! / mean.count;
      if (mu === 0) continue;
      for (let oc = 0; oc < cout; oc++) {
        if (isConv) {
          const k = dims[2]! * dims[3]!;
          let s = 0;
          for (let j = 0; j < k; j++) s += w[(oc * dims[1]! + i) * k + j]!;
          shift[oc] += s * mu;
        } else {
          shift[oc] += alpha * (transB ? w[oc * dims[1]! + i]! : w[i * cout + oc]!) * mu;
        }
      }
    }
    // The pruned model's layer keeps its name and node index order; find it by name.
    const pIndex = prunedIndex.nodes.findIndex((n, i) => prunedIndex.nodeName(i) === c.name);
    if (pIndex < 0) continue;
    const pn = prunedIndex.nodes[pIndex]!;
    const pw = tensorDims(prunedIndex.initializer(pn.input[1]!)!);
    const inner = isConv ? pw[1]! * pw[2]! * pw[3]! : transB ? pw[1]! : pw[0]!;
    const target: RecoveryTarget = {
      node: pIndex, name: c.name, op: isConv ? "Conv" : "Gemm", input: pn.input[0]!, output: pn.output[0]!, weight: pn.input[1]!,
      bias: pn.input[2] || undefined, transB, fitTensor: pn.output[0]!, residual: false, keptOutputs: [],
    };
    // The consumer may have lost output channels too: shift only the ones it keeps.
    const keptOut = channels.keptChannels(on.output[0]!);
    const delta = new Float64Array((inner + 1) * keptOut.length);
    keptOut.forEach((oc, j) => (delta[inner * keptOut.length + j] = shift[oc]!));
    applyDelta(prunedIndex, target, delta, keptOut.length, true);
    out.push({ node: c.name, op: on.opType ?? "", shift: Math.sqrt(shift.reduce((s, v) => s + v * v, 0) / cout) });
  }
  return out;
}
