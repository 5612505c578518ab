// Per-channel statistics of one sample's C×M feature maps, accumulated in float64 across samples.
//
// Accumulator layout: STAT_FIELDS float64 per channel, channel-major (acc + (c·STAT_FIELDS + f)·8).
// Sums are over samples; the wrapper divides by the sample count at finalize.

export const STAT_FIELDS: i32 = 7;
export const STAT_STD: i32 = 0;        // Σ population std of the map
export const STAT_MEAN: i32 = 1;       // Σ mean of the map
export const STAT_MEAN_SQ: i32 = 2;    // Σ mean²
export const STAT_L1: i32 = 3;         // Σ ‖f‖₁ / M
export const STAT_L2: i32 = 4;         // Σ ‖f‖₂ / √M
export const STAT_POSITIVE: i32 = 5;   // Σ fraction of values > 0
export const STAT_ENTROPY: i32 = 6;    // Σ entropy (nats) of the map's histogram

/** Histogram scratch holds this many copies of `bins` u32 counters. */
export const HISTOGRAM_COPIES: i32 = 4;

/** Adds one value, already scaled to bin units, to a histogram (the maximum joins the last bin). */
// @ts-ignore: decorator
@inline function countValue(histogram: usize, scaled: f64, last: i32): void {
  let b = <i32>scaled;
  if (b > last) b = last;
  const h = histogram + (<usize>b << 2);
  store<u32>(h, load<u32>(h) + 1);
}

/**
 * Statistics of one sample (x: channels×spatial float32) added to acc, and the per-sample
 * products the distance step needs:
 * - mean/variance (float64 per channel, population variance, two-pass for accuracy);
 * - centred (channels×spatial float32): x − mean, the input of the centred Gram matrix.
 *
 * Entropy: `bins` equal-width bins spanning [min, max] of this map on this sample; value x goes
 * to bin ⌊(x − min)·bins/(max − min)⌋ (the maximum joins the last bin); H = −Σ p·ln p over
 * non-empty bins. A constant map has entropy 0. bins = 0 skips the histogram (entropy 0).
 * histogram: scratch of HISTOGRAM_COPIES·bins u32.
 */
export function accumulateSampleStats(
  x: usize, channels: i32, spatial: i32, bins: i32, histogram: usize,
  centred: usize, mean: usize, variance: usize, acc: usize,
): void {
  const m = <f64>spatial;
  const rowBytes = <usize>spatial << 2;
  const s4 = spatial & ~3;
  for (let c = 0; c < channels; c++) {
    const p = x + <usize>c * rowBytes;
    // Pass 1: sum, Σ|x|, Σx², min, max, positive count. float32 lanes are widened to float64.
    let sum2 = f64x2.splat(0), abs2 = f64x2.splat(0), sq2 = f64x2.splat(0);
    let min4 = f32x4.splat(Infinity), max4 = f32x4.splat(-Infinity);
    let pos4 = i32x4.splat(0);
    const zero4 = f32x4.splat(0);
    let k = 0;
    for (; k < s4; k += 4) {
      const v = v128.load(p + (<usize>k << 2));
      const lo = f64x2.promote_low_f32x4(v);
      const hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
      sum2 = f64x2.add(sum2, f64x2.add(lo, hi));
      abs2 = f64x2.add(abs2, f64x2.add(f64x2.abs(lo), f64x2.abs(hi)));
      sq2 = f64x2.add(sq2, f64x2.add(f64x2.mul(lo, lo), f64x2.mul(hi, hi)));
      min4 = f32x4.min(min4, v);
      max4 = f32x4.max(max4, v);
      pos4 = i32x4.sub(pos4, f32x4.gt(v, zero4)); // true lanes are −1
    }
    let sum = f64x2.extract_lane(sum2, 0) + f64x2.extract_lane(sum2, 1);
    let sumAbs = f64x2.extract_lane(abs2, 0) + f64x2.extract_lane(abs2, 1);
    let sumSq = f64x2.extract_lane(sq2, 0) + f64x2.extract_lane(sq2, 1);
    let lo = min(min(f32x4.extract_lane(min4, 0), f32x4.extract_lane(min4, 1)),
                 min(f32x4.extract_lane(min4, 2), f32x4.extract_lane(min4, 3)));
    let hi = max(max(f32x4.extract_lane(max4, 0), f32x4.extract_lane(max4, 1)),
                 max(f32x4.extract_lane(max4, 2), f32x4.extract_lane(max4, 3)));
    let positive = i32x4.extract_lane(pos4, 0) + i32x4.extract_lane(pos4, 1) +
                   i32x4.extract_lane(pos4, 2) + i32x4.extract_lane(pos4, 3);
    for (; k < spatial; k++) {
      const v = load<f32>(p + (<usize>k << 2));
      const w = <f64>v;
      sum += w; sumAbs += Math.abs(w); sumSq += w * w;
      lo = min(lo, v); hi = max(hi, v);
      if (v > 0) positive++;
    }
    const mu = sum / m;

    // Pass 2: centred copy and Σ(x − μ)² (more accurate than Σx² − Mμ²).
    const q = centred + <usize>c * rowBytes;
    const mu2 = f64x2.splat(mu);
    const mu4 = f32x4.splat(<f32>mu);
    let dev2 = f64x2.splat(0);
    k = 0;
    for (; k < s4; k += 4) {
      const off = <usize>k << 2;
      const v = v128.load(p + off);
      const dl = f64x2.sub(f64x2.promote_low_f32x4(v), mu2);
      const dh = f64x2.sub(f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1)), mu2);
      dev2 = f64x2.add(dev2, f64x2.add(f64x2.mul(dl, dl), f64x2.mul(dh, dh)));
      v128.store(q + off, f32x4.sub(v, mu4));
    }
    let dev = f64x2.extract_lane(dev2, 0) + f64x2.extract_lane(dev2, 1);
    for (; k < spatial; k++) {
      const off = <usize>k << 2;
      const v = load<f32>(p + off);
      const d = <f64>v - mu;
      dev += d * d;
      store<f32>(q + off, v - <f32>mu);
    }
    const vr = dev / m;
    store<f64>(mean + (<usize>c << 3), mu);
    store<f64>(variance + (<usize>c << 3), vr);

    let entropy: f64 = 0;
    if (bins > 0 && hi > lo) {
      // Four interleaved sub-histograms: consecutive values often share a bin (e.g. the zeros
      // after a ReLU), and one counter would serialise every increment on a store-to-load chain.
      const binBytes = <usize>bins << 2;
      memory.fill(histogram, 0, binBytes * HISTOGRAM_COPIES);
      const base = <f64>lo;
      const scale = <f64>bins / (<f64>hi - base);
      const last = bins - 1;
      k = 0;
      for (; k < s4; k += 4) {
        const off = <usize>k << 2;
        countValue(histogram, (<f64>load<f32>(p + off) - base) * scale, last);
        countValue(histogram + binBytes, (<f64>load<f32>(p + off, 4) - base) * scale, last);
        countValue(histogram + 2 * binBytes, (<f64>load<f32>(p + off, 8) - base) * scale, last);
        countValue(histogram + 3 * binBytes, (<f64>load<f32>(p + off, 12) - base) * scale, last);
      }
      for (; k < spatial; k++) countValue(histogram, (<f64>load<f32>(p + (<usize>k << 2)) - base) * scale, last);
      for (let b = 0; b < bins; b++) {
        const h = histogram + (<usize>b << 2);
        const n = load<u32>(h) + load<u32>(h + binBytes) + load<u32>(h + 2 * binBytes) + load<u32>(h + 3 * binBytes);
        if (n != 0) {
          const pr = <f64>n / m;
          entropy -= pr * Math.log(pr);
        }
      }
    }

    const a = acc + <usize>c * (<usize>STAT_FIELDS << 3);
    store<f64>(a + (<usize>STAT_STD << 3), load<f64>(a + (<usize>STAT_STD << 3)) + Math.sqrt(vr));
    store<f64>(a + (<usize>STAT_MEAN << 3), load<f64>(a + (<usize>STAT_MEAN << 3)) + mu);
    store<f64>(a + (<usize>STAT_MEAN_SQ << 3), load<f64>(a + (<usize>STAT_MEAN_SQ << 3)) + mu * mu);
    store<f64>(a + (<usize>STAT_L1 << 3), load<f64>(a + (<usize>STAT_L1 << 3)) + sumAbs / m);
    store<f64>(a + (<usize>STAT_L2 << 3), load<f64>(a + (<usize>STAT_L2 << 3)) + Math.sqrt(sumSq / m));
    store<f64>(a + (<usize>STAT_POSITIVE << 3), load<f64>(a + (<usize>STAT_POSITIVE << 3)) + <f64>positive / m);
    store<f64>(a + (<usize>STAT_ENTROPY << 3), load<f64>(a + (<usize>STAT_ENTROPY << 3)) + entropy);
  }
}
