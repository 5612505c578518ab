/**
 * Which channels to remove: importance = f(activeness, substitutability) with greedy re-scoring
 * (docs: /work/shared/METHOD.md, "Substitutability score" and "Importance").
 *
 * The O(C²) row reductions run in WASM (MatrixOps); this loop only decides. It is exact and
 * deterministic: after each removal it re-scores precisely the channels whose score can change
 * (nearest: those whose nearest neighbour was removed; knn:K: those that had it among their K
 * nearest; mean and regression: all kept), and every argmin breaks ties toward the lower index.
 *
 * Normalisation: Â = A / max A over the layer (fixed), Ŝ = S / max S over the channels still
 * kept (re-taken after each removal). A term whose maximum is 0 carries no information and is
 * treated as 1 for every channel.
 */

import { UsageError } from "../errors.js";

export type SubstitutabilityMode =
  | { kind: "nearest" }
  | { kind: "mean" }
  | { kind: "knn"; neighbours: number }
  /** ridge: ε relative to the mean Gram diagonal (default 1e-4). */
  | { kind: "regression"; ridge?: number };

export type CombineRule = "product" | "sum";

export interface SelectionInput {
  channels: number;
  /** Raw activeness A(c) ≥ 0 (any variant). */
  activeness: Float64Array;
  /** D(i, j), C×C row-major; required unless substitutability is regression. */
  distance?: Float64Array;
  /** C×C Gram matrix (e.g. globallyCentredGram()); required for regression. */
  gram?: Float64Array;
  substitutability: SubstitutabilityMode;
  combine: CombineRule;
  /** λ in Â^λ·Ŝ^(1−λ) or λ·Â + (1−λ)·Ŝ. */
  lambda: number;
  /** Number of channels to remove (0 ≤ remove < channels). */
  remove: number;
  /** Re-score after every removal (default true); false ranks once. */
  greedy?: boolean;
}

export interface SelectionResult {
  /** Removed channels in removal order. */
  removed: Int32Array;
  /** 1 = kept. */
  kept: Uint8Array;
  /** Importance of each removed channel at the step it was removed (parallel to `removed`). */
  importanceAtRemoval: Float64Array;
  /** S(c) with every channel kept. */
  initialSubstitutability: Float64Array;
  /** I(c) with every channel kept. */
  initialImportance: Float64Array;
}

/** Row reductions on one layer's matrices, valid inside SubstitutabilityBackend.withMatrices. */
export interface MatrixOps {
  nearest(kept: Uint8Array, rows: Uint8Array, score: Float64Array, nearest: Int32Array): void;
  mean(kept: Uint8Array, rows: Uint8Array, score: Float64Array): void;
  knn(kept: Uint8Array, rows: Uint8Array, neighbours: number, score: Float64Array, kth: Float64Array): void;
  /** Prepares P = (G + ε·I)⁻¹, ε = ridge·mean(diag G). */
  regressionInit(ridge: number): void;
  regressionScores(kept: Uint8Array, score: Float64Array): void;
  /** Updates P for the removal of `removed` (still marked kept in `kept`). */
  regressionRemove(kept: Uint8Array, removed: number): void;
}

export interface SubstitutabilityBackend {
  withMatrices<R>(channels: number, distance: Float64Array | null, gram: Float64Array | null, body: (ops: MatrixOps) => R): R;
}

export const DEFAULT_REGRESSION_RIDGE = 1e-4;

export function selectChannels(input: SelectionInput, backend: SubstitutabilityBackend): SelectionResult {
  const c = input.channels;
  const mode = input.substitutability;
  if (!Number.isInteger(c) || c <= 0) throw new UsageError(`selectChannels: channels must be a positive integer, got ${c}`);
  if (!Number.isInteger(input.remove) || input.remove < 0 || input.remove >= c) {
    throw new UsageError(`selectChannels: remove must be in [0, ${c - 1}], got ${input.remove}`);
  }
  if (input.activeness.length !== c) throw new UsageError(`selectChannels: activeness has ${input.activeness.length} values, expected ${c}`);
  for (let i = 0; i < c; i++) {
    if (!(input.activeness[i] >= 0) || !Number.isFinite(input.activeness[i])) {
      throw new UsageError(`selectChannels: activeness of channel ${i} is ${input.activeness[i]}, expected a finite value ≥ 0`);
    }
  }
  if (!(input.lambda >= 0 && input.lambda <= 1)) throw new UsageError(`selectChannels: lambda must be in [0, 1], got ${input.lambda}`);
  if (mode.kind === "knn" && (!Number.isInteger(mode.neighbours) || mode.neighbours < 1)) {
    throw new UsageError(`selectChannels: knn needs neighbours ≥ 1, got ${mode.neighbours}`);
  }
  const needsGram = mode.kind === "regression";
  const matrix = needsGram ? input.gram : input.distance;
  if (!matrix || matrix.length !== c * c) {
    throw new UsageError(`selectChannels: ${needsGram ? "gram" : "distance"} must be a ${c}×${c} matrix`);
  }
  for (let i = 0; i < matrix.length; i++) {
    if (!Number.isFinite(matrix[i])) throw new UsageError(`selectChannels: ${needsGram ? "gram" : "distance"}[${i}] is ${matrix[i]}`);
  }
  const greedy = input.greedy ?? true;
  const activenessNorm = normaliseByMax(input.activeness, null);

  return backend.withMatrices(c, needsGram ? null : matrix, needsGram ? matrix : null, (ops) => {
    const kept = new Uint8Array(c).fill(1);
    const all = new Uint8Array(c).fill(1);
    const rows = new Uint8Array(c);
    const score = new Float64Array(c);
    const nearest = new Int32Array(c);
    const kth = new Float64Array(c);
    const rescore = (mask: Uint8Array): void => {
      switch (mode.kind) {
        case "nearest": ops.nearest(kept, mask, score, nearest); break;
        case "mean": ops.mean(kept, mask, score); break;
        case "knn": ops.knn(kept, mask, mode.neighbours, score, kth); break;
        case "regression": ops.regressionScores(kept, score); break;
      }
    };
    if (mode.kind === "regression") ops.regressionInit(mode.ridge ?? DEFAULT_REGRESSION_RIDGE);
    rescore(all);
    const initialSubstitutability = Float64Array.from(score);
    const initialImportance = importance(activenessNorm, normaliseByMax(score, kept), input.combine, input.lambda);

    const removed = new Int32Array(input.remove);
    const importanceAtRemoval = new Float64Array(input.remove);
    if (!greedy) {
      const order = Array.from({ length: c }, (_, i) => i).sort((a, b) => initialImportance[a] - initialImportance[b] || a - b);
      for (let s = 0; s < input.remove; s++) {
        removed[s] = order[s];
        importanceAtRemoval[s] = initialImportance[order[s]];
        kept[order[s]] = 0;
      }
    } else {
      const d = input.distance;
      for (let s = 0; s < input.remove; s++) {
        const imp = importance(activenessNorm, normaliseByMax(score, kept), input.combine, input.lambda);
        let victim = -1;
        for (let i = 0; i < c; i++) if (kept[i] && (victim < 0 || imp[i] < imp[victim])) victim = i;
        removed[s] = victim;
        importanceAtRemoval[s] = imp[victim];
        if (mode.kind === "regression") ops.regressionRemove(kept, victim);
        kept[victim] = 0;
        if (s + 1 === input.remove) break;
        rows.fill(0);
        for (let i = 0; i < c; i++) {
          if (!kept[i]) continue;
          if (mode.kind === "nearest") rows[i] = nearest[i] === victim ? 1 : 0;
          else if (mode.kind === "knn") rows[i] = d![i * c + victim] <= kth[i] ? 1 : 0;
          else rows[i] = 1;
        }
        rescore(rows);
      }
    }
    return { removed, kept, importanceAtRemoval, initialSubstitutability, initialImportance };
  });
}

/** v / max v over `mask` (all if null); all ones if that maximum is not positive. */
export function normaliseByMax(v: Float64Array, mask: Uint8Array | null): Float64Array {
  let max = 0;
  for (let i = 0; i < v.length; i++) if ((!mask || mask[i]) && v[i] > max) max = v[i];
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = max > 0 ? v[i] / max : 1;
  return out;
}

export function importance(a: Float64Array, s: Float64Array, combine: CombineRule, lambda: number): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) {
    out[i] = combine === "product" ? Math.pow(a[i], lambda) * Math.pow(s[i], 1 - lambda) : lambda * a[i] + (1 - lambda) * s[i];
  }
  return out;
}

/**
 * Gram matrix centred over all samples and positions: Σ x·xᵀ − N·M·μ̄·μ̄ᵀ (μ̄ = channel means).
 * This is the Gram of what a consumer's weights must reproduce once its bias absorbs the means,
 * so it is the right input for `regression`.
 */
export function globallyCentredGram(gramRawSum: Float64Array, channelMean: Float64Array, samples: number, spatial: number): Float64Array {
  const c = channelMean.length;
  const out = new Float64Array(c * c);
  const count = samples * spatial;
  for (let i = 0; i < c; i++) {
    for (let j = 0; j < c; j++) out[i * c + j] = gramRawSum[i * c + j] - count * channelMean[i] * channelMean[j];
  }
  return out;
}
