// Normal equations and their Cholesky solve, in float64.
//
// Storage of the K×K system matrix A (row-major float64, one array):
// - while accumulating, A lives in the upper triangle (row ≤ column, gramAccumulateF64);
// - choleskyInPlace writes the factor L into the lower triangle and the diagonal, reading A's
//   diagonal from a saved copy, so A itself survives (more rows can be added, then solved again
//   after restoreDiagonal).
// Right-hand sides are stored transposed (O×K: one row per output), which makes both triangular
// solves run along contiguous rows.
//
// Why row-oriented (Crout) Cholesky with 8-row groups: each L(i, j) is a dot product of two row
// prefixes; computing 8 rows i at once reads every earlier row j once per 8 rows, which cuts
// memory traffic 8× for K ≈ 4609 (a 170 MB matrix that no cache holds).

const GROUP: i32 = 8;

/** dst (cols×rows) = srcᵀ for src (rows×cols), float32, blocked 16×16 for cache. */
export function transposeF32(src: usize, rows: i32, cols: i32, dst: usize): void {
  for (let r0 = 0; r0 < rows; r0 += 16) {
    const r1 = r0 + 16 < rows ? r0 + 16 : rows;
    for (let c0 = 0; c0 < cols; c0 += 16) {
      const c1 = c0 + 16 < cols ? c0 + 16 : cols;
      for (let r = r0; r < r1; r++) {
        for (let c = c0; c < c1; c++) {
          store<f32>(dst + ((<usize>c * <usize>rows + <usize>r) << 2), load<f32>(src + ((<usize>r * <usize>cols + <usize>c) << 2)));
        }
      }
    }
  }
}

/** diag[i] = a[i, i]. */
export function saveDiagonal(a: usize, n: i32, diag: usize): void {
  for (let i = 0; i < n; i++) store<f64>(diag + (<usize>i << 3), load<f64>(a + <usize>i * ((<usize>n + 1) << 3)));
}

/** a[i, i] = diag[i]. */
export function restoreDiagonal(a: usize, n: i32, diag: usize): void {
  for (let i = 0; i < n; i++) store<f64>(a + <usize>i * ((<usize>n + 1) << 3), load<f64>(diag + (<usize>i << 3)));
}

/** Σ_{k<len} p[k]·q[k] in float64, two lanes plus a scalar tail. */
// @ts-ignore: decorator
@inline function dot1(p: usize, q: usize, len: i32): f64 {
  let acc = f64x2.splat(0);
  const l2 = len & ~1;
  let k = 0;
  for (; k < l2; k += 2) {
    const off = <usize>k << 3;
    acc = f64x2.add(acc, f64x2.mul(v128.load(p + off), v128.load(q + off)));
  }
  let s = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  if (k < len) s += load<f64>(p + (<usize>k << 3)) * load<f64>(q + (<usize>k << 3));
  return s;
}

/** out[r] = Σ_{k<len} rows[r][k]·shared[k] for 8 rows rowBytes apart (shared is read once). */
function dots8(rows: usize, rowBytes: usize, shared: usize, len: i32, out: usize): void {
  let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0);
  let a4 = f64x2.splat(0), a5 = f64x2.splat(0), a6 = f64x2.splat(0), a7 = f64x2.splat(0);
  const r0 = rows, r1 = r0 + rowBytes, r2 = r1 + rowBytes, r3 = r2 + rowBytes;
  const r4 = r3 + rowBytes, r5 = r4 + rowBytes, r6 = r5 + rowBytes, r7 = r6 + rowBytes;
  const l2 = len & ~1;
  let k = 0;
  for (; k < l2; k += 2) {
    const off = <usize>k << 3;
    const s = v128.load(shared + off);
    a0 = f64x2.add(a0, f64x2.mul(v128.load(r0 + off), s));
    a1 = f64x2.add(a1, f64x2.mul(v128.load(r1 + off), s));
    a2 = f64x2.add(a2, f64x2.mul(v128.load(r2 + off), s));
    a3 = f64x2.add(a3, f64x2.mul(v128.load(r3 + off), s));
    a4 = f64x2.add(a4, f64x2.mul(v128.load(r4 + off), s));
    a5 = f64x2.add(a5, f64x2.mul(v128.load(r5 + off), s));
    a6 = f64x2.add(a6, f64x2.mul(v128.load(r6 + off), s));
    a7 = f64x2.add(a7, f64x2.mul(v128.load(r7 + off), s));
  }
  let s0 = f64x2.extract_lane(a0, 0) + f64x2.extract_lane(a0, 1);
  let s1 = f64x2.extract_lane(a1, 0) + f64x2.extract_lane(a1, 1);
  let s2 = f64x2.extract_lane(a2, 0) + f64x2.extract_lane(a2, 1);
  let s3 = f64x2.extract_lane(a3, 0) + f64x2.extract_lane(a3, 1);
  let s4 = f64x2.extract_lane(a4, 0) + f64x2.extract_lane(a4, 1);
  let s5 = f64x2.extract_lane(a5, 0) + f64x2.extract_lane(a5, 1);
  let s6 = f64x2.extract_lane(a6, 0) + f64x2.extract_lane(a6, 1);
  let s7 = f64x2.extract_lane(a7, 0) + f64x2.extract_lane(a7, 1);
  if (k < len) {
    const off = <usize>k << 3;
    const s = load<f64>(shared + off);
    s0 += load<f64>(r0 + off) * s; s1 += load<f64>(r1 + off) * s;
    s2 += load<f64>(r2 + off) * s; s3 += load<f64>(r3 + off) * s;
    s4 += load<f64>(r4 + off) * s; s5 += load<f64>(r5 + off) * s;
    s6 += load<f64>(r6 + off) * s; s7 += load<f64>(r7 + off) * s;
  }
  store<f64>(out, s0); store<f64>(out, s1, 8); store<f64>(out, s2, 16); store<f64>(out, s3, 24);
  store<f64>(out, s4, 32); store<f64>(out, s5, 40); store<f64>(out, s6, 48); store<f64>(out, s7, 56);
}

/** rows[r][k] −= coef[r]·shared[k] for k < len, 8 rows rowBytes apart. */
function axpy8(rows: usize, rowBytes: usize, shared: usize, len: i32, coef: usize): void {
  const c0 = f64x2.splat(load<f64>(coef)), c1 = f64x2.splat(load<f64>(coef, 8));
  const c2 = f64x2.splat(load<f64>(coef, 16)), c3 = f64x2.splat(load<f64>(coef, 24));
  const c4 = f64x2.splat(load<f64>(coef, 32)), c5 = f64x2.splat(load<f64>(coef, 40));
  const c6 = f64x2.splat(load<f64>(coef, 48)), c7 = f64x2.splat(load<f64>(coef, 56));
  const r0 = rows, r1 = r0 + rowBytes, r2 = r1 + rowBytes, r3 = r2 + rowBytes;
  const r4 = r3 + rowBytes, r5 = r4 + rowBytes, r6 = r5 + rowBytes, r7 = r6 + rowBytes;
  const l2 = len & ~1;
  let k = 0;
  for (; k < l2; k += 2) {
    const off = <usize>k << 3;
    const s = v128.load(shared + off);
    v128.store(r0 + off, f64x2.sub(v128.load(r0 + off), f64x2.mul(c0, s)));
    v128.store(r1 + off, f64x2.sub(v128.load(r1 + off), f64x2.mul(c1, s)));
    v128.store(r2 + off, f64x2.sub(v128.load(r2 + off), f64x2.mul(c2, s)));
    v128.store(r3 + off, f64x2.sub(v128.load(r3 + off), f64x2.mul(c3, s)));
    v128.store(r4 + off, f64x2.sub(v128.load(r4 + off), f64x2.mul(c4, s)));
    v128.store(r5 + off, f64x2.sub(v128.load(r5 + off), f64x2.mul(c5, s)));
    v128.store(r6 + off, f64x2.sub(v128.load(r6 + off), f64x2.mul(c6, s)));
    v128.store(r7 + off, f64x2.sub(v128.load(r7 + off), f64x2.mul(c7, s)));
  }
  if (k < len) {
    const off = <usize>k << 3;
    const s = load<f64>(shared + off);
    for (let r = 0; r < GROUP; r++) {
      const p = rows + <usize>r * rowBytes + off;
      store<f64>(p, load<f64>(p) - load<f64>(coef + (<usize>r << 3)) * s);
    }
  }
}

/** Width of the column blocks of the blocked Cholesky (a 64-double row segment is 512 bytes). */
const BLOCK: i32 = 64;
/** Rows of the trailing matrix whose block segments are kept hot (in L2) while updating. */
const PANEL_ROWS: i32 = 256;

/**
 * Cholesky factor of A + shift·I (A in the upper triangle, its diagonal in diag) into the lower
 * triangle of a: L·Lᵀ = A + shift·I. scratch: 8 float64. Returns −1 on success, otherwise the
 * index of the first non-positive pivot (the matrix is not positive definite).
 *
 * Right-looking and blocked by BLOCK columns: the lower triangle is first filled with A (it is
 * free storage), then each block column is factored (diagonal block, then the rows below it,
 * 8 rows per shared row) and its rank-BLOCK update is applied to the trailing lower triangle with
 * 3×3 float64x2 register tiles. The trailing update is ~all of the n³/6 multiply-adds and runs
 * from cache, where the unblocked row-by-row form streamed the whole factor from memory for every
 * 8 rows.
 */
export function choleskyInPlace(a: usize, n: i32, diag: usize, shift: f64, scratch: usize): i32 {
  const rowBytes = <usize>n << 3;
  mirrorUpperToLower(a, n, diag, shift);
  for (let b = 0; b < n; b += BLOCK) {
    const e = b + BLOCK < n ? b + BLOCK : n;
    // Diagonal block: plain Cholesky on the (already updated) entries, columns b..e−1.
    for (let i = b; i < e; i++) {
      const rowI = a + <usize>i * rowBytes;
      const segI = rowI + (<usize>b << 3);
      for (let j = b; j < i; j++) {
        const rowJ = a + <usize>j * rowBytes;
        const p = rowI + (<usize>j << 3);
        store<f64>(p, (load<f64>(p) - dot1(segI, rowJ + (<usize>b << 3), j - b)) / load<f64>(rowJ + (<usize>j << 3)));
      }
      const p = rowI + (<usize>i << 3);
      const pivot = load<f64>(p) - dot1(segI, segI, i - b);
      if (!(pivot > 0)) return i;
      store<f64>(p, Math.sqrt(pivot));
    }
    if (e == n) break;
    // Rows below the block: L(i, b..e−1) by forward substitution with the diagonal block,
    // 8 rows at a time sharing each row j of the block.
    let i0 = e;
    for (; i0 + GROUP <= n; i0 += GROUP) {
      const group = a + <usize>i0 * rowBytes + (<usize>b << 3);
      for (let j = b; j < e; j++) {
        const rowJ = a + <usize>j * rowBytes;
        dots8(group, rowBytes, rowJ + (<usize>b << 3), j - b, scratch);
        const ljj = load<f64>(rowJ + (<usize>j << 3));
        for (let r = 0; r < GROUP; r++) {
          const p = a + <usize>(i0 + r) * rowBytes + (<usize>j << 3);
          store<f64>(p, (load<f64>(p) - load<f64>(scratch + (<usize>r << 3))) / ljj);
        }
      }
    }
    for (; i0 < n; i0++) {
      const rowI = a + <usize>i0 * rowBytes;
      for (let j = b; j < e; j++) {
        const rowJ = a + <usize>j * rowBytes;
        const p = rowI + (<usize>j << 3);
        store<f64>(p, (load<f64>(p) - dot1(rowI + (<usize>b << 3), rowJ + (<usize>b << 3), j - b)) / load<f64>(rowJ + (<usize>j << 3)));
      }
    }
    trailingUpdate(a, n, b, e);
  }
  return -1;
}

/** Lower triangle ← Aᵀ from the upper triangle; diagonal ← diag + shift. Blocked for cache. */
function mirrorUpperToLower(a: usize, n: i32, diag: usize, shift: f64): void {
  const rowBytes = <usize>n << 3;
  for (let i0 = 0; i0 < n; i0 += 32) {
    const i1 = i0 + 32 < n ? i0 + 32 : n;
    for (let j0 = 0; j0 <= i0; j0 += 32) {
      for (let i = i0; i < i1; i++) {
        const j1 = j0 + 32 < i ? j0 + 32 : i;
        for (let j = j0; j < j1; j++) {
          store<f64>(a + <usize>i * rowBytes + (<usize>j << 3), load<f64>(a + <usize>j * rowBytes + (<usize>i << 3)));
        }
      }
    }
  }
  for (let i = 0; i < n; i++) store<f64>(a + <usize>i * (rowBytes + 8), load<f64>(diag + (<usize>i << 3)) + shift);
}

/**
 * a(i, j) −= Σ_{k∈[b,e)} L(i, k)·L(j, k) for e ≤ j ≤ i < n (lower triangle only).
 * Columns j come in panels of PANEL_ROWS rows whose [b, e) segments stay in L2 while every row
 * tile below sweeps them.
 */
function trailingUpdate(a: usize, n: i32, b: i32, e: i32): void {
  const rowBytes = <usize>n << 3;
  const len = e - b;
  const colOff = <usize>b << 3;
  const span = n - e;
  const full = e + span - span % 3; // rows [e, full) come in tiles of 3
  for (let p0 = e; p0 < n; p0 += PANEL_ROWS) {
    const p1 = p0 + PANEL_ROWS < n ? p0 + PANEL_ROWS : n;
    for (let i = p0 - (p0 - e) % 3; i < n; i += 3) {
      if (i + 3 > full) {
        // Leftover rows (< 3): one dot per entry.
        for (let r = i; r < n; r++) {
          const segR = a + <usize>r * rowBytes + colOff;
          const jEnd = r + 1 < p1 ? r + 1 : p1;
          for (let j = p0; j < jEnd; j++) {
            const q = a + <usize>r * rowBytes + (<usize>j << 3);
            store<f64>(q, load<f64>(q) - dot1(segR, a + <usize>j * rowBytes + colOff, len));
          }
        }
        break;
      }
      const segI = a + <usize>i * rowBytes + colOff;
      // j tiles of 3 aligned with the i tiles (both start at e); tiles reaching past the
      // diagonal write their lower part only.
      let j = p0 - (p0 - e) % 3;
      for (; j <= i && j < p1; j += 3) {
        const segJ = a + <usize>j * rowBytes + colOff;
        tileUpdate3x3(segI, segJ, rowBytes, len, a + <usize>i * rowBytes + (<usize>j << 3), j == i, j < p0 ? p0 - j : 0, p1 - j);
      }
    }
  }
}

/**
 * out(r, c) −= Σ_k segI[r][k]·segJ[c][k] for a 3×3 tile (rows rowBytes apart in both operands
 * and in out). `lowerOnly` skips c > r (diagonal tile); columns c < cFrom or c ≥ cTo belong to
 * another panel and are skipped.
 */
function tileUpdate3x3(segI: usize, segJ: usize, rowBytes: usize, len: i32, out: usize, lowerOnly: bool, cFrom: i32, cTo: i32): void {
  const i1 = segI + rowBytes, i2 = i1 + rowBytes;
  const j1 = segJ + rowBytes, j2 = j1 + rowBytes;
  let c00 = f64x2.splat(0), c01 = f64x2.splat(0), c02 = f64x2.splat(0);
  let c10 = f64x2.splat(0), c11 = f64x2.splat(0), c12 = f64x2.splat(0);
  let c20 = f64x2.splat(0), c21 = f64x2.splat(0), c22 = f64x2.splat(0);
  const l2 = len & ~1;
  let k = 0;
  for (; k < l2; k += 2) {
    const off = <usize>k << 3;
    const y0 = v128.load(segJ + off), y1 = v128.load(j1 + off), y2 = v128.load(j2 + off);
    let x = v128.load(segI + off);
    c00 = f64x2.add(c00, f64x2.mul(x, y0)); c01 = f64x2.add(c01, f64x2.mul(x, y1)); c02 = f64x2.add(c02, f64x2.mul(x, y2));
    x = v128.load(i1 + off);
    c10 = f64x2.add(c10, f64x2.mul(x, y0)); c11 = f64x2.add(c11, f64x2.mul(x, y1)); c12 = f64x2.add(c12, f64x2.mul(x, y2));
    x = v128.load(i2 + off);
    c20 = f64x2.add(c20, f64x2.mul(x, y0)); c21 = f64x2.add(c21, f64x2.mul(x, y1)); c22 = f64x2.add(c22, f64x2.mul(x, y2));
  }
  let s00 = f64x2.extract_lane(c00, 0) + f64x2.extract_lane(c00, 1);
  let s01 = f64x2.extract_lane(c01, 0) + f64x2.extract_lane(c01, 1);
  let s02 = f64x2.extract_lane(c02, 0) + f64x2.extract_lane(c02, 1);
  let s10 = f64x2.extract_lane(c10, 0) + f64x2.extract_lane(c10, 1);
  let s11 = f64x2.extract_lane(c11, 0) + f64x2.extract_lane(c11, 1);
  let s12 = f64x2.extract_lane(c12, 0) + f64x2.extract_lane(c12, 1);
  let s20 = f64x2.extract_lane(c20, 0) + f64x2.extract_lane(c20, 1);
  let s21 = f64x2.extract_lane(c21, 0) + f64x2.extract_lane(c21, 1);
  let s22 = f64x2.extract_lane(c22, 0) + f64x2.extract_lane(c22, 1);
  if (k < len) {
    const off = <usize>k << 3;
    const y0 = load<f64>(segJ + off), y1 = load<f64>(j1 + off), y2 = load<f64>(j2 + off);
    const x0 = load<f64>(segI + off), x1 = load<f64>(i1 + off), x2 = load<f64>(i2 + off);
    s00 += x0 * y0; s01 += x0 * y1; s02 += x0 * y2;
    s10 += x1 * y0; s11 += x1 * y1; s12 += x1 * y2;
    s20 += x2 * y0; s21 += x2 * y1; s22 += x2 * y2;
  }
  subtractAt(out, 0, 0, s00, lowerOnly, cFrom, cTo, rowBytes);
  subtractAt(out, 0, 1, s01, lowerOnly, cFrom, cTo, rowBytes);
  subtractAt(out, 0, 2, s02, lowerOnly, cFrom, cTo, rowBytes);
  subtractAt(out, 1, 0, s10, lowerOnly, cFrom, cTo, rowBytes);
  subtractAt(out, 1, 1, s11, lowerOnly, cFrom, cTo, rowBytes);
  subtractAt(out, 1, 2, s12, lowerOnly, cFrom, cTo, rowBytes);
  subtractAt(out, 2, 0, s20, lowerOnly, cFrom, cTo, rowBytes);
  subtractAt(out, 2, 1, s21, lowerOnly, cFrom, cTo, rowBytes);
  subtractAt(out, 2, 2, s22, lowerOnly, cFrom, cTo, rowBytes);
}

// @ts-ignore: decorator
@inline function subtractAt(out: usize, r: i32, c: i32, v: f64, lowerOnly: bool, cFrom: i32, cTo: i32, rowBytes: usize): void {
  if ((lowerOnly && c > r) || c < cFrom || c >= cTo) return;
  const p = out + <usize>r * rowBytes + (<usize>c << 3);
  store<f64>(p, load<f64>(p) - v);
}

/** Rows of L per panel in the triangular solves' updates (a multiple of 3, the tile height). */
const SOLVE_PANEL_ROWS: i32 = 255;
/** Columns per chunk in the back substitution's update (8 rhs rows × 512 doubles = 32 KiB: L1). */
const SOLVE_CHUNK: i32 = 512;

/**
 * Solves L·z = b in place for each of the `count` rows of rhs (count×n, one system per row).
 * Blocked like the factorisation: per BLOCK columns, a small triangular solve, then a rank-BLOCK
 * update z(o, i) −= Σ_k z(o, k)·L(i, k) of the remaining columns with 3×3 float64x2 tiles, L's
 * block segments staying in L2 for all right-hand sides.
 */
export function forwardSubstitute(l: usize, n: i32, rhs: usize, count: i32, scratch: usize): void {
  const rowBytes = <usize>n << 3;
  for (let b = 0; b < n; b += BLOCK) {
    const e = b + BLOCK < n ? b + BLOCK : n;
    const colOff = <usize>b << 3;
    let o0 = 0;
    for (; o0 + GROUP <= count; o0 += GROUP) {
      const group = rhs + <usize>o0 * rowBytes;
      for (let i = b; i < e; i++) {
        const rowL = l + <usize>i * rowBytes;
        dots8(group + colOff, rowBytes, rowL + colOff, i - b, scratch);
        const lii = load<f64>(rowL + (<usize>i << 3));
        for (let r = 0; r < GROUP; r++) {
          const p = group + <usize>r * rowBytes + (<usize>i << 3);
          store<f64>(p, (load<f64>(p) - load<f64>(scratch + (<usize>r << 3))) / lii);
        }
      }
    }
    for (; o0 < count; o0++) {
      const z = rhs + <usize>o0 * rowBytes;
      for (let i = b; i < e; i++) {
        const rowL = l + <usize>i * rowBytes;
        const p = z + (<usize>i << 3);
        store<f64>(p, (load<f64>(p) - dot1(z + colOff, rowL + colOff, i - b)) / load<f64>(rowL + (<usize>i << 3)));
      }
    }
    if (e < n) forwardUpdate(l, n, rhs, count, b, e);
  }
}

/** z(o, i) −= Σ_{k∈[b,e)} z(o, k)·L(i, k) for every rhs row o and every i ≥ e. */
function forwardUpdate(l: usize, n: i32, rhs: usize, count: i32, b: i32, e: i32): void {
  const rowBytes = <usize>n << 3;
  const colOff = <usize>b << 3;
  const len = e - b;
  const oFull = count - count % 3;
  for (let p0 = e; p0 < n; p0 += SOLVE_PANEL_ROWS) {
    const p1 = p0 + SOLVE_PANEL_ROWS < n ? p0 + SOLVE_PANEL_ROWS : n;
    const iFull = p0 + (p1 - p0) - (p1 - p0) % 3;
    for (let o = 0; o < oFull; o += 3) {
      const segZ = rhs + <usize>o * rowBytes + colOff;
      for (let i = p0; i < iFull; i += 3) {
        tileUpdate3x3(segZ, l + <usize>i * rowBytes + colOff, rowBytes, len,
          rhs + <usize>o * rowBytes + (<usize>i << 3), false, 0, 3);
      }
    }
    // Ragged edges: leftover rhs rows against the whole panel, leftover L rows against all rhs.
    for (let o = 0; o < count; o++) {
      const segZ = rhs + <usize>o * rowBytes + colOff;
      const iStart = o < oFull ? iFull : p0;
      for (let i = iStart; i < p1; i++) {
        const q = rhs + <usize>o * rowBytes + (<usize>i << 3);
        store<f64>(q, load<f64>(q) - dot1(segZ, l + <usize>i * rowBytes + colOff, len));
      }
    }
  }
}

/**
 * Solves Lᵀ·w = z in place for each row of rhs (count×n). scratch: 8 float64.
 * Blocked from the last BLOCK columns backwards: a small triangular solve inside the block, then
 * z(o, k) −= Σ_{i∈block} w(o, i)·L(i, k) for k before the block, as axpy sweeps over row chunks
 * that stay in L1 (8 rhs rows) and L2 (the block's rows of L).
 */
export function backSubstitute(l: usize, n: i32, rhs: usize, count: i32, scratch: usize): void {
  const rowBytes = <usize>n << 3;
  const lastBlock = ((n - 1) / BLOCK) * BLOCK;
  for (let b = lastBlock; b >= 0; b -= BLOCK) {
    const e = b + BLOCK < n ? b + BLOCK : n;
    const colOff = <usize>b << 3;
    let o0 = 0;
    for (; o0 + GROUP <= count; o0 += GROUP) {
      const group = rhs + <usize>o0 * rowBytes;
      for (let i = e - 1; i >= b; i--) {
        const rowL = l + <usize>i * rowBytes;
        const lii = load<f64>(rowL + (<usize>i << 3));
        for (let r = 0; r < GROUP; r++) {
          const p = group + <usize>r * rowBytes + (<usize>i << 3);
          const w = load<f64>(p) / lii;
          store<f64>(p, w);
          store<f64>(scratch + (<usize>r << 3), w);
        }
        // w(i) is final: remove L(i, k)·w(i) from the equations k in [b, i).
        axpy8(group + colOff, rowBytes, rowL + colOff, i - b, scratch);
      }
      for (let k0 = 0; k0 < b; k0 += SOLVE_CHUNK) {
        const k1 = k0 + SOLVE_CHUNK < b ? k0 + SOLVE_CHUNK : b;
        for (let i = b; i < e; i++) {
          for (let r = 0; r < GROUP; r++) {
            store<f64>(scratch + (<usize>r << 3), load<f64>(group + <usize>r * rowBytes + (<usize>i << 3)));
          }
          axpy8(group + (<usize>k0 << 3), rowBytes, l + <usize>i * rowBytes + (<usize>k0 << 3), k1 - k0, scratch);
        }
      }
    }
    for (; o0 < count; o0++) {
      const z = rhs + <usize>o0 * rowBytes;
      for (let i = e - 1; i >= 0; i--) {
        if (i < b) break;
        const rowL = l + <usize>i * rowBytes;
        const p = z + (<usize>i << 3);
        const w = load<f64>(p) / load<f64>(rowL + (<usize>i << 3));
        store<f64>(p, w);
        for (let k = 0; k < i; k++) {
          const q = z + (<usize>k << 3);
          store<f64>(q, load<f64>(q) - load<f64>(rowL + (<usize>k << 3)) * w);
        }
      }
    }
  }
}
