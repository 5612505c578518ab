/**
 * One handler per rule kind: how a node's outputs get their channel layouts, what it couples,
 * and when it freezes. Conditions come from the ONNX operator specs (opset 7..23).
 */
import { attribute, attrInt, attrInts } from "../graph/graph-index.js";
import type { NodeProto } from "../onnx/proto.js";
import { readFloats, tensorDims } from "../onnx/tensor.js";
import { constantInts, constantUsers, intsSetting, normAxis, product } from "./constants.js";
import { concatenated, cut, scaled, singleSource, withAxis, type Layout } from "./layout.js";
import type { OpRule, RuleKind } from "./op-rules.js";
import type { Walk } from "./walk.js";

export type Handler = (w: Walk, i: number, node: NodeProto, rule: OpRule) => void;

/**
 * Reason text when a per-channel parameter is not a constant. Constants shared with other nodes
 * are fine: surgery edits a private copy (exporters deduplicate equal biases and BN params).
 */
function notConstant(w: Walk, i: number, names: readonly (string | undefined)[]): string | undefined {
  for (const name of names) {
    if (name && !w.index.constantTensor(name)) return `parameter '${name}' of ${w.where(i)} is computed at run time`;
  }
  return undefined;
}

/** A weight tied between two compute nodes cannot lose channels for one of them only. */
function sharedWeight(w: Walk, i: number, name: string | undefined): string | undefined {
  if (!name) return undefined;
  const users = constantUsers(w.index, name).filter((u) => u !== i);
  if (users.length === 0) return undefined;
  return `weight '${name}' of ${w.where(i)} is shared with ${users.map((u) => `'${w.name(u)}'`).join(", ")}`;
}

/** Input x on channel axis 1 when the rule requires it; freezes otherwise. */
function channelInput(w: Walk, i: number, node: NodeProto, rule: OpRule): Layout | undefined {
  const x = w.layout(node.input[0]);
  if (!x) return undefined;
  if (rule.axis1 && x.axis !== 1) {
    w.freeze(x, `${w.where(i)} needs channels on axis 1, '${node.input[0]}' has them on axis ${x.axis}`);
    return undefined;
  }
  // A channel tensor in any other slot (a parameter computed from activations): not mapped.
  node.input.forEach((name, k) => {
    if (k > 0) w.freeze(w.layout(name), `${w.where(i)} reads channel tensor '${name}' as input ${k}`);
  });
  return x;
}

/**
 * Constant inputs broadcast against a channel layout: per-channel ones (dim = C on the aligned
 * axis) are sliced by surgery, so they must be owned; size-1 dims broadcast and stay untouched.
 */
function checkBroadcast(w: Walk, i: number, node: NodeProto, x: Layout, slots: readonly number[]): boolean {
  for (const k of slots) {
    const name = node.input[k];
    if (!name || w.layout(name)) continue;
    const c = w.index.constantTensor(name);
    const dims = c ? tensorDims(c) : w.hasShape(name) ? w.shape(name) : undefined;
    if (!dims) {
      w.freeze(x, `${w.where(i)}: shape of input '${name}' unknown`);
      return false;
    }
    const aligned = dims.length - (x.rank - x.axis);
    const d = aligned >= 0 ? dims[aligned]! : 1;
    if (d === 1) continue;
    if (d !== x.size) {
      w.freeze(x, `${w.where(i)}: input '${name}' has ${d} entries on the channel axis, not ${x.size}`);
      return false;
    }
    if (!c) {
      w.freeze(x, `${w.where(i)}: per-channel input '${name}' is computed but not channel-tracked`);
      return false;
    }
    w.members.push({ node: i, kind: "constant", tensor: node.output[0]!, output: node.output[0]! });
  }
  return true;
}

const elementwise: Handler = (w, i, node, rule) => {
  const x = channelInput(w, i, node, rule);
  if (!x) return;
  // Dropout's mask output follows the data output's channels too.
  w.carry(i, x, node.output.map((_, k) => k));
};

const normalization: Handler = (w, i, node, rule) => {
  const x = channelInput(w, i, node, rule);
  if (!x) return;
  const params = (rule.params ?? []).map((p) => node.input[p.input]);
  const reason = notConstant(w, i, params);
  if (reason) w.freeze(x, reason);
  w.members.push({ node: i, kind: rule.kind, tensor: node.input[0]!, output: node.output[0]! });
  w.carry(i, x);
};

const prelu: Handler = (w, i, node, rule) => {
  const x = w.layout(node.input[0]);
  if (!x) return;
  checkBroadcast(w, i, node, x, rule.broadcast ?? []);
  w.carry(i, x);
};

const maxpool: Handler = (w, i, node, rule) => {
  const x = channelInput(w, i, node, rule);
  if (!x) return;
  const indices = node.output[1];
  // Indices address the flattened N×C×H×W input: they change when channels go.
  if (indices && (w.index.consumersOf(indices).length > 0 || w.index.isGraphOutput(indices))) {
    w.freeze(x, `${w.where(i)}: its indices output '${indices}' is used`);
    return;
  }
  w.carry(i, x);
};

const pad: Handler = (w, i, node, rule) => {
  const x = channelInput(w, i, node, rule);
  if (!x) return;
  const pads = w.opset < 11 ? attrInts(node, "pads") : constantInts(w.index, node.input[1]);
  const axes = constantInts(w.index, node.input[3]);
  if (pads === "dynamic" || pads === undefined || axes === "dynamic") {
    w.freeze(x, `${w.where(i)}: pads are not constant`);
    return;
  }
  const axisList = axes ? axes.map((a) => normAxis(a, x.rank)) : Array.from({ length: x.rank }, (_, k) => k);
  const k = axisList.indexOf(x.axis);
  if (k >= 0 && (pads[k] !== 0 || pads[k + axisList.length] !== 0)) {
    w.freeze(x, `${w.where(i)} pads the channel axis`);
    return;
  }
  w.carry(i, x);
};

const resize: Handler = (w, i, node, rule) => {
  const x = channelInput(w, i, node, rule);
  if (!x) return;
  const op = node.opType;
  const attrScales = attributeFloats(node, "scales");
  let scales: number[] | undefined | "dynamic";
  let sizesName: string | undefined;
  if (attrScales) scales = attrScales;
  else if (op === "Upsample" || w.opset < 11) scales = floatsInput(w, node.input[1]);
  else {
    scales = floatsInput(w, node.input[2]);
    sizesName = node.input[3];
  }
  const axesAttr = attrInts(node, "axes");
  const axisList = axesAttr ? axesAttr.map((a) => normAxis(a, x.rank)) : Array.from({ length: x.rank }, (_, k) => k);
  const k = axisList.indexOf(x.axis);
  if (scales === "dynamic") {
    w.freeze(x, `${w.where(i)}: scales are computed at run time`);
    return;
  }
  if (scales) {
    if (k >= 0 && scales[k] !== 1) {
      w.freeze(x, `${w.where(i)} scales the channel axis by ${scales[k]}`);
      return;
    }
  } else {
    const sizes = constantInts(w.index, sizesName);
    if (sizes === undefined || sizes === "dynamic") {
      w.freeze(x, `${w.where(i)}: output sizes are computed at run time`);
      return;
    }
    if (k >= 0) {
      if (sizes[k] !== x.size) {
        w.freeze(x, `${w.where(i)} resizes the channel axis`);
        return;
      }
      w.members.push({ node: i, kind: "resize", tensor: node.input[0]!, output: node.output[0]! });
    }
  }
  w.carry(i, x);
};

function attributeFloats(node: NodeProto, name: string): number[] | undefined {
  const a = node.attribute.find((t) => t.name === name);
  return a ? a.floats ?? [] : undefined;
}

function floatsInput(w: Walk, name: string | undefined): number[] | undefined | "dynamic" {
  if (!name) return undefined;
  const t = w.index.constantTensor(name);
  if (!t) return "dynamic";
  const v = readFloats(t);
  return v.length === 0 ? undefined : Array.from(v);
}

const softmax: Handler = (w, i, node, rule) => {
  const x = channelInput(w, i, node, rule);
  if (!x) return;
  // Before opset 13 the op works on the input coerced to 2-D at `axis`: all axes from it on mix.
  const axis = normAxis(attrInt(node, "axis", w.opset < 13 ? 1 : -1), x.rank);
  if (w.opset < 13 ? x.axis >= axis : x.axis === axis) {
    w.freeze(x, `${w.where(i)} normalises over the channel axis`);
    return;
  }
  w.carry(i, x);
};

const layerNorm: Handler = (w, i, node, rule) => {
  const x = channelInput(w, i, node, rule);
  if (!x) return;
  const axis = normAxis(attrInt(node, "axis", -1), x.rank);
  if (x.axis >= axis) {
    w.freeze(x, `${w.where(i)} normalises over the channel axis (axis=${axis})`);
    return;
  }
  w.carry(i, x);
};

const reduce: Handler = (w, i, node, rule) => {
  const x = channelInput(w, i, node, rule);
  if (!x) return;
  const axes = intsSetting(w.index, node, "axes", 1);
  if (axes === "dynamic") {
    w.freeze(x, `${w.where(i)}: reduction axes are computed at run time`);
    return;
  }
  const keep = attrInt(node, "keepdims", 1) === 1;
  if (!axes || axes.length === 0) {
    if (attrInt(node, "noop_with_empty_axes", 0) === 1) w.carry(i, x);
    else w.freeze(x, `${w.where(i)} reduces over all axes, the channel axis included`);
    return;
  }
  const list = axes.map((a) => normAxis(a, x.rank));
  if (list.includes(x.axis)) {
    w.freeze(x, `${w.where(i)} reduces over the channel axis`);
    return;
  }
  const axis = keep ? x.axis : x.axis - list.filter((a) => a < x.axis).length;
  w.set(node.output[0], withAxis(x, axis, keep ? x.rank : x.rank - list.length));
};

const coupler: Handler = (w, i, node, rule) => {
  const out = node.output[0];
  if (!out) return;
  const tracked = node.input.map((name) => w.layout(name));
  if (tracked.every((l) => !l)) return;
  const rank = w.shape(out).length;
  const outDims = w.shape(out);
  const reason = `coupled by ${w.where(i)} with a tensor that cannot follow`;
  // Tracked inputs that broadcast (one channel against C) are not coupled: their own groups have < 2 channels.
  const coupled: { layout: Layout; axis: number }[] = [];
  tracked.forEach((l, k) => {
    if (!l) return;
    const axis = l.axis + (rank - l.rank);
    if (w.shape(node.input[k]!)[l.axis] === outDims[axis]) coupled.push({ layout: l, axis });
    else w.freeze(l, `${w.where(i)} broadcasts '${node.input[k]}' over another tensor's channels`);
  });
  if (coupled.length === 0) return;
  const first = coupled[0]!;
  if (coupled.some((c) => c.axis !== first.axis)) {
    for (const c of coupled) w.freeze(c.layout, `${w.where(i)} combines channel axes that do not line up`);
    return;
  }
  const base = withAxis(first.layout, first.axis, rank);
  for (const c of coupled.slice(1)) w.couple(first.layout, c.layout, `${w.where(i)} couples misaligned channel layouts`);
  // Untracked inputs: constants (sliced when per-channel) or computed tensors (freeze if per-channel).
  const rest = node.input.map((_, k) => k).filter((k) => !tracked[k]);
  if (!checkBroadcast(w, i, node, base, rest)) w.freeze(base, reason);
  w.set(out, base);
  // A sum of two or more branches of the same channels: the group is a residual stream.
  if (rule.residual && coupled.length >= 2) w.members.push({ node: i, kind: "residual", tensor: out, output: out });
};

const concat: Handler = (w, i, node) => {
  const out = node.output[0];
  if (!out || node.input.every((n) => !w.layout(n))) return;
  const rank = w.shape(out).length;
  const axis = normAxis(attrInt(node, "axis", 1), rank);
  const layouts = node.input.map((n) => w.layout(n));
  const tracked = layouts.filter((l): l is Layout => l !== undefined);
  const untracked = (name: string): string => `input '${name}' of ${w.where(i)} is not channel-tracked`;
  if (tracked.every((l) => l.axis === axis)) {
    // Channel-axis concat: each input's channels sit at its offset in the output.
    const parts = node.input.map((n, k) => layouts[k] ?? w.orFrozen(n, axis, untracked(n)));
    w.set(out, concatenated(parts, axis, rank));
    return;
  }
  const first = tracked[0]!;
  if (tracked.some((l) => l.axis !== first.axis || l.axis === axis)) {
    for (const l of tracked) w.freeze(l, `${w.where(i)} concatenates tensors whose channel axes differ`);
    return;
  }
  // Concat along another axis (e.g. spatial): every input shares the output's channel positions.
  node.input.forEach((n, k) => {
    const l = layouts[k] ?? w.orFrozen(n, first.axis, untracked(n));
    if (l !== first) w.couple(first, l, `${w.where(i)} joins misaligned channel layouts`);
  });
  w.set(out, withAxis(first, first.axis, rank));
};

const split: Handler = (w, i, node, rule) => {
  const x = channelInput(w, i, node, rule);
  if (!x) return;
  const axis = normAxis(attrInt(node, "axis", 0), x.rank);
  if (axis !== x.axis) {
    w.carry(i, x, node.output.map((_, k) => k));
    return;
  }
  if (w.opset >= 13 && node.input[1] && !w.index.constantTensor(node.input[1])) {
    w.freeze(x, `${w.where(i)}: split sizes are computed at run time`);
    return;
  }
  const parts: Layout[] = [];
  let start = 0;
  for (const out of node.output) {
    const size = w.shape(out)[axis]!;
    const part = cut(x, start, start + size);
    if (!part) {
      w.freeze(x, `${w.where(i)} splits inside a channel's block of positions`);
      return;
    }
    parts.push(part);
    start += size;
  }
  node.output.forEach((out, k) => w.set(out, parts[k]!));
  w.members.push({ node: i, kind: "split", tensor: node.input[0]!, output: node.output[0]! });
};

const slice: Handler = (w, i, node, rule) => {
  const x = channelInput(w, i, node, rule);
  if (!x) return;
  const old = w.opset < 10;
  const starts = old ? attrInts(node, "starts") : constantInts(w.index, node.input[1]);
  const ends = old ? attrInts(node, "ends") : constantInts(w.index, node.input[2]);
  const axes = old ? attrInts(node, "axes") : constantInts(w.index, node.input[3]);
  const steps = old ? undefined : constantInts(w.index, node.input[4]);
  if (starts === "dynamic" || ends === "dynamic" || axes === "dynamic" || steps === "dynamic" || !starts || !ends) {
    w.freeze(x, `${w.where(i)}: slice bounds are computed at run time`);
    return;
  }
  const axisList = (axes ?? starts.map((_, k) => k)).map((a) => normAxis(a, x.rank));
  const k = axisList.indexOf(x.axis);
  if (k < 0) {
    w.carry(i, x);
    return;
  }
  if ((steps?.[k] ?? 1) !== 1) {
    w.freeze(x, `${w.where(i)} slices the channel axis with step ${steps?.[k]}`);
    return;
  }
  const clamp = (v: number): number => Math.min(Math.max(v < 0 ? v + x.size : v, 0), x.size);
  const from = clamp(starts[k]!);
  const to = Math.max(clamp(ends[k]!), from);
  const part = cut(x, from, to);
  if (!part) {
    w.freeze(x, `${w.where(i)} slices inside a channel's block of positions`);
    return;
  }
  w.set(node.output[0], part);
  w.members.push({ node: i, kind: "slice", tensor: node.input[0]!, output: node.output[0]! });
};

/**
 * Where the channel axis goes through a reshape: the output axis b whose prefix holds the same
 * outer elements, and the factor f of contiguous elements per channel (f = H·W for a Flatten).
 */
export function mapReshapeAxis(input: readonly number[], axis: number, output: readonly number[]): { axis: number; factor: number } | undefined {
  const outer = product(input.slice(0, axis));
  const inner = product(input.slice(axis + 1));
  for (let b = 0; b < output.length; b++) {
    if (product(output.slice(0, b)) !== outer) continue;
    const innerOut = product(output.slice(b + 1));
    if (innerOut === 0 || inner % innerOut !== 0) continue;
    const factor = inner / innerOut;
    if (output[b] === input[axis]! * factor) return { axis: b, factor };
  }
  return undefined;
}

const reshape: Handler = (w, i, node, rule) => {
  const x = channelInput(w, i, node, { ...rule });
  if (!x) return;
  const out = node.output[0]!;
  // Shapes first: a channel shuffle is named as such even when its target shape is computed.
  const map = mapReshapeAxis(w.shape(node.input[0]!), x.axis, w.shape(out));
  if (!map) {
    w.freeze(x, `${w.where(i)} splits or merges the channel axis (e.g. a channel shuffle)`);
    return;
  }
  if (node.opType === "Reshape" && !w.index.constantTensor(node.input[1] ?? "")) {
    w.freeze(x, `${w.where(i)} has a dynamic shape (input '${node.input[1]}' is computed at run time)`);
    return;
  }
  if (node.opType === "Reshape") {
    const shape = constantInts(w.index, node.input[1]);
    const v = Array.isArray(shape) ? shape[map.axis] : undefined;
    if (v === 0 && (map.axis !== x.axis || map.factor !== 1)) {
      w.freeze(x, `${w.where(i)} copies a non-channel dim onto the channel axis (0 in its shape)`);
      return;
    }
    if (v !== undefined && v > 0) {
      w.members.push({ node: i, kind: "reshape", tensor: node.input[0]!, output: out });
    }
  }
  w.set(out, scaled(x, map.factor, map.axis, w.shape(out).length));
};

const transpose: Handler = (w, i, node, rule) => {
  const x = channelInput(w, i, node, rule);
  if (!x) return;
  const perm = attrInts(node, "perm") ?? Array.from({ length: x.rank }, (_, k) => x.rank - 1 - k);
  w.set(node.output[0], withAxis(x, perm.indexOf(x.axis), x.rank));
};

/**
 * Shape/Size read only sizes. Reading the batch or spatial dims (Gather/Slice of the shape away
 * from the channel axis, as in x.view(x.size(0), -1)) is harmless; any other use of the channel
 * count could bake it into a computation we cannot follow, so it freezes.
 */
const passive: Handler = (w, i, node) => {
  const x = w.layout(node.input[0]);
  if (!x) return;
  const out = node.output[0];
  if (!out) return;
  if (node.opType === "Shape") {
    const from = normAxis(attrInt(node, "start", 0), x.rank);
    const end = attribute(node, "end") === undefined ? x.rank : normAxis(attrInt(node, "end", x.rank), x.rank);
    if (x.axis < from || x.axis >= end) return;
    const pos = x.axis - from;
    const safe = w.index.consumersOf(out).every((u) => {
      const user = w.index.nodes[u.node]!;
      if (u.input !== 0) return false;
      if (user.opType === "Gather") {
        const idx = constantInts(w.index, user.input[1]);
        return Array.isArray(idx) && !idx.some((k) => normAxis(k, end - from) === pos);
      }
      if (user.opType === "Slice" && w.opset >= 10) {
        const st = constantInts(w.index, user.input[1]);
        const en = constantInts(w.index, user.input[2]);
        if (!Array.isArray(st) || !Array.isArray(en) || st.length !== 1 || user.input[4]) return false;
        const n = end - from;
        const clamp = (v: number): number => Math.min(Math.max(v < 0 ? v + n : v, 0), n);
        return pos < clamp(st[0]!) || pos >= clamp(en[0]!);
      }
      return false;
    });
    if (safe && !w.index.isGraphOutput(out)) return;
  }
  w.deferred.push({ layout: x, reason: `${w.where(i)} reads the channel count of '${node.input[0]}' into a computation` });
};

// ---- producers -------------------------------------------------------------------------------

function producerOutput(w: Walk, i: number, node: NodeProto, weightAxis: number, channelAxis: number, frozen?: string): void {
  const y = node.output[0]!;
  const dims = w.shape(y);
  const channels = dims[channelAxis]!;
  const src = w.sources.create(channels, frozen);
  const bias = node.opType === "MatMul" ? undefined : node.input[2] || undefined;
  w.producers.push({ node: i, src, weight: node.input[1]!, weightAxis, bias, output: y });
  w.set(y, singleSource(src, channels, channelAxis, dims.length));
}

/** A weight read by this node only and a constant bias, or a frozen reason. */
function weightReason(w: Walk, i: number, node: NodeProto): string | undefined {
  return sharedWeight(w, i, node.input[1]) ?? (node.opType === "MatMul" ? undefined : notConstant(w, i, [node.input[2]]));
}

function consumerInput(w: Walk, i: number, node: NodeProto, axis: number, reason?: string): void {
  const x = w.layout(node.input[0]);
  if (!x) return;
  if (x.axis !== axis) {
    w.freeze(x, `${w.where(i)} reads '${node.input[0]}' on axis ${axis}, its channels are on axis ${x.axis}`);
    return;
  }
  if (reason) w.freeze(x, reason);
  w.consumers.push({ node: i, input: 0, tensor: node.input[0]! });
}

function unknownWeight(w: Walk, i: number, node: NodeProto): boolean {
  if (w.index.constantTensor(node.input[1] ?? "")) return false;
  w.freezeInputs(i, `${w.where(i)}: weight '${node.input[1]}' is computed at run time`);
  return true;
}

const conv: Handler = (w, i, node) => {
  if (unknownWeight(w, i, node)) return;
  const x = node.input[0]!;
  const group = attrInt(node, "group", 1);
  const cin = w.shape(x)[1]!;
  const cout = w.shape(node.input[1]!)[0]!;
  const shared = weightReason(w, i, node);
  // Depthwise: one input channel per conv group; output channel o reads input o / k. Not group 1
  // (a conv with a single output channel is an ordinary conv, cf. Torch-Pruning issue #126).
  if (group > 1 && group === cin && cout % cin === 0) {
    let l = w.layout(x) ?? w.orFrozen(x, 1, `input '${x}' of depthwise ${w.where(i)} is not channel-tracked`);
    if (l.axis !== 1) {
      w.freeze(l, `${w.where(i)} needs channels on axis 1`);
      l = w.orFrozen(node.output[0]!, 1, `${w.where(i)} reads channels off axis 1`);
      w.set(node.output[0], l);
      return;
    }
    if (shared) w.freeze(l, shared);
    const y = node.output[0]!;
    w.set(y, scaled(l, cout / cin, 1, w.shape(y).length));
    w.members.push({ node: i, kind: "depthwise", tensor: y, output: y });
    return;
  }
  const frozen = group > 1 ? `grouped ${w.where(i)} (group=${group}) ties channels in blocks` : shared;
  consumerInput(w, i, node, 1, frozen);
  producerOutput(w, i, node, 0, 1, frozen);
};

const convTranspose: Handler = (w, i, node) => {
  if (unknownWeight(w, i, node)) return;
  const group = attrInt(node, "group", 1);
  const frozen = group > 1 ? `grouped ${w.where(i)} (group=${group}) ties channels in blocks` : weightReason(w, i, node);
  consumerInput(w, i, node, 1, frozen);
  producerOutput(w, i, node, 1, 1, frozen);
};

const gemm: Handler = (w, i, node) => {
  if (unknownWeight(w, i, node)) return;
  const transB = attrInt(node, "transB", 0) === 1;
  const transA = attrInt(node, "transA", 0) === 1;
  let frozen = weightReason(w, i, node);
  const c = node.input[2];
  if (c && !w.index.constantTensor(c)) frozen ??= `${w.where(i)}: bias '${c}' is computed at run time`;
  consumerInput(w, i, node, transA ? 0 : 1, frozen);
  producerOutput(w, i, node, transB ? 0 : 1, 1, frozen);
};

const matmul: Handler = (w, i, node) => {
  const wt = w.index.constantTensor(node.input[1] ?? "");
  if (!wt || tensorDims(wt).length !== 2) {
    w.freezeInputs(i, `${w.where(i)} multiplies by '${node.input[1]}', not a constant 2-D weight`);
    return;
  }
  const rank = w.shape(node.output[0]!).length;
  const frozen = weightReason(w, i, node);
  consumerInput(w, i, node, w.shape(node.input[0]!).length - 1, frozen);
  producerOutput(w, i, node, 1, rank - 1, frozen);
};

export const HANDLERS: Readonly<Record<RuleKind, Handler>> = {
  conv, convTranspose, gemm, matmul,
  elementwise, normalization, prelu, pool: elementwise, maxpool, pad, resize, softmax, layerNorm, reduce,
  coupler,
  concat, split, slice, reshape, transpose,
  shape: passive,
};
