// Gram matrices (A·Bᵀ over row-major float32 panels) and the per-sample distance matrices built
// from them.
//
// Layout: a panel is `rows` rows of `len` float32 values, row r starting at base + r·stride·4.
// Outputs are row-major with `outStride` elements per row; the symmetric (Gram) variant writes
// only the upper triangle (row ≤ column), including the diagonal.
//
// Why 2×4 register tiles: V8 maps wasm SIMD onto x64's xmm registers and keeps xmm15 as scratch,
// leaving 15. Its scheduler issues all loads of an iteration first, so a tile needs
// accumulators + every loaded vector + 1 product temporary: 2×4 takes 8 + 6 + 1 = 15 and never
// spills. A 3×3 tile (9 + 6 + 1 = 16) spilled an accumulator and made V8 shuffle registers on
// every iteration; 2×4 measured ~45% faster (docs/PERFORMANCE.md). The 4 sums of a tile row are
// 4 contiguous outputs, written as one vector.
//
// Why blocking over the length: all rows restricted to [k0, k1) form a panel that stays in cache
// while every tile pair sweeps it. Blocks are PANEL_BYTES/(4·rows) long but at least MIN_BLOCK
// (64 floats): measured on the benchmark shapes (bench/kernels.bench.ts), short blocks won over
// L2-sized panels (256 KiB) by 10–30%, because a tile's 6 row segments then sit in L1 and the
// panel is read in short sequential runs. Tiles carry their vector partial sums across blocks
// (scratch), so blocking costs no horizontal sums.

const PANEL_BYTES: i32 = 16384;
const MIN_BLOCK: i32 = 64;
const SHORT_ROW: i32 = 256;

/** Length of one cache block over the reduction axis: a multiple of 4 (SIMD width) or `len`. */
function blockLength(rows: i32, len: i32): i32 {
  // Short rows are not blocked: a tile's 6 row segments (≤ 6 KiB) already sit in L1, and
  // splitting e.g. 196 into 64+64+64+4 cost more in saved partial sums than it won
  // (1024×196: 54 → 77 GFLOP/s unblocked).
  if (len <= SHORT_ROW) return len;
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

/** [Σa, Σb, Σc, Σd]: four horizontal sums with 6 shuffles and 3 adds instead of 12 + 12. */
// @ts-ignore: decorator
@inline function reduce4(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = f32x4.add(v128.shuffle<f32>(a, b, 0, 4, 1, 5), v128.shuffle<f32>(a, b, 2, 6, 3, 7));
  const cd = f32x4.add(v128.shuffle<f32>(c, d, 0, 4, 1, 5), v128.shuffle<f32>(c, d, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(ab, cd, 0, 1, 4, 5), v128.shuffle<f32>(ab, cd, 2, 3, 6, 7));
}

/** out += v, or out = v when `replace` (the first write of an entry that is not pre-zeroed). */
// @ts-ignore: decorator
@inline function addToOutput<T>(p: usize, v: f32, replace: bool): void {
  if (sizeof<T>() == 8) store<f64>(p, replace ? <f64>v : load<f64>(p) + <f64>v);
  else store<f32>(p, replace ? v : load<f32>(p) + v);
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
 * 2×4 tile over [k0, k1): rows a0, a1 against rows b0..b0+3 (rowBytes apart), giving the
 * 2×4 output block at out (rows outRowBytes apart, 4 contiguous entries per row).
 * Partial sums stay in vector form across cache blocks: a tile resumes from its 8 saved
 * accumulators (`resume`) and either saves them again or, on the last block (`flush`), reduces
 * them (with the scalar tail) into the output. diagonalShift ≥ 0 marks a tile that straddles
 * the diagonal of a Gram matrix: its first row's diagonal entry is that many columns into the
 * tile, and only entries with column ≥ row are written (see writeRow); −1 writes all 8.
 */
// @ts-ignore: decorator
@inline function tile2x4<T>(
  a0: usize, a1: usize, b0: usize, rowBytes: usize, k0: i32, k1: i32,
  part: usize, resume: bool, flush: bool,
  out: usize, outRowBytes: usize, diagonalShift: i32, replace: bool,
): void {
  const b1 = b0 + rowBytes, b2 = b1 + rowBytes, b3 = b2 + rowBytes;
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0), c03 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0), c13 = f32x4.splat(0);
  if (resume) {
    c00 = v128.load(part, 0); c01 = v128.load(part, 16); c02 = v128.load(part, 32); c03 = v128.load(part, 48);
    c10 = v128.load(part, 64); c11 = v128.load(part, 80); c12 = v128.load(part, 96); c13 = v128.load(part, 112);
  }
  let k = k0;
  const k4 = k0 + ((k1 - k0) & ~3);
  for (; k < k4; k += 4) {
    const off = <usize>k << 2;
    const y0 = v128.load(b0 + off), y1 = v128.load(b1 + off), y2 = v128.load(b2 + off), y3 = v128.load(b3 + off);
    let x = v128.load(a0 + off);
    c00 = f32x4.add(c00, f32x4.mul(x, y0)); c01 = f32x4.add(c01, f32x4.mul(x, y1));
    c02 = f32x4.add(c02, f32x4.mul(x, y2)); c03 = f32x4.add(c03, f32x4.mul(x, y3));
    x = v128.load(a1 + off);
    c10 = f32x4.add(c10, f32x4.mul(x, y0)); c11 = f32x4.add(c11, f32x4.mul(x, y1));
    c12 = f32x4.add(c12, f32x4.mul(x, y2)); c13 = f32x4.add(c13, f32x4.mul(x, y3));
  }
  if (!flush) {
    v128.store(part, c00, 0); v128.store(part, c01, 16); v128.store(part, c02, 32); v128.store(part, c03, 48);
    v128.store(part, c10, 64); v128.store(part, c11, 80); v128.store(part, c12, 96); v128.store(part, c13, 112);
    return;
  }
  let r0 = reduce4(c00, c01, c02, c03);
  let r1 = reduce4(c10, c11, c12, c13);
  for (; k < k1; k++) {
    // Scalar tail (len % 4), still vectorised across the tile's 4 columns.
    const off = <usize>k << 2;
    let y = f32x4.splat(load<f32>(b0 + off));
    y = f32x4.replace_lane(y, 1, load<f32>(b1 + off));
    y = f32x4.replace_lane(y, 2, load<f32>(b2 + off));
    y = f32x4.replace_lane(y, 3, load<f32>(b3 + off));
    r0 = f32x4.add(r0, f32x4.mul(f32x4.splat(load<f32>(a0 + off)), y));
    r1 = f32x4.add(r1, f32x4.mul(f32x4.splat(load<f32>(a1 + off)), y));
  }
  writeRow<T>(out, r0, diagonalShift, replace);
  writeRow<T>(out + outRowBytes, r1, diagonalShift < 0 ? -1 : diagonalShift + 1, replace);
}

/**
 * Writes (or adds, unless `replace`) 4 sums to 4 contiguous output entries. firstColumn ≥ 0:
 * the row lies on a Gram diagonal and only lanes l ≥ firstColumn (column ≥ row) are written,
 * the rest keep their old value.
 */
// @ts-ignore: decorator
@inline function writeRow<T>(p: usize, r: v128, firstColumn: i32, replace: bool): void {
  if (sizeof<T>() == 8) {
    let lo = f64x2.promote_low_f32x4(r);
    let hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(r, r, 2, 3, 0, 1));
    if (!replace) {
      lo = f64x2.add(lo, v128.load(p));
      hi = f64x2.add(hi, v128.load(p, 16));
    }
    if (firstColumn < 0) {
      v128.store(p, lo);
      v128.store(p, hi, 16);
    } else {
      if (firstColumn <= 0) store<f64>(p, f64x2.extract_lane(lo, 0));
      if (firstColumn <= 1) store<f64>(p, f64x2.extract_lane(lo, 1), 8);
      if (firstColumn <= 2) store<f64>(p, f64x2.extract_lane(hi, 0), 16);
      if (firstColumn <= 3) store<f64>(p, f64x2.extract_lane(hi, 1), 24);
    }
  } else {
    const old = v128.load(p);
    const value = replace ? r : f32x4.add(old, r);
    if (firstColumn < 0) v128.store(p, value);
    else {
      const keep = i32x4.ge_s(i32x4(0, 1, 2, 3), i32x4.splat(firstColumn)); // lanes to write
      v128.store(p, v128.bitselect(value, old, keep));
    }
  }
}

const TILE_PARTIAL_BYTES: usize = 8 * 16;

/** Number of 2×4 tiles abtAccumulate visits per block. */
function tileCount(aRows: i32, bRows: i32, symmetric: bool): usize {
  if (!symmetric) return <usize>(aRows >> 1) * <usize>(bRows >> 2);
  const full = aRows & ~3;
  let tiles: usize = 0;
  for (let i = 0; i < full; i += 2) tiles += <usize>((full - (i & ~3)) >> 2);
  return tiles;
}

/** Scratch bytes abtAccumulate needs for vector partial sums (0 when one block covers len). */
export function gramScratchBytes(aRows: i32, bRows: i32, len: i32, symmetric: bool): usize {
  const block = blockLength(aRows > bRows ? aRows : bRows, len);
  if (block >= len) return 0;
  return tileCount(aRows, bRows, symmetric) * TILE_PARTIAL_BYTES;
}

/**
 * out[i, j] += Σ_k a[i, k]·b[j, k] for all i < aRows, j < bRows (symmetric = false), or for
 * i ≤ j only when b is a (symmetric = true). T is the output element type (f32 or f64).
 * scratch: gramScratchBytes(...) bytes for the tiles' vector partial sums, or 0 to flush the
 * tiles to the output at the end of every block.
 * overwrite: store instead of accumulate (out need not be zeroed; saves two passes over a C×C
 * output that can be 16 MB). Only valid with scratch, or when one block covers len.
 */
function abtAccumulate<T>(
  a: usize, aRows: i32, b: usize, bRows: i32, len: i32, stride: i32,
  out: usize, outStride: i32, symmetric: bool, scratch: usize, overwrite: bool,
): void {
  const rowBytes = <usize>stride << 2;
  const e = <usize>sizeof<T>();
  const outRowBytes = <usize>outStride * e;
  // Symmetric: rows and columns in [0, full) are covered by 2×4 tiles whose column block starts
  // at the row pair's own block of 4 (tiles straddling the diagonal write column ≥ row only);
  // columns ≥ full (rows % 4) are finished with dot products.
  const aFull = symmetric ? aRows & ~3 : aRows & ~1;
  const bFull = bRows & ~3;
  const block = blockLength(aRows > bRows ? aRows : bRows, len);
  for (let k0 = 0; k0 < len; k0 += block) {
    const k1 = k0 + block < len ? k0 + block : len;
    // Without scratch every block flushes its sums to the output (fine for float64 outputs,
    // whose read-modify-write per block is the price of not holding vector partials).
    const resume = scratch != 0 && k0 > 0;
    const flush = scratch == 0 || k1 == len;
    const replaceTile = overwrite;
    const replaceEdge = overwrite && k0 == 0; // edges flush every block: store on the first
    let part = scratch;
    for (let i = 0; i < aFull; i += 2) {
      const a0 = a + <usize>i * rowBytes;
      const jStart = symmetric ? i & ~3 : 0;
      for (let j = jStart; j < bFull; j += 4) {
        tile2x4<T>(a0, a0 + rowBytes, b + <usize>j * rowBytes, rowBytes, k0, k1, part, resume, flush,
          out + <usize>i * outRowBytes + <usize>j * e, outRowBytes, symmetric && j == jStart ? i - j : -1, replaceTile);
        part += TILE_PARTIAL_BYTES;
      }
    }
    if (symmetric) {
      for (let j = bFull; j < bRows; j++) {
        const q = b + <usize>j * rowBytes;
        for (let i = 0; i <= j; i++) {
          addToOutput<T>(out + <usize>i * outRowBytes + <usize>j * e, dotSimd(a + <usize>i * rowBytes, q, k0, k1), replaceEdge);
        }
      }
    } else {
      for (let i = 0; i < aRows; i++) {
        const p = a + <usize>i * rowBytes;
        for (let j = i < aFull ? bFull : 0; j < bRows; j++) {
          addToOutput<T>(out + <usize>i * outRowBytes + <usize>j * e, dotSimd(p, b + <usize>j * rowBytes, k0, k1), replaceEdge);
        }
      }
    }
  }
}

/**
 * Upper triangle (row ≤ column) of G = X·Xᵀ (X: rows×len float32) into out (rows×rows float32),
 * SIMD path. The strict lower triangle of out is left untouched.
 * scratch: gramScratchBytes(rows, rows, len, true) bytes (may be 0 when that is 0).
 */
export function gramSimd(x: usize, rows: i32, len: i32, out: usize, scratch: usize): void {
  if (scratch == 0 && blockLength(rows, len) < len) {
    memory.fill(out, 0, <usize>rows * <usize>rows * 4); // no partials: accumulate per block
    abtAccumulate<f32>(x, rows, x, rows, len, len, out, rows, true, 0, false);
  } else {
    abtAccumulate<f32>(x, rows, x, rows, len, len, out, rows, true, scratch, true);
  }
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
export function gramAccumulateF64(a: usize, rows: i32, len: i32, stride: i32, acc: usize, accStride: i32, scratch: usize): void {
  abtAccumulate<f64>(a, rows, a, rows, len, stride, acc, accStride, true, scratch, false);
}

/** acc[i, j] += Σ_k a[i, k]·b[j, k] (float64 accumulator, float32 products). */
export function crossAccumulateF64(
  a: usize, aRows: i32, b: usize, bRows: i32, len: i32, stride: i32, acc: usize, accStride: i32, scratch: usize,
): void {
  abtAccumulate<f64>(a, aRows, b, bRows, len, stride, acc, accStride, false, scratch, false);
}

export const DISTANCE_EUCLIDEAN: i32 = 0;
export const DISTANCE_COSINE: i32 = 1;
export const DISTANCE_CORRELATION: i32 = 2;

/**
 * Share of a Gram-based value left after cancellation below which the pair is recomputed
 * directly from the maps in float64. A float32 Gram entry carries an absolute error of ~1e-7 of
 * its scale; √(2 − 2ρ) for near-duplicate maps (ρ → 1) would turn that into an error of
 * ~1e-7/D (up to ~5e-4 for exact duplicates). Below this threshold (D < 0.14 for correlation)
 * the O(M) float64 recomputation keeps every distance within ~1e-6 of the exact value.
 */
const REFINE_BELOW: f64 = 0.01;

/** ‖(xi − μi)/‖xi − μi‖ − (xj − μj)/‖xj − μj‖‖ in float64 (both maps non-constant). */
function exactCorrelationDistance(p: usize, q: usize, spatial: i32, mi: f64, mj: f64): f64 {
  let sii: f64 = 0, sjj: f64 = 0;
  for (let k = 0; k < spatial; k++) {
    const a = <f64>load<f32>(p + (<usize>k << 2)) - mi;
    const b = <f64>load<f32>(q + (<usize>k << 2)) - mj;
    sii += a * a; sjj += b * b;
  }
  const ni = 1 / Math.sqrt(sii), nj = 1 / Math.sqrt(sjj);
  let sq: f64 = 0;
  for (let k = 0; k < spatial; k++) {
    const d = (<f64>load<f32>(p + (<usize>k << 2)) - mi) * ni - (<f64>load<f32>(q + (<usize>k << 2)) - mj) * nj;
    sq += d * d;
  }
  return Math.sqrt(sq);
}

/** ‖xi − xj‖₂ / √M in float64. */
function exactEuclideanDistance(p: usize, q: usize, spatial: i32): f64 {
  let sq: f64 = 0;
  for (let k = 0; k < spatial; k++) {
    const d = <f64>load<f32>(p + (<usize>k << 2)) - <f64>load<f32>(q + (<usize>k << 2));
    sq += d * d;
  }
  return Math.sqrt(sq / <f64>spatial);
}

/** 1 − cos(xi, xj) in float64 (both maps non-zero). */
function exactCosineDistance(p: usize, q: usize, spatial: i32): f64 {
  let sij: f64 = 0, sii: f64 = 0, sjj: f64 = 0;
  for (let k = 0; k < spatial; k++) {
    const a = <f64>load<f32>(p + (<usize>k << 2)), b = <f64>load<f32>(q + (<usize>k << 2));
    sij += a * b; sii += a * a; sjj += b * b;
  }
  let c = sij / Math.sqrt(sii * sjj);
  c = c > 1 ? 1 : c < -1 ? -1 : c;
  return 1 - c;
}

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
 * x: the sample's original maps (float32, C×M), read only for pairs refined in float64 (see
 * REFINE_BELOW). scratch: 2·C float64.
 *
 * Constant maps (correlation): variance ≤ constantEps·μ² (relative) or a non-positive Gram
 * diagonal. Their normalised vector is 0: distance 1 to a non-constant map, 0 to a constant one.
 * Zero maps (cosine): distance 0 between two zero maps, 1 between a zero and a non-zero map.
 */
export function accumulateSampleDistances(
  x: usize, gram: usize, channels: i32, spatial: i32, mean: usize, variance: usize,
  kind: i32, constantEps: f64, distAcc: usize, gcAcc: usize, rawAcc: usize, scratch: usize,
): void {
  const m = <f64>spatial;
  const rowF32 = <usize>channels << 2;
  const rowF64 = <usize>channels << 3;
  const mapBytes = <usize>spatial << 2;
  // Per-channel terms first (scratch: diag[C], inv[C] float64), so the pair loop reads only
  // sequential rows: fetching G(j, j) per pair would touch a new cache line for every j.
  // inv = 1/norm (cosine: raw norm, correlation: centred norm), 0 for a zero/constant map.
  const diag = scratch, inv = scratch + rowF64;
  for (let j = 0; j < channels; j++) {
    const gjj = <f64>load<f32>(gram + <usize>j * rowF32 + (<usize>j << 2));
    const mj = load<f64>(mean + (<usize>j << 3));
    let v: f64 = 0;
    if (kind == DISTANCE_COSINE) {
      const raw = gjj + m * mj * mj;
      v = raw > 0 ? 1 / Math.sqrt(raw) : 0;
    } else if (kind == DISTANCE_CORRELATION) {
      const constant = load<f64>(variance + (<usize>j << 3)) <= constantEps * mj * mj || gjj <= 0;
      v = constant ? 0 : 1 / Math.sqrt(gjj);
    }
    store<f64>(diag + (<usize>j << 3), gjj);
    store<f64>(inv + (<usize>j << 3), v);
  }
  for (let i = 0; i < channels; i++) {
    const xi = x + <usize>i * mapBytes;
    const gi = gram + <usize>i * rowF32;
    const mi = load<f64>(mean + (<usize>i << 3));
    const gii = load<f64>(diag + (<usize>i << 3));
    const invI = load<f64>(inv + (<usize>i << 3));
    const dRow = distAcc + <usize>i * rowF64;
    for (let j = i + 1; j < channels; j++) {
      const gij = <f64>load<f32>(gi + (<usize>j << 2));
      const off = <usize>j << 3;
      let d: f64;
      if (kind == DISTANCE_EUCLIDEAN) {
        const gjj = load<f64>(diag + off);
        const spread = gii + gjj - 2 * gij; // ‖ci − cj‖² of the centred maps
        if (spread < REFINE_BELOW * (gii + gjj)) {
          d = exactEuclideanDistance(xi, x + <usize>j * mapBytes, spatial);
        } else {
          const dm = mi - load<f64>(mean + off);
          d = Math.sqrt(spread / m + dm * dm);
        }
      } else {
        const invJ = load<f64>(inv + off);
        if (invI == 0 || invJ == 0) {
          d = invI == 0 && invJ == 0 ? 0 : 1; // zero (cosine) / constant (correlation) maps
        } else if (kind == DISTANCE_COSINE) {
          let c = (gij + m * mi * load<f64>(mean + off)) * invI * invJ;
          c = c > 1 ? 1 : c < -1 ? -1 : c;
          d = 1 - c < REFINE_BELOW ? exactCosineDistance(xi, x + <usize>j * mapBytes, spatial) : 1 - c;
        } else {
          let rho = gij * invI * invJ;
          rho = rho > 1 ? 1 : rho < -1 ? -1 : rho;
          d = 2 - 2 * rho < 2 * REFINE_BELOW
            ? exactCorrelationDistance(xi, x + <usize>j * mapBytes, spatial, mi, load<f64>(mean + off))
            : Math.sqrt(2 - 2 * rho);
        }
      }
      const p = dRow + off;
      store<f64>(p, load<f64>(p) + d);
    }
    if (gcAcc != 0) {
      const gRow = gcAcc + <usize>i * rowF64;
      const rRow = rawAcc + <usize>i * rowF64;
      const mim = m * mi;
      for (let j = i; j < channels; j++) {
        const gij = <f64>load<f32>(gi + (<usize>j << 2));
        const off = <usize>j << 3;
        store<f64>(gRow + off, load<f64>(gRow + off) + gij);
        store<f64>(rRow + off, load<f64>(rRow + off) + gij + mim * load<f64>(mean + off));
      }
    }
  }
}
