// WASM kernels of onnx-prune. Memory contract: the module never allocates. The JavaScript side
// owns every byte from heapBase() up (src/kernels/arena.ts), grows the exported memory itself and
// passes byte pointers; all kernels read and write only through those pointers.

export {
  STAT_FIELDS, STAT_STD, STAT_MEAN, STAT_MEAN_SQ, STAT_L1, STAT_L2, STAT_POSITIVE, STAT_ENTROPY,
  HISTOGRAM_COPIES, accumulateSampleStats,
} from "./stats";
export {
  gramSimd, gramScalar, gramScratchBytes, gramAccumulateF64, crossAccumulateF64,
  DISTANCE_EUCLIDEAN, DISTANCE_COSINE, DISTANCE_CORRELATION, accumulateSampleDistances,
} from "./gram";
export { nearestRows, meanRows, knnRows, regressionScores, precisionRemove } from "./substitutability";
export {
  transposeF32, saveDiagonal, restoreDiagonal, choleskyInPlace, forwardSubstitute, backSubstitute,
} from "./solve";

/** First byte the JavaScript arena may use (end of the module's static data). */
export function heapBase(): usize {
  return __heap_base;
}
