/** Weight-space criteria (l1, l2, fpgm): per output channel of each producer's weight tensor. */
import { readFloats, tensorDims } from "../onnx/tensor.js";
import type { GraphIndex } from "../graph/graph-index.js";
import type { ChannelGroup, GroupProducer } from "../groups/types.js";
import { UnsupportedStructureError } from "../errors.js";

/** The group's C filters of one producer as rows of a C×K matrix (float64). */
export function producerFilters(index: GraphIndex, group: ChannelGroup, p: GroupProducer): { rows: Float64Array[]; size: number } {
  const t = index.constantTensor(p.weight);
  if (!t) throw new UnsupportedStructureError(`group '${group.label}': weight '${p.weight}' of '${p.name}' is not a constant`);
  const dims = tensorDims(t);
  const w = readFloats(t);
  const axis = p.weightAxis;
  const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const axisSize = dims[axis]!;
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const rows: Float64Array[] = [];
  for (let c = 0; c < group.channels; c++) {
    const ch = p.offset + c;
    if (ch >= axisSize) throw new UnsupportedStructureError(`group '${group.label}': channel ${ch} beyond axis ${axis} of '${p.weight}'`);
    const row = new Float64Array(outer * inner);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) row[o * inner + i] = w[(o * axisSize + ch) * inner + i]!;
    }
    rows.push(row);
  }
  return { rows, size: outer * inner };
}

export function rowNorms(rows: readonly Float64Array[], p: 1 | 2): Float64Array {
  return Float64Array.from(rows, (r) => {
    let s = 0;
    for (let i = 0; i < r.length; i++) s += p === 1 ? Math.abs(r[i]!) : r[i]! * r[i]!;
    return p === 1 ? s : Math.sqrt(s);
  });
}

/** FPGM (He et al. 2019): sum of Euclidean distances to the other filters; small = replaceable. */
export function geometricMedianScores(rows: readonly Float64Array[]): Float64Array {
  const n = rows.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let s = 0;
      const a = rows[i]!;
      const b = rows[j]!;
      for (let k = 0; k < a.length; k++) {
        const d = a[k]! - b[k]!;
        s += d * d;
      }
      const d = Math.sqrt(s);
      out[i] += d;
      out[j] += d;
    }
  }
  return out;
}
