/** Node edge for calibration data: a .npy file or a folder of PNG/JPEG images. */
import * as fs from "node:fs";
import * as path from "node:path";
import { DataError } from "../../errors.js";
import { imageCalibration, npyCalibration, labelsFromNpy, type CalibrationSet, type Normalisation } from "../../data/calibration.js";
import { checkNpySize, decodeNpyElements, parseNpy, parseNpyHeader } from "../../data/npy.js";
import type { NpySource } from "../../data/calibration.js";
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
  return npyCalibration(openNpy(p), p, o);
}

/**
 * A .npy file read one slice at a time, so memory does not grow with the number of samples. Each
 * read opens the file briefly: a long-lived process (the web server, a library user) leaks no
 * descriptors.
 */
export function openNpy(p: string): NpySource {
  const withFile = <T>(use: (fd: number) => T): T => {
    let fd: number;
    try {
      fd = fs.openSync(p, "r");
    } catch {
      throw new DataError(`${p}: cannot open`);
    }
    try {
      return use(fd);
    } finally {
      fs.closeSync(fd);
    }
  };
  const h = withFile((fd) => {
    const size = fs.fstatSync(fd).size;
    const head = new Uint8Array(Math.min(size, 65536 + 12));
    fs.readSync(fd, head, 0, head.length, 0);
    const header = parseNpyHeader(head, p);
    checkNpySize(header, size, p);
    return header;
  });
  return {
    dtype: h.dtype,
    shape: h.shape,
    readElements(start, count) {
      const bytes = new Uint8Array(count * h.bytesPerElement);
      const n = withFile((fd) => fs.readSync(fd, bytes, 0, bytes.length, h.dataOffset + start * h.bytesPerElement));
      if (n !== bytes.length) throw new DataError(`${p}: file ended early`);
      return decodeNpyElements(h.dtype, bytes, count);
    },
  };
}

export function loadLabels(p: string): Int32Array {
  return labelsFromNpy(parseNpy(readFileOrThrow(p, "labels"), p), p);
}
