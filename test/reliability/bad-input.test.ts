import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelFormatError, OnnxPruneError } from "../../src/errors.js";
import { GraphIndex } from "../../src/graph/graph-index.js";
import { encodeModel } from "../../src/onnx/model-io.js";
import type { ModelProto } from "../../src/onnx/proto.js";
import { loadModelFile } from "../../src/platform/node/files.js";
import { SeededRandom } from "../../src/util/random.js";
import { ModelBuilder } from "../helpers/model-builder.js";
import { zoo } from "../helpers/zoo.js";
import { ensureCliBuilt, listFiles, makeTmp, ROOT, runCli, stderrLines, writeModel, writeNpy } from "./helpers.js";

const chain = (): ModelProto => zoo().find((z) => z.name === "chain")!.model;

function edited(edit: (m: ModelProto) => void): ModelProto {
  const m = chain();
  edit(m);
  return m;
}

/** [case name, file bytes or model, pattern the message must match (besides the file name)] */
const CASES: [string, () => Uint8Array | ModelProto, RegExp][] = [
  ["random bytes", () => { const r = new SeededRandom(7); return Uint8Array.from({ length: 512 }, () => r.int(256)); }, /ONNX model/],
  ["a PNG image", () => new Uint8Array(fs.readFileSync(path.join(ROOT, "fixtures/data/demo_images/0_9.png"))), /ONNX model/],
  ["an empty file", () => new Uint8Array(0), /not an ONNX model \(no graph/],
  ["a truncated protobuf", () => { const b = encodeModel(chain()); return b.slice(0, Math.floor(b.length / 2)); }, /not a valid ONNX model \(protobuf decoding failed/],
  ["a dangling tensor name", () => edited((m) => { m.graph!.node[3]!.input[0] = "ghost"; }), /node '.*' reads tensor 'ghost', which nothing produces/],
  ["a missing initializer", () => edited((m) => { m.graph!.initializer = m.graph!.initializer.filter((t) => t.name !== "c2.weight"); }), /node 'c2' reads tensor 'c2.weight', which nothing produces/],
  ["a cycle", () => edited((m) => { const n = m.graph!.node; n[0]!.input[0] = n[2]!.output[0]!; }), /cycle through node/],
  ["duplicate producers", () => edited((m) => { m.graph!.node[2]!.output[0] = m.graph!.node[1]!.output[0]!; }), /tensor '.*' is produced twice \(by '.*' and '.*'\)/],
  ["a graph output nothing produces", () => edited((m) => { m.graph!.output[0]!.name = "nowhere"; }), /graph output 'nowhere' is never produced/],
  ["opset 3", () => edited((m) => { m.opsetImport = [{ domain: "", version: 3 }]; }), /unsupported ai.onnx opset 3 \(supported: 7..23\)/],
  ["opset 99", () => edited((m) => { m.opsetImport = [{ domain: "", version: 99 }]; }), /unsupported ai.onnx opset 99/],
  ["no default opset", () => edited((m) => { m.opsetImport = [{ domain: "com.example", version: 1 }]; }), /imports no default-domain/],
  ["a weight whose dims disagree with its data", () => edited((m) => { m.graph!.initializer[0]!.dims = [8, 3, 3, 4]; }), /tensor 'c1.weight': raw_data has 864 bytes, dims 8×3×3×4 need 1152/],
  ["a node overwriting an initializer", () => edited((m) => { m.graph!.node[1]!.output[0] = "c1.weight"; }), /overwrites graph input or initializer 'c1.weight'/],
];

let tmp: string;
beforeAll(() => {
  tmp = makeTmp("bad");
  ensureCliBuilt();
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function fileFor(name: string, content: Uint8Array | ModelProto): string {
  return writeModel(path.join(tmp, `${name.replace(/\W+/g, "_")}.onnx`), content);
}

function libraryError(file: string): unknown {
  try {
    const model = loadModelFile(file);
    new GraphIndex(model, file);
  } catch (e) {
    return e;
  }
  return undefined;
}

describe("bad model files: the library throws a typed error naming the file and the node/tensor", () => {
  it.each(CASES)("%s", (name, make, message) => {
    const file = fileFor(name, make());
    const err = libraryError(file);
    expect(err).toBeInstanceOf(ModelFormatError);
    expect((err as Error).message).toContain(file);
    expect((err as Error).message).toMatch(message);
  });

  it("a missing file and a folder are typed errors too", () => {
    expect(libraryError(path.join(tmp, "absent.onnx"))).toBeInstanceOf(OnnxPruneError);
    expect(libraryError(tmp)).toBeInstanceOf(OnnxPruneError);
  });

  it("a Constant node without a value is a typed error", () => {
    const b = new ModelBuilder(1);
    const x = b.input("x", [1]);
    b.nodes.push({ name: "k", opType: "Constant", input: [], output: ["k"], attribute: [], domain: "" });
    b.output(b.op1("Add", [x, b.op1("Identity", ["k"])]));
    const index = new GraphIndex(b.build(), "m.onnx");
    expect(() => index.constantTensor(index.nodes[1]!.output[0]!)).toThrow(/Constant node 'k' has no value attribute/);
  });
});

/** Valid protobuf, hostile values that only onnxruntime (shape inference) trips over. */
const RUNTIME_CASES: [string, () => ModelProto][] = [
  ["Conv kernel_shape 1e9", () => edited((m) => { m.graph!.node[0]!.attribute.find((a) => a.name === "kernel_shape")!.ints = [1e9, 1e9]; })],
  ["Conv group 0", () => edited((m) => { m.graph!.node[0]!.attribute.find((a) => a.name === "group")!.i = 0; })],
  ["Conv strides 0", () => edited((m) => { m.graph!.node[0]!.attribute.find((a) => a.name === "strides")!.ints = [0, 0]; })],
];

describe("hostile attribute values through the CLI (onnxruntime rejects them)", () => {
  it.each(RUNTIME_CASES)("inspect: %s → exit 2 naming the file", (name, make) => {
    const file = fileFor(`rt_${name}`, make());
    const r = runCli(["inspect", path.basename(file)], tmp);
    expect(r.status, r.stderr).toBe(2);
    const last = stderrLines(r).at(-1)!;
    expect(last).toMatch(new RegExp(`^onnx-prune: ${path.basename(file).replace(/\./g, "\\.")}: onnxruntime`));
  });

  // Known bug (src/runtime/ort.ts, configure(): ort.env.logLevel = "error"): onnxruntime prints its
  // own "[E:onnxruntime:...]" line before ours when a kernel fails at run time, so stderr has two
  // lines. "fatal" would silence it. Remove `.fails` once fixed.
  it("inspect: Conv group 0 prints exactly one line", () => {
    const file = fileFor("rt_one_line", RUNTIME_CASES[1]![1]());
    expect(stderrLines(runCli(["inspect", path.basename(file)], tmp))).toHaveLength(1);
  });

  // Known bug (src/graph/shapes.ts, placeholderFeeds): a declared input of 3×100000×100000 makes
  // inferShapes allocate a Float32Array of 3e10 elements: RangeError, exit 1 (internal error)
  // instead of a LimitError. elementCount() from onnx/tensor.ts before allocating would fix it.
  it("inspect: a declared input shape of 3×100000×100000 is a typed error", () => {
    const file = fileFor("rt_huge_input", edited((m) => { m.graph!.input[0]!.type!.tensorType!.shape!.dim = [{ dimParam: "N" }, { dimValue: 3 }, { dimValue: 100000 }, { dimValue: 100000 }]; }));
    expect(runCli(["inspect", path.basename(file)], tmp).status).toBe(2);
  });
});

describe("bad model files through the CLI: one line on stderr, exit 2, nothing written", () => {
  it.each(CASES)("inspect: %s", (name, make, message) => {
    const file = fileFor(name, make());
    const r = runCli(["inspect", path.basename(file)], tmp);
    expect(r.status).toBe(2);
    const lines = stderrLines(r);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^onnx-prune: /);
    expect(lines[0]).toContain(path.basename(file));
    expect(lines[0]).toMatch(message);
    expect(r.stdout).toBe("");
  });

  it("--verbose adds the stack", () => {
    const file = fileFor("verbose", new Uint8Array(0));
    const r = runCli(["inspect", path.basename(file), "--verbose"], tmp);
    expect(r.status).toBe(2);
    expect(stderrLines(r).length).toBeGreaterThan(1);
    expect(r.stderr).toMatch(/at .*\(/);
  });

  it.each(CASES.filter((_, i) => i % 2 === 0))("prune -o: %s leaves no output and no temp file", (name, make) => {
    const dir = path.join(tmp, `prune_${name.replace(/\W+/g, "_")}`);
    fs.mkdirSync(dir);
    writeModel(path.join(dir, "in.onnx"), make());
    writeNpy(path.join(dir, "calib.npy"), [4, 3, 16, 16]);
    const before = listFiles(dir);
    const r = runCli(["prune", "in.onnx", "--data", "calib.npy", "-o", "out.onnx", "--report", "report.json", "--quiet"], dir);
    expect(r.status).toBe(2);
    expect(stderrLines(r)).toHaveLength(1);
    expect(listFiles(dir)).toEqual(before);
  });
});
