/**
 * Least-squares reconstruction (ThiNet / channel-pruning style, METHOD.md "Recovery"): re-fit a
 * layer's weights and bias so that its output on calibration data matches the original model's,
 * from the input the pruned model (already reconstructed up to here) actually feeds it:
 *
 *   min_Δ ‖(Y_orig − Y_pruned) − X·Δ‖² + λ‖Δ‖²,   W_new = W + Δ
 *
 * Fitting the correction Δ rather than W itself makes the ridge pull toward the pruned layer's
 * current weights instead of toward zero, which keeps under-determined fits (wide Gemm heads with
 * few calibration images) safe. Normal equations accumulate in float64 in the WASM kernels and
 * are solved by Cholesky. The original model's targets at the sampled positions are read for
 * many layers in one pass (`sampleOriginalTargets`), so each layer costs one pruned-model pass.
 */
import type { CalibrationSet } from "../data/calibration.js";
import type { GraphIndex } from "../graph/graph-index.js";
import type { Kernels } from "../kernels/index.js";
import type { ModelProto } from "../onnx/proto.js";
import { SeededRandom } from "../util/random.js";
import { streamPaired } from "./paired-stream.js";
import { extractPatches, patchLength } from "./patches.js";
import type { RecoveryTarget } from "./targets.js";
import { applyDelta } from "./weights.js";

export interface LsqOptions {
  samples: number;
  /** Output positions sampled per image for convolutions. */
  positions: number;
  /** λ relative to the mean diagonal of XᵀX. */
  ridge: number;
  batchSize: number;
  seed: number;
  threads?: number;
}

export interface FitError {
  before: number;
  after: number;
}

/** Which output positions of which samples a layer is fitted on, fixed before any pass. */
export interface Sampling {
  /** positions[s]: flat output positions (y·W + x) of sample s; [0] for Gemm/MatMul rows. */
  positions: number[][];
  rows: number;
}

export function planSampling(t: RecoveryTarget, samples: number, o: Pick<LsqOptions, "positions" | "seed">): Sampling {
  const rng = new SeededRandom(o.seed * 7919 + t.node);
  const plane = t.geometry ? t.geometry.outHeight * t.geometry.outWidth : 1;
  const positions: number[][] = [];
  let rows = 0;
  for (let s = 0; s < samples; s++) {
    let p: number[];
    if (plane <= o.positions) p = Array.from({ length: plane }, (_, i) => i);
    else {
      const chosen = new Set<number>();
      while (chosen.size < o.positions) chosen.add(rng.int(plane));
      p = [...chosen].sort((a, b) => a - b);
    }
    positions.push(p);
    rows += p.length;
  }
  return { positions, rows };
}

/** Bytes the cached original targets of a layer take. */
export function sampledTargetBytes(t: RecoveryTarget, s: Sampling): number {
  return s.rows * t.keptOutputs.length * 4;
}

/** Values of `t.fitTensor` in the original model at the sampled rows, kept channels only. */
export async function sampleOriginalTargets(
  original: ModelProto, pruned: ModelProto, targets: readonly RecoveryTarget[], samplings: readonly Sampling[], data: CalibrationSet, o: LsqOptions,
): Promise<Float32Array[]> {
  const out = targets.map((t, i) => new Float32Array(samplings[i]!.rows * t.keptOutputs.length));
  const cursor = targets.map(() => 0);
  const fetches = [...new Set(targets.map((t) => t.fitTensor))];
  await streamPaired(original, pruned, data, fetches, [], { samples: o.samples, batchSize: o.batchSize, threads: o.threads, label: "original targets" }, (b) => {
    targets.forEach((t, i) => {
      const yo = b.original.get(t.fitTensor)!;
      const fullC = yo.dims[1]!;
      const plane = yo.data.length / (b.n * fullC);
      const cout = t.keptOutputs.length;
      const dst = out[i]!;
      for (let s = 0; s < b.n; s++) {
        for (const pos of samplings[i]!.positions[b.start + s]!) {
          const row = cursor[i]!++;
          for (let j = 0; j < cout; j++) dst[row * cout + j] = yo.data[(s * fullC + t.keptOutputs[j]!) * plane + pos]!;
        }
      }
    });
  });
  return out;
}

/** Rows kept to measure the fit's error (in-sample, relative), bounded by the cost of X·Δ. */
function heldRowLimit(kIn: number, cout: number): number {
  return Math.max(64, Math.min(2048, Math.floor(2e8 / (kIn * cout))));
}

/**
 * A depthwise conv: one (k·k + 1)-unknown least-squares system per channel, each from that
 * channel's own input patches, with the same correction-and-ridge formulation.
 */
async function fitDepthwise(
  kernels: Kernels, original: ModelProto, pruned: ModelProto, prunedIndex: GraphIndex, t: RecoveryTarget,
  sampling: Sampling, yOriginal: Float32Array, data: CalibrationSet, o: LsqOptions,
): Promise<FitError> {
  const g = t.geometry!;
  const C = t.keptOutputs.length;
  const K = g.kernel[0] * g.kernel[1] + 1;
  const systems = Array.from({ length: C }, () => kernels.normalEquations(K, 1));
  let before = 0;
  let norm = 0;
  let cursor = 0;
  const held: { ch: number; x: Float32Array; r: Float32Array }[] = [];
  try {
    await streamPaired(original, pruned, data, [], [t.input, t.fitTensor], { samples: o.samples, batchSize: o.batchSize, threads: o.threads, label: t.name }, (b) => {
      const x = b.pruned.get(t.input)!;
      const yp = b.pruned.get(t.fitTensor)!;
      const plane = yp.data.length / (b.n * C);
      const positions = sampling.positions.slice(b.start, b.start + b.n);
      const rows = positions.reduce((s, p) => s + p.length, 0);
      const Y = yOriginal.subarray(cursor * C, (cursor + rows) * C);
      for (let ch = 0; ch < C; ch++) {
        const X = new Float32Array(rows * K);
        const R = new Float32Array(rows);
        let r = 0;
        positions.forEach((pos, s) => {
          extractPatches(x.data, s, g, pos, X, r, ch);
          for (const p of pos) {
            const orig = Y[r * C + ch]!;
            R[r] = orig - yp.data[(s * C + ch) * plane + p]!;
            before += R[r]! ** 2;
            norm += orig ** 2;
            r++;
          }
        });
        systems[ch]!.addRows(X, R, rows);
        if (b.start === 0) held.push({ ch, x: X.slice(0, Math.min(rows, 256) * K), r: R.slice(0, Math.min(rows, 256)) });
      }
      cursor += rows;
    });
    const delta = new Float64Array(K * C);
    let after = 0;
    let heldBefore = 0;
    for (let ch = 0; ch < C; ch++) {
      const d = systems[ch]!.solve(o.ridge);
      for (let k = 0; k < K; k++) delta[k * C + ch] = d[k]!;
    }
    for (const h of held) {
      for (let r = 0; r < h.r.length; r++) {
        let pred = 0;
        for (let k = 0; k < K; k++) pred += h.x[r * K + k]! * delta[k * C + h.ch]!;
        after += (h.r[r]! - pred) ** 2;
        heldBefore += h.r[r]! ** 2;
      }
    }
    applyDelta(prunedIndex, t, delta, C, true);
    const rel = Math.sqrt(before / Math.max(norm, 1e-30));
    return { before: rel, after: heldBefore > 0 ? rel * Math.sqrt(after / heldBefore) : rel };
  } finally {
    for (const s of systems) s.dispose();
  }
}

export async function fitLayer(
  kernels: Kernels, original: ModelProto, pruned: ModelProto, prunedIndex: GraphIndex, t: RecoveryTarget,
  sampling: Sampling, yOriginal: Float32Array, data: CalibrationSet, o: LsqOptions,
): Promise<FitError> {
  if (t.depthwise) return fitDepthwise(kernels, original, pruned, prunedIndex, t, sampling, yOriginal, data, o);
  const cout = t.keptOutputs.length;
  const withBias = t.op !== "MatMul";
  const g = t.geometry;
  const kIn = g ? patchLength(g) : 0;
  let eq: ReturnType<Kernels["normalEquations"]> | undefined;
  const held = { x: [] as Float32Array[], r: [] as Float32Array[], y: [] as Float32Array[], rows: 0 };
  const fetchPruned = [t.input, t.fitTensor];
  let cursor = 0;
  try {
    await streamPaired(original, pruned, data, [], fetchPruned, { samples: o.samples, batchSize: o.batchSize, threads: o.threads, label: t.name }, (b) => {
      const x = b.pruned.get(t.input)!;
      const yp = b.pruned.get(t.fitTensor)!;
      const positions = sampling.positions.slice(b.start, b.start + b.n);
      const rows = positions.reduce((s, p) => s + p.length, 0);
      const features = g ? 0 : x.dims[x.dims.length - 1]!;
      const k = g ? kIn : features + (withBias ? 1 : 0);
      const X = new Float32Array(rows * k);
      if (g) {
        let r = 0;
        positions.forEach((pos, s) => {
          extractPatches(x.data, s, g, pos, X, r);
          r += pos.length;
        });
      } else {
        for (let r = 0; r < rows; r++) {
          X.set(x.data.subarray(r * features, (r + 1) * features), r * k);
          if (withBias) X[r * k + features] = 1;
        }
      }
      const plane = yp.data.length / (b.n * cout);
      const R = new Float32Array(rows * cout);
      const Y = yOriginal.subarray(cursor * cout, (cursor + rows) * cout);
      let r = 0;
      positions.forEach((pos, s) => {
        for (const p of pos) {
          for (let j = 0; j < cout; j++) R[r * cout + j] = Y[r * cout + j]! - yp.data[(s * cout + j) * plane + p]!;
          r++;
        }
      });
      cursor += rows;
      eq ??= kernels.normalEquations(k, cout);
      eq.addRows(X, R, rows);
      const limit = heldRowLimit(k, cout);
      if (held.rows < limit) {
        const take = Math.min(rows, limit - held.rows);
        held.x.push(X.slice(0, take * k));
        held.r.push(R.slice(0, take * cout));
        held.y.push(Y.slice(0, take * cout));
        held.rows += take;
      }
    });
    const k = eq!.inputs;
    const delta = eq!.solve(o.ridge);
    const err = heldError(held, delta, k, cout);
    applyDelta(prunedIndex, t, delta, cout, withBias);
    return err;
  } finally {
    eq?.dispose();
  }
}

function heldError(held: { x: Float32Array[]; r: Float32Array[]; y: Float32Array[] }, delta: Float64Array, kIn: number, cout: number): FitError {
  let before = 0;
  let after = 0;
  let norm = 0;
  held.x.forEach((X, b) => {
    const R = held.r[b]!;
    const Y = held.y[b]!;
    const rows = R.length / cout;
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < cout; j++) {
        let pred = 0;
        for (let k = 0; k < kIn; k++) pred += X[r * kIn + k]! * delta[k * cout + j]!;
        const res = R[r * cout + j]!;
        before += res * res;
        after += (res - pred) * (res - pred);
        norm += Y[r * cout + j]! ** 2;
      }
    }
  });
  const d = Math.sqrt(Math.max(norm, 1e-30));
  return { before: Math.sqrt(before) / d, after: Math.sqrt(after) / d };
}
