/** Keeping some indices of one axis of an initializer, in its own data type and storage style. */
import { UnsupportedStructureError } from "../errors.js";
import { TensorDataType, type TensorProto } from "../onnx/proto.js";
import { readFloats, readInts, tensorDims, tensorName, writeFloats, writeInts } from "../onnx/tensor.js";

const FLOAT_TYPES = new Set<number>([TensorDataType.FLOAT, TensorDataType.FLOAT16, TensorDataType.DOUBLE]);

export function sliceAxis(t: TensorProto, axis: number, keep: readonly number[]): void {
  const dims = tensorDims(t);
  const n = dims[axis];
  if (n === undefined) throw new UnsupportedStructureError(`tensor '${tensorName(t)}' has no axis ${axis} to slice`);
  if (keep.some((k) => k >= n)) {
    throw new UnsupportedStructureError(`tensor '${tensorName(t)}': axis ${axis} has ${n} entries, cannot keep index ${Math.max(...keep)}`);
  }
  const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const newDims = dims.slice();
  newDims[axis] = keep.length;
  const pick = <T extends { length: number; [i: number]: number }>(src: T, dst: T): T => {
    let o = 0;
    for (let a = 0; a < outer; a++) {
      for (const k of keep) {
        const base = (a * n + k) * inner;
        for (let j = 0; j < inner; j++) dst[o++] = src[base + j]!;
      }
    }
    return dst;
  };
  const count = outer * keep.length * inner;
  if (FLOAT_TYPES.has(t.dataType ?? 0)) {
    writeFloats(t, newDims, pick(readFloats(t), new Float32Array(count)));
  } else {
    writeInts(t, newDims, pick(readInts(t), new Array<number>(count)));
  }
}
