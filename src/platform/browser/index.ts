/**
 * Browser entry (build/browser/index.js): the platform-free API plus the browser edge — kernels
 * from the inlined wasm, ORT's assets beside the bundle, File/Blob reading, and the pruning worker.
 */
import { configureRuntime } from "./runtime.js";

configureRuntime();

export * from "../../index.js";
export { configureRuntime } from "./runtime.js";
export { loadKernelsBrowser } from "./kernels.js";
export { calibrationFromFiles, labelsFromFile, modelInputDims, readBlob, readFiles, type DataOptions, type NamedBytes } from "./files.js";
export { PruneWorker, WorkerError } from "./client.js";
export type { EvaluationRequest, PruneOutcome, WorkerPruneOptions, WorkerRequest, WorkerResponse } from "./protocol.js";
