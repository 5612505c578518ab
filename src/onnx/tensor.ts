/**
 * Tensor codecs: read and write initializer values stored as raw_data (little-endian) or in the
 * typed repeated fields, for float32/float16/float64 and the integer types. Writes keep the
 * tensor's data type and its storage style, so an edited model looks like its exporter wrote it.
 */
import Long from "long";
import { LimitError, ModelFormatError } from "../errors.js";
import { floatToHalf, halfToFloat } from "./float16.js";
import { DataLocation, int64ToNumber, TensorDataType, type TensorProto } from "./proto.js";

const BYTES_PER_ELEMENT: Record<number, number> = {
  [TensorDataType.FLOAT]: 4, [TensorDataType.UINT8]: 1, [TensorDataType.INT8]: 1,
  [TensorDataType.UINT16]: 2, [TensorDataType.INT16]: 2, [TensorDataType.INT32]: 4,
  [TensorDataType.INT64]: 8, [TensorDataType.BOOL]: 1, [TensorDataType.FLOAT16]: 2,
  [TensorDataType.DOUBLE]: 8, [TensorDataType.UINT32]: 4, [TensorDataType.UINT64]: 8,
  [TensorDataType.BFLOAT16]: 2,
};

export const DATA_TYPE_NAMES: Record<number, string> = {
  1: "float32", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32", 7: "int64",
  8: "string", 9: "bool", 10: "float16", 11: "float64", 12: "uint32", 13: "uint64",
  14: "complex64", 15: "complex128", 16: "bfloat16",
};

/** Largest element count we will materialise for one tensor (about 8 GiB of float64). */
export const MAX_TENSOR_ELEMENTS = 2 ** 30;

export function bytesPerElement(dataType: number): number | undefined {
  return BYTES_PER_ELEMENT[dataType];
}

export function tensorName(t: TensorProto): string {
  return t.name && t.name.length > 0 ? t.name : "<unnamed tensor>";
}

export function tensorDims(t: TensorProto): number[] {
  return t.dims.map((d) => {
    const n = int64ToNumber(d);
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new ModelFormatError(`tensor '${tensorName(t)}': invalid dimension ${String(d)}`);
    }
    return n;
  });
}

export function elementCount(dims: readonly number[], what = "tensor"): number {
  let n = 1;
  for (const d of dims) {
    n *= d;
    if (n > MAX_TENSOR_ELEMENTS) {
      throw new LimitError(`${what}: ${dims.join("×")} elements exceed the limit of ${MAX_TENSOR_ELEMENTS}`);
    }
  }
  return n;
}

export function isExternal(t: TensorProto): boolean {
  return t.dataLocation === DataLocation.EXTERNAL;
}

function checkReadable(t: TensorProto): number {
  if (isExternal(t)) {
    throw new ModelFormatError(
      `tensor '${tensorName(t)}': data is stored externally and was not loaded (load the model from a file path)`,
    );
  }
  const count = elementCount(tensorDims(t), `tensor '${tensorName(t)}'`);
  const raw = t.rawData;
  if (raw && raw.length > 0) {
    const size = BYTES_PER_ELEMENT[t.dataType ?? 0];
    if (size === undefined) {
      throw new ModelFormatError(`tensor '${tensorName(t)}': unsupported data type ${t.dataType}`);
    }
    if (raw.length !== count * size) {
      throw new ModelFormatError(
        `tensor '${tensorName(t)}': raw_data has ${raw.length} bytes, dims ${tensorDims(t).join("×")} need ${count * size}`,
      );
    }
  }
  return count;
}

function rawView(t: TensorProto): DataView {
  // raw_data is usually a subarray of the model buffer: copy to get an aligned, owned buffer.
  const copy = t.rawData!.slice();
  return new DataView(copy.buffer, copy.byteOffset, copy.byteLength);
}

function typedFieldLength(t: TensorProto, count: number, length: number): void {
  if (length !== count) {
    throw new ModelFormatError(
      `tensor '${tensorName(t)}': holds ${length} values, dims ${tensorDims(t).join("×")} need ${count}`,
    );
  }
}

/** Values of a floating-point (or integer) tensor as float32. */
export function readFloats(t: TensorProto): Float32Array {
  const count = checkReadable(t);
  const type = t.dataType ?? 0;
  const out = new Float32Array(count);
  if (t.rawData && t.rawData.length > 0) {
    const v = rawView(t);
    switch (type) {
      case TensorDataType.FLOAT: for (let i = 0; i < count; i++) out[i] = v.getFloat32(i * 4, true); break;
      case TensorDataType.FLOAT16: for (let i = 0; i < count; i++) out[i] = halfToFloat(v.getUint16(i * 2, true)); break;
      case TensorDataType.DOUBLE: for (let i = 0; i < count; i++) out[i] = v.getFloat64(i * 8, true); break;
      default: {
        const ints = readInts(t);
        for (let i = 0; i < count; i++) out[i] = ints[i]!;
      }
    }
    return out;
  }
  switch (type) {
    case TensorDataType.FLOAT:
      typedFieldLength(t, count, t.floatData.length);
      out.set(t.floatData);
      return out;
    case TensorDataType.DOUBLE:
      typedFieldLength(t, count, t.doubleData.length);
      out.set(t.doubleData);
      return out;
    case TensorDataType.FLOAT16:
    case TensorDataType.BFLOAT16:
      typedFieldLength(t, count, t.int32Data.length);
      for (let i = 0; i < count; i++) {
        const bits = t.int32Data[i]!;
        out[i] = type === TensorDataType.FLOAT16 ? halfToFloat(bits) : bfloatToFloat(bits);
      }
      return out;
    default: {
      const ints = readInts(t);
      for (let i = 0; i < count; i++) out[i] = ints[i]!;
      return out;
    }
  }
}

function bfloatToFloat(bits: number): number {
  const f = new Float32Array(new Uint32Array([bits << 16]).buffer);
  return f[0]!;
}

/** Values of an integer tensor (int8..int64, uint8..uint64, bool) as JS numbers. */
export function readInts(t: TensorProto): number[] {
  const count = checkReadable(t);
  const type = t.dataType ?? 0;
  const out = new Array<number>(count);
  if (t.rawData && t.rawData.length > 0) {
    const v = rawView(t);
    for (let i = 0; i < count; i++) {
      switch (type) {
        case TensorDataType.INT64: out[i] = Number(v.getBigInt64(i * 8, true)); break;
        case TensorDataType.UINT64: out[i] = Number(v.getBigUint64(i * 8, true)); break;
        case TensorDataType.INT32: out[i] = v.getInt32(i * 4, true); break;
        case TensorDataType.UINT32: out[i] = v.getUint32(i * 4, true); break;
        case TensorDataType.INT16: out[i] = v.getInt16(i * 2, true); break;
        case TensorDataType.UINT16: out[i] = v.getUint16(i * 2, true); break;
        case TensorDataType.INT8: out[i] = v.getInt8(i); break;
        case TensorDataType.UINT8: case TensorDataType.BOOL: out[i] = v.getUint8(i); break;
        case TensorDataType.FLOAT: out[i] = v.getFloat32(i * 4, true); break;
        case TensorDataType.DOUBLE: out[i] = v.getFloat64(i * 8, true); break;
        default:
          throw new ModelFormatError(`tensor '${tensorName(t)}': cannot read data type ${DATA_TYPE_NAMES[type] ?? type} as integers`);
      }
    }
    return out;
  }
  switch (type) {
    case TensorDataType.INT64:
      typedFieldLength(t, count, t.int64Data.length);
      return t.int64Data.map(int64ToNumber);
    case TensorDataType.UINT64:
      typedFieldLength(t, count, t.uint64Data.length);
      return t.uint64Data.map(int64ToNumber);
    case TensorDataType.INT32: case TensorDataType.INT16: case TensorDataType.INT8:
    case TensorDataType.UINT16: case TensorDataType.UINT8: case TensorDataType.BOOL:
      typedFieldLength(t, count, t.int32Data.length);
      return t.int32Data.slice();
    case TensorDataType.UINT32:
      typedFieldLength(t, count, t.uint64Data.length);
      return t.uint64Data.map(int64ToNumber);
    case TensorDataType.FLOAT:
      typedFieldLength(t, count, t.floatData.length);
      return t.floatData.slice();
    case TensorDataType.DOUBLE:
      typedFieldLength(t, count, t.doubleData.length);
      return t.doubleData.slice();
    default:
      throw new ModelFormatError(`tensor '${tensorName(t)}': cannot read data type ${DATA_TYPE_NAMES[type] ?? type} as integers`);
  }
}

function usesRaw(t: TensorProto): boolean {
  if (t.rawData && t.rawData.length > 0) return true;
  const typed = t.floatData.length + t.int32Data.length + t.int64Data.length + t.doubleData.length + t.uint64Data.length;
  return typed === 0; // an empty tensor or a new one: raw_data is the compact default
}

function clearData(t: TensorProto): void {
  t.floatData = [];
  t.int32Data = [];
  t.int64Data = [];
  t.doubleData = [];
  t.uint64Data = [];
  t.rawData = new Uint8Array(0);
}

/**
 * Checks that `count` values fill `dims`, empties the tensor's data fields and sets its dims.
 * Returns whether the tensor stored its data in raw_data (the new data keeps that style).
 */
function resetForWrite(t: TensorProto, dims: readonly number[], count: number): boolean {
  if (elementCount(dims) !== count) {
    throw new ModelFormatError(`tensor '${tensorName(t)}': ${count} values do not fill dims ${dims.join("×")}`);
  }
  const raw = usesRaw(t);
  clearData(t);
  t.dims = dims.slice();
  return raw;
}

/**
 * Replace a floating-point tensor's dims and values, keeping its data type (float32, float16,
 * float64) and storage style.
 */
export function writeFloats(t: TensorProto, dims: readonly number[], values: Float32Array | Float64Array): void {
  const type = t.dataType ?? TensorDataType.FLOAT;
  const raw = resetForWrite(t, dims, values.length);
  if (type === TensorDataType.FLOAT) {
    if (raw) t.rawData = new Uint8Array(Float32Array.from(values).buffer);
    else t.floatData = Array.from(values);
  } else if (type === TensorDataType.DOUBLE) {
    if (raw) t.rawData = new Uint8Array(Float64Array.from(values).buffer);
    else t.doubleData = Array.from(values);
  } else if (type === TensorDataType.FLOAT16) {
    const halves = new Uint16Array(values.length);
    for (let i = 0; i < values.length; i++) halves[i] = floatToHalf(values[i]!);
    if (raw) t.rawData = new Uint8Array(halves.buffer);
    else t.int32Data = Array.from(halves);
  } else {
    throw new ModelFormatError(`tensor '${tensorName(t)}': cannot write float values into data type ${DATA_TYPE_NAMES[type] ?? type}`);
  }
}

/** Replace an integer tensor's dims and values, keeping its data type and storage style. */
export function writeInts(t: TensorProto, dims: readonly number[], values: readonly number[]): void {
  const type = t.dataType ?? TensorDataType.INT64;
  const raw = resetForWrite(t, dims, values.length);
  const size = BYTES_PER_ELEMENT[type];
  if (size === undefined) throw new ModelFormatError(`tensor '${tensorName(t)}': unsupported data type ${type}`);
  if (raw) {
    const bytes = new Uint8Array(values.length * size);
    const v = new DataView(bytes.buffer);
    values.forEach((x, i) => {
      switch (type) {
        case TensorDataType.INT64: v.setBigInt64(i * 8, toInt64(x), true); break;
        case TensorDataType.UINT64: v.setBigUint64(i * 8, BigInt(Math.trunc(x)), true); break;
        case TensorDataType.INT32: v.setInt32(i * 4, x, true); break;
        case TensorDataType.UINT32: v.setUint32(i * 4, x, true); break;
        case TensorDataType.INT16: v.setInt16(i * 2, x, true); break;
        case TensorDataType.UINT16: v.setUint16(i * 2, x, true); break;
        case TensorDataType.INT8: v.setInt8(i, x); break;
        default: v.setUint8(i, x);
      }
    });
    t.rawData = bytes;
  } else if (type === TensorDataType.INT64) {
    t.int64Data = values.map((x) => Long.fromNumber(x));
  } else if (type === TensorDataType.UINT64 || type === TensorDataType.UINT32) {
    t.uint64Data = values.map((x) => Long.fromNumber(x, true));
  } else {
    t.int32Data = values.slice();
  }
}

function toInt64(x: number): bigint {
  // INT64_MAX as a float is 2^63, one past the range: saturate instead of wrapping around.
  if (x >= 2 ** 63) return 9223372036854775807n;
  if (x <= -(2 ** 63)) return -9223372036854775808n;
  return BigInt(Math.trunc(x));
}

export function makeFloatTensor(name: string, dims: readonly number[], values: Float32Array): TensorProto {
  const t = emptyTensor(name, TensorDataType.FLOAT);
  writeFloats(t, dims, values);
  return t;
}

export function makeInt64Tensor(name: string, dims: readonly number[], values: readonly number[]): TensorProto {
  const t = emptyTensor(name, TensorDataType.INT64);
  writeInts(t, dims, values);
  return t;
}

export function emptyTensor(name: string, dataType: number): TensorProto {
  return {
    name, dataType, dims: [], floatData: [], int32Data: [], stringData: [], int64Data: [],
    externalData: [], doubleData: [], uint64Data: [], rawData: new Uint8Array(0),
  };
}
