/**
 * Browser edge for inputs: File/Blob → bytes, and calibration sets from dropped files (one .npy,
 * or PNG/JPEG images), the counterpart of src/platform/node/data-files.ts.
 */
import { imageCalibration, labelsFromNpy, npyCalibration, type CalibrationSet, type Normalisation } from "../../data/calibration.js";
import { parseNpy } from "../../data/npy.js";
import { DataError } from "../../errors.js";
import { GraphIndex } from "../../graph/graph-index.js";
import { declaredShape } from "../../graph/shapes.js";
import type { ModelProto } from "../../onnx/proto.js";

/** A file already read into memory (what the page posts to the worker). */
export interface NamedBytes {
  name: string;
  bytes: Uint8Array;
}

export async function readBlob(blob: Blob): Promise<Uint8Array> {
  return new Uint8Array(await blob.arrayBuffer());
}

export async function readFiles(files: Iterable<File>): Promise<NamedBytes[]> {
  const out: NamedBytes[] = [];
  for (const f of files) out.push({ name: f.name, bytes: await readBlob(f) });
  return out;
}

export interface DataOptions extends Normalisation {
  layout?: "nchw" | "nhwc";
  samples?: number;
}

const IMAGE_EXT = /\.(png|jpe?g)$/i;

/** The model's first runtime input dims (dynamic dims are ≤ 0), as the CLI reads them. */
export function modelInputDims(model: ModelProto, source: string): number[] {
  const index = new GraphIndex(model, source);
  const input = index.graph.input.find((i) => i.name === index.runtimeInputs[0]);
  return input ? declaredShape(input) : [];
}

/**
 * One .npy file, or any number of images (sorted by name like the Node folder loader, resized to
 * the model's static H×W when it has one).
 */
export function calibrationFromFiles(files: readonly NamedBytes[], model: ModelProto, source: string, o: DataOptions = {}): CalibrationSet {
  if (files.length === 0) throw new DataError("no calibration data given (a .npy file or PNG/JPEG images)");
  const npy = files.filter((f) => f.name.toLowerCase().endsWith(".npy"));
  if (npy.length > 0) {
    if (files.length !== 1) throw new DataError(`${npy[0]!.name}: give one .npy file or only images, not both`);
    return npyCalibration(parseNpy(npy[0]!.bytes, npy[0]!.name), npy[0]!.name, o);
  }
  const images = files.filter((f) => IMAGE_EXT.test(f.name)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const skipped = files.find((f) => !IMAGE_EXT.test(f.name));
  if (skipped) throw new DataError(`${skipped.name}: calibration data must be a .npy file or PNG/JPEG images`);
  const dims = modelInputDims(model, source);
  const channels = dims[1] && dims[1] > 0 ? dims[1] : 3;
  const size = dims[2]! > 0 && dims[3]! > 0 ? { height: dims[2]!, width: dims[3]! } : undefined;
  return imageCalibration(images, `${images.length} images`, { channels, size, samples: o.samples, scale: o.scale, mean: o.mean, std: o.std });
}

export function labelsFromFile(file: NamedBytes): Int32Array {
  return labelsFromNpy(parseNpy(file.bytes, file.name), file.name);
}
