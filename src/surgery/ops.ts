/**
 * Surgery, one small function per rule kind: given which positions of its inputs' and outputs'
 * channel axes survive, edit the node's parameters and attributes. The rule table picks the
 * function; kinds without parameters (activations, pools, Concat, Transpose) need none.
 */
import { UnsupportedStructureError } from "../errors.js";
import { attribute, attrInt, attrInts, type GraphIndex } from "../graph/graph-index.js";
import { normAxis, ownedConstant } from "../groups/constants.js";
import type { OpRule, RuleKind } from "../groups/op-rules.js";
import type protobuf from "protobufjs/light";
import { TensorType } from "../onnx/model-io.js";
import type { NodeProto, TensorProto } from "../onnx/proto.js";
import { makeInt64Tensor, readInts, tensorDims, writeInts } from "../onnx/tensor.js";
import type { KeptAxis, KeptMap } from "./positions.js";
import { sliceAxis } from "./slice-tensor.js";

export interface SurgeryContext {
  index: GraphIndex;
  /** Constants already made editable, by "node:slot". */
  copies: Map<string, TensorProto>;
  kept: KeptMap;
  opset: number;
  source: string;
}

type OpSurgery = (ctx: SurgeryContext, i: number, node: NodeProto, rule: OpRule) => void;

/**
 * The constant at input `slot` of node `i`, ready to edit: in place when only this node reads it,
 * else a private copy (copy-on-write) wired into the node under a new name. The walk has already
 * frozen tied weights; what is shared here are deduplicated biases, BN params, shape constants.
 */
function editable(ctx: SurgeryContext, i: number, slot: number): TensorProto {
  const key = `${i}:${slot}`;
  const done = ctx.copies.get(key);
  if (done) return done;
  const node = ctx.index.nodes[i]!;
  const name = node.input[slot] ?? "";
  const owned = ownedConstant(ctx.index, name, i);
  if (owned) {
    ctx.copies.set(key, owned);
    return owned;
  }
  const value = ctx.index.constantTensor(name);
  if (!value) {
    throw new UnsupportedStructureError(
      `${ctx.source}: node '${ctx.index.nodeName(i)}' needs input '${name}' edited, but it is not a constant (groups built for another model?)`,
    );
  }
  const copy = TensorType.decode(TensorType.encode(value as unknown as protobuf.Message).finish()) as unknown as TensorProto;
  copy.name = uniqueName(ctx.index, `${name}.${ctx.index.nodeName(i)}`);
  ctx.index.graph.initializer.push(copy);
  node.input[slot] = copy.name;
  ctx.copies.set(key, copy);
  return copy;
}

const countBelow = (kept: readonly number[], p: number): number => kept.filter((k) => k < p).length;

const conv: OpSurgery = (ctx, i, node) => {
  const x = ctx.kept.get(node.input[0]!);
  const y = ctx.kept.get(node.output[0]!);
  if (!x && !y) return;
  const w = editable(ctx, i, 1);
  const group = attrInt(node, "group", 1);
  const [cout, cinPerGroup] = tensorDims(w);
  if (group === 1) {
    if (y) sliceAxis(w, 0, y.kept);
    if (y && node.input[2]) sliceAxis(editable(ctx, i, 2), 0, y.kept);
    if (x) sliceAxis(w, 1, x.kept);
    return;
  }
  if (cinPerGroup !== 1 || !x || !y || y.kept.length * group !== x.kept.length * cout!) {
    throw new UnsupportedStructureError(`${ctx.source}: grouped conv '${ctx.index.nodeName(i)}' (group=${group}) cannot lose these channels`);
  }
  // Depthwise: input and output channels go together, k outputs per input; `group` follows Cin.
  sliceAxis(w, 0, y.kept);
  if (node.input[2]) sliceAxis(editable(ctx, i, 2), 0, y.kept);
  attribute(node, "group")!.i = x.kept.length;
};

/**
 * A weight whose axis 0 follows the input channels and axis 1 the output channels (ConvTranspose
 * [Cin, Cout/g, k…], MatMul [K, N]), with an optional [Cout] bias at input 2.
 */
const inputMajorWeight = (withBias: boolean): OpSurgery => (ctx, i, node) => {
  const x = ctx.kept.get(node.input[0]!);
  const y = ctx.kept.get(node.output[0]!);
  if (!x && !y) return;
  const w = editable(ctx, i, 1);
  if (x) sliceAxis(w, 0, x.kept);
  if (y) sliceAxis(w, 1, y.kept);
  if (withBias && y && node.input[2]) sliceAxis(editable(ctx, i, 2), 0, y.kept);
};

const convTranspose = inputMajorWeight(true);

const gemm: OpSurgery = (ctx, i, node) => {
  const x = ctx.kept.get(node.input[0]!);
  const y = ctx.kept.get(node.output[0]!);
  if (!x && !y) return;
  const w = editable(ctx, i, 1);
  const transB = attrInt(node, "transB", 0) === 1;
  if (x) sliceAxis(w, transB ? 1 : 0, x.kept);
  if (y) sliceAxis(w, transB ? 0 : 1, y.kept);
  if (y && node.input[2]) {
    const dims = tensorDims(ctx.index.constantTensor(node.input[2])!);
    if (dims[dims.length - 1] === y.size) sliceAxis(editable(ctx, i, 2), dims.length - 1, y.kept);
  }
};

const matmul = inputMajorWeight(false);

const normalization: OpSurgery = (ctx, i, node, rule) => {
  const x = ctx.kept.get(node.input[0]!);
  if (!x) return;
  for (const p of rule.params ?? []) {
    if (node.input[p.input]) sliceAxis(editable(ctx, i, p.input), p.axis, x.kept);
  }
};

/** Constants broadcast against the output: slice those that hold one value per channel. */
const broadcastConstants: OpSurgery = (ctx, i, node) => {
  const y = ctx.kept.get(node.output[0]!);
  if (!y) return;
  node.input.forEach((name, slot) => {
    if (!name || ctx.kept.has(name)) return;
    const c = ctx.index.constantTensor(name);
    if (!c) return;
    const dims = tensorDims(c);
    const aligned = dims.length - (y.rank - y.axis);
    if (aligned >= 0 && dims[aligned] === y.size && y.size > 1) sliceAxis(editable(ctx, i, slot), aligned, y.kept);
  });
};

function splitSizes(ctx: SurgeryContext, node: NodeProto, x: KeptAxis): number[] {
  const fromAttr = attrInts(node, "split");
  if (fromAttr) return fromAttr;
  const input = ctx.opset >= 13 ? node.input[1] : undefined;
  const t = input ? ctx.index.constantTensor(input) : undefined;
  if (t && tensorDims(t)[0] !== 0) return readInts(t);
  // Equal split; opset 18's num_outputs makes the last chunk the smaller one.
  const n = node.output.length;
  const chunk = Math.ceil(x.size / n);
  return Array.from({ length: n }, (_, k) => (k < n - 1 ? chunk : x.size - chunk * (n - 1)));
}

const split: OpSurgery = (ctx, i, node) => {
  const x = ctx.kept.get(node.input[0]!);
  if (!x || normAxis(attrInt(node, "axis", 0), x.rank) !== x.axis) return;
  const sizes = splitSizes(ctx, node, x);
  let start = 0;
  const next = sizes.map((s) => {
    const n = x.kept.filter((p) => p >= start && p < start + s).length;
    start += s;
    return n;
  });
  if (next.some((n) => n === 0)) {
    throw new UnsupportedStructureError(`${ctx.source}: Split '${ctx.index.nodeName(i)}' would leave an empty output`);
  }
  const splitAttr = attribute(node, "split");
  if (splitAttr) splitAttr.ints = next;
  else if (ctx.opset < 13) node.attribute.push({ name: "split", type: 7, ints: next });
  else if (node.input[1]) writeInts(editable(ctx, i, 1), [next.length], next);
  else {
    const name = uniqueName(ctx.index, `${ctx.index.nodeName(i)}.split`);
    ctx.index.graph.initializer.push(makeInt64Tensor(name, [next.length], next));
    node.input[1] = name;
    node.attribute = node.attribute.filter((a) => a.name !== "num_outputs");
  }
};

function uniqueName(index: GraphIndex, base: string): string {
  let name = base;
  for (let k = 1; index.isDefined(name) || index.graph.initializer.some((t) => t.name === name); k++) name = `${base}_${k}`;
  return name;
}

const slice: OpSurgery = (ctx, i, node) => {
  const x = ctx.kept.get(node.input[0]!);
  if (!x) return;
  const old = ctx.opset < 10;
  const read = (attr: string, slot: number): number[] | undefined => {
    if (old) return attrInts(node, attr);
    const t = node.input[slot] ? ctx.index.constantTensor(node.input[slot]!) : undefined;
    return t ? readInts(t) : undefined;
  };
  const starts = read("starts", 1)!;
  const ends = read("ends", 2)!;
  const axes = (read("axes", 3) ?? starts.map((_, k) => k)).map((a) => normAxis(a, x.rank));
  const k = axes.indexOf(x.axis);
  if (k < 0) return;
  const clamp = (v: number): number => Math.min(Math.max(v < 0 ? v + x.size : v, 0), x.size);
  const from = clamp(starts[k]!);
  const to = Math.max(clamp(ends[k]!), from);
  const newFrom = countBelow(x.kept, from);
  const newTo = countBelow(x.kept, to);
  const write = (attr: string, slot: number, values: number[], v: number): void => {
    values[k] = v;
    if (old) attribute(node, attr)!.ints = values;
    else writeInts(editable(ctx, i, slot), [values.length], values);
  };
  if (from > 0) write("starts", 1, starts, newFrom);
  if (to < x.size) write("ends", 2, ends, newTo);
};

const reshape: OpSurgery = (ctx, i, node) => {
  const y = ctx.kept.get(node.output[0]!);
  if (!y || node.opType !== "Reshape") return;
  const shape = ctx.index.constantTensor(node.input[1]!);
  const values = shape ? readInts(shape) : [];
  if ((values[y.axis] ?? 0) <= 0) return; // -1 and 0 follow the input by themselves
  values[y.axis] = y.kept.length;
  writeInts(editable(ctx, i, 1), [values.length], values);
};

const resize: OpSurgery = (ctx, i, node) => {
  const y = ctx.kept.get(node.output[0]!);
  const sizesName = node.input[3];
  if (!y || !sizesName) return;
  const t = ctx.index.constantTensor(sizesName);
  if (!t || tensorDims(t)[0] === 0) return;
  const axes = attrInts(node, "axes")?.map((a) => normAxis(a, y.rank)) ?? Array.from({ length: y.rank }, (_, k) => k);
  const k = axes.indexOf(y.axis);
  if (k < 0) return;
  const values = readInts(t);
  values[k] = y.kept.length;
  writeInts(editable(ctx, i, 3), [values.length], values);
};

const none: OpSurgery = () => {};

export const OP_SURGERY: Readonly<Record<RuleKind, OpSurgery>> = {
  conv, convTranspose, gemm, matmul,
  elementwise: none, normalization, prelu: broadcastConstants, pool: none, maxpool: none, pad: none,
  resize, softmax: none, layerNorm: none, reduce: none,
  coupler: broadcastConstants,
  concat: none, split, slice, reshape, transpose: none, shape: none,
};
