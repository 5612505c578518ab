import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LimitError, ModelFormatError, PathSafetyError } from "../../src/errors.js";
import { decodeModel, encodeModel, modelToPlainObject } from "../../src/onnx/model-io.js";
import { DataLocation, type ModelProto } from "../../src/onnx/proto.js";
import { readFloats } from "../../src/onnx/tensor.js";
import { loadModelFile, saveModelFile } from "../../src/platform/node/files.js";
import { ModelBuilder } from "../helpers/model-builder.js";
import { zoo } from "../helpers/zoo.js";

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), "onnx-prune-ext-"));
afterAll(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));
let counter = 0;
const freshDir = (): string => {
  const d = path.join(tmpRoot, `case${counter++}`, "models");
  fs.mkdirSync(d, { recursive: true });
  return d;
};

/** A model with one float initializer 'w' (dims 4×4) stored externally at `location`. */
function externalModel(location: string, extra: Record<string, string> = {}): ModelProto {
  const b = new ModelBuilder(3);
  const x = b.input("x", [1, 4]);
  const w = b.weight("w", [4, 4]);
  b.output(b.op1("MatMul", [x, w]));
  const m = b.build("ext");
  const t = m.graph!.initializer[0]!;
  t.rawData = new Uint8Array(0);
  t.dataLocation = DataLocation.EXTERNAL;
  t.externalData = [{ key: "location", value: location }, ...Object.entries(extra).map(([key, value]) => ({ key, value }))];
  return m;
}

function writeModel(dir: string, model: ModelProto, name = "model.onnx"): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, encodeModel(model));
  return file;
}

describe("external data", () => {
  it("save with externalData: true → load gives identical values; data beside the model", () => {
    for (const z of zoo().slice(0, 6)) {
      const dir = freshDir();
      const file = path.join(dir, `${z.name}.onnx`);
      const before = modelToPlainObject(z.model);
      saveModelFile(z.model, file, { externalData: true });
      expect(modelToPlainObject(z.model), "the caller's model is unchanged").toEqual(before);
      expect(fs.readdirSync(dir).sort()).toEqual([`${z.name}.onnx`, `${z.name}.onnx.data`]);
      const inline = encodeModel(z.model).length;
      const big = z.model.graph!.initializer.filter((t) => (t.rawData?.length ?? 0) >= 1024);
      const bigBytes = big.reduce((n, t) => n + t.rawData!.length, 0);
      expect(fs.statSync(path.join(dir, `${z.name}.onnx.data`)).size).toBeGreaterThanOrEqual(bigBytes);
      if (big.length > 0) expect(fs.statSync(file).size).toBeLessThan(inline - bigBytes + 100 * big.length);
      const loaded = loadModelFile(file);
      // compare with the model as decoded from its inline encoding (float attributes are float32)
      expect(modelToPlainObject(loaded)).toEqual(modelToPlainObject(decodeModel(encodeModel(z.model), z.name)));
      expect(Buffer.from(encodeModel(loaded)).equals(Buffer.from(encodeModel(z.model)))).toBe(true);
    }
  });

  it("reads offset and length within a shared data file", () => {
    const dir = freshDir();
    const values = Float32Array.from({ length: 16 }, (_, i) => i - 3.5);
    const data = new Uint8Array(100 + 64);
    data.set(new Uint8Array(values.buffer), 100);
    fs.writeFileSync(path.join(dir, "w.bin"), data);
    const file = writeModel(dir, externalModel("w.bin", { offset: "100", length: "64" }));
    expect(Array.from(readFloats(loadModelFile(file).graph!.initializer[0]!))).toEqual(Array.from(values));
  });

  describe("refuses locations outside the model's folder, naming the location", () => {
    const outside = (dir: string): string => {
      const secret = path.join(path.dirname(dir), "secret.bin");
      fs.writeFileSync(secret, new Uint8Array(64));
      return secret;
    };
    it.each([
      ["an absolute path", (dir: string): string => outside(dir), /is an absolute path/],
      ["../x", (dir: string): string => (outside(dir), "../secret.bin"), /leaves the model's folder/],
      ["a/../../x", (dir: string): string => (outside(dir), "a/../../secret.bin"), /leaves the model's folder/],
      ["a Windows drive path", (): string => "C:\\Windows\\secret.bin", /is an absolute path/],
      ["a Windows drive-relative path", (): string => "C:secret.bin", /is an absolute path/],
      ["a backslash ..\\x", (dir: string): string => (outside(dir), "..\\secret.bin"), /leaves the model's folder/],
    ] as const)("%s", (_n, makeLocation, message) => {
      const dir = freshDir();
      const location = makeLocation(dir);
      const file = writeModel(dir, externalModel(location));
      const err = (() => { try { loadModelFile(file); } catch (e) { return e; } return undefined; })();
      expect(err).toBeInstanceOf(PathSafetyError);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).toContain(location);
      expect((err as Error).message).toContain(file);
    });

    it("a symbolic link that leaves the folder", () => {
      const dir = freshDir();
      fs.symlinkSync(outside(dir), path.join(dir, "link.bin"));
      const file = writeModel(dir, externalModel("link.bin"));
      expect(() => loadModelFile(file)).toThrow(PathSafetyError);
      expect(() => loadModelFile(file)).toThrow(/'link.bin' links outside the model's folder/);
    });

    it("a symbolic link inside the folder is fine", () => {
      const dir = freshDir();
      fs.writeFileSync(path.join(dir, "real.bin"), new Uint8Array(64));
      fs.symlinkSync("real.bin", path.join(dir, "link.bin"));
      expect(loadModelFile(writeModel(dir, externalModel("link.bin"))).graph!.initializer[0]!.rawData!.length).toBe(64);
    });

    it("a NUL byte", () => {
      const dir = freshDir();
      const file = writeModel(dir, externalModel("w.bin\0../../etc/passwd"));
      expect(() => loadModelFile(file)).toThrow(PathSafetyError);
      expect(() => loadModelFile(file)).toThrow(/NUL byte/);
    });

    it("a folder instead of a file", () => {
      const dir = freshDir();
      fs.mkdirSync(path.join(dir, "sub"));
      expect(() => loadModelFile(writeModel(dir, externalModel("sub")))).toThrow(/'sub' is not a regular file/);
    });
  });

  describe("offsets and lengths", () => {
    const withData = (bytes: number, extra: Record<string, string>): string => {
      const dir = freshDir();
      fs.writeFileSync(path.join(dir, "w.bin"), new Uint8Array(bytes));
      return writeModel(dir, externalModel("w.bin", extra));
    };
    it.each([
      ["offset beyond the file", 64, { offset: "65", length: "64" }],
      ["offset + length beyond the file", 64, { offset: "8", length: "64" }],
      ["a huge length", 64, { length: "99999999999999999999" }],
      ["a huge offset", 64, { offset: "18446744073709551615" }],
    ] as const)("%s → LimitError", (_n, bytes, extra) => {
      const file = withData(bytes, extra);
      expect(() => loadModelFile(file)).toThrow(LimitError);
      expect(() => loadModelFile(file)).toThrow(/tensor 'w'.*'w\.bin'/);
    });
    it("a length that does not match dims → ModelFormatError", () => {
      const file = withData(128, { length: "60" });
      expect(() => loadModelFile(file)).toThrow(ModelFormatError);
      expect(() => loadModelFile(file)).toThrow(/tensor 'w' has length 60 but dims 4×4 need 64 bytes/);
    });
    it("no length: the rest of the file, which must match dims", () => {
      expect(loadModelFile(withData(64, {})).graph!.initializer[0]!.rawData!.length).toBe(64);
      expect(() => loadModelFile(withData(65, {}))).toThrow(ModelFormatError);
    });
    it.each(["-1", "1e3", "0x10", ""])("offset '%s' is not a decimal number → ModelFormatError", (offset) => {
      const file = withData(64, { offset });
      if (offset === "") {
        // an empty value: treated as not a number either
        expect(() => loadModelFile(file)).toThrow(ModelFormatError);
      } else {
        expect(() => loadModelFile(file)).toThrow(/invalid external 'offset'/);
      }
    });
    it("no location → ModelFormatError", () => {
      const dir = freshDir();
      const m = externalModel("x");
      m.graph!.initializer[0]!.externalData = [{ key: "length", value: "64" }];
      expect(() => loadModelFile(writeModel(dir, m))).toThrow(/tensor 'w' is external but has no 'location'/);
    });
  });

  it("a missing data file → PathSafetyError naming it", () => {
    const dir = freshDir();
    const file = writeModel(dir, externalModel("gone.bin"));
    expect(() => loadModelFile(file)).toThrow(PathSafetyError);
    expect(() => loadModelFile(file)).toThrow(/'gone.bin' not found beside the model/);
  });
});
