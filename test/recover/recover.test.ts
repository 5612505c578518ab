/**
 * Recovery end to end on fixtures where the answer is known: a removed channel that is a linear
 * combination of kept ones is recovered to float precision by least squares (and not by the
 * other methods), and a dead (constant) channel is compensated exactly by bias compensation.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { npyCalibration, type CalibrationSet } from "../../src/data/calibration.js";
import { GraphIndex } from "../../src/graph/graph-index.js";
import { inferShapes } from "../../src/graph/shapes.js";
import { buildChannelGroups } from "../../src/groups/index.js";
import type { Kernels } from "../../src/kernels/index.js";
import { loadKernelsNode } from "../../src/kernels/load-node.js";
import { encodeModel } from "../../src/onnx/model-io.js";
import type { ModelProto } from "../../src/onnx/proto.js";
import { readFloats, tensorDims, writeFloats } from "../../src/onnx/tensor.js";
import { recoverModel, type RecoveryMethod } from "../../src/recover/index.js";
import { floatTensor, ModelSession } from "../../src/runtime/ort.js";
import { applyKeepSets } from "../../src/surgery/index.js";
import { ModelBuilder } from "../helpers/model-builder.js";

let kernels: Kernels;
beforeAll(async () => {
  kernels = await loadKernelsNode();
});

function randomData(b: ModelBuilder, n: number, c: number, h: number, w: number): CalibrationSet {
  const raw = new Float32Array(n * c * h * w);
  for (let i = 0; i < raw.length; i++) raw[i] = b.rng.normal();
  return npyCalibration({ dtype: "float32", shape: [n, c, h, w], data: raw }, "random.npy");
}

async function outputs(model: ModelProto, data: CalibrationSet): Promise<Float32Array> {
  const s = await ModelSession.create(encodeModel(model), "check");
  const x = new Float32Array(data.count * data.sampleShape.reduce((a, b) => a * b, 1));
  data.read(0, data.count, x);
  const r = await s.run({ [s.inputNames[0]!]: floatTensor(x, [data.count, ...data.sampleShape]) });
  const y = (r[s.outputNames[0]!]!.data as Float32Array).slice();
  await s.release();
  return y;
}

function relError(a: Float32Array, b: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num / den);
}

/** conv_a (4 ch, no activation) → conv_b → output; conv_a's channel 3 = 0.5·ch0 − 2·ch1 + ch2. */
function linearlyDependentModel(): { model: ModelProto; b: ModelBuilder } {
  const b = new ModelBuilder(21);
  const x = b.input("input", ["N", 2, 10, 10]);
  const a = b.conv(x, { out: 4, name: "conv_a" });
  const y = b.conv(a, { out: 5, name: "conv_b" });
  b.output(y);
  const model = b.build();
  const idx = new GraphIndex(model);
  const w = idx.initializer("conv_a.weight")!;
  const bias = idx.initializer("conv_a.bias")!;
  const wv = readFloats(w);
  const bv = readFloats(bias);
  const k = wv.length / 4;
  for (let i = 0; i < k; i++) wv[3 * k + i] = 0.5 * wv[i]! - 2 * wv[k + i]! + wv[2 * k + i]!;
  bv[3] = 0.5 * bv[0]! - 2 * bv[1]! + bv[2]!;
  writeFloats(w, tensorDims(w), wv);
  writeFloats(bias, [4], bv);
  return { model, b };
}

async function pruneWith(model: ModelProto, data: CalibrationSet, keep: number[], method: RecoveryMethod): Promise<ModelProto> {
  const index = new GraphIndex(model);
  const shapes = await inferShapes(model, { input: [1, ...data.sampleShape] });
  const groups = buildChannelGroups(index, shapes);
  const g = groups.find((x) => x.label === "conv_a")!;
  expect(g.prunable).toBe(true);
  const keepSets = new Map([[g.id, keep]]);
  const surgery = applyKeepSets(model, groups, keepSets);
  await recoverModel(kernels, model, shapes, groups, keepSets, surgery, data, { method, samples: data.count, positions: 100, ridge: 1e-9 });
  return surgery.model;
}

describe("least-squares reconstruction", () => {
  it("recovers a removed channel that is a linear combination of kept ones to float precision", async () => {
    const { model, b } = linearlyDependentModel();
    const data = randomData(b, 24, 2, 10, 10);
    const original = await outputs(model, data);
    const none = await outputs(await pruneWith(model, data, [0, 1, 2], "none"), data);
    const lsq = await outputs(await pruneWith(model, data, [0, 1, 2], "lsq"), data);
    expect(relError(none, original)).toBeGreaterThan(0.05);
    expect(relError(lsq, original)).toBeLessThan(1e-4);
  });

  it("beats affine and bias correction when the removed channel carries information", async () => {
    const { model, b } = linearlyDependentModel();
    const data = randomData(b, 24, 2, 10, 10);
    const original = await outputs(model, data);
    const errors: Record<string, number> = {};
    for (const m of ["none", "bias", "affine", "lsq"] as const) errors[m] = relError(await outputs(await pruneWith(model, data, [0, 1, 2], m), data), original);
    expect(errors.lsq!).toBeLessThan(errors.affine!);
    expect(errors.lsq!).toBeLessThan(errors.bias!);
    expect(errors.lsq!).toBeLessThan(errors.none!);
  });
});

describe("bias compensation", () => {
  it("is exact for a dead channel (constant map) away from padding", async () => {
    const b = new ModelBuilder(5);
    const x = b.input("input", ["N", 2, 8, 8]);
    const a = b.conv(x, { out: 3, name: "conv_a", kernel: 1 });
    const y = b.conv(a, { out: 4, name: "conv_b", kernel: 1 });
    b.output(y);
    const model = b.build();
    const idx = new GraphIndex(model);
    const w = idx.initializer("conv_a.weight")!;
    const wv = readFloats(w);
    for (let i = 0; i < 2; i++) wv[2 * 2 + i] = 0; // channel 2 outputs only its bias: constant map
    writeFloats(w, tensorDims(w), wv);
    const data = randomData(b, 8, 2, 8, 8);
    const original = await outputs(model, data);
    expect(relError(await outputs(await pruneWith(model, data, [0, 1], "none"), data), original)).toBeGreaterThan(1e-3);
    expect(relError(await outputs(await pruneWith(model, data, [0, 1], "bias"), data), original)).toBeLessThan(1e-6);
  });
});

describe("BatchNormalization re-calibration", () => {
  it("sets each remaining BN's running mean and variance to the pruned model's own batch statistics", async () => {
    const b = new ModelBuilder(8);
    const x = b.input("input", ["N", 3, 8, 8]);
    const a = b.relu(b.batchNorm(b.conv(x, { out: 6, name: "conv_a" }), "bn_a"));
    const c = b.batchNorm(b.conv(a, { out: 5, name: "conv_b" }), "bn_b");
    const y = b.relu(c);
    const f = b.setChannels(b.op1("Flatten", [b.op1("GlobalAveragePool", [y])], { axis: 1 }), 5);
    b.output(b.gemm(f, 5, 3, "fc"));
    const model = b.build();
    const data = randomData(b, 16, 3, 8, 8);
    const index = new GraphIndex(model);
    const shapes = await inferShapes(model, { input: [1, 3, 8, 8] });
    const groups = buildChannelGroups(index, shapes);
    const g = groups.find((x) => x.label === "conv_a")!;
    const keep = new Map([[g.id, [0, 2, 3, 5]]]);
    const surgery = applyKeepSets(model, groups, keep);
    await recoverModel(kernels, model, shapes, groups, keep, surgery, data, { method: "auto", samples: 16 });
    // bn_b's input (conv_b's output) in the recovered model: its batch statistics are what bn_b must hold.
    const pruned = surgery.model;
    const pIndex = new GraphIndex(pruned);
    const bnB = pIndex.nodes.find((n) => n.name === "bn_b")!;
    const probe = structuredClone(pruned);
    probe.graph!.output.push({ name: bnB.input[0]! });
    const s = await ModelSession.create(encodeModel(probe), "probe", { optimization: "disabled" });
    const xs = new Float32Array(16 * 3 * 64);
    data.read(0, 16, xs);
    const r = await s.run({ input: floatTensor(xs, [16, 3, 8, 8]) });
    const t = r[bnB.input[0]!]!.data as Float32Array;
    await s.release();
    const mean = readFloats(pIndex.initializer(bnB.input[3]!)!);
    const variance = readFloats(pIndex.initializer(bnB.input[4]!)!);
    for (let ch = 0; ch < 5; ch++) {
      let sum = 0;
      let sq = 0;
      for (let n = 0; n < 16; n++) for (let p = 0; p < 64; p++) {
        const v = t[(n * 5 + ch) * 64 + p]!;
        sum += v;
        sq += v * v;
      }
      const mu = sum / 1024;
      expect(mean[ch]).toBeCloseTo(mu, 4);
      expect(variance[ch]).toBeCloseTo(sq / 1024 - mu * mu, 3);
    }
  });
});
