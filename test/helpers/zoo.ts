/**
 * The synthetic fixture zoo: small graphs covering every structure the channel-group rules handle
 * (and the ones they must freeze). Input 1×3×16×16 unless stated; seeded weights.
 */
import type { ModelProto } from "../../src/onnx/proto.js";
import { classifierHead, convBnAct, ModelBuilder, relu6, silu } from "./model-builder.js";

export interface ZooModel {
  name: string;
  model: ModelProto;
  inputShape: number[];
  /** Groups that must stay frozen because of a structure the fixture is about (by label). */
  mustFreeze?: string[];
}

const SHAPE = [1, 3, 16, 16];

function start(seed: number, channels = 3, hw = 16): { b: ModelBuilder; x: string } {
  const b = new ModelBuilder(seed);
  const x = b.input("input", ["N", channels, hw, hw]);
  return { b, x };
}

function finish(b: ModelBuilder, y: string, name: string): ModelProto {
  b.output(y);
  return b.build(name);
}

function chain(): ModelProto {
  const { b, x } = start(1);
  let y = convBnAct(b, x, { out: 8, name: "c1" });
  y = convBnAct(b, y, { out: 12, name: "c2" }, "LeakyRelu", { alpha: { float: 0.1 } });
  y = b.op1("MaxPool", [y], { kernel_shape: [2, 2], strides: [2, 2] });
  y = convBnAct(b, y, { out: 16, name: "c3" });
  return finish(b, classifierHead(b, y), "chain");
}

function bnFolded(): ModelProto {
  const { b, x } = start(2);
  let y = b.relu(b.conv(x, { out: 8, name: "c1" }));
  y = b.op1("Elu", [b.conv(y, { out: 10, name: "c2" })]);
  y = b.op1("AveragePool", [y], { kernel_shape: [2, 2], strides: [2, 2] });
  y = b.op1("Tanh", [b.conv(y, { out: 12, name: "c3" })]);
  return finish(b, classifierHead(b, y), "bn_folded");
}

function residual(): ModelProto {
  const { b, x } = start(3);
  const stem = convBnAct(b, x, { out: 8, name: "stem" });
  // projection block: 8 → 16 with a 1×1 conv shortcut
  let y = convBnAct(b, stem, { out: 12, name: "b1.c1", stride: 2 });
  y = convBnAct(b, y, { out: 16, name: "b1.c2" }, "");
  const sc = convBnAct(b, stem, { out: 16, name: "b1.down", kernel: 1, stride: 2, pad: 0 }, "");
  let r = b.relu(b.op1("Add", [y, sc]));
  // identity blocks: the residual stream becomes one group with b1.c2 and b1.down
  for (const k of [2, 3]) {
    const h = convBnAct(b, r, { out: 10, name: `b${k}.c1` });
    const o = convBnAct(b, h, { out: 16, name: `b${k}.c2` }, "");
    r = b.relu(b.op1("Add", [r, o]));
  }
  return finish(b, classifierHead(b, r), "residual");
}

function denseBlock(): ModelProto {
  const { b, x } = start(4);
  let feat = b.conv(x, { out: 8, name: "stem" });
  for (let k = 0; k < 3; k++) {
    const h = b.conv(b.relu(b.batchNorm(feat)), { out: 4, name: `dense${k}` });
    const cat = b.op1("Concat", [feat, h], { axis: 1 });
    feat = b.setChannels(cat, b.channelsOf(feat) + 4);
  }
  let t = b.conv(b.relu(b.batchNorm(feat)), { out: 10, kernel: 1, pad: 0, name: "transition" });
  t = b.op1("AveragePool", [t], { kernel_shape: [2, 2], strides: [2, 2] });
  return finish(b, classifierHead(b, t), "dense_block");
}

function depthwiseSeparable(): ModelProto {
  const { b, x } = start(5);
  let y = convBnAct(b, x, { out: 8, name: "stem" });
  y = convBnAct(b, y, { out: 8, group: 8, name: "dw1" });
  y = convBnAct(b, y, { out: 12, kernel: 1, pad: 0, name: "pw1" });
  // channel multiplier 2: 12 → 24, each input channel feeds two outputs
  y = convBnAct(b, y, { out: 24, group: 12, name: "dw2", stride: 2 });
  y = convBnAct(b, y, { out: 16, kernel: 1, pad: 0, name: "pw2" });
  return finish(b, classifierHead(b, y), "depthwise_separable");
}

function invertedResidual(): ModelProto {
  const { b, x } = start(6);
  b.opset = 13;
  let r = convBnAct(b, x, { out: 8, name: "stem" }, "");
  r = relu6(b, r);
  r = convBnAct(b, r, { out: 8, kernel: 1, pad: 0, name: "proj0" }, "");
  for (const k of [1, 2]) {
    let h = relu6(b, convBnAct(b, r, { out: 24, kernel: 1, pad: 0, name: `ir${k}.expand` }, ""));
    h = relu6(b, convBnAct(b, h, { out: 24, group: 24, name: `ir${k}.dw` }, ""));
    h = convBnAct(b, h, { out: 8, kernel: 1, pad: 0, name: `ir${k}.project` }, "");
    r = b.op1("Add", [r, h]);
  }
  return finish(b, classifierHead(b, r), "inverted_residual");
}

function seBlock(gate: "Sigmoid" | "HardSigmoid"): ModelProto {
  const { b, x } = start(gate === "Sigmoid" ? 7 : 8);
  b.opset = 14; // HardSwish
  let y = convBnAct(b, x, { out: 12, name: "c1" });
  for (const k of [1, 2]) {
    // PyTorch's SE: pool → fc1 (conv 1×1) → act → fc2 → gate → scale the main tensor
    const pooled = k === 1 ? b.op1("GlobalAveragePool", [y]) : b.op1("ReduceMean", [y], { axes: [2, 3], keepdims: 1 });
    const s1 = b.relu(b.conv(pooled, { out: 4, kernel: 1, pad: 0, name: `se${k}.fc1` }));
    const s2 = b.conv(s1, { out: 12, kernel: 1, pad: 0, name: `se${k}.fc2` });
    const g = gate === "Sigmoid" ? b.op1("Sigmoid", [s2]) : b.op1("HardSigmoid", [s2], { alpha: { float: 1 / 6 } });
    y = b.op1("Mul", [y, g]);
    y = convBnAct(b, y, { out: 12, name: `c${k + 1}` }, k === 1 ? "HardSwish" : "Relu");
  }
  return finish(b, classifierHead(b, y), gate === "Sigmoid" ? "se_sigmoid" : "se_hardsigmoid");
}

function mlpHead(): ModelProto {
  const { b, x } = start(9);
  let y = convBnAct(b, x, { out: 8, name: "c1", stride: 2 });
  y = convBnAct(b, y, { out: 6, name: "c2", stride: 2 }); // 6×4×4
  const f = b.setChannels(b.op1("Flatten", [y], { axis: 1 }), 96); // channel c → features 16c … 16c+15
  let h = b.relu(b.gemm(f, 96, 20, "fc1"));
  h = b.op1("Dropout", [h]);
  // transB = 0 Gemm and a MatMul + Add(bias) pair, as some exporters write Linear
  const w2 = b.weight("fc2.weight", [20, 14], 0.3);
  const h2 = b.setChannels(b.op("Gemm", [h, w2, b.weight("fc2.bias", [14], 0.1)], {}, { name: "fc2" })[0]!, 14);
  const h3 = b.op1("Relu", [h2]);
  const mm = b.setChannels(b.op("MatMul", [h3, b.weight("fc3.weight", [14, 10], 0.3)], {}, { name: "fc3" })[0]!, 10);
  const biased = b.op1("Add", [mm, b.weight("fc3.bias", [10], 0.1)]);
  const r = b.op1("Relu", [biased]);
  const out = b.op("MatMul", [r, b.weight("fc4.weight", [10, 5], 0.3)], {}, { name: "fc4" })[0]!;
  return finish(b, out, "mlp_head");
}

function splitChannels(): ModelProto {
  const { b, x } = start(10);
  b.opset = 13;
  const y = convBnAct(b, x, { out: 12, name: "c1" });
  const [p, q] = b.op("Split", [y, b.intConstant("split_sizes", [4, 8])], { axis: 1 }, { name: "split", outputs: 2 }) as [string, string];
  b.setChannels(p, 4);
  b.setChannels(q, 8);
  const pb = convBnAct(b, p, { out: 6, name: "branch_a" });
  const qb = convBnAct(b, q, { out: 6, name: "branch_b" });
  // Slice of the channel axis too: channels 2..10 of another conv
  const z = convBnAct(b, x, { out: 12, name: "c2" });
  const sl = b.setChannels(b.op1("Slice", [z, b.intConstant("sl_starts", [2]), b.intConstant("sl_ends", [10]), b.intConstant("sl_axes", [1])]), 8);
  const cat = b.setChannels(b.op1("Concat", [pb, qb, sl], { axis: 1 }), 20);
  // equal split without sizes (opset 13: no split input)
  const [e1, e2] = b.op("Split", [convBnAct(b, cat, { out: 10, name: "c3" })], { axis: 1 }, { name: "split_equal", outputs: 2 }) as [string, string];
  b.setChannels(e1, 5);
  b.setChannels(e2, 5);
  // swapped halves: each half keeps its own positions in the new order
  const swapped = b.setChannels(b.op1("Concat", [e2, e1], { axis: 1 }), 10);
  return finish(b, classifierHead(b, convBnAct(b, swapped, { out: 8, name: "c4" })), "split_channels");
}

function groupedConv(): ModelProto {
  const { b, x } = start(11);
  let y = convBnAct(b, x, { out: 8, name: "c1" });
  y = convBnAct(b, y, { out: 8, group: 2, name: "g2" });
  y = convBnAct(b, y, { out: 16, kernel: 1, pad: 0, name: "c2" });
  y = convBnAct(b, y, { out: 16, group: 4, name: "g4" });
  y = convBnAct(b, y, { out: 12, name: "c3" });
  return finish(b, classifierHead(b, y), "grouped_conv");
}

function channelShuffle(): ModelProto {
  const { b, x } = start(12);
  const y = convBnAct(b, x, { out: 8, name: "c1" });
  const r1 = b.op1("Reshape", [y, b.intConstant("shuffle_shape1", [1, 2, 4, 16, 16])]);
  const t = b.op1("Transpose", [r1], { perm: [0, 2, 1, 3, 4] });
  const r2 = b.setChannels(b.op1("Reshape", [t, b.intConstant("shuffle_shape2", [1, 8, 16, 16])]), 8);
  const z = convBnAct(b, r2, { out: 10, name: "c2" });
  return finish(b, classifierHead(b, z), "channel_shuffle");
}

function unet(): ModelProto {
  const { b, x } = start(13);
  const e1 = convBnAct(b, x, { out: 8, name: "enc1" });
  const p = b.op1("MaxPool", [e1], { kernel_shape: [2, 2], strides: [2, 2] });
  const e2 = convBnAct(b, p, { out: 16, name: "enc2" });
  const up = b.relu(b.convTranspose(e2, { out: 8, kernel: 2, stride: 2, name: "up" }));
  const cat = b.setChannels(b.op1("Concat", [up, e1], { axis: 1 }), 16);
  const d = convBnAct(b, cat, { out: 8, name: "dec1" });
  return finish(b, b.conv(d, { out: 2, kernel: 1, pad: 0, name: "logits" }), "unet");
}

function fpn(): ModelProto {
  const { b, x } = start(14);
  const c3 = convBnAct(b, x, { out: 8, name: "c3" });
  const c4 = convBnAct(b, c3, { out: 16, name: "c4", stride: 2 });
  const l4 = b.conv(c4, { out: 12, kernel: 1, pad: 0, name: "lat4" });
  const l3 = b.conv(c3, { out: 12, kernel: 1, pad: 0, name: "lat3" });
  const scales = b.constant("up_scales", [4], [1, 1, 2, 2]);
  const up = b.op1("Resize", [l4, "", scales], { mode: "nearest" });
  const merged = b.op1("Add", [l3, up]);
  // a Resize with explicit sizes (the channel entry follows the pruning)
  const sized = b.op1("Resize", [l4, "", "", b.intConstant("up_sizes", [1, 12, 16, 16])], { mode: "nearest" });
  const m2 = b.op1("Add", [merged, sized]);
  const p3 = convBnAct(b, m2, { out: 8, name: "p3" });
  return finish(b, classifierHead(b, p3), "fpn");
}

function upsampleOpset9(): ModelProto {
  const { b, x } = start(15);
  b.opset = 9;
  const c3 = convBnAct(b, x, { out: 8, name: "c3" });
  const c4 = convBnAct(b, c3, { out: 8, name: "c4", stride: 2 });
  const up = b.op1("Upsample", [c4, b.constant("ups", [4], [1, 1, 2, 2])], { mode: "nearest" });
  const m = b.op1("Add", [c3, up]);
  const p = b.conv(m, { out: 6, name: "p" });
  const g = b.op1("GlobalAveragePool", [p]);
  const f = b.setChannels(b.op1("Flatten", [g], { axis: 1 }), 6);
  return finish(b, b.gemm(f, 6, 4), "upsample_fpn_opset9");
}

function siluNet(): ModelProto {
  const { b, x } = start(16);
  let y = silu(b, b.batchNorm(b.conv(x, { out: 10, name: "c1", bias: false })));
  y = silu(b, b.conv(y, { out: 12, name: "c2" }));
  return finish(b, classifierHead(b, y), "silu_net");
}

function geluErf(): ModelProto {
  const { b, x } = start(17);
  const y = b.conv(x, { out: 10, name: "c1" });
  const d = b.op1("Div", [y, b.constant("sqrt2", [], [Math.SQRT2])]);
  const e = b.op1("Add", [b.op1("Erf", [d]), b.constant("one", [], [1])]);
  const g = b.op1("Mul", [b.op1("Mul", [y, e]), b.constant("half", [], [0.5])]);
  const z = b.conv(g, { out: 8, name: "c2" });
  return finish(b, classifierHead(b, z), "gelu_erf");
}

function carriers(): ModelProto {
  const { b, x } = start(18);
  b.opset = 18; // Mish
  let y = b.conv(x, { out: 10, name: "c1" });
  // per-channel constants are sliced with the channels; scalars are untouched
  y = b.op1("Add", [y, b.constant("shift", [10, 1, 1], Array.from({ length: 10 }, (_, k) => k * 0.1 - 0.4))]);
  y = b.setChannels(b.op1("Mul", [b.constant("gain", [1, 10, 1, 1], Array.from({ length: 10 }, (_, k) => 0.5 + 0.1 * k)), y]), 10);
  y = b.op1("PRelu", [y, b.constant("slope", [10, 1, 1], Array.from({ length: 10 }, (_, k) => 0.05 * k))]);
  y = b.op1("Pad", [y, b.intConstant("pads", [0, 0, 1, 1, 0, 0, 1, 1])], { mode: "reflect" });
  y = b.op1("InstanceNormalization", [y, b.weight("in.scale", [10], 0.5), b.weight("in.bias", [10], 0.1)], { epsilon: { float: 1e-5 } });
  y = b.op1("Selu", [y]);
  y = b.op1("Softplus", [b.conv(y, { out: 12, name: "c2", pad: 0 })]);
  y = b.op1("Sub", [y, b.constant("ten", [1], [0.25])]);
  y = b.op1("HardSigmoid", [b.op1("Mish", [y])]);
  y = b.op1("Softmax", [b.conv(y, { out: 8, name: "c3" })], { axis: 3 }); // over width: per channel
  y = b.op1("Max", [y, b.op1("Clip", [b.conv(y, { out: 8, name: "c4" })], {})]);
  // N×C×1×1 → N×C by Squeeze, then a Gemm
  const s = b.setChannels(b.op1("Squeeze", [b.op1("GlobalMaxPool", [y]), b.intConstant("sq_axes", [2, 3])]), 8);
  return finish(b, b.gemm(s, 8, 3), "carriers");
}

function convOutput(): ModelProto {
  const { b, x } = start(19);
  const y = convBnAct(b, x, { out: 8, name: "c1" });
  // c2's channels are a graph output: its group must be frozen; c1 stays prunable
  return finish(b, b.conv(y, { out: 6, name: "c2" }), "conv_output");
}

function dynamicAndShared(): ModelProto {
  const { b, x } = start(20);
  const y = convBnAct(b, x, { out: 8, name: "c1" });
  // a Reshape whose shape is computed at run time: its input group is frozen
  const shape = b.op1("Shape", [y]);
  const r = b.setChannels(b.op1("Reshape", [y, shape]), 8);
  // two convs sharing one weight initializer: both their groups are frozen
  const w = b.weight("shared.weight", [8, 8, 3, 3], 0.2);
  const s1 = b.setChannels(b.op("Conv", [r, w], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { name: "shared1" })[0]!, 8);
  const s2 = b.setChannels(b.op("Conv", [b.relu(s1), w], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { name: "shared2" })[0]!, 8);
  // c3 also feeds a 'custom' node: an Identity here (so ORT can run it); the groups test turns it
  // into a custom-domain op, which must freeze c3
  const c3 = convBnAct(b, b.relu(s2), { out: 10, name: "c3" });
  b.output(b.op("Identity", [c3], {}, { name: "custom" })[0]!);
  const c4 = convBnAct(b, c3, { out: 6, name: "c4" });
  return finish(b, classifierHead(b, c4), "dynamic_and_shared");
}

/** Exporter deduplication: one bias shared by several convs, a weight behind Identity, shared slice bounds. */
function sharedParams(): ModelProto {
  const { b, x } = start(21);
  const zeros = b.constant("dedup.bias", [8], new Array<number>(8).fill(0.05));
  const conv = (input: string, name: string, weight: string): string =>
    b.setChannels(b.op("Conv", [input, weight, zeros], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { name })[0]!, 8);
  const y1 = b.relu(conv(x, "c1", b.weight("c1.weight", [8, 3, 3, 3], 0.3)));
  const wId = b.op("Identity", [b.weight("c2.weight_raw", [8, 8, 3, 3], 0.2)], {}, { name: "c2.weight_id" })[0]!;
  const y2 = b.relu(conv(y1, "c2", wId));
  // two Slices of the channel axis reading the same bounds constants
  const st = b.intConstant("sl.starts", [0]);
  const en = b.intConstant("sl.ends", [5]);
  const ax = b.intConstant("sl.axes", [1]);
  const s1 = b.setChannels(b.op1("Slice", [y2, st, en, ax]), 5);
  const y3 = b.relu(conv(y2, "c3", b.weight("c3.weight", [8, 8, 3, 3], 0.2)));
  const s2 = b.setChannels(b.op1("Slice", [y3, st, en, ax]), 5);
  const cat = b.setChannels(b.op1("Concat", [s1, s2], { axis: 1 }), 10);
  return finish(b, classifierHead(b, convBnAct(b, cat, { out: 6, name: "c4" })), "shared_params");
}

export function zoo(): ZooModel[] {
  return [
    { name: "chain", model: chain(), inputShape: SHAPE },
    { name: "bn_folded", model: bnFolded(), inputShape: SHAPE },
    { name: "residual", model: residual(), inputShape: SHAPE },
    { name: "dense_block", model: denseBlock(), inputShape: SHAPE },
    { name: "depthwise_separable", model: depthwiseSeparable(), inputShape: SHAPE },
    { name: "inverted_residual", model: invertedResidual(), inputShape: SHAPE },
    { name: "se_sigmoid", model: seBlock("Sigmoid"), inputShape: SHAPE },
    { name: "se_hardsigmoid", model: seBlock("HardSigmoid"), inputShape: SHAPE },
    { name: "mlp_head", model: mlpHead(), inputShape: SHAPE },
    { name: "split_channels", model: splitChannels(), inputShape: SHAPE },
    { name: "grouped_conv", model: groupedConv(), inputShape: SHAPE, mustFreeze: ["c1", "g2", "g4", "c2"] },
    { name: "channel_shuffle", model: channelShuffle(), inputShape: SHAPE, mustFreeze: ["c1"] },
    { name: "unet", model: unet(), inputShape: SHAPE, mustFreeze: ["logits"] },
    { name: "fpn", model: fpn(), inputShape: SHAPE },
    { name: "upsample_fpn_opset9", model: upsampleOpset9(), inputShape: SHAPE },
    { name: "silu_net", model: siluNet(), inputShape: SHAPE },
    { name: "gelu_erf", model: geluErf(), inputShape: SHAPE },
    { name: "carriers", model: carriers(), inputShape: SHAPE },
    { name: "conv_output", model: convOutput(), inputShape: SHAPE, mustFreeze: ["c2"] },
    { name: "shared_params", model: sharedParams(), inputShape: SHAPE },
    { name: "dynamic_and_shared", model: dynamicAndShared(), inputShape: SHAPE, mustFreeze: ["c1", "shared1", "shared2"] },
  ];
}
