import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LimitError, ModelFormatError } from "../../src/errors.js";
import { GraphIndex } from "../../src/graph/graph-index.js";
import { loadExternalData, type ExternalDataSource } from "../../src/onnx/external-data.js";
import { DEFAULT_LIMITS } from "../../src/onnx/limits.js";
import { decodeModel, encodeModel } from "../../src/onnx/model-io.js";
import { TensorDataType } from "../../src/onnx/proto.js";
import { emptyTensor, readFloats } from "../../src/onnx/tensor.js";
import { loadModelFile } from "../../src/platform/node/files.js";
import { nestedIf, repeatedExternal } from "../fixtures-bad/make.js";
import { zoo } from "../helpers/zoo.js";
import { makeTmp, ROOT } from "./helpers.js";

const BAD = path.join(ROOT, "test/fixtures-bad");
const tmp = makeTmp("limits");
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected an error");
}

describe("limits: typed errors before allocating", () => {
  it("a declared length beyond the buffer (fixture declared-length-4gib.onnx)", () => {
    const file = path.join(BAD, "declared-length-4gib.onnx");
    const e = thrown(() => loadModelFile(file));
    expect(e).toBeInstanceOf(ModelFormatError);
    expect(e.message).toContain(file);
    expect(e.message).toMatch(/protobuf decoding failed/);
  });

  it("subgraphs nested deeper than the limit (fixture nested-if-depth-24.onnx)", () => {
    const file = path.join(BAD, "nested-if-depth-24.onnx");
    const e = thrown(() => loadModelFile(file));
    expect(e).toBeInstanceOf(LimitError);
    expect(e.message).toMatch(/subgraphs nested deeper than 16 levels/);
    expect(loadModelFile(file, { limits: { maxSubgraphDepth: 30 } }).graph!.node[0]!.opType).toBe("If");
    expect(() => decodeModel(encodeModel(nestedIf(10)), "ok")).not.toThrow();
  });

  it("the same external file named many times: the total is checked before the first read (fixture repeated-external)", () => {
    const file = path.join(BAD, "repeated-external/model.onnx");
    const e = thrown(() => loadModelFile(file, { limits: { maxTotalTensorBytes: 100 * 1024 } }));
    expect(e).toBeInstanceOf(LimitError);
    expect(e.message).toMatch(/tensor data exceeds the limit of 102400 bytes \(at external tensor 'w25'\)/);
    // a counting source shows nothing was read
    let reads = 0;
    const source: ExternalDataSource = { size: () => 4096, read: (_l, _o, n) => { reads++; return new Uint8Array(n); } };
    const model = decodeModel(encodeModel(repeatedExternal(100)), "m");
    expect(() => loadExternalData(model, source, "m", { maxTotalTensorBytes: 100 * 1024 })).toThrow(LimitError);
    expect(reads).toBe(0);
    // under the default limit the model loads
    expect(loadModelFile(file).graph!.initializer).toHaveLength(100);
  });

  it("total inline tensor bytes above a configurable cap", () => {
    const bytes = encodeModel(zoo()[0]!.model);
    const e = thrown(() => decodeModel(bytes, "chain.onnx", { maxTotalTensorBytes: 4096 }));
    expect(e).toBeInstanceOf(LimitError);
    expect(e.message).toMatch(/chain.onnx: tensor data exceeds the limit of 4096 bytes \(at tensor '.*'\)/);
    expect(() => decodeModel(bytes, "chain.onnx")).not.toThrow();
  });

  it("a model file above the size limit is refused before it is read", () => {
    const file = path.join(tmp, "big.onnx");
    fs.writeFileSync(file, encodeModel(zoo()[0]!.model));
    const e = thrown(() => loadModelFile(file, { limits: { maxModelFileBytes: 1000 } }));
    expect(e).toBeInstanceOf(LimitError);
    expect(e.message).toMatch(/big.onnx: \d+ bytes exceed the model size limit of 1000/);
    expect(DEFAULT_LIMITS.maxModelFileBytes).toBe(2 ** 31);
  });

  it("node count above the cap (decodeModel and GraphIndex)", () => {
    const model = zoo()[0]!.model;
    const n = model.graph!.node.length;
    expect(() => decodeModel(encodeModel(model), "m", { maxNodes: n - 1 })).toThrow(/more than \d+ nodes/);
    const e = thrown(() => new GraphIndex(model, "m.onnx", { maxNodes: 3 }));
    expect(e).toBeInstanceOf(LimitError);
    expect(e.message).toBe(`m.onnx: ${n} nodes exceed the limit of 3`);
  });

  it("an initializer whose dims disagree with its data is refused when the model is decoded", () => {
    const m = zoo()[0]!.model;
    m.graph!.initializer[0]!.dims = [8, 3, 3, 4];
    const e = thrown(() => decodeModel(encodeModel(m), "chain.onnx"));
    expect(e).toBeInstanceOf(ModelFormatError);
    expect(e.message).toBe("chain.onnx: tensor 'c1.weight': raw_data has 864 bytes, dims 8×3×3×4 need 1152");
    m.graph!.initializer[0]!.dims = [1e9, 1e9];
    expect(() => decodeModel(encodeModel(m), "chain.onnx")).toThrow(/chain.onnx: tensor 'c1.weight': 1000000000×1000000000 elements exceed the limit/);
  });

  it("dims far beyond the data: a LimitError from the element count, before allocating", () => {
    const t = { ...emptyTensor("huge", TensorDataType.FLOAT), dims: [1e9, 1e9], rawData: new Uint8Array(16) };
    const e = thrown(() => readFloats(t));
    expect(e).toBeInstanceOf(LimitError);
    expect(e.message).toMatch(/tensor 'huge'/);
    const within = { ...emptyTensor("w", TensorDataType.FLOAT), dims: [1 << 20, 64], rawData: new Uint8Array(16) };
    expect(() => readFloats(within)).toThrow(/raw_data has 16 bytes, dims 1048576×64 need 268435456/);
  });
});
