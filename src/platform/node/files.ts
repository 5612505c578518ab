/**
 * Node file edge: model files with external data confined to the model's folder, and atomic
 * writes (temp file beside the target, then rename) so a failure never leaves a half-written model.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { LimitError, ModelFormatError, PathSafetyError } from "../../errors.js";
import {
  externalizeTensors, inlineTensorBytes, loadExternalData, PROTOBUF_LIMIT_BYTES,
  type ExternalDataSource,
} from "../../onnx/external-data.js";
import { resolveLimits, type ModelLimits } from "../../onnx/limits.js";
import { decodeModel, encodeModel } from "../../onnx/model-io.js";
import type { ModelProto } from "../../onnx/proto.js";

export function readFileOrThrow(file: string, what: string): Uint8Array {
  try {
    const buf = fs.readFileSync(file);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new PathSafetyError(`${file}: ${what} not found`);
    if (code === "EISDIR") throw new PathSafetyError(`${file}: ${what} is a folder, not a file`);
    throw new PathSafetyError(`${file}: cannot read ${what} (${(e as Error).message})`);
  }
}

/**
 * Resolve `location` inside `baseDir`, refusing absolute paths, `..` escapes and symbolic links
 * that lead outside the folder.
 */
export function resolveInside(baseDir: string, location: string, modelName: string): string {
  if (location.includes("\0")) {
    throw new PathSafetyError(`${modelName}: external data location contains a NUL byte`);
  }
  if (path.isAbsolute(location) || path.win32.isAbsolute(location) || /^[a-zA-Z]:/.test(location)) {
    throw new PathSafetyError(`${modelName}: external data location '${location}' is an absolute path (refused)`);
  }
  const parts = location.split(/[\\/]+/);
  if (parts.includes("..")) {
    throw new PathSafetyError(`${modelName}: external data location '${location}' leaves the model's folder (refused)`);
  }
  const realBase = fs.realpathSync(baseDir);
  const joined = path.join(realBase, ...parts);
  let real: string;
  try {
    real = fs.realpathSync(joined);
  } catch {
    throw new PathSafetyError(`${modelName}: external data file '${location}' not found beside the model`);
  }
  const rel = path.relative(realBase, real);
  if (rel.startsWith("..") || path.isAbsolute(rel)) {
    throw new PathSafetyError(`${modelName}: external data location '${location}' links outside the model's folder (refused)`);
  }
  return real;
}

class FolderExternalData implements ExternalDataSource {
  private readonly handles = new Map<string, { fd: number; size: number }>();
  constructor(private readonly baseDir: string, private readonly modelName: string) {}

  private open(location: string): { fd: number; size: number } {
    let h = this.handles.get(location);
    if (!h) {
      const real = resolveInside(this.baseDir, location, this.modelName);
      const stat = fs.statSync(real);
      if (!stat.isFile()) throw new PathSafetyError(`${this.modelName}: external data '${location}' is not a regular file`);
      h = { fd: fs.openSync(real, "r"), size: stat.size };
      this.handles.set(location, h);
    }
    return h;
  }
  size(location: string): number {
    return this.open(location).size;
  }
  read(location: string, offset: number, length: number): Uint8Array {
    const { fd } = this.open(location);
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const n = fs.readSync(fd, out, done, length - done, offset + done);
      if (n === 0) throw new ModelFormatError(`${this.modelName}: external data '${location}' ended early`);
      done += n;
    }
    return out;
  }
  close(): void {
    for (const h of this.handles.values()) fs.closeSync(h.fd);
    this.handles.clear();
  }
}

export interface LoadOptions {
  /** Resource limits for untrusted models (see onnx/limits.ts for the defaults). */
  limits?: Partial<ModelLimits>;
}

/** Load a model file, with its external data resolved from files beside it. */
export function loadModelFile(file: string, options: LoadOptions = {}): ModelProto {
  const limits = resolveLimits(options.limits);
  let size: number | undefined;
  try {
    size = fs.statSync(file).size;
  } catch {
    size = undefined; // readFileOrThrow reports missing files
  }
  if (size !== undefined && size > limits.maxModelFileBytes) {
    throw new LimitError(`${file}: ${size} bytes exceed the model size limit of ${limits.maxModelFileBytes}`);
  }
  const bytes = readFileOrThrow(file, "model");
  const model = decodeModel(bytes, file, limits);
  const source = new FolderExternalData(path.dirname(path.resolve(file)), file);
  try {
    loadExternalData(model, source, file, limits);
  } finally {
    source.close();
  }
  return model;
}

export interface SaveOptions {
  /** true: large tensors go to `<name>.data` beside the model; "auto": only when over 2 GiB. */
  externalData?: boolean | "auto";
  /** Allow replacing an existing file at the target path. */
  overwrite?: boolean;
}

/** Write bytes atomically: a temp file in the same folder, fsync, rename. */
export function writeFileAtomic(target: string, chunks: Iterable<{ offset: number; bytes: Uint8Array }> | Uint8Array): void {
  const dir = path.dirname(path.resolve(target));
  const tmp = path.join(dir, `.${path.basename(target)}.${process.pid}.${Date.now()}.tmp`);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, "wx", 0o644);
    if (chunks instanceof Uint8Array) {
      fs.writeSync(fd, chunks, 0, chunks.length, 0);
    } else {
      for (const c of chunks) fs.writeSync(fd, c.bytes, 0, c.bytes.length, c.offset);
    }
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, target);
  } catch (e) {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw new PathSafetyError(`${target}: cannot write (${(e as Error).message})`);
  }
}

export function sameFile(a: string, b: string): boolean {
  try {
    return fs.realpathSync(a) === fs.realpathSync(b);
  } catch {
    return path.resolve(a) === path.resolve(b);
  }
}

/** Save a model; the input model object is not modified. */
export function saveModelFile(model: ModelProto, file: string, options: SaveOptions = {}): void {
  if (!options.overwrite && fs.existsSync(file)) {
    throw new PathSafetyError(`${file}: already exists (use --force to replace it)`);
  }
  const wantExternal = options.externalData === true
    || (options.externalData !== false && inlineTensorBytes(model) > PROTOBUF_LIMIT_BYTES);
  if (!wantExternal) {
    writeFileAtomic(file, encodeModel(model));
    return;
  }
  const dataName = `${path.basename(file)}.data`;
  const dataPath = path.join(path.dirname(file), dataName);
  const dataExisted = fs.existsSync(dataPath);
  if (!options.overwrite && dataExisted) {
    throw new PathSafetyError(`${dataPath}: already exists (use --force to replace it)`);
  }
  const layout = externalizeTensors(model, dataName);
  try {
    // Data first: a model file never points at a data file that is not complete.
    writeFileAtomic(dataPath, layout.chunks);
    try {
      writeFileAtomic(file, encodeModel(model));
    } catch (e) {
      // nothing left behind: a data file without its model is useless
      if (!dataExisted) fs.rmSync(dataPath, { force: true });
      throw e;
    }
  } finally {
    layout.restore();
  }
}
