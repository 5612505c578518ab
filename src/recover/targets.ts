/**
 * Which layers recovery re-fits: every Conv (group = 1), Gemm and MatMul with a constant weight
 * downstream of a pruned channel, in execution order, with what it is fitted to.
 */
import { attrInt, attrInts, attrString, type GraphIndex } from "../graph/graph-index.js";
import type { ShapeMap } from "../graph/shapes.js";
import type { ChannelMap } from "./channel-map.js";
import type { ConvGeometry } from "./patches.js";

export interface RecoveryTarget {
  node: number;
  name: string;
  op: "Conv" | "Gemm" | "MatMul";
  input: string;
  output: string;
  weight: string;
  /** Bias initializer, when the layer has one of shape [Cout]. */
  bias?: string;
  /** Gemm: B is [Cout, F] (transB = 1) or [F, Cout]. */
  transB: boolean;
  /**
   * The tensor whose original value the layer is fitted to: its own output, or the sum of a
   * residual Add it feeds directly (so the fit also cancels drift on the skip path).
   */
  fitTensor: string;
  residual: boolean;
  /** Original channel indices of fitTensor that the pruned model carries. */
  keptOutputs: number[];
  geometry?: ConvGeometry;
  /** A depthwise conv (group = channels, one filter per channel): fitted channel by channel. */
  depthwise?: boolean;
  /** Why this layer is not re-fitted (it stays in the list for the report). */
  skip?: string;
}

function convGeometry(index: GraphIndex, node: number, shapes: ShapeMap): ConvGeometry | string {
  const n = index.nodes[node]!;
  const x = shapes.get(n.input[0]!);
  const w = shapes.get(n.input[1]!);
  const y = shapes.get(n.output[0]!);
  if (!x || !w || !y || x.length !== 4 || w.length !== 4) return "not a 2-D convolution";
  const kernel: [number, number] = [w[2]!, w[3]!];
  const strides = attrInts(n, "strides") ?? [1, 1];
  const dil = attrInts(n, "dilations") ?? [1, 1];
  let pads = attrInts(n, "pads") ?? [0, 0, 0, 0];
  const autoPad = attrString(n, "auto_pad") ?? "NOTSET";
  if (autoPad === "SAME_UPPER" || autoPad === "SAME_LOWER") {
    const begin = [0, 1].map((a) => {
      const total = Math.max(0, (y[2 + a]! - 1) * strides[a]! + (kernel[a]! - 1) * dil[a]! + 1 - x[2 + a]!);
      return autoPad === "SAME_UPPER" ? Math.floor(total / 2) : Math.ceil(total / 2);
    });
    pads = [begin[0]!, begin[1]!, 0, 0];
  }
  return {
    channels: x[1]!, height: x[2]!, width: x[3]!, kernel,
    strides: [strides[0]!, strides[1]!], padsBegin: [pads[0]!, pads[1]!], dilations: [dil[0]!, dil[1]!],
    outHeight: y[2]!, outWidth: y[3]!,
  };
}

/** Nodes whose inputs differ from the original (lost channels) and everything after them. */
export function affectedNodes(pruned: GraphIndex, changedTensors: (name: string) => boolean, changedWeights: Set<string>): Set<number> {
  const affected = new Set<number>();
  const dirty = new Set<string>();
  for (const i of pruned.order) {
    const n = pruned.nodes[i]!;
    if (n.input.some((t) => t && (dirty.has(t) || changedTensors(t) || changedWeights.has(t)))) {
      affected.add(i);
      for (const o of n.output) if (o) dirty.add(o);
    }
  }
  return affected;
}

export function recoveryTargets(pruned: GraphIndex, prunedShapes: ShapeMap, channels: ChannelMap, affected: Set<number>): RecoveryTarget[] {
  const targets: RecoveryTarget[] = [];
  for (const i of pruned.order) {
    if (!affected.has(i)) continue;
    const n = pruned.nodes[i]!;
    const op = n.opType;
    if (op !== "Conv" && op !== "Gemm" && op !== "MatMul") continue;
    const name = pruned.nodeName(i);
    const weight = n.input[1] ?? "";
    const base: RecoveryTarget = {
      node: i, name, op, input: n.input[0] ?? "", output: n.output[0] ?? "", weight, transB: false,
      fitTensor: n.output[0] ?? "", residual: false, keptOutputs: [],
    };
    const skip = (reason: string): void => {
      targets.push({ ...base, skip: reason });
    };
    if (!pruned.initializer(weight)) { skip(`weight '${weight}' is not an initializer`); continue; }
    if (pruned.consumersOf(weight).length > 1) { skip(`weight '${weight}' is shared`); continue; }
    const wShape = prunedShapes.get(weight)!;
    let cout: number;
    if (op === "Conv") {
      const group = attrInt(n, "group", 1);
      const g = convGeometry(pruned, i, prunedShapes);
      if (typeof g === "string") { skip(g); continue; }
      if (group !== 1) {
        // Depthwise with multiplier 1: each output channel reads only its own input channel, so
        // it is re-fitted as one small system per channel. Other grouped convs are left as they are.
        if (group !== g.channels || wShape[0] !== g.channels || wShape[1] !== 1) { skip("grouped convolution (only depthwise convs with multiplier 1 are re-fitted)"); continue; }
        base.depthwise = true;
      }
      base.geometry = g;
      cout = wShape[0]!;
    } else if (op === "Gemm") {
      if (attrInt(n, "transA", 0) !== 0) { skip("Gemm with transA"); continue; }
      base.transB = attrInt(n, "transB", 0) === 1;
      cout = base.transB ? wShape[0]! : wShape[1]!;
      if (wShape.length !== 2) { skip("Gemm weight is not 2-D"); continue; }
    } else {
      if (wShape.length !== 2) { skip("MatMul weight is not 2-D"); continue; }
      // Channels of an N-D MatMul input sit on its last axis, not axis 1: not mapped.
      if (prunedShapes.get(base.input)?.length !== 2) { skip("MatMul input is not 2-D"); continue; }
      cout = wShape[1]!;
    }
    const biasName = op === "MatMul" ? undefined : n.input[2];
    if (biasName) {
      const b = pruned.initializer(biasName);
      const dims = prunedShapes.get(biasName);
      if (!b || !dims || dims.length !== 1 || dims[0] !== cout || pruned.consumersOf(biasName).length > 1) {
        skip(`bias '${biasName}' is not a [${cout}] initializer of its own`);
        continue;
      }
      base.bias = biasName;
    }
    // Residual: the layer's output goes straight into a two-input Add and nowhere else.
    const uses = pruned.consumersOf(base.output);
    if (uses.length === 1) {
      const add = pruned.nodes[uses[0]!.node]!;
      if (add.opType === "Add" && add.input.length === 2 && add.input.every((t) => t && !pruned.constantTensor(t))) {
        const addOut = add.output[0]!;
        if (prunedShapes.get(addOut)?.join() === prunedShapes.get(base.output)?.join()) {
          base.fitTensor = addOut;
          base.residual = true;
        }
      }
    }
    base.keptOutputs = channels.keptChannels(base.fitTensor);
    if (base.keptOutputs.length !== cout) { skip(`output channel map of '${base.fitTensor}' does not match the weight (${base.keptOutputs.length} vs ${cout})`); continue; }
    targets.push(base);
  }
  return targets;
}
