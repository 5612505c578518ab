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
 * 2×4 float64x2 register tiles. The trailing update is ~all of the n³/6 multiply-adds and runs
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
 * pair below sweeps them; 2 rows × 4 columns per register tile.
 */
function trailingUpdate(a: usize, n: i32, b: i32, e: i32): void {
  const rowBytes = <usize>n << 3;
  const len = e - b;
  const colOff = <usize>b << 3;
  const span = n - e;
  const pairsEnd = e + (span & ~1);
  const quadsEnd = e + (span & ~3);
  for (let p0 = e; p0 < n; p0 += PANEL_ROWS) {
    const p1 = p0 + PANEL_ROWS < n ? p0 + PANEL_ROWS : n;
    // Rows above the panel have no lower-triangle entries in it.
    for (let i = p0; i < pairsEnd; i += 2) {
      const row0 = a + <usize>i * rowBytes, row1 = row0 + rowBytes;
      for (let j = p0; j <= i + 1 && j < p1; j += 4) {
        if (j + 4 <= quadsEnd) {
          tileSubtract2x4(row0 + colOff, row1 + colOff, a + <usize>j * rowBytes + colOff, rowBytes, len,
            row0 + (<usize>j << 3), row1 + (<usize>j << 3), i - j, i + 1 - j);
        } else {
          for (let r = i; r <= i + 1; r++) {
            const rowR = a + <usize>r * rowBytes;
            const cEnd = min(min(j + 4, p1), r + 1);
            for (let c = j; c < cEnd; c++) {
              const q = rowR + (<usize>c << 3);
              store<f64>(q, load<f64>(q) - dot1(rowR + colOff, a + <usize>c * rowBytes + colOff, len));
            }
          }
        }
      }
    }
    if (pairsEnd < n && pairsEnd >= p0) {
      const r = pairsEnd; // the last row when the span is odd
      const rowR = a + <usize>r * rowBytes;
      const cEnd = r + 1 < p1 ? r + 1 : p1;
      for (let c = p0; c < cEnd; c++) {
        const q = rowR + (<usize>c << 3);
        store<f64>(q, load<f64>(q) - dot1(rowR + colOff, a + <usize>c * rowBytes + colOff, len));
      }
    }
  }
}

/**
 * out0[c] −= Σ_k x0[k]·y_c[k], out1[c] −= Σ_k x1[k]·y_c[k] for c = 0..3 (y_c = y + c·rowBytes;
 * out0/out1: 4 contiguous doubles each). Only lanes c ≤ last0 / last1 are written (lower
 * triangle of a diagonal tile); 3 or more writes all four.
 * 2×4 tiles of float64x2: 8 accumulators + 6 loaded vectors + 1 temporary = 15 registers, what
 * V8 leaves free on x64 (see assembly/gram.ts).
 */
function tileSubtract2x4(
  x0: usize, x1: usize, y: usize, rowBytes: usize, len: i32, out0: usize, out1: usize, last0: i32, last1: i32,
): void {
  const y1 = y + rowBytes, y2 = y1 + rowBytes, y3 = y2 + rowBytes;
  let c00 = f64x2.splat(0), c01 = f64x2.splat(0), c02 = f64x2.splat(0), c03 = f64x2.splat(0);
  let c10 = f64x2.splat(0), c11 = f64x2.splat(0), c12 = f64x2.splat(0), c13 = f64x2.splat(0);
  const l2 = len & ~1;
  let k = 0;
  for (; k < l2; k += 2) {
    const off = <usize>k << 3;
    const v0 = v128.load(y + off), v1 = v128.load(y1 + off), v2 = v128.load(y2 + off), v3 = v128.load(y3 + off);
    let x = v128.load(x0 + off);
    c00 = f64x2.add(c00, f64x2.mul(x, v0)); c01 = f64x2.add(c01, f64x2.mul(x, v1));
    c02 = f64x2.add(c02, f64x2.mul(x, v2)); c03 = f64x2.add(c03, f64x2.mul(x, v3));
    x = v128.load(x1 + off);
    c10 = f64x2.add(c10, f64x2.mul(x, v0)); c11 = f64x2.add(c11, f64x2.mul(x, v1));
    c12 = f64x2.add(c12, f64x2.mul(x, v2)); c13 = f64x2.add(c13, f64x2.mul(x, v3));
  }
  // [Σc00, Σc01], [Σc02, Σc03], … : pairwise horizontal sums.
  let s0lo = f64x2.add(v128.shuffle<f64>(c00, c01, 0, 2), v128.shuffle<f64>(c00, c01, 1, 3));
  let s0hi = f64x2.add(v128.shuffle<f64>(c02, c03, 0, 2), v128.shuffle<f64>(c02, c03, 1, 3));
  let s1lo = f64x2.add(v128.shuffle<f64>(c10, c11, 0, 2), v128.shuffle<f64>(c10, c11, 1, 3));
  let s1hi = f64x2.add(v128.shuffle<f64>(c12, c13, 0, 2), v128.shuffle<f64>(c12, c13, 1, 3));
  if (k < len) {
    const off = <usize>k << 3;
    const lo = f64x2.replace_lane(f64x2.splat(load<f64>(y + off)), 1, load<f64>(y1 + off));
    const hi = f64x2.replace_lane(f64x2.splat(load<f64>(y2 + off)), 1, load<f64>(y3 + off));
    const a0 = f64x2.splat(load<f64>(x0 + off)), a1 = f64x2.splat(load<f64>(x1 + off));
    s0lo = f64x2.add(s0lo, f64x2.mul(a0, lo)); s0hi = f64x2.add(s0hi, f64x2.mul(a0, hi));
    s1lo = f64x2.add(s1lo, f64x2.mul(a1, lo)); s1hi = f64x2.add(s1hi, f64x2.mul(a1, hi));
  }
  subtractRow(out0, s0lo, s0hi, last0);
  subtractRow(out1, s1lo, s1hi, last1);
}

// @ts-ignore: decorator
@inline function subtractRow(p: usize, lo: v128, hi: v128, last: i32): void {
  if (last >= 3) {
    v128.store(p, f64x2.sub(v128.load(p), lo));
    v128.store(p, f64x2.sub(v128.load(p, 16), hi), 16);
    return;
  }
  if (last >= 0) store<f64>(p, load<f64>(p) - f64x2.extract_lane(lo, 0));
  if (last >= 1) store<f64>(p, load<f64>(p, 8) - f64x2.extract_lane(lo, 1), 8);
  if (last >= 2) store<f64>(p, load<f64>(p, 16) - f64x2.extract_lane(hi, 0), 16);
}

/** Rows of L per panel in the forward solve's update (a multiple of 4, the tile width). */
const SOLVE_PANEL_ROWS: i32 = 256;
/** Columns per chunk in the back substitution's update (8 rhs rows × 512 doubles = 32 KiB: L1). */
const SOLVE_CHUNK: i32 = 512;

/**
 * Solves L·z = b in place for each of the `count` rows of rhs (count×n, one system per row).
 * Blocked like the factorisation: per BLOCK columns, a small triangular solve, then a rank-BLOCK
 * update z(o, i) −= Σ_k z(o, k)·L(i, k) of the remaining columns with 2×4 float64x2 tiles, L's
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
  const oPairs = count & ~1;
  for (let p0 = e; p0 < n; p0 += SOLVE_PANEL_ROWS) {
    const p1 = p0 + SOLVE_PANEL_ROWS < n ? p0 + SOLVE_PANEL_ROWS : n;
    const iQuads = p0 + ((p1 - p0) & ~3);
    for (let o = 0; o < oPairs; o += 2) {
      const z0 = rhs + <usize>o * rowBytes, z1 = z0 + rowBytes;
      for (let i = p0; i < iQuads; i += 4) {
        tileSubtract2x4(z0 + colOff, z1 + colOff, l + <usize>i * rowBytes + colOff, rowBytes, len,
          z0 + (<usize>i << 3), z1 + (<usize>i << 3), 3, 3);
      }
    }
    // Ragged edges: the odd rhs row against the whole panel, the panel's last < 4 rows of L
    // against every rhs row.
    for (let o = 0; o < count; o++) {
      const z = rhs + <usize>o * rowBytes;
      for (let i = o < oPairs ? iQuads : p0; i < p1; i++) {
        const q = z + (<usize>i << 3);
        store<f64>(q, load<f64>(q) - dot1(z + colOff, l + <usize>i * rowBytes + colOff, len));
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
