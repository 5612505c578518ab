/**
 * The channel rule table: for every ONNX op we understand, its role in a channel group and what
 * follows the group's channels. The grouping walk (build.ts) and the surgery (src/surgery) both
 * dispatch on `kind`; nothing else in the code special-cases op names. An op missing from this
 * table (or from a custom domain) freezes every group that reaches it.
 *
 * Roles (after Torch-Pruning's dependency graph, on ONNX):
 * - producer: creates new channels on its output (Conv, Gemm, ...), and consumes its input's.
 * - carrier:  output channel c depends only on input channel c (activations, BN, pools, ...).
 * - coupler:  element-wise op over several channel tensors: all become one group (residuals).
 * - index:    moves channels to other positions (Concat offsets, Split/Slice, Flatten stride).
 * - passive:  reads only the shape (Shape, Size): no constraint.
 */

export type Role = "producer" | "carrier" | "coupler" | "index" | "passive";

export type RuleKind =
  // producers (and consumers of their input)
  | "conv" | "convTranspose" | "gemm" | "matmul"
  // carriers
  | "elementwise" | "normalization" | "prelu" | "pool" | "maxpool" | "pad" | "resize"
  | "softmax" | "layerNorm" | "reduce"
  // couplers
  | "coupler"
  // index mappings
  | "concat" | "split" | "slice" | "reshape" | "transpose"
  // passive
  | "shape";

export interface ParamSlice {
  /** Input slot of a per-channel parameter. */
  input: number;
  /** Axis of the parameter that indexes channels. */
  axis: number;
}

export interface OpRule {
  role: Role;
  kind: RuleKind;
  /** Per-channel parameters sliced with the channels (BatchNormalization scale/bias/mean/var). */
  params?: readonly ParamSlice[];
  /** Inputs that broadcast against the channel tensor and are sliced when per-channel (PRelu slope). */
  broadcast?: readonly number[];
  /** Inputs that never carry channels: scalars and configuration (Clip min/max, Resize roi). */
  scalars?: readonly number[];
  /** The channels must be on axis 1 (NCHW ops). */
  axis1?: boolean;
  /** Part of a producer's own per-channel chain, read as the default tap (METHOD.md). */
  tapChain?: boolean;
  /** A coupler that adds its inputs: two or more coupled inputs make a residual stream. */
  residual?: boolean;
}

const unary = (tapChain = true): OpRule => ({ role: "carrier", kind: "elementwise", tapChain });
const pool: OpRule = { role: "carrier", kind: "pool", axis1: true };
const coupler: OpRule = { role: "coupler", kind: "coupler" };
const residualSum: OpRule = { role: "coupler", kind: "coupler", residual: true };
const reshape: OpRule = { role: "index", kind: "reshape" };
const reduce: OpRule = { role: "carrier", kind: "reduce" };
const softmax: OpRule = { role: "carrier", kind: "softmax" };

export const OP_RULES: Readonly<Record<string, OpRule>> = {
  // producers: weight slicing axes depend on attributes (group, transB), decided in one place each
  Conv: { role: "producer", kind: "conv", axis1: true },
  ConvTranspose: { role: "producer", kind: "convTranspose", axis1: true },
  Gemm: { role: "producer", kind: "gemm" },
  MatMul: { role: "producer", kind: "matmul" },

  // per-channel carriers with parameters
  BatchNormalization: {
    role: "carrier", kind: "normalization", axis1: true, tapChain: true,
    params: [{ input: 1, axis: 0 }, { input: 2, axis: 0 }, { input: 3, axis: 0 }, { input: 4, axis: 0 }],
  },
  InstanceNormalization: {
    role: "carrier", kind: "normalization", axis1: true, tapChain: true,
    params: [{ input: 1, axis: 0 }, { input: 2, axis: 0 }],
  },
  PRelu: { role: "carrier", kind: "prelu", broadcast: [1], tapChain: true },

  // element-wise carriers (Clip min/max are scalars by the spec, as inputs or attributes)
  Relu: unary(), LeakyRelu: unary(), Sigmoid: unary(), Tanh: unary(), HardSigmoid: unary(),
  HardSwish: unary(), Elu: unary(), Selu: unary(), Celu: unary(), Softplus: unary(),
  Softsign: unary(), Mish: unary(), Gelu: unary(), ThresholdedRelu: unary(), Erf: unary(false),
  Clip: { role: "carrier", kind: "elementwise", scalars: [1, 2], tapChain: true },
  Dropout: { role: "carrier", kind: "elementwise", scalars: [1, 2], tapChain: true },
  Identity: unary(), Cast: unary(),
  Abs: unary(false), Neg: unary(false), Exp: unary(false), Log: unary(false), Sqrt: unary(false),
  Reciprocal: unary(false), Floor: unary(false), Ceil: unary(false), Round: unary(false),
  Sign: unary(false), Sin: unary(false), Cos: unary(false),

  // pools: per channel over the spatial axes
  MaxPool: { role: "carrier", kind: "maxpool", axis1: true },
  AveragePool: pool, LpPool: pool, GlobalAveragePool: pool, GlobalMaxPool: pool, GlobalLpPool: pool,
  Pad: { role: "carrier", kind: "pad", scalars: [1, 2, 3] },
  Resize: { role: "carrier", kind: "resize", scalars: [1, 2, 3] },
  Upsample: { role: "carrier", kind: "resize", scalars: [1] },
  ReduceMean: reduce, ReduceMax: reduce, ReduceMin: reduce, ReduceSum: reduce, ReduceL1: reduce,
  ReduceL2: reduce, ReduceProd: reduce, ReduceLogSumExp: reduce, ReduceSumSquare: reduce,
  Softmax: softmax, LogSoftmax: softmax, Hardmax: softmax,
  LayerNormalization: { role: "carrier", kind: "layerNorm", scalars: [1, 2] },

  // couplers: residual sums, gates (SE, SiLU), GELU's Erf arithmetic
  Add: residualSum, Sub: residualSum, Mul: coupler, Div: coupler, Max: coupler, Min: coupler,
  Sum: residualSum, Mean: residualSum, Pow: coupler,

  // index mappings
  Concat: { role: "index", kind: "concat" },
  Split: { role: "index", kind: "split", scalars: [1] },
  Slice: { role: "index", kind: "slice", scalars: [1, 2, 3, 4] },
  Reshape: { ...reshape, scalars: [1] }, Flatten: reshape,
  Squeeze: { ...reshape, scalars: [1] }, Unsqueeze: { ...reshape, scalars: [1] },
  Transpose: { role: "index", kind: "transpose" },

  // shape readers
  Shape: { role: "passive", kind: "shape" },
  Size: { role: "passive", kind: "shape" },
};

/** The rule for a node, or undefined when the op is unknown or from a custom domain. */
export function ruleFor(opType: string | undefined, domain: string | undefined): OpRule | undefined {
  if (domain && domain !== "ai.onnx") return undefined;
  if (!opType || !Object.prototype.hasOwnProperty.call(OP_RULES, opType)) return undefined;
  return OP_RULES[opType];
}
