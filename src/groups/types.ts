/**
 * Channel groups: the sets of channels that must be removed together. A group has C channels,
 * indexed 0..C-1 in the producers' output order; every member below says where group channel c
 * lives in its tensor or parameter.
 */

/** A node that creates the group's channels (its output channel axis is the group's axis). */
export interface GroupProducer {
  /** Index in graph.node. */
  node: number;
  name: string;
  op: string;
  /** Weight initializer sliced on its output-channel axis (Conv: axis 0, ConvTranspose: axis 1 per group, Gemm transB=1: axis 0...). */
  weight: string;
  /** Axis of `weight` that indexes output channels. */
  weightAxis: number;
  bias?: string;
  /** Raw output tensor of the producer (option `--tap conv`). */
  output: string;
  /**
   * The tensor after the producer's own per-channel chain (BN, activation, ...): what the next
   * layers actually see (METHOD.md's default tap). Equal to `output` when there is no chain.
   */
  tap: string;
  /** Channel offset of this group inside `output`/`tap` (non-zero only for producers that feed several groups, rarely). */
  offset: number;
}

/** A node that reads the group's channels as its input channels / features. */
export interface GroupConsumer {
  node: number;
  name: string;
  op: string;
  /** The input slot that carries the channels. */
  input: number;
  /** The tensor read at that slot. */
  tensor: string;
  /**
   * Where group channel c sits on the consumer's input-channel (Conv) or input-feature (Gemm/
   * MatMul) axis: indices [offset + c·stride, offset + c·stride + stride) — stride > 1 after a
   * Flatten of an H×W map (c·H·W … (c+1)·H·W − 1), offset > 0 after a Concat.
   */
  offset: number;
  stride: number;
  /** Total size of that axis before pruning. */
  inputSize: number;
  /**
   * Added: the consumer may see only group channels [start, start + count) (after a Split or
   * Slice of the channel axis); channel c then sits at offset + (c − start)·stride. start = 0 and
   * count = channels for a consumer that sees the whole group (the common case).
   */
  start: number;
  count: number;
}

/**
 * Added: where the group's channels sit in one tensor. Group channels [start, start + count)
 * occupy positions offset + (c − start)·stride … + stride − 1 on `axis` (of `size`) of a
 * rank-`rank` tensor. stride > 1 after a depthwise conv with a channel multiplier or a Flatten.
 */
export interface ChannelTensor {
  name: string;
  offset: number;
  axis: number;
  rank: number;
  size: number;
  stride: number;
  start: number;
  count: number;
}

/** Added: a node between producers and consumers whose parameters or attributes follow the group. */
export interface GroupMember {
  node: number;
  name: string;
  op: string;
  /**
   * The rule kind from op-rules.ts (e.g. "normalization", "depthwise", "split"), or "residual"
   * for a sum (Add, Sum, ...) of two or more branches of the group: the group is a residual stream.
   */
  kind: string;
  /** Output tensor of the member (for depthwise convs: a map of the group, usable as a tap). */
  output: string;
  /** For depthwise convs and residual sums: the tensor after their own per-channel chain. */
  tap?: string;
}

export interface ChannelGroup {
  id: number;
  /** Number of channels C. */
  channels: number;
  producers: GroupProducer[];
  consumers: GroupConsumer[];
  /** Every tensor that carries the group's channels, with the channel offset (see ChannelTensor). */
  tensors: ChannelTensor[];
  /** Added: carriers with sliced parameters, depthwise convs, Split/Slice/Reshape/Resize nodes. */
  members: GroupMember[];
  prunable: boolean;
  /** Why the group is frozen, naming the node or tensor; undefined when prunable. */
  reason?: string;
  /** A human label: the first producer's name. */
  label: string;
}

/** A residual stream: channels that several branches add into, shared by every block along it. */
export function isResidualStream(g: ChannelGroup): boolean {
  return g.members.some((m) => m.kind === "residual");
}

/** Channels to keep per prunable group, in increasing order, indexed in the group's channel space. */
export type KeepSets = Map<number, readonly number[]>;

/** What surgery changed on each consumer, for the recovery stage. */
export interface ConsumerChange {
  node: number;
  name: string;
  op: string;
  /** Kept input channels/features in the original indexing, increasing. */
  keptInputs: number[];
  originalInputs: number;
}

export interface SurgeryResult {
  model: import("../onnx/proto.js").ModelProto;
  consumers: ConsumerChange[];
}
