/**
 * HRank (Lin et al. 2020): the average matrix rank of each channel's H×W feature map. Rank by
 * Gaussian elimination with partial pivoting and a relative tolerance (like numpy.linalg.
 * matrix_rank's default: max(H, W)·eps·largest pivot).
 */
export function matrixRank(map: Float32Array | Float64Array, offset: number, h: number, w: number, scratch: Float64Array): number {
  const a = scratch;
  let maxAbs = 0;
  for (let i = 0; i < h * w; i++) {
    a[i] = map[offset + i]!;
    maxAbs = Math.max(maxAbs, Math.abs(a[i]!));
  }
  if (maxAbs === 0) return 0;
  const tol = Math.max(h, w) * 1.1920929e-7 * maxAbs;
  let rank = 0;
  const rowsDone = new Uint8Array(h);
  for (let col = 0; col < w && rank < h; col++) {
    let pivot = -1;
    let best = tol;
    for (let r = 0; r < h; r++) {
      if (rowsDone[r]) continue;
      const v = Math.abs(a[r * w + col]!);
      if (v > best) {
        best = v;
        pivot = r;
      }
    }
    if (pivot < 0) continue;
    rowsDone[pivot] = 1;
    rank++;
    const pv = a[pivot * w + col]!;
    for (let r = 0; r < h; r++) {
      if (rowsDone[r]) continue;
      const f = a[r * w + col]! / pv;
      if (f === 0) continue;
      for (let c = col; c < w; c++) a[r * w + c] -= f * a[pivot * w + c]!;
    }
  }
  return rank;
}

/** Accumulates mean rank per channel over batches of N×C×H×W maps. */
export class RankAccumulator {
  readonly sums: Float64Array;
  samples = 0;
  private readonly scratch: Float64Array;
  constructor(readonly channels: number, readonly height: number, readonly width: number, readonly maxSamples: number) {
    this.sums = new Float64Array(channels);
    this.scratch = new Float64Array(height * width);
  }
  addBatch(data: Float32Array, n: number): void {
    const plane = this.height * this.width;
    for (let s = 0; s < n && this.samples < this.maxSamples; s++, this.samples++) {
      for (let c = 0; c < this.channels; c++) {
        this.sums[c] += matrixRank(data, (s * this.channels + c) * plane, this.height, this.width, this.scratch);
      }
    }
  }
  mean(): Float64Array {
    return this.sums.map((v) => v / Math.max(1, this.samples));
  }
}
