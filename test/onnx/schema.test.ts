import { existsSync, readFileSync } from "node:fs";
import protobuf from "protobufjs/light.js";
import { describe, expect, it } from "vitest";
import { onnxSchema } from "../../src/onnx/schema.js";

const PROTO = "/usr/lib/python3/dist-packages/onnx/onnx.proto";

interface ProtoField { message: string; name: string; type: string; id: number; repeated: boolean }

/**
 * A tiny parser for onnx.proto: message/enum/oneof blocks by brace depth, and field lines
 * `[optional|repeated] TYPE NAME = N [options];` (fields inside a oneof have no label).
 */
export function parseProtoFields(text: string): ProtoField[] {
  const stack: { kind: string; name: string }[] = [];
  const fields: ProtoField[] = [];
  const noComments = text.replace(/\/\/.*$/gm, "").replace(/\/\*[\s\S]*?\*\//g, "");
  // one statement per line, whatever the layout
  const statements = noComments.replace(/\{/g, "{\n").replace(/\}/g, "\n}\n").replace(/;/g, ";\n");
  for (const raw of statements.split("\n")) {
    const line = raw.trim();
    const open = /^(message|enum|oneof)\s+(\w+)\s*\{/.exec(line);
    if (open) {
      stack.push({ kind: open[1]!, name: open[2]! });
      continue;
    }
    if (line.startsWith("}")) {
      stack.pop();
      continue;
    }
    const top = stack[stack.length - 1];
    if (!top || top.kind === "enum") continue;
    const f = /^(optional|repeated|required)?\s*([\w.]+)\s+(\w+)\s*=\s*(\d+)\s*(\[[^\]]*\])?\s*;/.exec(line);
    if (!f) continue;
    if (f[2] === "reserved") continue;
    const message = stack.filter((s) => s.kind === "message").map((s) => s.name).join(".");
    fields.push({ message, name: f[3]!, type: f[2]!, id: Number(f[4]), repeated: f[1] === "repeated" });
  }
  return fields;
}

const camel = (s: string): string => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

describe("schema.ts against onnx.proto", () => {
  it("the parser reads a small proto", () => {
    const fields = parseProtoFields(`
      message A { optional int64 x_y = 1; // c
        repeated B b = 2 [packed = true];
        message B { oneof v { int64 dim_value = 1; string dim_param = 2; } }
        enum E { X = 0; Y = 1; }
        reserved 3, 4; reserved "old";
      }`);
    expect(fields).toEqual([
      { message: "A", name: "x_y", type: "int64", id: 1, repeated: false },
      { message: "A", name: "b", type: "B", id: 2, repeated: true },
      { message: "A.B", name: "dim_value", type: "int64", id: 1, repeated: false },
      { message: "A.B", name: "dim_param", type: "string", id: 2, repeated: false },
    ]);
  });

  it.skipIf(!existsSync(PROTO))(`every field of ${PROTO} exists with the same number, type and repeatedness${existsSync(PROTO) ? "" : " (file absent: skipped)"}`, () => {
    const fields = parseProtoFields(readFileSync(PROTO, "utf8"));
    expect(fields.length).toBeGreaterThan(80);
    const root = protobuf.Root.fromJSON(onnxSchema);
    const problems: string[] = [];
    for (const f of fields) {
      const where = `${f.message}.${f.name} = ${f.id}`;
      let type: protobuf.Type;
      try {
        type = root.lookupType(`onnx.${f.message}`);
      } catch {
        problems.push(`${where}: message ${f.message} missing`);
        continue;
      }
      const ours = type.fields[camel(f.name)];
      if (!ours) {
        problems.push(`${where}: field missing`);
        continue;
      }
      if (ours.id !== f.id) problems.push(`${where}: schema.ts has number ${ours.id}`);
      if (ours.type.split(".").pop() !== f.type.split(".").pop()) problems.push(`${where}: type ${f.type}, schema.ts has ${ours.type}`);
      if (ours.repeated !== f.repeated) problems.push(`${where}: repeated ${f.repeated}, schema.ts says ${ours.repeated}`);
    }
    expect(problems).toEqual([]);
  });

  it.skipIf(!existsSync(PROTO))("packed options match onnx.proto (proto2: unpacked unless [packed = true])", () => {
    const text = readFileSync(PROTO, "utf8").replace(/\/\/.*$/gm, "");
    const packed = new Set([...text.matchAll(/repeated\s+\w+\s+(\w+)\s*=\s*\d+\s*\[packed\s*=\s*true\]/g)].map((m) => camel(m[1]!)));
    const root = protobuf.Root.fromJSON(onnxSchema);
    const tensor = root.lookupType("onnx.TensorProto");
    for (const name of ["floatData", "int32Data", "int64Data", "doubleData", "uint64Data"]) {
      expect(packed.has(name), name).toBe(true);
      expect(tensor.fields[name]!.packed, name).toBe(true);
    }
    expect(tensor.fields.dims!.packed).toBe(false);
    expect(root.lookupType("onnx.AttributeProto").fields.ints!.packed).toBe(false);
    expect(root.lookupType("onnx.AttributeProto").fields.floats!.packed).toBe(false);
  });
});
