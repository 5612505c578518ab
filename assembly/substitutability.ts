// Substitutability reductions over a C×C float64 distance matrix (row-major, symmetric, zero
// diagonal) restricted to the kept channels (kept: C bytes, 1 = kept). Only rows flagged in
// `rows` (C bytes, 1 = recompute) are written, so the greedy loop in TypeScript can re-score just
// the channels a removal affects. Ties resolve to the lower channel index.

/** S(c) = min over kept j ≠ c of D(c, j); nearest[c] = that j (−1 and S = 0 if none). */
export function nearestRows(dist: usize, channels: i32, kept: usize, rows: usize, score: usize, nearest: usize): void {
  const rowBytes = <usize>channels << 3;
  for (let c = 0; c < channels; c++) {
    if (load<u8>(rows + c) == 0 || load<u8>(kept + c) == 0) continue;
    const d = dist + <usize>c * rowBytes;
    let best = Infinity;
    let arg = -1;
    for (let j = 0; j < channels; j++) {
      if (j == c || load<u8>(kept + j) == 0) continue;
      const v = load<f64>(d + (<usize>j << 3));
      if (v < best) { best = v; arg = j; }
    }
    store<f64>(score + (<usize>c << 3), arg < 0 ? 0 : best);
    store<i32>(nearest + (<usize>c << 2), arg);
  }
}

/** S(c) = mean over kept j ≠ c of D(c, j) (0 if none), summed in index order. */
export function meanRows(dist: usize, channels: i32, kept: usize, rows: usize, score: usize): void {
  const rowBytes = <usize>channels << 3;
  for (let c = 0; c < channels; c++) {
    if (load<u8>(rows + c) == 0 || load<u8>(kept + c) == 0) continue;
    const d = dist + <usize>c * rowBytes;
    let sum: f64 = 0;
    let n = 0;
    for (let j = 0; j < channels; j++) {
      if (j == c || load<u8>(kept + j) == 0) continue;
      sum += load<f64>(d + (<usize>j << 3));
      n++;
    }
    store<f64>(score + (<usize>c << 3), n == 0 ? 0 : sum / <f64>n);
  }
}

/**
 * S(c) = mean of the K smallest D(c, j) over kept j ≠ c (all of them if fewer than K), summed in
 * ascending order. kth[c] = the largest distance among those chosen (+∞ if fewer than K others):
 * removing j can only change S(c) when D(c, j) ≤ kth[c]. scratch: K float64.
 */
export function knnRows(
  dist: usize, channels: i32, kept: usize, rows: usize, neighbours: i32, scratch: usize,
  score: usize, kth: usize,
): void {
  const rowBytes = <usize>channels << 3;
  for (let c = 0; c < channels; c++) {
    if (load<u8>(rows + c) == 0 || load<u8>(kept + c) == 0) continue;
    const d = dist + <usize>c * rowBytes;
    let n = 0; // sorted ascending in scratch[0..n)
    for (let j = 0; j < channels; j++) {
      if (j == c || load<u8>(kept + j) == 0) continue;
      const v = load<f64>(d + (<usize>j << 3));
      if (n == neighbours) {
        if (v >= load<f64>(scratch + (<usize>(n - 1) << 3))) continue;
        n--; // drop the current largest
      }
      let i = n;
      while (i > 0) {
        const prev = load<f64>(scratch + (<usize>(i - 1) << 3));
        if (prev <= v) break;
        store<f64>(scratch + (<usize>i << 3), prev);
        i--;
      }
      store<f64>(scratch + (<usize>i << 3), v);
      n++;
    }
    let sum: f64 = 0;
    for (let i = 0; i < n; i++) sum += load<f64>(scratch + (<usize>i << 3));
    store<f64>(score + (<usize>c << 3), n == 0 ? 0 : sum / <f64>n);
    store<f64>(kth + (<usize>c << 3), n < neighbours ? Infinity : load<f64>(scratch + (<usize>(n - 1) << 3)));
  }
}

/**
 * Regression substitutability from the precision matrix P = (G + εI)⁻¹ of the kept channels:
 * 1/P(c,c) = ε + min_w ‖x_c − Σ w_j x_j‖² + ε‖w‖² (ridge least squares of c from the other kept
 * channels), so S(c) = (1/P(c,c) − ε) / G(c,c) ∈ [0, 1]: the fraction of c's energy the others
 * cannot rebuild. A channel with G(c,c) ≤ ε·1e-6 (a constant map) scores 0: the consumer's bias
 * compensates it exactly.
 */
export function regressionScores(
  precision: usize, gram: usize, channels: i32, kept: usize, ridge: f64, score: usize,
): void {
  const diagStride = (<usize>channels + 1) << 3;
  for (let c = 0; c < channels; c++) {
    if (load<u8>(kept + c) == 0) continue;
    const g = load<f64>(gram + <usize>c * diagStride);
    const p = load<f64>(precision + <usize>c * diagStride);
    let s: f64 = 0;
    if (g > ridge * 1e-6 && p > 0) {
      s = (1 / p - ridge) / g;
      s = s < 0 ? 0 : s > 1 ? 1 : s;
    }
    store<f64>(score + (<usize>c << 3), s);
  }
}

/**
 * Removes channel r from a precision matrix in place: the inverse of a principal submatrix is the
 * Schur complement of the inverse, P' = P − P(:, r)·P(r, :)/P(r, r) on the remaining kept rows
 * and columns (O(C²) per removal instead of a new O(C³) inversion). r must still be marked kept;
 * the caller clears it afterwards.
 */
export function precisionRemove(precision: usize, channels: i32, kept: usize, r: i32): void {
  const rowBytes = <usize>channels << 3;
  const pr = precision + <usize>r * rowBytes;
  const prr = load<f64>(pr + (<usize>r << 3));
  for (let a = 0; a < channels; a++) {
    if (a == r || load<u8>(kept + a) == 0) continue;
    const pa = precision + <usize>a * rowBytes;
    const f = load<f64>(pa + (<usize>r << 3)) / prr;
    if (f == 0) continue;
    for (let b = 0; b < channels; b++) {
      if (b == r || load<u8>(kept + b) == 0) continue;
      const off = <usize>b << 3;
      store<f64>(pa + off, load<f64>(pa + off) - f * load<f64>(pr + off));
    }
  }
}
