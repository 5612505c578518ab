import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { GraphIndex } from "../../src/graph/graph-index.js";
import { inferShapes } from "../../src/graph/shapes.js";
import { buildChannelGroups, type ChannelGroup } from "../../src/groups/index.js";
import { encodeModel, TensorType } from "../../src/onnx/model-io.js";
import type { ModelProto } from "../../src/onnx/proto.js";
import { readInts, tensorDims } from "../../src/onnx/tensor.js";
import { applyKeepSets } from "../../src/surgery/index.js";
import { valueInfo } from "../helpers/model-builder.js";
import { zoo } from "../helpers/zoo.js";

const fixtures = new Map(zoo().map((z) => [z.name, z]));

async function setup(name: string): Promise<{ model: ModelProto; groups: ChannelGroup[] }> {
  const z = fixtures.get(name)!;
  const shapes = await inferShapes(z.model, { input: z.inputShape }, name);
  return { model: z.model, groups: buildChannelGroups(new GraphIndex(z.model, name), shapes) };
}

const group = (groups: ChannelGroup[], label: string): ChannelGroup => groups.find((g) => g.label === label)!;
const init = (m: ModelProto, name: string) => m.graph!.initializer.find((t) => t.name === name);
const bytes = (t: object): string => Buffer.from(TensorType.encode(t as never).finish()).toString("hex");

describe("surgery", () => {
  it("rejects bad keep sets with typed errors naming the group", async () => {
    const { model, groups } = await setup("chain");
    const g = group(groups, "c1");
    for (const bad of [[], [0, 8], [3, 1], [1, 1, 2], [-1, 2], [0.5]]) {
      expect(() => applyKeepSets(model, groups, new Map([[g.id, bad]]), "chain")).toThrow(UsageError);
    }
    expect(() => applyKeepSets(model, groups, new Map([[g.id, [3, 1]]]), "chain")).toThrow(/group 0 \('c1'.*increasing/);
    const frozen = groups.find((x) => !x.prunable)!;
    expect(() => applyKeepSets(model, groups, new Map([[frozen.id, [0]]]), "chain")).toThrow(/frozen group/);
    expect(() => applyKeepSets(model, groups, new Map([[99, [0]]]), "chain")).toThrow(/unknown group 99/);
  });

  it("does not mutate its input and leaves untouched tensors byte-identical", async () => {
    const { model, groups } = await setup("residual");
    const before = Buffer.from(encodeModel(model)).toString("hex");
    const g = group(groups, "b2.c1");
    const { model: pruned, consumers } = applyKeepSets(model, groups, new Map([[g.id, [0, 2, 5]]]), "residual");
    expect(Buffer.from(encodeModel(model)).toString("hex")).toBe(before);
    expect(tensorDims(init(pruned, "b2.c1.weight")!)).toEqual([3, 16, 3, 3]);
    expect(tensorDims(init(pruned, "b2.c2.weight")!)).toEqual([16, 3, 3, 3]);
    const c1out = model.graph!.node.find((n) => n.name === "b2.c1")!.output[0];
    const bn = model.graph!.node.find((n) => n.input[0] === c1out)!;
    const changed = new Set(["b2.c1.weight", ...bn.input.slice(1), "b2.c2.weight"]);
    for (const t of model.graph!.initializer) {
      if (!changed.has(t.name!)) expect(bytes(init(pruned, t.name!)!), t.name).toBe(bytes(t));
    }
    expect(pruned.graph!.node.map((n) => n.name)).toEqual(model.graph!.node.map((n) => n.name));
    expect(consumers).toEqual([{ node: expect.any(Number), name: "b2.c2", op: "Conv", keptInputs: [0, 2, 5], originalInputs: 10 }]);
  });

  it("reports Flatten → Gemm kept features and drops stale value_info", async () => {
    const { model, groups } = await setup("mlp_head");
    const withInfo = { ...model, graph: { ...model.graph!, valueInfo: model.graph!.node.map((n) => valueInfo(n.output[0]!)) } };
    const g = group(groups, "c2");
    const { model: pruned, consumers } = applyKeepSets(withInfo, groups, new Map([[g.id, [1, 4]]]), "mlp");
    const fc1 = consumers.find((c) => c.name === "fc1")!;
    expect(fc1.keptInputs).toEqual([...Array.from({ length: 16 }, (_, k) => 16 + k), ...Array.from({ length: 16 }, (_, k) => 64 + k)]);
    expect(fc1.originalInputs).toBe(96);
    const names = new Set(pruned.graph!.valueInfo.map((v) => v.name));
    const flat = model.graph!.node.find((n) => n.opType === "Flatten")!.output[0]!;
    expect(names.has(flat)).toBe(false);
    expect(names.has(model.graph!.node.find((n) => n.name === "fc1")!.output[0]!)).toBe(true);
  });

  it("rewrites Split sizes, Slice bounds and the depthwise group", async () => {
    const { model, groups } = await setup("split_channels");
    const keep = new Map([[group(groups, "c1").id, [1, 5, 6, 11]], [group(groups, "c2").id, [0, 3, 4, 9, 10]], [group(groups, "c3").id, [0, 6, 7]]]);
    const { model: pruned } = applyKeepSets(model, groups, keep, "split");
    expect(readInts(init(pruned, "split_sizes")!)).toEqual([1, 3]);
    expect(readInts(init(pruned, "sl_starts")!)).toEqual([1]); // channel 2 → after keeping 0 only below it
    expect(readInts(init(pruned, "sl_ends")!)).toEqual([4]);
    const eq = pruned.graph!.node.find((n) => n.name === "split_equal")!;
    expect(readInts(init(pruned, eq.input[1]!)!)).toEqual([1, 2]);
    const dw = await setup("depthwise_separable");
    const pw1 = group(dw.groups, "pw1");
    const res = applyKeepSets(dw.model, dw.groups, new Map([[pw1.id, [0, 1, 2, 3, 4]]]), "dw");
    const node = res.model.graph!.node.find((n) => n.name === "dw2")!;
    expect(node.attribute.find((a) => a.name === "group")!.i).toBe(5);
    expect(tensorDims(init(res.model, "dw2.weight")!)).toEqual([10, 1, 3, 3]);
  });

  it("copies shared biases and slice bounds on write instead of freezing", async () => {
    const { model, groups } = await setup("shared_params");
    expect(groups.filter((g) => ["c1", "c2", "c3"].includes(g.label)).every((g) => g.prunable)).toBe(true);
    const keep = new Map([[group(groups, "c2").id, [0, 2, 4, 6]]]);
    const { model: pruned } = applyKeepSets(model, groups, keep, "shared");
    // c2 got its own 4-entry bias; c1 and c3 still read the 8-entry original
    const c2 = pruned.graph!.node.find((n) => n.name === "c2")!;
    expect(c2.input[2]).not.toBe("dedup.bias");
    expect(tensorDims(init(pruned, c2.input[2]!)!)).toEqual([4]);
    expect(tensorDims(init(pruned, "dedup.bias")!)).toEqual([8]);
    const slices = pruned.graph!.node.filter((n) => n.opType === "Slice");
    expect(readInts(init(pruned, slices[0]!.input[2]!)!)).toEqual([3]);
    expect(readInts(init(pruned, "sl.ends")!)).toEqual([5]);
  });
});
