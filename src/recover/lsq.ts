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
 * are solved by Cholesky.
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

/** Rows kept to measure the fit's error (in-sample, relative), bounded by the cost of X·Δ. */
function heldRowLimit(kIn: number, cout: number): number {
  return Math.max(64, Math.min(2048, Math.floor(2e8 / (kIn * cout))));
}

function samplePositions(rng: SeededRandom, total: number, k: number): number[] {
  if (total <= k) return Array.from({ length: total }, (_, i) => i);
  const chosen = new Set<number>();
  while (chosen.size < k) chosen.add(rng.int(total));
  return [...chosen].sort((a, b) => a - b);
}

export async function fitLayer(
  kernels: Kernels, original: ModelProto, pruned: ModelProto, prunedIndex: GraphIndex, t: RecoveryTarget,
  data: CalibrationSet, o: LsqOptions,
): Promise<FitError> {
  const cout = t.keptOutputs.length;
  const withBias = t.op !== "MatMul";
  const g = t.geometry;
  let kIn = 0;
  const eq = { handle: undefined as ReturnType<Kernels["normalEquations"]> | undefined };
  const held = { x: [] as Float32Array[], r: [] as Float32Array[], y: [] as Float32Array[], rows: 0 };
  const rng = new SeededRandom(o.seed * 7919 + t.node);
  const fetchPruned = t.residual ? [t.input, t.fitTensor] : [t.input, t.output];
  try {
    await streamPaired(original, pruned, data, [t.fitTensor], fetchPruned, { samples: o.samples, batchSize: o.batchSize, threads: o.threads, label: t.name }, (b) => {
      const x = b.pruned.get(t.input)!;
      const yp = b.pruned.get(fetchPruned[1]!)!;
      const yo = b.original.get(t.fitTensor)!;
      const fullC = yo.dims[1]!;
      let rows: number;
      let X: Float32Array;
      let rowPos: { sample: number; pos: number; plane: number }[];
      if (g) {
        kIn = patchLength(g);
        const plane = g.outHeight * g.outWidth;
        const perSample = Array.from({ length: b.n }, () => samplePositions(rng, plane, o.positions));
        rows = perSample.reduce((s, p) => s + p.length, 0);
        X = new Float32Array(rows * kIn);
        rowPos = [];
        let r = 0;
        perSample.forEach((pos, s) => {
          extractPatches(x.data, s, g, pos, X, r);
          for (const p of pos) rowPos.push({ sample: s, pos: p, plane });
          r += pos.length;
        });
      } else {
        // Gemm/MatMul: every leading index is a row; the last axis holds the features.
        const features = x.dims[x.dims.length - 1]!;
        rows = x.data.length / features;
        kIn = features + (withBias ? 1 : 0);
        X = new Float32Array(rows * kIn);
        rowPos = [];
        for (let r = 0; r < rows; r++) {
          X.set(x.data.subarray(r * features, (r + 1) * features), r * kIn);
          if (withBias) X[r * kIn + features] = 1;
          rowPos.push({ sample: r, pos: 0, plane: 1 });
        }
      }
      const R = new Float32Array(rows * cout);
      const Y = new Float32Array(rows * cout);
      rowPos.forEach(({ sample, pos, plane }, r) => {
        for (let j = 0; j < cout; j++) {
          const orig = yo.data[(sample * fullC + t.keptOutputs[j]!) * plane + pos]!;
          const now = yp.data[(sample * cout + j) * plane + pos]!;
          R[r * cout + j] = orig - now;
          Y[r * cout + j] = orig;
        }
      });
      eq.handle ??= kernels.normalEquations(kIn, cout);
      eq.handle.addRows(X, R, rows);
      const limit = heldRowLimit(kIn, cout);
      if (held.rows < limit) {
        const take = Math.min(rows, limit - held.rows);
        held.x.push(X.slice(0, take * kIn));
        held.r.push(R.slice(0, take * cout));
        held.y.push(Y.slice(0, take * cout));
        held.rows += take;
      }
    });
    const delta = eq.handle!.solve(o.ridge);
    const err = heldError(held, delta, kIn, cout);
    applyDelta(prunedIndex, t, delta, cout, withBias);
    return err;
  } finally {
    eq.handle?.dispose();
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
