// Gram matrices (A·Bᵀ over row-major float32 panels) and the per-sample distance matrices built
// from them.
//
// Layout: a panel is `rows` rows of `len` float32 values, row r starting at base + r·stride·4.
// Outputs are row-major with `outStride` elements per row; the symmetric (Gram) variant writes
// only the upper triangle (row ≤ column), including the diagonal.
//
// Why 3×3 register tiles: V8 maps wasm SIMD onto the 16 xmm registers of x64. A 3×3 tile needs
// 9 accumulators + 3 column vectors + 1 row vector + 1 product temporary = 14 registers, so it
// never spills, and it does 9 multiply-adds per 6 loads. (4×4 would need 16 accumulators alone.)
//
// Why blocking over the length: the panel of all rows restricted to [k0, k1) is sized to stay in
// L2 (PANEL_BYTES) while every tile pair sweeps it; tile sums are flushed to the output at the end
// of each block, which also keeps float32 partial sums short (better accuracy).

const PANEL_BYTES: i32 = 262144;
const MIN_BLOCK: i32 = 64;

/** Length of one cache block over the reduction axis: a multiple of 4 (SIMD width) or `len`. */
function blockLength(rows: i32, len: i32): i32 {
  let block = (PANEL_BYTES / (rows * 4)) & ~3;
  if (block < MIN_BLOCK) block = MIN_BLOCK;
  return block >= len ? len : block;
}

// @ts-ignore: decorator
@inline function horizontalSum(v: v128): f32 {
  // Fixed lane order so results are deterministic across engines.
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) +
         (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

// @ts-ignore: decorator
@inline function addToOutput<T>(p: usize, v: f32): void {
  if (sizeof<T>() == 8) store<f64>(p, load<f64>(p) + <f64>v);
  else store<f32>(p, load<f32>(p) + v);
}

/** SIMD dot product of two float32 rows over [k0, k1), with a scalar tail. */
// @ts-ignore: decorator
@inline function dotSimd(p: usize, q: usize, k0: i32, k1: i32): f32 {
  let acc = f32x4.splat(0);
  let k = k0;
  const k4 = k0 + ((k1 - k0) & ~3);
  for (; k < k4; k += 4) {
    const off = <usize>k << 2;
    acc = f32x4.add(acc, f32x4.mul(v128.load(p + off), v128.load(q + off)));
  }
  let s = horizontalSum(acc);
  for (; k < k1; k++) {
    const off = <usize>k << 2;
    s += load<f32>(p + off) * load<f32>(q + off);
  }
  return s;
}

/**
 * 3×3 tile over [k0, k1): rows a, a+1, a+2 (pointers a0..a2) against b0..b2.
 * `upperOnly` (diagonal tiles of a Gram matrix) skips the strictly lower entries.
 */
// @ts-ignore: decorator
@inline function tile3x3<T>(
  a0: usize, a1: usize, a2: usize, b0: usize, b1: usize, b2: usize,
  k0: i32, k1: i32, out: usize, outRowBytes: usize, upperOnly: bool,
): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c22 = f32x4.splat(0);
  let k = k0;
  const k4 = k0 + ((k1 - k0) & ~3);
  for (; k < k4; k += 4) {
    const off = <usize>k << 2;
    const y0 = v128.load(b0 + off);
    const y1 = v128.load(b1 + off);
    const y2 = v128.load(b2 + off);
    let x = v128.load(a0 + off);
    c00 = f32x4.add(c00, f32x4.mul(x, y0));
    c01 = f32x4.add(c01, f32x4.mul(x, y1));
    c02 = f32x4.add(c02, f32x4.mul(x, y2));
    x = v128.load(a1 + off);
    c10 = f32x4.add(c10, f32x4.mul(x, y0));
    c11 = f32x4.add(c11, f32x4.mul(x, y1));
    c12 = f32x4.add(c12, f32x4.mul(x, y2));
    x = v128.load(a2 + off);
    c20 = f32x4.add(c20, f32x4.mul(x, y0));
    c21 = f32x4.add(c21, f32x4.mul(x, y1));
    c22 = f32x4.add(c22, f32x4.mul(x, y2));
  }
  let s00 = horizontalSum(c00), s01 = horizontalSum(c01), s02 = horizontalSum(c02);
  let s10 = horizontalSum(c10), s11 = horizontalSum(c11), s12 = horizontalSum(c12);
  let s20 = horizontalSum(c20), s21 = horizontalSum(c21), s22 = horizontalSum(c22);
  for (; k < k1; k++) {
    const off = <usize>k << 2;
    const y0 = load<f32>(b0 + off), y1 = load<f32>(b1 + off), y2 = load<f32>(b2 + off);
    const x0 = load<f32>(a0 + off), x1 = load<f32>(a1 + off), x2 = load<f32>(a2 + off);
    s00 += x0 * y0; s01 += x0 * y1; s02 += x0 * y2;
    s10 += x1 * y0; s11 += x1 * y1; s12 += x1 * y2;
    s20 += x2 * y0; s21 += x2 * y1; s22 += x2 * y2;
  }
  const e = <usize>sizeof<T>();
  const r1 = out + outRowBytes, r2 = out + 2 * outRowBytes;
  addToOutput<T>(out, s00); addToOutput<T>(out + e, s01); addToOutput<T>(out + 2 * e, s02);
  addToOutput<T>(r1 + e, s11); addToOutput<T>(r1 + 2 * e, s12);
  addToOutput<T>(r2 + 2 * e, s22);
  if (!upperOnly) {
    addToOutput<T>(r1, s10); addToOutput<T>(r2, s20); addToOutput<T>(r2 + e, s21);
  }
}

/**
 * out[i, j] += Σ_k a[i, k]·b[j, k] for all i < aRows, j < bRows (symmetric = false), or for
 * i ≤ j only when b is a (symmetric = true). T is the output element type (f32 or f64).
 */
function abtAccumulate<T>(
  a: usize, aRows: i32, b: usize, bRows: i32, len: i32, stride: i32,
  out: usize, outStride: i32, symmetric: bool,
): void {
  const rowBytes = <usize>stride << 2;
  const e = <usize>sizeof<T>();
  const outRowBytes = <usize>outStride * e;
  const aFull = aRows - aRows % 3;
  const bFull = bRows - bRows % 3;
  const block = blockLength(aRows > bRows ? aRows : bRows, len);
  for (let k0 = 0; k0 < len; k0 += block) {
    const k1 = k0 + block < len ? k0 + block : len;
    for (let i = 0; i < aFull; i += 3) {
      const a0 = a + <usize>i * rowBytes;
      for (let j = symmetric ? i : 0; j < bFull; j += 3) {
        const b0 = b + <usize>j * rowBytes;
        tile3x3<T>(a0, a0 + rowBytes, a0 + 2 * rowBytes, b0, b0 + rowBytes, b0 + 2 * rowBytes,
          k0, k1, out + <usize>i * outRowBytes + <usize>j * e, outRowBytes, symmetric && i == j);
      }
    }
    if (symmetric) {
      // Leftover rows (aRows % 3) against every row up to themselves; stored at (j, i), j ≤ i.
      for (let i = aFull; i < aRows; i++) {
        const p = a + <usize>i * rowBytes;
        for (let j = 0; j <= i; j++) {
          const s = dotSimd(p, b + <usize>j * rowBytes, k0, k1);
          addToOutput<T>(out + <usize>j * outRowBytes + <usize>i * e, s);
        }
      }
    } else {
      for (let i = 0; i < aRows; i++) {
        const p = a + <usize>i * rowBytes;
        const jStart = i < aFull ? bFull : 0;
        for (let j = jStart; j < bRows; j++) {
          const s = dotSimd(p, b + <usize>j * rowBytes, k0, k1);
          addToOutput<T>(out + <usize>i * outRowBytes + <usize>j * e, s);
        }
      }
    }
  }
}

/** Upper triangle of G = X·Xᵀ (X: rows×len float32) into out (rows×rows float32), SIMD path. */
export function gramSimd(x: usize, rows: i32, len: i32, out: usize): void {
  memory.fill(out, 0, <usize>rows * <usize>rows * 4);
  abtAccumulate<f32>(x, rows, x, rows, len, len, out, rows, true);
}

/**
 * Same result as gramSimd without SIMD: 2×2 scalar register tiles with the same cache blocking.
 * Kept as the honest scalar baseline for the benchmark (and as a fallback).
 */
export function gramScalar(x: usize, rows: i32, len: i32, out: usize): void {
  memory.fill(out, 0, <usize>rows * <usize>rows * 4);
  const rowBytes = <usize>len << 2;
  const outRowBytes = <usize>rows << 2;
  const block = blockLength(rows, len);
  const full = rows & ~1;
  for (let k0 = 0; k0 < len; k0 += block) {
    const k1 = k0 + block < len ? k0 + block : len;
    for (let i = 0; i < full; i += 2) {
      const a0 = x + <usize>i * rowBytes, a1 = a0 + rowBytes;
      for (let j = i; j < full; j += 2) {
        const b0 = x + <usize>j * rowBytes, b1 = b0 + rowBytes;
        let s00: f32 = 0, s01: f32 = 0, s10: f32 = 0, s11: f32 = 0;
        for (let k = k0; k < k1; k++) {
          const off = <usize>k << 2;
          const x0 = load<f32>(a0 + off), x1 = load<f32>(a1 + off);
          const y0 = load<f32>(b0 + off), y1 = load<f32>(b1 + off);
          s00 += x0 * y0; s01 += x0 * y1; s10 += x1 * y0; s11 += x1 * y1;
        }
        const o = out + <usize>i * outRowBytes + (<usize>j << 2);
        store<f32>(o, load<f32>(o) + s00);
        store<f32>(o + 4, load<f32>(o + 4) + s01);
        if (i != j) store<f32>(o + outRowBytes, load<f32>(o + outRowBytes) + s10);
        store<f32>(o + outRowBytes + 4, load<f32>(o + outRowBytes + 4) + s11);
      }
    }
    for (let i = full; i < rows; i++) {
      const p = x + <usize>i * rowBytes;
      for (let j = 0; j <= i; j++) {
        const q = x + <usize>j * rowBytes;
        let s: f32 = 0;
        for (let k = k0; k < k1; k++) s += load<f32>(p + (<usize>k << 2)) * load<f32>(q + (<usize>k << 2));
        const o = out + <usize>j * outRowBytes + (<usize>i << 2);
        store<f32>(o, load<f32>(o) + s);
      }
    }
  }
}

/** acc[i, j] += Σ_k a[i, k]·a[j, k] for i ≤ j (float64 accumulator, float32 products). */
export function gramAccumulateF64(a: usize, rows: i32, len: i32, stride: i32, acc: usize, accStride: i32): void {
  abtAccumulate<f64>(a, rows, a, rows, len, stride, acc, accStride, true);
}

/** acc[i, j] += Σ_k a[i, k]·b[j, k] (float64 accumulator, float32 products). */
export function crossAccumulateF64(
  a: usize, aRows: i32, b: usize, bRows: i32, len: i32, stride: i32, acc: usize, accStride: i32,
): void {
  abtAccumulate<f64>(a, aRows, b, bRows, len, stride, acc, accStride, false);
}

export const DISTANCE_EUCLIDEAN: i32 = 0;
export const DISTANCE_COSINE: i32 = 1;
export const DISTANCE_CORRELATION: i32 = 2;

/**
 * One sample's distances from its centred Gram matrix.
 *
 * gram: upper triangle of Gc = Xc·Xcᵀ (float32, C×C) where Xc are the maps minus their own mean
 * (computed by accumulateSampleStats); mean/variance: that sample's per-channel mean and
 * population variance (float64). Working from centred data keeps float32 accurate when maps have
 * a large mean; raw inner products are recovered as Gc + M·μi·μj in float64.
 *
 * Adds the distance to distAcc[i, j] (i < j); adds Gc and the raw Gram to gcAcc / rawAcc
 * (i ≤ j) when those pointers are non-zero.
 *
 * Constant maps (correlation): variance ≤ constantEps·μ² (relative) or a non-positive Gram
 * diagonal. Their normalised vector is 0: distance 1 to a non-constant map, 0 to a constant one.
 * Zero maps (cosine): distance 0 between two zero maps, 1 between a zero and a non-zero map.
 */
export function accumulateSampleDistances(
  gram: usize, channels: i32, spatial: i32, mean: usize, variance: usize,
  kind: i32, constantEps: f64, distAcc: usize, gcAcc: usize, rawAcc: usize,
): void {
  const m = <f64>spatial;
  const rowF32 = <usize>channels << 2;
  const rowF64 = <usize>channels << 3;
  for (let i = 0; i < channels; i++) {
    const gi = gram + <usize>i * rowF32;
    const mi = load<f64>(mean + (<usize>i << 3));
    const vi = load<f64>(variance + (<usize>i << 3));
    const gii = <f64>load<f32>(gi + (<usize>i << 2));
    const rawII = gii + m * mi * mi;
    const constI = vi <= constantEps * mi * mi || gii <= 0;
    const dRow = distAcc + <usize>i * rowF64;
    for (let j = i + 1; j < channels; j++) {
      const gij = <f64>load<f32>(gi + (<usize>j << 2));
      const mj = load<f64>(mean + (<usize>j << 3));
      const gjj = <f64>load<f32>(gram + <usize>j * rowF32 + (<usize>j << 2));
      let d: f64;
      if (kind == DISTANCE_EUCLIDEAN) {
        const dm = mi - mj;
        const sq = (gii + gjj - 2 * gij) / m + dm * dm;
        d = sq > 0 ? Math.sqrt(sq) : 0;
      } else if (kind == DISTANCE_COSINE) {
        const rawJJ = gjj + m * mj * mj;
        const zeroI = rawII <= 0, zeroJ = rawJJ <= 0;
        if (zeroI || zeroJ) d = zeroI && zeroJ ? 0 : 1;
        else {
          let c = (gij + m * mi * mj) / Math.sqrt(rawII * rawJJ);
          c = c > 1 ? 1 : c < -1 ? -1 : c;
          d = 1 - c;
        }
      } else {
        const vj = load<f64>(variance + (<usize>j << 3));
        const constJ = vj <= constantEps * mj * mj || gjj <= 0;
        if (constI || constJ) d = constI && constJ ? 0 : 1;
        else {
          let rho = gij / Math.sqrt(gii * gjj);
          rho = rho > 1 ? 1 : rho < -1 ? -1 : rho;
          d = Math.sqrt(2 - 2 * rho);
        }
      }
      const p = dRow + (<usize>j << 3);
      store<f64>(p, load<f64>(p) + d);
    }
    if (gcAcc != 0) {
      const gRow = gcAcc + <usize>i * rowF64;
      const rRow = rawAcc + <usize>i * rowF64;
      for (let j = i; j < channels; j++) {
        const gij = <f64>load<f32>(gi + (<usize>j << 2));
        const mj = load<f64>(mean + (<usize>j << 3));
        const off = <usize>j << 3;
        store<f64>(gRow + off, load<f64>(gRow + off) + gij);
        store<f64>(rRow + off, load<f64>(rRow + off) + gij + m * mi * mj);
      }
    }
  }
}
