/**
 * onnx-prune library API (platform-free: the same in Node and browsers).
 * Node users can import "onnx-prune" to also get file helpers (index.node.ts).
 */
export { prune, planPrune, applyPrunePlan, type PruneOptions, type PruneResult, type PruneContext, type PrunePlan } from "./pipeline/prune.js";
export { evaluate, type EvaluateOptions, type EvaluationResult } from "./pipeline/evaluate.js";
export { inspect, type InspectReport } from "./pipeline/inspect.js";
export type { ProgressEvent, ProgressCallback } from "./pipeline/progress.js";
export type { PruneReport, GroupReport } from "./report/types.js";
export { decodeModel, encodeModel } from "./onnx/model-io.js";
export type { ModelProto } from "./onnx/proto.js";
export { npyCalibration, imageCalibration, labelsFromNpy, type CalibrationSet } from "./data/calibration.js";
export { parseNpy, encodeNpy } from "./data/npy.js";
export { loadKernels, type Kernels } from "./kernels/index.js";
export { CRITERIA, DEFAULT_SCORE_OPTIONS, type ScoreOptions } from "./score/criteria.js";
export { RECOVERY_METHODS, type RecoveryMethod } from "./recover/index.js";
export * from "./errors.js";
export { VERSION } from "./version.js";
