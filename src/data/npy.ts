/** NumPy .npy (format 1.0–3.0) reading and writing for C-order arrays of the dtypes we use. */
import { DataError } from "../errors.js";

export type NpyDtype = "float32" | "float64" | "uint8" | "int64" | "int32";

export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  /** float32/float64/uint8/int32 as typed arrays; int64 converted to a Float64Array of exact integers. */
  data: Float32Array | Float64Array | Uint8Array | Int32Array;
}

const DESCR: Record<string, NpyDtype> = {
  "<f4": "float32", "<f8": "float64", "|u1": "uint8", "<u1": "uint8", "|b1": "uint8",
  "<i8": "int64", "<i4": "int32",
};

export interface NpyHeader {
  dtype: NpyDtype;
  shape: number[];
  /** Byte offset of the data. */
  dataOffset: number;
  bytesPerElement: number;
  count: number;
}

/** Parses the header from the first bytes of a file (at least 10 + header length). */
export function parseNpyHeader(bytes: Uint8Array, file: string): NpyHeader {
  if (bytes.length < 10 || bytes[0] !== 0x93 || String.fromCharCode(...bytes.subarray(1, 6)) !== "NUMPY") {
    throw new DataError(`${file}: not a .npy file (bad magic)`);
  }
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let offset: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    offset = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new DataError(`${file}: truncated .npy header`);
    headerLen = view.getUint32(8, true);
    offset = 12;
  } else {
    throw new DataError(`${file}: unsupported .npy version ${major}`);
  }
  if (offset + headerLen > bytes.length) throw new DataError(`${file}: truncated .npy header`);
  const header = new TextDecoder("latin1").decode(bytes.subarray(offset, offset + headerLen));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new DataError(`${file}: malformed .npy header: ${header.trim()}`);
  const dtype = DESCR[descr];
  if (!dtype) throw new DataError(`${file}: unsupported dtype '${descr}' (use float32, float64, uint8, int32 or int64)`);
  if (fortran === "True") throw new DataError(`${file}: Fortran-order arrays are not supported; save with np.ascontiguousarray`);
  const shape = shapeText.split(",").map((s) => s.trim()).filter((s) => s.length > 0).map((s) => {
    const n = Number(s.replace(/L$/, ""));
    if (!Number.isSafeInteger(n) || n < 0) throw new DataError(`${file}: invalid shape entry '${s}'`);
    return n;
  });
  const count = shape.reduce((a, b) => a * b, 1);
  const bytesPerElement = { float32: 4, float64: 8, uint8: 1, int64: 8, int32: 4 }[dtype];
  return { dtype, shape, dataOffset: offset + headerLen, bytesPerElement, count };
}

/** Checks that the file holds exactly the data its header declares. */
export function checkNpySize(h: NpyHeader, fileBytes: number, file: string): void {
  if (fileBytes - h.dataOffset !== h.count * h.bytesPerElement) {
    throw new DataError(`${file}: holds ${fileBytes - h.dataOffset} data bytes, shape (${h.shape.join(", ")}) of ${h.dtype} needs ${h.count * h.bytesPerElement}`);
  }
}

/** Decodes little-endian element bytes of a dtype into a typed array (int64 → exact float64). */
export function decodeNpyElements(dtype: NpyDtype, body: Uint8Array, count: number): NpyArray["data"] {
  const aligned = body.byteOffset % 8 === 0 ? body : body.slice();
  switch (dtype) {
    case "float32": return new Float32Array(aligned.buffer, aligned.byteOffset, count);
    case "float64": return new Float64Array(aligned.buffer, aligned.byteOffset, count);
    case "uint8": return aligned;
    case "int32": return new Int32Array(aligned.buffer, aligned.byteOffset, count);
    case "int64": return Float64Array.from(new BigInt64Array(aligned.buffer, aligned.byteOffset, count), (v) => Number(v));
  }
}

export function parseNpy(bytes: Uint8Array, file: string): NpyArray {
  const h = parseNpyHeader(bytes, file);
  checkNpySize(h, bytes.length, file);
  const { dtype, shape, count } = h;
  const body = bytes.slice(h.dataOffset); // aligned copy
  const data = decodeNpyElements(dtype, body, count);
  return { dtype, shape, data };
}

export function encodeNpy(array: { dtype: "float32" | "int64" | "uint8"; shape: number[]; data: Float32Array | Uint8Array | number[] }): Uint8Array {
  const descr = array.dtype === "float32" ? "<f4" : array.dtype === "int64" ? "<i8" : "|u1";
  const shape = array.shape.length === 1 ? `(${array.shape[0]},)` : `(${array.shape.join(", ")})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + header.length + 1;
  header += " ".repeat((64 - (total % 64)) % 64) + "\n";
  const headerBytes = new TextEncoder().encode(header);
  let body: Uint8Array;
  if (array.dtype === "float32") body = new Uint8Array(Float32Array.from(array.data as ArrayLike<number>).buffer);
  else if (array.dtype === "int64") body = new Uint8Array(BigInt64Array.from(Array.from(array.data as ArrayLike<number>), (v) => BigInt(v)).buffer);
  else body = Uint8Array.from(array.data as ArrayLike<number>);
  const out = new Uint8Array(10 + headerBytes.length + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, headerBytes.length, true);
  out.set(headerBytes, 10);
  out.set(body, 10 + headerBytes.length);
  return out;
}
