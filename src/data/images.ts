/**
 * Image decoding (PNG via fast-png, JPEG via jpeg-js: pure JS, same in Node and browsers),
 * bilinear resizing and normalisation into CHW float32.
 */
import { decode as decodePng } from "fast-png";
import jpeg from "jpeg-js";
import { DataError } from "../errors.js";

export interface DecodedImage {
  width: number;
  height: number;
  /** Interleaved 8-bit (or 16-bit) samples, `channels` per pixel. */
  pixels: Uint8Array | Uint16Array | Uint8ClampedArray;
  channels: number;
  /** Maximum sample value (255 or 65535). */
  maxValue: number;
}

const MAX_PIXELS = 64 * 1024 * 1024;

export function decodeImage(bytes: Uint8Array, file: string): DecodedImage {
  const isPng = bytes.length > 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
  const isJpeg = bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8;
  try {
    if (isPng) {
      const img = decodePng(bytes);
      if (img.palette) throw new DataError(`${file}: palette PNGs are not supported; save as grey or RGB`);
      return {
        width: img.width, height: img.height, channels: img.channels,
        pixels: img.data as Uint8Array | Uint16Array, maxValue: img.depth === 16 ? 65535 : 2 ** img.depth - 1,
      };
    }
    if (isJpeg) {
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, maxMemoryUsageInMB: 1024, maxResolutionInMP: MAX_PIXELS / 1e6 });
      const channels = img.data.length / (img.width * img.height);
      return { width: img.width, height: img.height, channels, pixels: img.data, maxValue: 255 };
    }
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(`${file}: corrupt image (${(e as Error).message})`);
  }
  throw new DataError(`${file}: not a PNG or JPEG image`);
}

export interface ImageToTensorOptions {
  /** Target channels: 1 (grey) or 3 (RGB), from the model's input. */
  channels: number;
  height: number;
  width: number;
  /** Applied as ((v / maxValue) · 255 · scale − mean[c]) / std[c]. */
  scale: number;
  mean: readonly number[];
  std: readonly number[];
}

/** Convert to CHW float32 with bilinear resizing (align_corners = false, like PIL/torchvision). */
export function imageToTensor(img: DecodedImage, opts: ImageToTensorOptions, out: Float32Array, file: string): void {
  const { width: W, height: H, channels: outC } = opts;
  const colorChannels = img.channels === 4 ? 3 : img.channels === 2 ? 1 : img.channels;
  if (colorChannels !== 1 && colorChannels !== 3) throw new DataError(`${file}: ${img.channels}-channel images are not supported`);
  const sx = img.width / W;
  const sy = img.height / H;
  const norm = (255 * opts.scale) / img.maxValue;
  const sample = (x: number, y: number, c: number): number => {
    const base = (y * img.width + x) * img.channels;
    if (colorChannels === outC) return img.pixels[base + c]!;
    if (outC === 1) {
      // ITU-R 601 luma, as PIL's convert("L").
      return 0.299 * img.pixels[base]! + 0.587 * img.pixels[base + 1]! + 0.114 * img.pixels[base + 2]!;
    }
    return img.pixels[base]!; // grey → replicate to RGB
  };
  for (let c = 0; c < outC; c++) {
    const mean = opts.mean[opts.mean.length === 1 ? 0 : c] ?? 0;
    const std = opts.std[opts.std.length === 1 ? 0 : c] ?? 1;
    for (let y = 0; y < H; y++) {
      const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), img.height - 1);
      const y0 = Math.floor(fy);
      const y1 = Math.min(y0 + 1, img.height - 1);
      const wy = fy - y0;
      for (let x = 0; x < W; x++) {
        const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), img.width - 1);
        const x0 = Math.floor(fx);
        const x1 = Math.min(x0 + 1, img.width - 1);
        const wx = fx - x0;
        const v = (1 - wy) * ((1 - wx) * sample(x0, y0, c) + wx * sample(x1, y0, c))
          + wy * ((1 - wx) * sample(x0, y1, c) + wx * sample(x1, y1, c));
        out[(c * H + y) * W + x] = (v * norm - mean) / std;
      }
    }
  }
}
