/**
 * Writes the regression fixtures in this folder (run: npx tsx test/fixtures-bad/make.ts).
 * Each is a small file that once got past a check (or would have); README.md says which.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { encodeModel } from "../../src/onnx/model-io.js";
import { DataLocation, type GraphProto, type ModelProto } from "../../src/onnx/proto.js";
import { ModelBuilder } from "../helpers/model-builder.js";

const HERE = path.dirname(new URL(import.meta.url).pathname);

function graph(node: GraphProto["node"], inputs: string[], output: string): GraphProto {
  return { node, initializer: [], sparseInitializer: [], input: inputs.map((name) => ({ name })), output: [{ name: output }], valueInfo: [], quantizationAnnotation: [] };
}

function model(g: GraphProto): ModelProto {
  return { irVersion: 8, opsetImport: [{ domain: "", version: 13 }], graph: g, metadataProps: [], trainingInfo: [], functions: [] };
}

/** If inside If inside If …: `depth` levels of then_branch. */
export function nestedIf(depth: number): ModelProto {
  let g = graph([{ name: "leaf", opType: "Identity", input: ["x"], output: ["y"], attribute: [] }], [], "y");
  for (let i = 0; i < depth; i++) {
    g = graph([{ name: `if${i}`, opType: "If", input: ["c"], output: ["y"], attribute: [{ name: "then_branch", type: 5, g }] }], [], "y");
  }
  g.input = [{ name: "c" }, { name: "x" }];
  return model(g);
}

/** `count` initializers that all name the same 4 KiB data file. */
export function repeatedExternal(count: number): ModelProto {
  const b = new ModelBuilder(1);
  const x = b.input("x", [1, 1024]);
  let y = x;
  for (let i = 0; i < count; i++) {
    const name = `w${i}`;
    b.initializers.push({ name, dataType: 1, dims: [1024], dataLocation: DataLocation.EXTERNAL, externalData: [{ key: "location", value: "w.bin" }, { key: "offset", value: "0" }, { key: "length", value: "4096" }], floatData: [], int32Data: [], stringData: [], int64Data: [], doubleData: [], uint64Data: [] });
    y = b.op1("Add", [y, name]);
  }
  b.output(y);
  return b.build("repeated_external");
}

if (process.argv[1] && path.resolve(process.argv[1]) === new URL(import.meta.url).pathname) {
  fs.writeFileSync(path.join(HERE, "nested-if-depth-24.onnx"), encodeModel(nestedIf(24)));
  const dir = path.join(HERE, "repeated-external");
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "model.onnx"), encodeModel(repeatedExternal(100)));
  fs.writeFileSync(path.join(dir, "w.bin"), new Uint8Array(4096));
  // a GraphProto (field 7, wire type 2) whose declared length is 2^32 - 1 bytes
  fs.writeFileSync(path.join(HERE, "declared-length-4gib.onnx"), new Uint8Array([0x08, 0x08, 0x3a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x0a, 0x00]));
}
