/**
 * im2col rows at sampled output positions: for a Conv with kernel kh×kw, strides, pads and
 * dilations, the input patch that produces output (y, x), flattened as [c][ky][kx] (the weight
 * layout), followed by a constant 1 for the bias.
 */
export interface ConvGeometry {
  channels: number;
  height: number;
  width: number;
  kernel: [number, number];
  strides: [number, number];
  /** top, left (ONNX pads are [top, left, bottom, right]). */
  padsBegin: [number, number];
  dilations: [number, number];
  outHeight: number;
  outWidth: number;
}

export function patchLength(g: ConvGeometry): number {
  return g.channels * g.kernel[0] * g.kernel[1] + 1;
}

/**
 * Writes one row per position (sample s, output index p = y·outWidth + x) into `out`: all input
 * channels, or only `channel` (a depthwise conv's rows, k·k + 1 long).
 */
export function extractPatches(input: Float32Array, sample: number, g: ConvGeometry, positions: readonly number[], out: Float32Array, rowOffset: number, channel?: number): void {
  const [kh, kw] = g.kernel;
  const first = channel ?? 0;
  const last = channel === undefined ? g.channels : channel + 1;
  const K = (last - first) * kh * kw + 1;
  const plane = g.height * g.width;
  const base = sample * g.channels * plane;
  for (let r = 0; r < positions.length; r++) {
    const p = positions[r]!;
    const oy = Math.floor(p / g.outWidth);
    const ox = p % g.outWidth;
    const row = (rowOffset + r) * K;
    let k = 0;
    for (let c = first; c < last; c++) {
      const cb = base + c * plane;
      for (let ky = 0; ky < kh; ky++) {
        const iy = oy * g.strides[0] - g.padsBegin[0] + ky * g.dilations[0];
        for (let kx = 0; kx < kw; kx++) {
          const ix = ox * g.strides[1] - g.padsBegin[1] + kx * g.dilations[1];
          out[row + k++] = iy >= 0 && iy < g.height && ix >= 0 && ix < g.width ? input[cb + iy * g.width + ix]! : 0;
        }
      }
    }
    out[row + k] = 1;
  }
}
