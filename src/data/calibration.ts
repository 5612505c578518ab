/**
 * Calibration data: a set of samples read in batches as NCHW float32, from a .npy array or from
 * images. Samples are converted when a batch is read, so only one batch is ever materialised.
 */
import { DataError } from "../errors.js";
import { decodeImage, imageToTensor } from "./images.js";
import type { NpyArray, NpyDtype } from "./npy.js";

/** Array data read on demand: a file is read one batch at a time, never whole. */
export interface NpySource {
  dtype: NpyDtype;
  shape: number[];
  readElements(start: number, count: number): NpyArray["data"];
}

function asSource(a: NpyArray | NpySource): NpySource {
  if ("readElements" in a) return a;
  return { dtype: a.dtype, shape: a.shape, readElements: (start, count) => a.data.subarray(start, start + count) };
}

export interface CalibrationSet {
  /** Where the data came from (file or folder), for error messages and reports. */
  readonly source: string;
  readonly count: number;
  /** [C, H, W] of one sample. */
  readonly sampleShape: readonly number[];
  /** Fill `out` (length n·C·H·W) with samples [start, start + n). */
  read(start: number, n: number, out: Float32Array): void;
}

export interface Normalisation {
  /** Multiplier applied first; default 1/255 for uint8 data and images, 1 for float data. */
  scale?: number;
  mean?: readonly number[];
  std?: readonly number[];
}

export interface NpyCalibrationOptions extends Normalisation {
  layout?: "nchw" | "nhwc";
  samples?: number;
}

function perChannel(values: readonly number[] | undefined, c: number, fallback: number, what: string, source: string): number[] {
  if (!values || values.length === 0) return new Array<number>(c).fill(fallback);
  if (values.length === 1) return new Array<number>(c).fill(values[0]!);
  if (values.length !== c) throw new DataError(`${source}: --${what} has ${values.length} values, the data has ${c} channels`);
  return [...values];
}

export function npyCalibration(input: NpyArray | NpySource, source: string, options: NpyCalibrationOptions = {}): CalibrationSet {
  const array = asSource(input);
  if (array.dtype !== "float32" && array.dtype !== "uint8" && array.dtype !== "float64") {
    throw new DataError(`${source}: calibration data must be float32 or uint8, not ${array.dtype}`);
  }
  if (array.shape.length !== 4) {
    throw new DataError(`${source}: calibration data must have 4 dims (N, C, H, W or N, H, W, C), got (${array.shape.join(", ")})`);
  }
  const layout = options.layout ?? "nchw";
  const [n, a, b, c] = array.shape as [number, number, number, number];
  const [C, H, W] = layout === "nchw" ? [a, b, c] : [c, a, b];
  const count = Math.min(n, options.samples ?? n);
  if (count <= 0) throw new DataError(`${source}: no samples`);
  const scale = options.scale ?? (array.dtype === "uint8" ? 1 / 255 : 1);
  const mean = perChannel(options.mean, C, 0, "mean", source);
  const std = perChannel(options.std, C, 1, "std", source);
  if (std.some((s) => !(s > 0))) throw new DataError(`${source}: --std values must be positive`);
  const plane = H * W;
  const sampleSize = C * plane;
  return {
    source,
    count,
    sampleShape: [C, H, W],
    read(start, k, out) {
      if (start < 0 || start + k > count) throw new DataError(`${source}: samples ${start}..${start + k} out of range (${count})`);
      const data = array.readElements(start * sampleSize, k * sampleSize);
      for (let s = 0; s < k; s++) {
        const base = s * sampleSize;
        for (let ch = 0; ch < C; ch++) {
          const m = mean[ch]!;
          const sd = std[ch]!;
          for (let p = 0; p < plane; p++) {
            const src = layout === "nchw" ? base + ch * plane + p : base + p * C + ch;
            const v = (data[src]! * scale - m) / sd;
            if (!Number.isFinite(v)) {
              throw new DataError(`${source}: sample ${start + s} has a non-finite value (NaN or Inf) in channel ${ch}`);
            }
            out[s * sampleSize + ch * plane + p] = v;
          }
        }
      }
    },
  };
}

export interface ImageFile {
  name: string;
  bytes: Uint8Array;
}

export interface ImageCalibrationOptions extends Normalisation {
  /** Channels of the model input (1 or 3). */
  channels: number;
  /** Resize target; without it all images must share one size. */
  size?: { height: number; width: number };
  samples?: number;
}

export function imageCalibration(files: readonly ImageFile[], source: string, options: ImageCalibrationOptions): CalibrationSet {
  if (files.length === 0) throw new DataError(`${source}: no PNG or JPEG images found`);
  const chosen = files.slice(0, options.samples ?? files.length);
  // Decode each once up front: corrupt files and mixed sizes fail before anything runs.
  let size = options.size;
  for (const f of chosen) {
    const img = decodeImage(f.bytes, f.name);
    if (!size) size = { height: img.height, width: img.width };
    else if (!options.size && (img.height !== size.height || img.width !== size.width)) {
      throw new DataError(`${f.name}: image is ${img.width}×${img.height} but earlier images are ${size.width}×${size.height}; pass --size HxW to resize`);
    }
  }
  const { height, width } = size!;
  const C = options.channels;
  const mean = perChannel(options.mean, C, 0, "mean", source);
  const std = perChannel(options.std, C, 1, "std", source);
  const sampleSize = C * height * width;
  return {
    source,
    count: chosen.length,
    sampleShape: [C, height, width],
    read(start, k, out) {
      for (let s = 0; s < k; s++) {
        const f = chosen[start + s]!;
        const img = decodeImage(f.bytes, f.name);
        imageToTensor(img, { channels: C, height, width, scale: options.scale ?? 1 / 255, mean, std },
          out.subarray(s * sampleSize, (s + 1) * sampleSize), f.name);
      }
    },
  };
}

/**
 * Visits samples [0, total) in batches of `batchSize`, reading each batch into one reused buffer:
 * `input` (NCHW, `dims` = [n, C, H, W]) is only valid until the callback's promise settles.
 */
export async function forEachBatch(
  data: CalibrationSet, total: number, batchSize: number,
  visit: (batch: { start: number; n: number; input: Float32Array; dims: number[] }) => void | Promise<void>,
): Promise<void> {
  const sampleSize = data.sampleShape.reduce((a, b) => a * b, 1);
  const buffer = new Float32Array(batchSize * sampleSize);
  for (let start = 0; start < total; start += batchSize) {
    const n = Math.min(batchSize, total - start);
    const input = buffer.subarray(0, n * sampleSize);
    data.read(start, n, input);
    await visit({ start, n, input, dims: [n, ...data.sampleShape] });
  }
}

/** Check that the data fits the model's input; dynamic (-1) model dims accept anything. */
export function checkDataFitsInput(data: CalibrationSet, inputDims: readonly number[], inputName: string, modelName: string): void {
  const want = inputDims.slice(1);
  if (want.length !== data.sampleShape.length || want.some((d, i) => d > 0 && d !== data.sampleShape[i])) {
    throw new DataError(
      `${data.source}: samples are ${data.sampleShape.join("×")} but ${modelName} input '${inputName}' expects ${want.map((d) => (d > 0 ? d : "?")).join("×")}`,
    );
  }
}

/** Labels for evaluation: integer class ids. */
export function labelsFromNpy(array: NpyArray, source: string): Int32Array {
  if (array.dtype !== "int64" && array.dtype !== "int32" && array.dtype !== "uint8") {
    throw new DataError(`${source}: labels must be integers (int64, int32 or uint8), not ${array.dtype}`);
  }
  if (array.shape.length !== 1) throw new DataError(`${source}: labels must be 1-D, got (${array.shape.join(", ")})`);
  return Int32Array.from(array.data as ArrayLike<number>);
}
