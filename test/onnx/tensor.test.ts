import Long from "long";
import { describe, expect, it } from "vitest";
import { GraphIndex } from "../../src/graph/graph-index.js";
import { floatToHalf, halfToFloat } from "../../src/onnx/float16.js";
import { decodeModel, encodeModel, TensorType } from "../../src/onnx/model-io.js";
import { TensorDataType, type AttributeProto, type NodeProto, type TensorProto } from "../../src/onnx/proto.js";
import { emptyTensor, readFloats, readInts, writeFloats, writeInts } from "../../src/onnx/tensor.js";
import { ModelBuilder } from "../helpers/model-builder.js";

/** Little-endian bytes written with DataView: the reference the codecs are compared against. */
function leBytes(type: number, values: readonly (number | bigint)[]): Uint8Array {
  const size = { [TensorDataType.FLOAT]: 4, [TensorDataType.DOUBLE]: 8, [TensorDataType.FLOAT16]: 2, [TensorDataType.INT8]: 1, [TensorDataType.UINT8]: 1, [TensorDataType.INT32]: 4, [TensorDataType.INT64]: 8 }[type]!;
  const out = new Uint8Array(values.length * size);
  const v = new DataView(out.buffer);
  values.forEach((x, i) => {
    switch (type) {
      case TensorDataType.FLOAT: v.setFloat32(i * 4, Number(x), true); break;
      case TensorDataType.DOUBLE: v.setFloat64(i * 8, Number(x), true); break;
      case TensorDataType.FLOAT16: v.setUint16(i * 2, Number(x), true); break; // x: the bits
      case TensorDataType.INT8: v.setInt8(i, Number(x)); break;
      case TensorDataType.UINT8: v.setUint8(i, Number(x)); break;
      case TensorDataType.INT32: v.setInt32(i * 4, Number(x), true); break;
      case TensorDataType.INT64: v.setBigInt64(i * 8, BigInt(x), true); break;
    }
  });
  return out;
}

/** Through the wire format, so typed int64 fields arrive as Long like in a real model. */
function viaProtobuf(t: TensorProto): TensorProto {
  return TensorType.decode(TensorType.encode(t as never).finish()) as unknown as TensorProto;
}

function tensor(type: number, dims: number[], fill: Partial<TensorProto>): TensorProto {
  return viaProtobuf({ ...emptyTensor("t", type), dims, ...fill });
}

const FLOATS = [0, 1.5, -2.25, 3.0e-3, 1024];
const INT8 = [-128, -1, 0, 1, 127];
const UINT8 = [0, 1, 128, 200, 255];
const INT32 = [-(2 ** 31), -1, 0, 7, 2 ** 31 - 1];
const INT64 = [-(2 ** 53), -1, 0, 42, 2 ** 53];

describe("tensor codecs", () => {
  describe("read", () => {
    it.each([
      ["float32", TensorDataType.FLOAT, FLOATS],
      ["float64", TensorDataType.DOUBLE, FLOATS],
    ] as const)("%s from raw_data and from its typed field", (_n, type, values) => {
      const raw = tensor(type, [5], { rawData: leBytes(type, values) });
      expect(Array.from(readFloats(raw))).toEqual(values.map(Math.fround));
      const typed = tensor(type, [5], type === TensorDataType.FLOAT ? { floatData: [...values] } : { doubleData: [...values] });
      expect(Array.from(readFloats(typed))).toEqual(values.map(Math.fround));
    });

    it("float16 from raw_data and from int32_data (bit patterns)", () => {
      const bits = [0x3c00, 0xc000, 0x7bff, 0x0001, 0x8000];
      const want = [1, -2, 65504, 2 ** -24, -0];
      expect(Array.from(readFloats(tensor(TensorDataType.FLOAT16, [5], { rawData: leBytes(TensorDataType.FLOAT16, bits) })))).toEqual(want);
      expect(Array.from(readFloats(tensor(TensorDataType.FLOAT16, [5], { int32Data: bits })))).toEqual(want);
    });

    it.each([
      ["int8", TensorDataType.INT8, INT8],
      ["uint8", TensorDataType.UINT8, UINT8],
      ["int32", TensorDataType.INT32, INT32],
    ] as const)("%s from raw_data and from int32_data", (_n, type, values) => {
      expect(readInts(tensor(type, [5], { rawData: leBytes(type, values) }))).toEqual(values);
      expect(readInts(tensor(type, [5], { int32Data: [...values] }))).toEqual(values);
      expect(Array.from(readFloats(tensor(type, [5], { int32Data: [...values] })))).toEqual(values.map(Math.fround));
    });

    it("int64 from raw_data and from int64_data (Long after decoding)", () => {
      expect(readInts(tensor(TensorDataType.INT64, [5], { rawData: leBytes(TensorDataType.INT64, INT64) }))).toEqual(INT64);
      const typed = tensor(TensorDataType.INT64, [5], { int64Data: INT64.map((x) => Long.fromNumber(x)) });
      expect(Long.isLong(typed.int64Data[0])).toBe(true);
      expect(readInts(typed)).toEqual(INT64);
    });

    it("int64 extremes keep their magnitude (INT64_MAX/MIN as Slice ends)", () => {
      const raw = tensor(TensorDataType.INT64, [2], { rawData: leBytes(TensorDataType.INT64, [9223372036854775807n, -9223372036854775808n]) });
      expect(readInts(raw)).toEqual([2 ** 63, -(2 ** 63)]);
      const typed = tensor(TensorDataType.INT64, [2], { int64Data: [Long.MAX_VALUE, Long.MIN_VALUE] });
      expect(readInts(typed)).toEqual([2 ** 63, -(2 ** 63)]);
    });

    it("data that disagrees with dims is a ModelFormatError naming the tensor", () => {
      expect(() => readFloats(tensor(TensorDataType.FLOAT, [3], { rawData: new Uint8Array(8) }))).toThrow(/tensor 't': raw_data has 8 bytes, dims 3 need 12/);
      expect(() => readFloats(tensor(TensorDataType.FLOAT, [3], { floatData: [1, 2] }))).toThrow(/tensor 't': holds 2 values/);
      expect(() => readInts(tensor(TensorDataType.INT64, [2, 2], { int64Data: [Long.ONE] }))).toThrow(/holds 1 values/);
    });
  });

  describe("write keeps the data type and storage style", () => {
    it.each([
      ["float32 raw", TensorDataType.FLOAT, true],
      ["float32 float_data", TensorDataType.FLOAT, false],
      ["float64 raw", TensorDataType.DOUBLE, true],
      ["float64 double_data", TensorDataType.DOUBLE, false],
      ["float16 raw", TensorDataType.FLOAT16, true],
      ["float16 int32_data", TensorDataType.FLOAT16, false],
    ] as const)("%s", (_n, type, raw) => {
      const values = [0.5, -1, 2, 65504];
      const typedField: Partial<TensorProto> = type === TensorDataType.FLOAT ? { floatData: [9] } : type === TensorDataType.DOUBLE ? { doubleData: [9] } : { int32Data: [0x4880] };
      const t = tensor(type, [1], raw ? { rawData: leBytes(type, type === TensorDataType.FLOAT16 ? [0x4880] : [9]) } : typedField);
      writeFloats(t, [2, 2], Float32Array.from(values));
      const back = viaProtobuf(t);
      expect(back.dims.map(Number)).toEqual([2, 2]);
      expect(back.dataType).toBe(type);
      const expectedBits = type === TensorDataType.FLOAT16 ? [0x3800, 0xbc00, 0x4000, 0x7bff] : values;
      if (raw) {
        expect(Buffer.from(back.rawData!).equals(Buffer.from(leBytes(type, expectedBits)))).toBe(true);
        expect(back.floatData.length + back.doubleData.length + back.int32Data.length).toBe(0);
      } else {
        expect(back.rawData?.length ?? 0).toBe(0);
        const field = type === TensorDataType.FLOAT ? back.floatData : type === TensorDataType.DOUBLE ? back.doubleData : back.int32Data;
        expect(field).toEqual(expectedBits);
      }
      expect(Array.from(readFloats(back))).toEqual(values);
    });

    it.each([
      ["int8", TensorDataType.INT8, INT8],
      ["uint8", TensorDataType.UINT8, UINT8],
      ["int32", TensorDataType.INT32, INT32],
      ["int64", TensorDataType.INT64, INT64],
    ] as const)("%s, raw and typed", (_n, type, values) => {
      const raw = tensor(type, [1], { rawData: leBytes(type, [1]) });
      writeInts(raw, [5], values);
      expect(Buffer.from(viaProtobuf(raw).rawData!).equals(Buffer.from(leBytes(type, values)))).toBe(true);
      const typed = tensor(type, [1], type === TensorDataType.INT64 ? { int64Data: [Long.ONE] } : { int32Data: [1] });
      writeInts(typed, [5], values);
      const back = viaProtobuf(typed);
      expect(back.rawData?.length ?? 0).toBe(0);
      expect(readInts(back)).toEqual(values);
    });

    it("INT64_MAX read as 2^63 is written back as INT64_MAX, not wrapped to INT64_MIN", () => {
      const raw = tensor(TensorDataType.INT64, [1], { rawData: leBytes(TensorDataType.INT64, [9223372036854775807n]) });
      writeInts(raw, [1], readInts(raw));
      expect(Buffer.from(raw.rawData!).equals(Buffer.from(leBytes(TensorDataType.INT64, [9223372036854775807n])))).toBe(true);
      const typed = tensor(TensorDataType.INT64, [1], { int64Data: [Long.MAX_VALUE] });
      writeInts(typed, [1], readInts(typed));
      expect(viaProtobuf(typed).int64Data[0]!.toString()).toBe("9223372036854775807");
      const low = tensor(TensorDataType.INT64, [1], { rawData: leBytes(TensorDataType.INT64, [-9223372036854775808n]) });
      writeInts(low, [1], readInts(low));
      expect(new DataView(low.rawData!.buffer, low.rawData!.byteOffset).getBigInt64(0, true)).toBe(-9223372036854775808n);
    });
  });
});

describe("float16", () => {
  // [value, IEEE 754 binary16 bits]
  const KNOWN: [number, number][] = [
    [0, 0x0000], [-0, 0x8000], [1, 0x3c00], [-2, 0xc000], [0.5, 0x3800], [65504, 0x7bff],
    [2 ** -14, 0x0400], // smallest normal
    [2 ** -24, 0x0001], // smallest subnormal
    [1023 * 2 ** -24, 0x03ff], // largest subnormal
    [Infinity, 0x7c00], [-Infinity, 0xfc00],
  ];

  it("decodes and encodes known bit patterns", () => {
    for (const [value, bits] of KNOWN) {
      expect(Object.is(halfToFloat(bits), value), `half ${bits.toString(16)}`).toBe(true);
      expect(floatToHalf(value), `value ${value}`).toBe(bits);
    }
    expect(floatToHalf(1 / 3)).toBe(0x3555);
    expect(floatToHalf(0.1)).toBe(0x2e66);
    expect(halfToFloat(0x3555)).toBeCloseTo(1 / 3, 3);
    expect(Number.isNaN(halfToFloat(0x7e00))).toBe(true);
    expect(Number.isNaN(halfToFloat(0xfc01))).toBe(true);
    const nan = floatToHalf(NaN);
    expect(nan & 0x7c00).toBe(0x7c00);
    expect(nan & 0x03ff).not.toBe(0);
  });

  it("rounds to nearest, ties to even (normals, subnormals, overflow)", () => {
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00); // tie between 0x3c00 (even) and 0x3c01
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie between 0x3c01 and 0x3c02 (even)
    expect(floatToHalf(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01); // just above the tie
    expect(floatToHalf(1 - 2 ** -12)).toBe(0x3c00); // tie 0x3bff/0x3c00: carries into the exponent
    expect(floatToHalf(2 ** -25)).toBe(0x0000); // tie between 0 and the smallest subnormal
    expect(floatToHalf(3 * 2 ** -25)).toBe(0x0002); // tie between subnormals 1 and 2
    expect(floatToHalf(2 ** -25 * 1.0001)).toBe(0x0001);
    expect(floatToHalf(2 ** -26)).toBe(0x0000);
    expect(floatToHalf(-(2 ** -26))).toBe(0x8000);
    expect(floatToHalf(1023.5 * 2 ** -24)).toBe(0x0400); // largest subnormal + tie → smallest normal (even)
    expect(floatToHalf(65519)).toBe(0x7bff);
    expect(floatToHalf(65520)).toBe(0x7c00); // the tie above 65504 rounds to infinity
    expect(floatToHalf(1e9)).toBe(0x7c00);
  });

  it("every finite half survives half → float → half", () => {
    for (let h = 0; h < 0x10000; h++) {
      if ((h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0) continue; // NaNs
      expect(floatToHalf(halfToFloat(h))).toBe(h);
    }
  });
});

describe("Constant nodes seen through Identity/Cast by GraphIndex.constantTensor", () => {
  function constantModel(attr: AttributeProto): { index: GraphIndex; name: string } {
    const b = new ModelBuilder(1);
    const x = b.input("x", [1]);
    b.nodes.push({ name: "k", opType: "Constant", input: [], output: ["k_out"], attribute: [attr], domain: "" } as NodeProto);
    const id = b.op1("Identity", ["k_out"]);
    const cast = b.op1("Cast", [id], { to: TensorDataType.FLOAT });
    const y = b.op1("Add", [x, cast]);
    b.output(y);
    // through the wire format, like a loaded model
    const model = decodeModel(encodeModel(b.build("constants")), "constants");
    return { index: new GraphIndex(model, "constants"), name: cast };
  }

  it.each([
    ["value", { name: "value", type: 4, t: { ...emptyTensor("v", TensorDataType.INT64), dims: [3], rawData: leBytes(TensorDataType.INT64, [1, 9223372036854775807n, -5]) } }, [1, 2 ** 63, -5], [3]],
    ["value_float", { name: "value_float", type: 1, f: 2.5 }, [2.5], []],
    ["value_floats", { name: "value_floats", type: 6, floats: [1, -0.5] }, [1, -0.5], [2]],
    ["value_int", { name: "value_int", type: 2, i: 7 }, [7], []],
    ["value_ints", { name: "value_ints", type: 7, ints: [3, -1, 0] }, [3, -1, 0], [3]],
    ["value_int = 0 (proto2 default, still present)", { name: "value_int", type: 2, i: 0 }, [0], []],
  ] as const)("%s", (_n, attr, values, dims) => {
    const { index, name } = constantModel(attr as AttributeProto);
    const t = index.constantTensor(name)!;
    expect(t).toBeDefined();
    expect(t.dims.map(Number)).toEqual(dims);
    expect(t.dataType === TensorDataType.FLOAT ? Array.from(readFloats(t)) : readInts(t)).toEqual(values);
  });

  it("a value computed at run time is not a constant", () => {
    const b = new ModelBuilder(1);
    const x = b.input("x", [1]);
    const y = b.op1("Identity", [x]);
    b.output(y);
    expect(new GraphIndex(b.build(), "m").constantTensor(y)).toBeUndefined();
  });
});
