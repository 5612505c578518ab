/**
 * Resource limits for untrusted models, checked before anything large is allocated: the model
 * file's size, the total bytes of tensor data (inline and external), the number of nodes and the
 * nesting depth of subgraphs. Exceeding one is a LimitError naming the model and the limit.
 * (Per-tensor element counts are capped in tensor.ts, MAX_TENSOR_ELEMENTS.)
 */
import { LimitError, ModelFormatError, OnnxPruneError } from "../errors.js";
import { DataLocation, TensorDataType, type GraphProto, type ModelProto, type TensorProto } from "./proto.js";
import { bytesPerElement, elementCount, tensorDims, tensorName } from "./tensor.js";

export interface ModelLimits {
  /** Largest model file read into memory; protobuf itself cannot exceed 2 GiB. Default 2 GiB. */
  maxModelFileBytes: number;
  /** Total tensor data of a model, inline plus external. Default 8 GiB. */
  maxTotalTensorBytes: number;
  /** Nodes in the main graph, its subgraphs and functions together. Default 1,000,000. */
  maxNodes: number;
  /** Nesting depth of subgraphs (If/Loop/Scan bodies). Default 16. */
  maxSubgraphDepth: number;
}

export const DEFAULT_LIMITS: Readonly<ModelLimits> = Object.freeze({
  maxModelFileBytes: 2 ** 31,
  maxTotalTensorBytes: 8 * 2 ** 30,
  maxNodes: 1_000_000,
  maxSubgraphDepth: 16,
});

export function resolveLimits(partial?: Partial<ModelLimits>): ModelLimits {
  const out = { ...DEFAULT_LIMITS };
  for (const [k, v] of Object.entries(partial ?? {})) {
    if (v !== undefined && k in out) (out as Record<string, number>)[k] = v;
  }
  return out;
}

const TYPED_SIZE = { floatData: 4, int32Data: 4, int64Data: 8, doubleData: 8, uint64Data: 8 } as const;

/** Bytes a tensor holds in the model (raw_data or typed fields; external data not counted). */
export function inlineBytesOf(t: TensorProto): number {
  let n = t.rawData?.length ?? 0;
  for (const [field, size] of Object.entries(TYPED_SIZE)) n += ((t as unknown as Record<string, unknown[] | undefined>)[field]?.length ?? 0) * size;
  for (const s of t.stringData ?? []) n += s.length;
  return n;
}

/** The typed field that holds a tensor's values when raw_data is not used (onnx.proto comments). */
function typedValues(t: TensorProto): number | undefined {
  switch (t.dataType) {
    case TensorDataType.FLOAT: return t.floatData.length;
    case TensorDataType.DOUBLE: return t.doubleData.length;
    case TensorDataType.INT64: return t.int64Data.length;
    case TensorDataType.UINT32: case TensorDataType.UINT64: return t.uint64Data.length;
    case TensorDataType.INT32: case TensorDataType.INT16: case TensorDataType.INT8: case TensorDataType.UINT16:
    case TensorDataType.UINT8: case TensorDataType.BOOL: case TensorDataType.FLOAT16: case TensorDataType.BFLOAT16:
      return t.int32Data.length;
    default: return undefined;
  }
}

/**
 * Inline data must fill the dims exactly: checked at load time, so a tensor whose dims claim more
 * (or less) than its bytes never reaches a reader that would size a buffer from the dims.
 */
export function checkTensorData(t: TensorProto, source: string): void {
  if (t.dataLocation === DataLocation.EXTERNAL || t.segment) return;
  const size = bytesPerElement(t.dataType ?? 0);
  const raw = t.rawData?.length ?? 0;
  const typed = typedValues(t);
  if (size === undefined || (raw === 0 && !typed)) return; // strings, unknown types, empty tensors
  let count: number;
  try {
    count = elementCount(tensorDims(t), `tensor '${tensorName(t)}'`);
  } catch (e) {
    if (e instanceof OnnxPruneError) e.message = `${source}: ${e.message}`;
    throw e;
  }
  if (raw > 0 && raw !== count * size) {
    throw new ModelFormatError(`${source}: tensor '${tensorName(t)}': raw_data has ${raw} bytes, dims ${tensorDims(t).join("×")} need ${count * size}`);
  }
  if (raw === 0 && typed !== count) {
    throw new ModelFormatError(`${source}: tensor '${tensorName(t)}': holds ${typed} values, dims ${tensorDims(t).join("×")} need ${count}`);
  }
}

/** Node count, subgraph depth and inline tensor bytes; throws LimitError past a limit. */
export function checkModelLimits(model: ModelProto, source: string, limits: ModelLimits = DEFAULT_LIMITS): void {
  let nodes = 0;
  let bytes = 0;
  const tensor = (t: TensorProto | undefined | null): void => {
    if (!t) return;
    checkTensorData(t, source);
    bytes += inlineBytesOf(t);
    if (bytes > limits.maxTotalTensorBytes) {
      throw new LimitError(`${source}: tensor data exceeds the limit of ${limits.maxTotalTensorBytes} bytes (at tensor '${t.name ?? ""}')`);
    }
  };
  const graph = (g: GraphProto, depth: number, where: string): void => {
    if (depth > limits.maxSubgraphDepth) {
      throw new LimitError(`${source}: subgraphs nested deeper than ${limits.maxSubgraphDepth} levels (at ${where})`);
    }
    nodes += g.node.length;
    if (nodes > limits.maxNodes) throw new LimitError(`${source}: more than ${limits.maxNodes} nodes (limit)`);
    for (const t of g.initializer) tensor(t);
    for (const s of g.sparseInitializer) {
      tensor(s.values);
      tensor(s.indices);
    }
    g.node.forEach((n, i) => {
      for (const a of n.attribute) {
        tensor(a.t);
        for (const t of a.tensors ?? []) tensor(t);
        const inner = `node '${n.name || `${n.opType ?? "?"}#${i}`}' attribute '${a.name ?? ""}'`;
        if (a.g) graph(a.g, depth + 1, inner);
        for (const sg of a.graphs ?? []) graph(sg, depth + 1, inner);
      }
    });
  };
  if (model.graph) graph(model.graph, 0, "the main graph");
  for (const f of model.functions ?? []) {
    graph({ node: f.node, initializer: [], sparseInitializer: [], input: [], output: [], valueInfo: [], quantizationAnnotation: [] } as unknown as GraphProto, 1, `function '${f.name ?? ""}'`);
  }
}
