/**
 * Float64 reference of every kernel, written straight from the definitions (docs: METHOD.md and
 * the comments of src/kernels/kernels.ts) and independently of assembly/: no centring tricks, no
 * Gram-matrix shortcuts, no blocking. Used only by the tests.
 */

export type Kind = "euclidean" | "cosine" | "correlation";

/** Map c of sample s as float64. */
function map(data: Float32Array, s: number, c: number, channels: number, spatial: number): Float64Array {
  const start = (s * channels + c) * spatial;
  return Float64Array.from(data.subarray(start, start + spatial));
}

export interface ReferenceStats {
  std: Float64Array;
  l1: Float64Array;
  l2: Float64Array;
  nonzero: Float64Array;
  entropy: Float64Array;
  mean: Float64Array;
  meanSquare: Float64Array;
}

export function referenceStats(data: Float32Array, n: number, channels: number, spatial: number, bins: number): ReferenceStats {
  const out: ReferenceStats = {
    std: new Float64Array(channels), l1: new Float64Array(channels), l2: new Float64Array(channels),
    nonzero: new Float64Array(channels), entropy: new Float64Array(channels),
    mean: new Float64Array(channels), meanSquare: new Float64Array(channels),
  };
  for (let s = 0; s < n; s++) {
    for (let c = 0; c < channels; c++) {
      const f = map(data, s, c, channels, spatial);
      let sum = 0, abs = 0, sq = 0, pos = 0;
      let lo = Infinity, hi = -Infinity;
      for (const v of f) {
        sum += v; abs += Math.abs(v); sq += v * v;
        if (v > 0) pos++;
        lo = Math.min(lo, v); hi = Math.max(hi, v);
      }
      const mu = sum / spatial;
      let dev = 0;
      for (const v of f) dev += (v - mu) ** 2;
      out.std[c] += Math.sqrt(dev / spatial);
      out.l1[c] += abs / spatial;
      out.l2[c] += Math.sqrt(sq) / Math.sqrt(spatial);
      out.nonzero[c] += pos / spatial;
      out.mean[c] += mu;
      out.meanSquare[c] += mu * mu;
      if (bins > 0 && hi > lo) {
        const counts = new Array<number>(bins).fill(0);
        for (const v of f) counts[Math.min(bins - 1, Math.floor(((v - lo) * bins) / (hi - lo)))]++;
        let h = 0;
        for (const k of counts) if (k > 0) h -= (k / spatial) * Math.log(k / spatial);
        out.entropy[c] += h;
      }
    }
  }
  for (const arr of Object.values(out)) for (let c = 0; c < channels; c++) arr[c] /= n;
  return out;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Mean over samples of the per-sample distance matrix (C×C, zero diagonal). */
export function referenceDistances(
  data: Float32Array, n: number, channels: number, spatial: number, kind: Kind, constantEps = 1e-10,
): Float64Array {
  const d = new Float64Array(channels * channels);
  for (let s = 0; s < n; s++) {
    const maps = Array.from({ length: channels }, (_, c) => map(data, s, c, channels, spatial));
    // Correlation: centred, unit-normalised vectors; a constant map's vector is 0.
    const unit = maps.map((f) => {
      const mu = f.reduce((a, b) => a + b, 0) / spatial;
      const centred = f.map((v) => v - mu);
      const variance = dot(centred, centred) / spatial;
      if (variance <= constantEps * mu * mu) return null;
      const norm = Math.sqrt(dot(centred, centred));
      return centred.map((v) => v / norm);
    });
    for (let i = 0; i < channels; i++) {
      for (let j = i + 1; j < channels; j++) {
        let v: number;
        if (kind === "euclidean") {
          let sq = 0;
          for (let k = 0; k < spatial; k++) sq += (maps[i][k] - maps[j][k]) ** 2;
          v = Math.sqrt(sq / spatial);
        } else if (kind === "cosine") {
          const ni = Math.sqrt(dot(maps[i], maps[i])), nj = Math.sqrt(dot(maps[j], maps[j]));
          if (ni === 0 || nj === 0) v = ni === 0 && nj === 0 ? 0 : 1;
          else v = 1 - Math.max(-1, Math.min(1, dot(maps[i], maps[j]) / (ni * nj)));
        } else {
          const ui = unit[i], uj = unit[j];
          if (!ui || !uj) v = !ui && !uj ? 0 : 1;
          else {
            let sq = 0;
            for (let k = 0; k < spatial; k++) sq += (ui[k] - uj[k]) ** 2;
            v = Math.sqrt(sq);
          }
        }
        d[i * channels + j] += v / n;
        d[j * channels + i] += v / n;
      }
    }
  }
  return d;
}

/** Σ over samples of the per-sample centred Gram and of the raw Gram. */
export function referenceGramSums(data: Float32Array, n: number, channels: number, spatial: number): { centred: Float64Array; raw: Float64Array } {
  const centred = new Float64Array(channels * channels);
  const raw = new Float64Array(channels * channels);
  for (let s = 0; s < n; s++) {
    const maps = Array.from({ length: channels }, (_, c) => map(data, s, c, channels, spatial));
    const cmaps = maps.map((f) => {
      const mu = f.reduce((a, b) => a + b, 0) / spatial;
      return f.map((v) => v - mu);
    });
    for (let i = 0; i < channels; i++) {
      for (let j = 0; j < channels; j++) {
        centred[i * channels + j] += dot(cmaps[i], cmaps[j]);
        raw[i * channels + j] += dot(maps[i], maps[j]);
      }
    }
  }
  return { centred, raw };
}

/** Full X·Xᵀ of a rows×len float32 matrix, float64. */
export function referenceGram(x: Float32Array, rows: number, len: number): Float64Array {
  const g = new Float64Array(rows * rows);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < rows; j++) {
      let s = 0;
      for (let k = 0; k < len; k++) s += x[i * len + k] * x[j * len + k];
      g[i * rows + j] = s;
    }
  }
  return g;
}

/** Textbook Cholesky (A = L·Lᵀ, lower, row-major). Throws if not positive definite. */
export function referenceCholesky(a: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j];
    for (let k = 0; k < j; k++) d -= l[j * n + k] ** 2;
    if (!(d > 0)) throw new Error(`reference Cholesky: pivot ${j} = ${d}`);
    l[j * n + j] = Math.sqrt(d);
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      l[i * n + j] = s / l[j * n + j];
    }
  }
  return l;
}

/** Solves A·X = B (B: n×m row-major) with a Cholesky factor of A. */
export function referenceSpdSolve(a: Float64Array, n: number, b: Float64Array, m: number): Float64Array {
  const l = referenceCholesky(a, n);
  const x = Float64Array.from(b);
  for (let col = 0; col < m; col++) {
    for (let i = 0; i < n; i++) {
      let s = x[i * m + col];
      for (let k = 0; k < i; k++) s -= l[i * n + k] * x[k * m + col];
      x[i * m + col] = s / l[i * n + i];
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = x[i * m + col];
      for (let k = i + 1; k < n; k++) s -= l[k * n + i] * x[k * m + col];
      x[i * m + col] = s / l[i * n + i];
    }
  }
  return x;
}

/** Ridge least squares from scratch: (XᵀX + λ·mean(diag)·I)·W = XᵀY, W: K×O. */
export function referenceLeastSquares(x: Float32Array, y: Float32Array, rows: number, inputs: number, outputs: number, ridge: number): Float64Array {
  const a = new Float64Array(inputs * inputs);
  const b = new Float64Array(inputs * outputs);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < inputs; i++) {
      const xi = x[r * inputs + i];
      for (let j = 0; j < inputs; j++) a[i * inputs + j] += xi * x[r * inputs + j];
      for (let o = 0; o < outputs; o++) b[i * outputs + o] += xi * y[r * outputs + o];
    }
  }
  let trace = 0;
  for (let i = 0; i < inputs; i++) trace += a[i * inputs + i];
  for (let i = 0; i < inputs; i++) a[i * inputs + i] += (ridge * trace) / inputs;
  return referenceSpdSolve(a, inputs, b, outputs);
}

export type RefMode = { kind: "nearest" } | { kind: "mean" } | { kind: "knn"; neighbours: number } | { kind: "regression"; ridge: number };

/** Inverse of an SPD matrix by solving against the identity. */
function inverse(a: Float64Array, n: number): Float64Array {
  const id = new Float64Array(n * n);
  for (let i = 0; i < n; i++) id[i * n + i] = 1;
  return referenceSpdSolve(a, n, id, n);
}

/** S(c) for every kept c, from scratch. */
export function referenceSubstitutability(matrix: Float64Array, channels: number, kept: boolean[], mode: RefMode, fullGram?: Float64Array): Float64Array {
  const s = new Float64Array(channels);
  if (mode.kind === "regression") {
    const g = fullGram ?? matrix;
    let trace = 0;
    for (let i = 0; i < channels; i++) trace += g[i * channels + i];
    const eps = (mode.ridge * trace) / channels; // ridge relative to the mean diagonal of the full G
    const idx = kept.flatMap((k, i) => (k ? [i] : []));
    const n = idx.length;
    const sub = new Float64Array(n * n);
    for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) sub[a * n + b] = g[idx[a] * channels + idx[b]] + (a === b ? eps : 0);
    const p = inverse(sub, n);
    idx.forEach((c, a) => {
      const gcc = g[c * channels + c];
      s[c] = gcc > eps * 1e-6 ? Math.min(1, Math.max(0, (1 / p[a * n + a] - eps) / gcc)) : 0;
    });
    return s;
  }
  for (let c = 0; c < channels; c++) {
    if (!kept[c]) continue;
    const others: number[] = [];
    for (let j = 0; j < channels; j++) if (j !== c && kept[j]) others.push(matrix[c * channels + j]);
    if (others.length === 0) continue;
    others.sort((a, b) => a - b);
    const take = mode.kind === "nearest" ? 1 : mode.kind === "mean" ? others.length : Math.min(mode.neighbours, others.length);
    let sum = 0;
    for (let t = 0; t < take; t++) sum += others[t];
    s[c] = sum / take;
  }
  return s;
}

/** Brute-force greedy removal: re-scores every kept channel from scratch after each removal. */
export function referenceGreedy(
  matrix: Float64Array, channels: number, activeness: Float64Array, mode: RefMode,
  combine: "product" | "sum", lambda: number, remove: number, greedy: boolean,
): number[] {
  const kept = new Array<boolean>(channels).fill(true);
  const maxA = Math.max(...activeness);
  const aHat = Array.from(activeness, (v) => (maxA > 0 ? v / maxA : 1));
  const score = (s: Float64Array): number[] => {
    let maxS = 0;
    for (let c = 0; c < channels; c++) if (kept[c]) maxS = Math.max(maxS, s[c]);
    return aHat.map((a, c) => {
      const sh = maxS > 0 ? s[c] / maxS : 1;
      return combine === "product" ? a ** lambda * sh ** (1 - lambda) : lambda * a + (1 - lambda) * sh;
    });
  };
  const removed: number[] = [];
  const initial = score(referenceSubstitutability(matrix, channels, kept, mode));
  for (let step = 0; step < remove; step++) {
    const imp = greedy ? score(referenceSubstitutability(matrix, channels, kept, mode)) : initial;
    let victim = -1;
    for (let c = 0; c < channels; c++) if (kept[c] && (victim < 0 || imp[c] < imp[victim])) victim = c;
    removed.push(victim);
    kept[victim] = false;
  }
  return removed;
}

/** Seeded uniform [0, 1) (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal from a uniform source (Box–Muller). */
export function normal(u: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}
