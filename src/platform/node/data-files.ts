/** Node edge for calibration data: a .npy file or a folder of PNG/JPEG images. */
import * as fs from "node:fs";
import * as path from "node:path";
import { DataError } from "../../errors.js";
import { imageCalibration, npyCalibration, labelsFromNpy, type CalibrationSet, type Normalisation } from "../../data/calibration.js";
import { parseNpy } from "../../data/npy.js";
import { readFileOrThrow } from "./files.js";

export interface DataFileOptions extends Normalisation {
  layout?: "nchw" | "nhwc";
  samples?: number;
  /** Channels of the model input (images are converted to it). */
  channels: number;
  size?: { height: number; width: number };
}

const IMAGE_EXT = /\.(png|jpe?g)$/i;

export function loadCalibrationData(p: string, o: DataFileOptions): CalibrationSet {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(p);
  } catch {
    throw new DataError(`${p}: calibration data not found`);
  }
  if (stat.isDirectory()) {
    const names = fs.readdirSync(p).filter((n) => IMAGE_EXT.test(n)).sort();
    const files = names.slice(0, o.samples ?? names.length).map((n) => ({ name: path.join(p, n), bytes: readFileOrThrow(path.join(p, n), "image") }));
    return imageCalibration(files, p, { channels: o.channels, size: o.size, samples: o.samples, scale: o.scale, mean: o.mean, std: o.std });
  }
  if (!p.toLowerCase().endsWith(".npy")) throw new DataError(`${p}: calibration data must be a .npy file or a folder of images`);
  return npyCalibration(parseNpy(readFileOrThrow(p, "calibration data"), p), p, o);
}

export function loadLabels(p: string): Int32Array {
  return labelsFromNpy(parseNpy(readFileOrThrow(p, "labels"), p), p);
}
