import { describe, expect, it } from "vitest";
import { GraphIndex } from "../../src/graph/graph-index.js";
import { inferShapes, type ShapeMap } from "../../src/graph/shapes.js";
import { buildChannelGroups, describeGroups, isResidualStream, OP_RULES, type ChannelGroup } from "../../src/groups/index.js";
import { mapReshapeAxis } from "../../src/groups/handlers.js";
import { cloneModel } from "../../src/onnx/model-io.js";
import type { ModelProto } from "../../src/onnx/proto.js";
import { classifierHead, convBnAct, ModelBuilder, valueInfo } from "../helpers/model-builder.js";
import { zoo } from "../helpers/zoo.js";

const fixtures = new Map(zoo().map((z) => [z.name, z]));

async function groupsOf(name: string): Promise<ChannelGroup[]> {
  const z = fixtures.get(name)!;
  const shapes = await inferShapes(z.model, { input: z.inputShape }, name);
  return buildChannelGroups(new GraphIndex(z.model, name), shapes);
}

async function groupsOfModel(model: ModelProto, shapesFrom: ModelProto = model): Promise<ChannelGroup[]> {
  const shapes: ShapeMap = await inferShapes(shapesFrom, { input: [1, 3, 16, 16] }, "test");
  return buildChannelGroups(new GraphIndex(model, "test"), shapes);
}

const byLabel = (groups: ChannelGroup[], label: string): ChannelGroup => {
  const g = groups.find((x) => x.label === label || x.producers.some((p) => p.name === label));
  if (!g) throw new Error(`no group with producer ${label}`);
  return g;
};

describe("channel groups", () => {
  it("the rule table declares every role the task lists", () => {
    for (const op of ["Conv", "ConvTranspose", "Gemm", "MatMul"]) expect(OP_RULES[op]!.role).toBe("producer");
    for (const op of ["BatchNormalization", "InstanceNormalization", "PRelu", "Relu", "Clip", "HardSwish", "Mish", "Gelu", "Erf", "Dropout", "MaxPool", "GlobalAveragePool", "Pad", "Resize", "Upsample"]) {
      expect(OP_RULES[op]!.role, op).toBe("carrier");
    }
    for (const op of ["Add", "Sub", "Mul", "Div", "Max", "Min", "Sum", "Mean"]) expect(OP_RULES[op]!.role).toBe("coupler");
    for (const op of ["Concat", "Split", "Slice", "Flatten", "Reshape", "Squeeze", "Unsqueeze"]) expect(OP_RULES[op]!.role).toBe("index");
  });

  it("merges a residual stream into one group with every producer and consumer", async () => {
    const groups = await groupsOf("residual");
    const stream = byLabel(groups, "b1.c2");
    expect(stream.prunable).toBe(true);
    expect(stream.producers.map((p) => p.name)).toEqual(["b1.c2", "b1.down", "b2.c2", "b3.c2"]);
    expect(new Set(stream.consumers.map((c) => c.name))).toEqual(new Set(["b2.c1", "b3.c1", "fc_20"]));
    // tap: after the producer's BN (the Add is a coupler: the chain stops there)
    const p = stream.producers[0]!;
    expect(p.tap).not.toBe(p.output);
    expect(groups.filter((g) => g.prunable)).toHaveLength(5);
    // Each Add of two branches marks the group a residual stream, tapped after the Add's ReLU.
    const sums = stream.members.filter((m) => m.kind === "residual");
    expect(sums).toHaveLength(3);
    for (const m of sums) expect(m.op).toBe("Add");
    expect(sums.every((m) => m.tap !== undefined)).toBe(true);
    expect(isResidualStream(stream)).toBe(true);
    expect(groups.filter((g) => g !== stream && isResidualStream(g))).toEqual([]);
  });

  it("places Concat inputs at their offsets for the consumer", async () => {
    const groups = await groupsOf("dense_block");
    const at = (label: string): number => byLabel(groups, label).consumers.find((c) => c.name === "transition")!.offset;
    expect([at("stem"), at("dense0"), at("dense1"), at("dense2")]).toEqual([0, 8, 12, 16]);
    // the BN after the Concat is a member of every group it normalises
    expect(byLabel(groups, "dense1").members.some((m) => m.op === "BatchNormalization")).toBe(true);
  });

  it("keeps depthwise convs (incl. a channel multiplier) inside their producer's group", async () => {
    const groups = await groupsOf("depthwise_separable");
    expect(groups.find((g) => g.label === "dw1" || g.label === "dw2")).toBeUndefined();
    const pw1 = byLabel(groups, "pw1");
    const dw2 = pw1.members.find((m) => m.name === "dw2")!;
    expect(dw2.kind).toBe("depthwise");
    expect(dw2.tap).not.toBe(dw2.output); // after its BN and ReLU
    const c = pw1.consumers.find((x) => x.name === "pw2")!;
    expect([c.stride, c.inputSize]).toEqual([2, 24]);
  });

  it("maps Flatten → Gemm with stride H·W", async () => {
    const groups = await groupsOf("mlp_head");
    const c = byLabel(groups, "c2").consumers.find((x) => x.name === "fc1")!;
    expect([c.offset, c.stride, c.inputSize]).toEqual([0, 16, 96]);
    expect(byLabel(groups, "fc2").producers[0]!.weightAxis).toBe(1); // transB = 0
    expect(byLabel(groups, "fc3").prunable).toBe(true); // MatMul + Add(bias)
  });

  it("couples the SE gate's conv with the main tensor, keeps the inner conv separate", async () => {
    for (const name of ["se_sigmoid", "se_hardsigmoid"]) {
      const groups = await groupsOf(name);
      const main = byLabel(groups, "c1");
      expect(main.producers.map((p) => p.name)).toEqual(["c1", "se1.fc2"]);
      expect(main.consumers.map((c) => c.name)).toContain("se1.fc1");
      expect(byLabel(groups, "se1.fc1").prunable).toBe(true);
      expect(byLabel(groups, "se1.fc1").producers).toHaveLength(1);
      // A gate multiplies: two producers, but not a residual stream.
      expect(isResidualStream(main)).toBe(false);
    }
  });

  it("tracks Split and Slice ranges of the channel axis", async () => {
    const groups = await groupsOf("split_channels");
    const c1 = byLabel(groups, "c1");
    const a = c1.consumers.find((c) => c.name === "branch_a")!;
    const b = c1.consumers.find((c) => c.name === "branch_b")!;
    expect([a.start, a.count, b.start, b.count]).toEqual([0, 4, 4, 8]);
    const c2 = byLabel(groups, "c2").consumers.find((c) => c.name === "c3")!;
    expect([c2.start, c2.count, c2.offset]).toEqual([2, 8, 12]);
  });

  it("taps after the producer's SiLU and after BN → activation chains", async () => {
    const groups = await groupsOf("silu_net");
    const z = fixtures.get("silu_net")!;
    const tap = byLabel(groups, "c1").producers[0]!.tap;
    const node = z.model.graph!.node.find((n) => n.output[0] === tap)!;
    expect(node.opType).toBe("Mul");
  });

  it("freezes grouped convs, channel shuffles, graph outputs, shared weights and dynamic reshapes", async () => {
    for (const z of fixtures.values()) {
      const groups = await groupsOf(z.name);
      for (const label of z.mustFreeze ?? []) {
        const g = byLabel(groups, label);
        expect(g.prunable, `${z.name}/${label}`).toBe(false);
        expect(g.reason, `${z.name}/${label}`).toMatch(/'.+'/); // names a node or tensor
      }
      for (const g of groups) if (!g.prunable) expect(g.reason).toBeTruthy();
    }
    const shuffle = byLabel(await groupsOf("channel_shuffle"), "c1");
    expect(shuffle.reason).toMatch(/Reshape.*channel/);
    const grouped = await groupsOf("grouped_conv");
    expect(byLabel(grouped, "c1").reason).toMatch(/g2.*group=2/);
    const dyn = await groupsOf("dynamic_and_shared");
    expect(byLabel(dyn, "c1").reason).toMatch(/'shape_2' \(Shape\) reads the channel count|dynamic shape/);
    expect(byLabel(dyn, "shared1").reason).toMatch(/shared\.weight.*shared2/);
    expect(byLabel(await groupsOf("conv_output"), "c2").reason).toMatch(/graph output 'c2_out'/);
    expect(byLabel(await groupsOf("conv_output"), "c1").prunable).toBe(true);
  });

  it("freezes what reaches a custom-domain op", async () => {
    const z = fixtures.get("dynamic_and_shared")!;
    const custom = cloneModel(z.model);
    const node = custom.graph!.node.find((n) => n.name === "custom")!;
    node.opType = "MyOp";
    node.domain = "com.example";
    const groups = await groupsOfModel(custom, z.model);
    expect(byLabel(groups, "c3").reason).toMatch(/custom.*com\.example::MyOp/);
    expect(byLabel(groups, "c4").prunable).toBe(true);
  });

  it("freezes Softmax / LayerNormalization over the channel axis, not over width", async () => {
    for (const [op, attrs, frozen] of [
      ["Softmax", { axis: 1 }, true], ["Softmax", { axis: 3 }, false],
      ["LayerNormalization", { axis: 1 }, true], ["LayerNormalization", { axis: -1 }, false],
    ] as const) {
      const b = new ModelBuilder(5);
      b.opset = 17;
      const x = b.input("input", ["N", 3, 16, 16]);
      const y = b.conv(x, { out: 6, name: "c1" });
      const inputs = op === "LayerNormalization" ? [y, b.weight("ln.s", attrs.axis === 1 ? [6, 16, 16] : [16], 1)] : [y];
      const z = b.setChannels(b.op1(op, inputs, attrs), 6);
      b.output(classifierHead(b, b.conv(z, { out: 4, name: "c2" })));
      const g = byLabel(await groupsOfModel(b.build()), "c1");
      expect(g.prunable, `${op} ${JSON.stringify(attrs)}`).toBe(!frozen);
      if (frozen) expect(g.reason).toMatch(new RegExp(`${op}.*channel axis`));
    }
  });

  it("freezes a tensor used implicitly inside an If subgraph", async () => {
    const b = new ModelBuilder(6);
    const x = b.input("input", ["N", 3, 16, 16]);
    const y = convBnAct(b, x, { out: 6, name: "c1" });
    const branch = (tag: string) => ({
      name: tag, node: [{ name: `${tag}_id`, opType: "Identity", input: [y], output: [`${tag}_out`], attribute: [] }],
      initializer: [], sparseInitializer: [], input: [], output: [valueInfo(`${tag}_out`)], valueInfo: [], quantizationAnnotation: [],
    });
    b.initializers.push({ ...b.initializers[0]!, name: "cond", dataType: 9, dims: [], rawData: new Uint8Array([1]) });
    b.nodes.push({
      name: "branchy", opType: "If", input: ["cond"], output: ["if_out"], domain: "",
      attribute: [{ name: "then_branch", type: 5, g: branch("then") }, { name: "else_branch", type: 5, g: branch("else") }],
    });
    b.output("if_out");
    b.output(classifierHead(b, b.conv(y, { out: 4, name: "c2" })));
    const g = byLabel(await groupsOfModel(b.build()), "c1");
    expect(g.reason).toMatch(/subgraph of node 'branchy' \(If\)/);
  });

  it("a conv with one output channel is an ordinary conv, frozen for having 1 channel", async () => {
    const b = new ModelBuilder(7);
    const x = b.input("input", ["N", 3, 16, 16]);
    const one = b.conv(x, { out: 1, name: "one" });
    const y = b.conv(one, { out: 4, name: "after" });
    b.output(classifierHead(b, y));
    const groups = await groupsOfModel(b.build());
    expect(byLabel(groups, "one").reason).toBe("only 1 channel");
    expect(byLabel(groups, "one").consumers.map((c) => c.name)).toEqual(["after"]);
  });

  it("freezes carriers that touch the channel axis, keeps those that do not", async () => {
    // [title, build, frozen, channels after the op when it changes them]
    type Case = [string, (b: ModelBuilder, y: string) => string, boolean, number?];
    const cases: Case[] = [
      ["Pad on H/W", (b, y) => b.op1("Pad", [y, b.intConstant("p", [0, 0, 1, 1, 0, 0, 1, 1])]), false],
      ["Pad on C", (b, y) => b.op1("Pad", [y, b.intConstant("p", [0, 1, 0, 0, 0, 1, 0, 0])]), true, 8],
      ["Resize ×2 on H/W", (b, y) => b.op1("Resize", [y, "", b.constant("s", [4], [1, 1, 2, 2])], { mode: "nearest" }), false],
      ["Resize ×2 on C", (b, y) => b.op1("Resize", [y, "", b.constant("s", [4], [1, 2, 1, 1])], { mode: "nearest" }), true, 12],
      ["ReduceMean over H/W", (b, y) => b.op1("ReduceMean", [y], { axes: [2, 3], keepdims: 1 }), false],
      ["ReduceMean over C", (b, y) => b.op1("ReduceMean", [y], { axes: [1], keepdims: 1 }), true, 1],
      ["MaxPool with used indices", (b, y) => {
        const [v, idx] = b.op("MaxPool", [y], { kernel_shape: [2, 2] }, { outputs: 2 }) as [string, string];
        b.outputs.push({ name: idx }); // int64: no float type declared
        return v!;
      }, true],
      ["Shape → Gather(0) (batch)", (b, y) => {
        const n = b.op1("Gather", [b.op1("Shape", [y]), b.intConstant("zero", [0])], { axis: 0 });
        b.outputs.push({ name: b.op1("Add", [n, b.intConstant("ten", [10])]) });
        return y;
      }, false],
      ["Shape → Gather(1) (channels)", (b, y) => {
        b.outputs.push({ name: b.op1("Gather", [b.op1("Shape", [y]), b.intConstant("one", [1])], { axis: 0 }) });
        return y;
      }, true],
    ];
    for (const [title, make, frozen, after] of cases) {
      const b = new ModelBuilder(8);
      const x = b.input("input", ["N", 3, 16, 16]);
      const y = b.conv(x, { out: 6, name: "c1" });
      const z = b.setChannels(make(b, y), after ?? b.channelsOf(y));
      b.output(classifierHead(b, b.conv(z, { out: 4, name: "c2" })));
      const g = byLabel(await groupsOfModel(b.build()), "c1");
      expect(g.prunable, title).toBe(!frozen);
      if (frozen) expect(g.reason, title).toMatch(/node '.+' \(\w+\)/);
    }
  });

  it("maps reshape axes: squeeze, flatten, and refuses a channel split", () => {
    expect(mapReshapeAxis([1, 8, 1, 1], 1, [1, 8])).toEqual({ axis: 1, factor: 1 });
    expect(mapReshapeAxis([1, 8, 4, 4], 1, [1, 128])).toEqual({ axis: 1, factor: 16 });
    expect(mapReshapeAxis([1, 8], 1, [1, 8, 1, 1])).toEqual({ axis: 1, factor: 1 });
    expect(mapReshapeAxis([1, 8, 4, 4], 1, [1, 2, 4, 4, 4])).toBeUndefined();
  });

  it("describes groups as plain JSON, deterministically", async () => {
    const a = describeGroups(await groupsOf("residual"));
    const b = describeGroups(await groupsOf("residual"));
    expect(JSON.parse(JSON.stringify(a))).toEqual(b);
    expect(a[0]).toEqual({ id: 0, label: "stem", channels: 8, prunable: true, residualStream: false, reason: null, producers: ["stem"], consumers: ["b1.c1", "b1.down"] });
    expect(a.filter((d) => d.residualStream).map((d) => d.label)).toEqual(["b1.c2"]);
    expect(a.find((d) => !d.prunable)!.reason).toMatch(/graph output/);
  });
});
