/**
 * Typed errors. Every message names the file, node or tensor it is about; the CLI maps each class
 * to an exit code and prints one line (stack only with --verbose).
 */
export abstract class OnnxPruneError extends Error {
  abstract readonly code: string;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The bytes are not a valid ONNX model: protobuf errors, dangling names, cycles, bad tensors. */
export class ModelFormatError extends OnnxPruneError {
  readonly code = "MODEL_FORMAT";
}

/** The model is valid but uses a structure this tool refuses to touch. */
export class UnsupportedStructureError extends OnnxPruneError {
  readonly code = "UNSUPPORTED_STRUCTURE";
}

/** Calibration data, labels or images are unusable. */
export class DataError extends OnnxPruneError {
  readonly code = "DATA";
}

/** A path escapes its folder, an output would overwrite the input, a file is missing. */
export class PathSafetyError extends OnnxPruneError {
  readonly code = "PATH_SAFETY";
}

/** A declared size exceeds a configured cap or the bytes actually present. */
export class LimitError extends OnnxPruneError {
  readonly code = "LIMIT";
}

/** Bad command-line or API options. */
export class UsageError extends OnnxPruneError {
  readonly code = "USAGE";
}

/** The onnxruntime session failed to load or run a model. */
export class RuntimeFailureError extends OnnxPruneError {
  readonly code = "RUNTIME";
}

export function isOnnxPruneError(e: unknown): e is OnnxPruneError {
  return e instanceof OnnxPruneError;
}
