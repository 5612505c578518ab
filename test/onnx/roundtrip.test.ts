import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { decodeModel, encodeModel, modelToPlainObject } from "../../src/onnx/model-io.js";
import { zoo } from "../helpers/zoo.js";

const HERE = path.dirname(new URL(import.meta.url).pathname);
const ROOT = path.resolve(HERE, "../..");

function onnxFilesIn(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith(".onnx")).sort().map((f) => path.join(dir, f));
}

/** decode → encode → decode: the second message must equal the first, field for field. */
function expectStableRoundTrip(bytes: Uint8Array, source: string): Uint8Array {
  const first = decodeModel(bytes, source);
  const again = encodeModel(first);
  const second = decodeModel(again, `${source} (re-encoded)`);
  expect(modelToPlainObject(second)).toEqual(modelToPlainObject(first));
  return again;
}

describe("round trip: decode → encode → decode", () => {
  it.each(zoo().map((z) => [z.name, z] as const))("synthetic zoo: %s", (_name, z) => {
    const bytes = encodeModel(z.model);
    const again = expectStableRoundTrip(bytes, z.name);
    // The builder's own encoding is canonical: re-encoding reproduces it byte for byte.
    expect(Buffer.from(again).equals(Buffer.from(bytes))).toBe(true);
  });

  const trained = onnxFilesIn(path.join(ROOT, "fixtures/models"));
  const exported = onnxFilesIn(path.join(ROOT, "fixtures/zoo"));
  /**
   * Large exported models: byte-identical re-encoding implies an identical message after the
   * second decode (decoding is deterministic) and avoids a base64 object of 100 MB; the field by
   * field comparison runs only when the bytes differ.
   */
  const roundTripFile = (f: string): void => {
    const bytes = new Uint8Array(readFileSync(f));
    const again = encodeModel(decodeModel(bytes, f));
    const exact = Buffer.from(again).equals(Buffer.from(bytes));
    if (!exact) expectStableRoundTrip(bytes, f);
    // These are torch.onnx exports (C++ protobuf writer): re-encoding reproduced every one of
    // them byte for byte when checked on 2026-11-27 (torchvision zoo, 11 models).
    expect(exact, `${f}: re-encoded bytes differ from the exporter's`).toBe(true);
  };
  it.skipIf(trained.length === 0)(`fixtures/models/*.onnx (${trained.length} found${trained.length === 0 ? ": none yet, skipped" : ""})`, () => {
    for (const f of trained) roundTripFile(f);
  });
  it.skipIf(exported.length === 0)(`fixtures/zoo/*.onnx (${exported.length} found${exported.length === 0 ? ": none, skipped" : ""})`, () => {
    for (const f of exported) roundTripFile(f);
  });

  // Made by test/onnx/fixtures/make_fixtures.py with onnx.helper (C++/upb protobuf writer).
  const features = path.join(HERE, "fixtures/onnx_features.onnx");
  it("a hand-made model with every kind of field keeps all of them", () => {
    const bytes = new Uint8Array(readFileSync(features));
    expectStableRoundTrip(bytes, features);
    const m = decodeModel(bytes, features);
    const g = m.graph!;
    expect(m.metadataProps.map((p) => [p.key, p.value])).toEqual([["author", "onnx-prune tests"], ["license", "MIT"]]);
    expect(m.docString).toBe("model doc");
    expect(g.docString).toBe("graph doc");
    expect(g.valueInfo.map((v) => v.name)).toEqual(["a"]);
    expect(m.functions.map((f) => [f.domain, f.name, f.node.length])).toEqual([["custom.fn", "Twice", 1]]);
    expect(m.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([["", 13], ["custom.fn", 1], ["ai.onnx.ml", 3]]);
    const constant = g.node.find((n) => n.opType === "Constant")!;
    expect(constant.docString).toBe("a constant");
    expect(constant.attribute[0]!.t?.floatData).toEqual([1, 2]);
    expect(g.sparseInitializer).toHaveLength(1);
    expect(g.sparseInitializer[0]!.values?.floatData).toEqual([1.5, -2]);
    const iff = g.node.find((n) => n.opType === "If")!;
    expect(iff.attribute.map((a) => a.name).sort()).toEqual(["else_branch", "then_branch"]);
    expect(new Set(iff.attribute.map((a) => a.g?.node[0]?.opType))).toEqual(new Set(["Identity", "Neg"]));
    const resize = g.node.find((n) => n.opType === "Resize")!;
    expect(new TextDecoder().decode(resize.attribute[0]!.s)).toBe("nearest");
    expect(m.trainingInfo).toHaveLength(1);
    // keepdims = 0 is a proto2 field set to its default: it must stay present.
    const sum = g.node.find((n) => n.opType === "ReduceSum")!;
    expect(Object.prototype.hasOwnProperty.call(sum.attribute[0]!, "i")).toBe(true);
  });

  // C++ protobuf writes fields in number order, packed only where onnx.proto says [packed=true],
  // and proto2 fields whenever they are set; protobufjs (with every message marked proto2) writes
  // the same bytes. Checked on a torch.onnx export and on an onnx.helper model.
  it.each(["torch_small.onnx", "onnx_features.onnx"])("re-encoding %s reproduces the original bytes exactly", (name) => {
    const file = path.join(HERE, "fixtures", name);
    const bytes = new Uint8Array(readFileSync(file));
    const again = encodeModel(decodeModel(bytes, file));
    expect(again.length).toBe(bytes.length);
    expect(Buffer.from(again).equals(Buffer.from(bytes))).toBe(true);
  });

  it("unknown fields (a newer onnx.proto) survive a round trip", () => {
    const bytes = encodeModel(zoo()[0]!.model);
    // field 99, wire type 2 (length-delimited), 3 bytes, appended to the ModelProto
    const extra = new Uint8Array([...bytes, 0x9a, 0x06, 3, 1, 2, 3]);
    const again = encodeModel(decodeModel(extra, "extra"));
    expect(Buffer.from(again).equals(Buffer.from(extra))).toBe(true);
  });
});
