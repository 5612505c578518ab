// Platform-free entry of the kernels; Node callers add ./load-node.js.
export {
  loadKernels,
  instantiateKernels,
  type ActivenessVariants,
  type DistanceKind,
  type KernelExports,
  type Kernels,
  type KernelSource,
  type LayerAccumulator,
  type LayerAccumulatorOptions,
  type LayerStatistics,
  type NormalEquations,
} from "./kernels.js";
export {
  DEFAULT_REGRESSION_RIDGE,
  globallyCentredGram,
  importance,
  normaliseByMax,
  type CombineRule,
  type SelectionInput,
  type SelectionResult,
  type SubstitutabilityMode,
} from "./selection.js";
export { WasmArena } from "./arena.js";
