/**
 * Static shapes of every tensor for one input shape, read by running onnxruntime-web once with
 * every intermediate tensor as an extra graph output (exact for any op ORT supports).
 */
import { UsageError } from "../errors.js";
import { encodeModel, cloneModel } from "../onnx/model-io.js";
import { int64ToNumber, TensorDataType, type ModelProto, type ValueInfoProto } from "../onnx/proto.js";
import { elementCount, tensorDims } from "../onnx/tensor.js";
import { ModelSession, type Feeds } from "../runtime/ort.js";
import { GraphIndex } from "./graph-index.js";
import * as ort from "onnxruntime-web";

export type ShapeMap = Map<string, number[]>;

/** The declared shape of a graph input; dynamic dims are -1. */
export function declaredShape(vi: ValueInfoProto): number[] {
  const dims = vi.type?.tensorType?.shape?.dim ?? [];
  return dims.map((d) => {
    const v = d.dimValue !== undefined && d.dimValue !== null ? int64ToNumber(d.dimValue) : 0;
    return v > 0 ? v : -1;
  });
}

/**
 * The concrete shape to use for an input: the user's, or the declared one with a dynamic batch
 * axis set to `batch`. Other dynamic axes need the user's shape.
 */
export function concreteInputShape(vi: ValueInfoProto, requested: readonly number[] | undefined, batch = 1, source = "model"): number[] {
  const declared = declaredShape(vi);
  if (requested) {
    if (declared.length > 0 && requested.length !== declared.length) {
      throw new UsageError(`${source}: input '${vi.name}' has rank ${declared.length}, --input-shape gives ${requested.length} dims`);
    }
    requested.forEach((d, i) => {
      const want = declared[i];
      if (want !== undefined && want > 0 && want !== d && i > 0) {
        throw new UsageError(`${source}: input '${vi.name}' axis ${i} is ${want}, --input-shape gives ${d}`);
      }
    });
    return [...requested];
  }
  if (declared.length === 0) throw new UsageError(`${source}: input '${vi.name}' has no declared shape; pass --input-shape`);
  return declared.map((d, i) => {
    if (d > 0) return d;
    if (i === 0) return batch;
    throw new UsageError(`${source}: input '${vi.name}' axis ${i} is dynamic; pass --input-shape`);
  });
}

export function elemTypeOf(vi: ValueInfoProto): number {
  return vi.type?.tensorType?.elemType ?? TensorDataType.FLOAT;
}

/** A feed of constant 0.5 (float) or 0 (integer) values; shapes do not depend on values in CNNs. */
export function placeholderFeeds(index: GraphIndex, shapes: Map<string, number[]>): Feeds {
  const feeds: Feeds = {};
  for (const vi of index.graph.input) {
    const name = vi.name ?? "";
    if (!index.isGraphInput(name)) continue;
    const dims = shapes.get(name)!;
    const n = elementCount(dims, `input '${name}'`);
    const type = elemTypeOf(vi);
    if (type === TensorDataType.FLOAT) feeds[name] = new ort.Tensor("float32", new Float32Array(n).fill(0.5), dims);
    else if (type === TensorDataType.INT64) feeds[name] = new ort.Tensor("int64", new BigInt64Array(n), dims);
    else if (type === TensorDataType.INT32) feeds[name] = new ort.Tensor("int32", new Int32Array(n), dims);
    else if (type === TensorDataType.UINT8) feeds[name] = new ort.Tensor("uint8", new Uint8Array(n), dims);
    else throw new UsageError(`input '${name}' has element type ${type}, which onnx-prune cannot feed`);
  }
  return feeds;
}

/** A copy of the model whose graph outputs also include the given tensors. */
export function withExtraOutputs(model: ModelProto, names: Iterable<string>): ModelProto {
  const copy = cloneModel(model);
  const graph = copy.graph!;
  const have = new Set(graph.output.map((o) => o.name));
  for (const n of names) {
    if (!have.has(n)) {
      graph.output.push({ name: n });
      have.add(n);
    }
  }
  return copy;
}

export async function inferShapes(
  model: ModelProto,
  inputShapes: Record<string, number[]> = {},
  source = "model",
): Promise<ShapeMap> {
  const index = new GraphIndex(model, source);
  const shapes: ShapeMap = new Map();
  for (const t of index.graph.initializer) if (t.name) shapes.set(t.name, tensorDims(t));
  for (const vi of index.graph.input) {
    const name = vi.name ?? "";
    if (index.isGraphInput(name)) shapes.set(name, concreteInputShape(vi, inputShapes[name], 1, source));
  }
  const outputs = new Set<string>();
  for (const n of index.nodes) for (const o of n.output) if (o) outputs.add(o);
  const probe = withExtraOutputs(model, outputs);
  const session = await ModelSession.create(encodeModel(probe), source, { optimization: "disabled" });
  try {
    const result = await session.run(placeholderFeeds(index, shapes));
    for (const [name, t] of Object.entries(result)) shapes.set(name, [...t.dims]);
  } finally {
    await session.release();
  }
  return shapes;
}
