/** Reading and updating a recovery target's weight and bias in the pruned model. */
import { attrFloat, type GraphIndex } from "../graph/graph-index.js";
import { makeFloatTensor, readFloats, tensorDims, writeFloats } from "../onnx/tensor.js";
import type { RecoveryTarget } from "./targets.js";

export interface LayerParams {
  /** Weight as a K_in × Cout matrix in the fit's row layout (bias row excluded). */
  dims: number[];
  weight: Float32Array;
  bias: Float32Array;
}

/**
 * Adds Δ (rows × Cout, row-major: patch/feature index major, bias last when `withBias`) to the
 * layer's weight and bias, creating a bias initializer when the layer has none.
 */
export function applyDelta(index: GraphIndex, t: RecoveryTarget, delta: Float64Array, cout: number, withBias: boolean): void {
  const node = index.nodes[t.node]!;
  const wt = index.initializer(t.weight)!;
  const dims = tensorDims(wt);
  const w = readFloats(wt);
  const alpha = t.op === "Gemm" ? attrFloat(node, "alpha", 1) : 1;
  const beta = t.op === "Gemm" ? attrFloat(node, "beta", 1) : 1;
  const inner = t.op === "Conv" ? dims[1]! * dims[2]! * dims[3]! : t.transB ? dims[1]! : dims[0]!;
  for (let k = 0; k < inner; k++) {
    for (let o = 0; o < cout; o++) {
      const d = delta[k * cout + o]! / alpha;
      if (t.op === "Conv" || t.transB) w[o * inner + k] += d;
      else w[k * cout + o] += d;
    }
  }
  writeFloats(wt, dims, w);
  if (!withBias) return;
  let bt = t.bias ? index.initializer(t.bias) : undefined;
  if (!bt) {
    // The layer had no bias: add one, named after the layer, so the fitted offset has a home.
    let name = `${t.name}.recovered_bias`;
    while (index.isDefined(name)) name += "_";
    bt = makeFloatTensor(name, [cout], new Float32Array(cout));
    index.graph.initializer.push(bt);
    while (node.input.length < 2) node.input.push("");
    if (t.op === "Gemm" && node.input.length < 3) node.input.push(name);
    else node.input[2] = name;
    t.bias = name;
  }
  const b = readFloats(bt);
  for (let o = 0; o < cout; o++) b[o] += delta[inner * cout + o]! / beta;
  writeFloats(bt, [cout], b);
}

/** Per output channel: weights ×scale, bias → scale·(bias − shiftFrom) + shiftTo. */
export function applyAffine(index: GraphIndex, t: RecoveryTarget, scale: Float64Array, fromMean: Float64Array, toMean: Float64Array): void {
  const node = index.nodes[t.node]!;
  const wt = index.initializer(t.weight)!;
  const dims = tensorDims(wt);
  const w = readFloats(wt);
  const cout = scale.length;
  const inner = w.length / cout;
  for (let k = 0; k < inner; k++) {
    for (let o = 0; o < cout; o++) {
      if (t.op === "Conv" || t.transB) w[o * inner + k] *= scale[o]!;
      else w[k * cout + o] *= scale[o]!;
    }
  }
  writeFloats(wt, dims, w);
  // y' = a·(y − μp) + μo = a·Wx + [a·(b − μp) + μo]: the new bias absorbs the shift.
  const delta = new Float64Array(cout);
  const bt = t.bias ? index.initializer(t.bias) : undefined;
  const b = bt ? readFloats(bt) : new Float32Array(cout);
  const beta = t.op === "Gemm" ? attrFloat(node, "beta", 1) : 1;
  for (let o = 0; o < cout; o++) {
    const bias = b[o]! * beta;
    delta[o] = scale[o]! * (bias - fromMean[o]!) + toMean[o]! - bias;
  }
  const zero = new Float64Array(inner * cout);
  const full = new Float64Array((inner + 1) * cout);
  full.set(zero);
  full.set(delta, inner * cout);
  applyDelta(index, t, full, cout, true);
}
