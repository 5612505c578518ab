/** Node entry: the platform-free API plus file helpers and the wasm kernels loaded from disk. */
export * from "./index.js";
export { loadModelFile, saveModelFile, type SaveOptions } from "./platform/node/files.js";
export { loadCalibrationData, loadLabels } from "./platform/node/data-files.js";
export { loadKernelsNode } from "./kernels/load-node.js";
