/**
 * The independent reference for surgery: the ORIGINAL model with the removed channels silenced by
 * zeroing the consumers' weight slices on them. Deliberately simple and separate from src/surgery:
 * it reads only each consumer's offset/stride/range and its weight layout from the ONNX spec.
 */
import { attrInt } from "../../src/graph/graph-index.js";
import type { ChannelGroup, KeepSets } from "../../src/groups/types.js";
import { cloneModel, encodeModel } from "../../src/onnx/model-io.js";
import type { ModelProto, NodeProto } from "../../src/onnx/proto.js";
import { readFloats, tensorDims, writeFloats } from "../../src/onnx/tensor.js";
import { floatTensor, ModelSession, tensorData } from "../../src/runtime/ort.js";
import { SeededRandom } from "../../src/util/random.js";

/** Axis of the consumer's weight that indexes its input channels/features. */
function inputAxis(node: NodeProto): number {
  switch (node.opType) {
    case "Conv": return 1;
    case "ConvTranspose": return 0;
    case "Gemm": return attrInt(node, "transB", 0) === 1 ? 1 : 0;
    case "MatMul": return 0;
    default: throw new Error(`mask: no weight layout for consumer op ${node.opType}`);
  }
}

export function maskModel(model: ModelProto, groups: readonly ChannelGroup[], keep: KeepSets): ModelProto {
  const copy = cloneModel(model);
  const graph = copy.graph!;
  for (const g of groups) {
    const list = keep.get(g.id);
    if (!list) continue;
    const kept = new Set(list);
    for (const c of g.consumers) {
      const node = graph.node[c.node]!;
      // exporters sometimes route a weight through Identity: zero the initializer behind it
      let wName = node.input[1]!;
      for (let id = graph.node.find((n) => n.output[0] === wName); id?.opType === "Identity"; id = graph.node.find((n) => n.output[0] === wName)) wName = id.input[0]!;
      const w = graph.initializer.find((t) => t.name === wName)!;
      const dims = tensorDims(w);
      const data = readFloats(w);
      const axis = inputAxis(node);
      const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
      const n = dims[axis]!;
      const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
      for (let ch = c.start; ch < c.start + c.count; ch++) {
        if (kept.has(ch)) continue;
        for (let j = 0; j < c.stride; j++) {
          const p = c.offset + (ch - c.start) * c.stride + j;
          for (let o = 0; o < outer; o++) data.fill(0, (o * n + p) * inner, (o * n + p + 1) * inner);
        }
      }
      writeFloats(w, dims, data);
    }
  }
  return copy;
}

/** Seeded random keep sets for every prunable group (each keeps ≥ 1 channel of every tensor range). */
export function randomKeepSets(groups: readonly ChannelGroup[], rng: SeededRandom, ratio?: number): KeepSets {
  const keep: KeepSets = new Map();
  for (const g of groups) {
    if (!g.prunable) continue;
    for (let attempt = 0; attempt < 50; attempt++) {
      const n = ratio === undefined ? 1 + rng.int(g.channels) : Math.max(1, g.channels - Math.floor(ratio * g.channels));
      const list = rng.shuffle(Array.from({ length: g.channels }, (_, c) => c)).slice(0, n).sort((a, b) => a - b);
      const set = new Set(list);
      const ok = g.tensors.every((t) => {
        for (let c = t.start; c < t.start + t.count; c++) if (set.has(c)) return true;
        return false;
      });
      if (ok) {
        keep.set(g.id, list);
        break;
      }
    }
  }
  return keep;
}

export function randomInput(shape: readonly number[], seed: number): Float32Array {
  const rng = new SeededRandom(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = rng.normal();
  return x;
}

export async function runModel(model: ModelProto, input: Float32Array, shape: readonly number[], label: string): Promise<Float32Array[]> {
  const session = await ModelSession.create(encodeModel(model), label);
  try {
    const name = session.inputNames[0]!;
    const result = await session.run({ [name]: floatTensor(input, shape) });
    return session.outputNames.map((o) => tensorData(result[o]!, o).slice());
  } finally {
    await session.release();
  }
}

/** max |a − b| / (max |b| + 1e-6) over all outputs. */
export function relativeError(a: readonly Float32Array[], b: readonly Float32Array[]): number {
  let diff = 0;
  let scale = 0;
  b.forEach((ref, k) => {
    const got = a[k]!;
    if (got.length !== ref.length) throw new Error(`output ${k}: ${got.length} values, expected ${ref.length}`);
    for (let i = 0; i < ref.length; i++) {
      diff = Math.max(diff, Math.abs(got[i]! - ref[i]!));
      scale = Math.max(scale, Math.abs(ref[i]!));
    }
  });
  return diff / (scale + 1e-6);
}
