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

/**
 * Cholesky factor of A + shift·I (A in the upper triangle, its diagonal in diag) into the lower
 * triangle of a: L·Lᵀ = A + shift·I. scratch: 8 float64. Returns −1 on success, otherwise the
 * index of the first non-positive pivot (the matrix is not positive definite).
 */
export function choleskyInPlace(a: usize, n: i32, diag: usize, shift: f64, scratch: usize): i32 {
  const rowBytes = <usize>n << 3;
  let i0 = 0;
  for (; i0 + GROUP <= n; i0 += GROUP) {
    const group = a + <usize>i0 * rowBytes;
    // Columns left of the group: 8 rows share each finished row j.
    for (let j = 0; j < i0; j++) {
      const rowJ = a + <usize>j * rowBytes;
      dots8(group, rowBytes, rowJ, j, scratch);
      const ljj = load<f64>(rowJ + (<usize>j << 3));
      for (let r = 0; r < GROUP; r++) {
        const i = i0 + r;
        const aij = load<f64>(rowJ + (<usize>i << 3)); // A(i, j) from the upper triangle
        store<f64>(a + <usize>i * rowBytes + (<usize>j << 3), (aij - load<f64>(scratch + (<usize>r << 3))) / ljj);
      }
    }
    // The triangle inside the group, row by row.
    for (let i = i0; i < i0 + GROUP; i++) {
      const fail = finishRow(a, n, i, i0, diag, shift);
      if (fail >= 0) return fail;
    }
  }
  for (let i = i0; i < n; i++) {
    const fail = finishRow(a, n, i, 0, diag, shift);
    if (fail >= 0) return fail;
  }
  return -1;
}

/** L(i, j) for from ≤ j < i, then L(i, i); returns i if the pivot is not positive, else −1. */
function finishRow(a: usize, n: i32, i: i32, from: i32, diag: usize, shift: f64): i32 {
  const rowBytes = <usize>n << 3;
  const rowI = a + <usize>i * rowBytes;
  for (let j = from; j < i; j++) {
    const rowJ = a + <usize>j * rowBytes;
    const aij = load<f64>(rowJ + (<usize>i << 3));
    store<f64>(rowI + (<usize>j << 3), (aij - dot1(rowI, rowJ, j)) / load<f64>(rowJ + (<usize>j << 3)));
  }
  const pivot = load<f64>(diag + (<usize>i << 3)) + shift - dot1(rowI, rowI, i);
  if (!(pivot > 0)) return i;
  store<f64>(rowI + (<usize>i << 3), Math.sqrt(pivot));
  return -1;
}

/** Solves L·z = b in place for each of the `count` rows of rhs (count×n, one system per row). */
export function forwardSubstitute(l: usize, n: i32, rhs: usize, count: i32, scratch: usize): void {
  const rowBytes = <usize>n << 3;
  let o0 = 0;
  for (; o0 + GROUP <= count; o0 += GROUP) {
    const group = rhs + <usize>o0 * rowBytes;
    for (let i = 0; i < n; i++) {
      const rowL = l + <usize>i * rowBytes;
      dots8(group, rowBytes, rowL, i, scratch);
      const lii = load<f64>(rowL + (<usize>i << 3));
      for (let r = 0; r < GROUP; r++) {
        const p = group + <usize>r * rowBytes + (<usize>i << 3);
        store<f64>(p, (load<f64>(p) - load<f64>(scratch + (<usize>r << 3))) / lii);
      }
    }
  }
  for (; o0 < count; o0++) {
    const z = rhs + <usize>o0 * rowBytes;
    for (let i = 0; i < n; i++) {
      const rowL = l + <usize>i * rowBytes;
      const p = z + (<usize>i << 3);
      store<f64>(p, (load<f64>(p) - dot1(z, rowL, i)) / load<f64>(rowL + (<usize>i << 3)));
    }
  }
}

/** Solves Lᵀ·w = z in place for each row of rhs (count×n). scratch: 8 float64. */
export function backSubstitute(l: usize, n: i32, rhs: usize, count: i32, scratch: usize): void {
  const rowBytes = <usize>n << 3;
  let o0 = 0;
  for (; o0 + GROUP <= count; o0 += GROUP) {
    const group = rhs + <usize>o0 * rowBytes;
    for (let i = n - 1; i >= 0; i--) {
      const rowL = l + <usize>i * rowBytes;
      const lii = load<f64>(rowL + (<usize>i << 3));
      for (let r = 0; r < GROUP; r++) {
        const p = group + <usize>r * rowBytes + (<usize>i << 3);
        const w = load<f64>(p) / lii;
        store<f64>(p, w);
        store<f64>(scratch + (<usize>r << 3), w);
      }
      // w(i) is final: remove its contribution L(i, k)·w(i) from every equation k < i.
      axpy8(group, rowBytes, rowL, i, scratch);
    }
  }
  for (; o0 < count; o0++) {
    const z = rhs + <usize>o0 * rowBytes;
    for (let i = n - 1; i >= 0; i--) {
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
