/**
 * External tensor data (ONNX "external_data": location, offset, length). The logic of which
 * tensors are external, and checks of offsets and lengths, lives here; reading and writing the
 * files is the platform's job (ExternalDataSource / sink), so the browser could supply files too.
 * Path confinement of `location` is enforced by the source (see platform/node/files.ts): this is
 * the attack behind CVE-2022-25882 and CVE-2024-27318 in onnx.
 */
import { LimitError, ModelFormatError } from "../errors.js";
import { DEFAULT_LIMITS, inlineBytesOf, resolveLimits, type ModelLimits } from "./limits.js";
import { DataLocation, type GraphProto, type ModelProto, type TensorProto } from "./proto.js";
import { bytesPerElement, elementCount, tensorDims, tensorName } from "./tensor.js";

export interface ExternalDataSource {
  /** Size in bytes of the file at `location` (relative to the model's folder), checked for safety. */
  size(location: string): number;
  read(location: string, offset: number, length: number): Uint8Array;
}

export interface ExternalDataRef {
  location: string;
  offset: number;
  length: number | undefined;
}

export function externalDataRef(t: TensorProto, modelName: string): ExternalDataRef {
  const entries = new Map(t.externalData.map((e) => [e.key ?? "", e.value ?? ""]));
  const location = entries.get("location");
  if (!location) {
    throw new ModelFormatError(`${modelName}: tensor '${tensorName(t)}' is external but has no 'location'`);
  }
  const num = (key: string): number | undefined => {
    const v = entries.get(key);
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v)) {
      throw new ModelFormatError(`${modelName}: tensor '${tensorName(t)}' has an invalid external '${key}': '${v}'`);
    }
    return Number(v);
  };
  return { location, offset: num("offset") ?? 0, length: num("length") };
}

/** Every TensorProto in the model that may carry data: initializers, Constant attributes, subgraphs. */
export function* allTensors(model: ModelProto): Generator<TensorProto> {
  if (model.graph) yield* graphTensors(model.graph);
  for (const f of model.functions) for (const n of f.node) yield* attributeTensors(n.attribute);
}

function* graphTensors(g: GraphProto): Generator<TensorProto> {
  yield* g.initializer;
  for (const s of g.sparseInitializer) {
    if (s.values) yield s.values;
    if (s.indices) yield s.indices;
  }
  for (const n of g.node) yield* attributeTensors(n.attribute);
}

function* attributeTensors(attrs: GraphProto["node"][number]["attribute"]): Generator<TensorProto> {
  for (const a of attrs) {
    if (a.t) yield a.t;
    if (a.tensors) yield* a.tensors;
    if (a.g) yield* graphTensors(a.g);
    if (a.graphs) for (const g of a.graphs) yield* graphTensors(g);
  }
}

/**
 * Load every external tensor into raw_data; returns how many bytes were read. Every reference is
 * checked (bounds, length against dims, the total against limits.maxTotalTensorBytes) before the
 * first byte is read, so a model that names the same huge file a thousand times fails up front.
 */
export function loadExternalData(model: ModelProto, source: ExternalDataSource, modelName: string, limits?: Partial<ModelLimits>): number {
  const lim = limits ? resolveLimits(limits) : DEFAULT_LIMITS;
  const planned: { t: TensorProto; ref: ExternalDataRef; length: number }[] = [];
  let inline = 0;
  let total = 0;
  for (const t of allTensors(model)) {
    if (t.dataLocation !== DataLocation.EXTERNAL) {
      inline += inlineBytesOf(t);
      continue;
    }
    const ref = externalDataRef(t, modelName);
    const fileSize = source.size(ref.location);
    const size = bytesPerElement(t.dataType ?? 0);
    if (size === undefined) {
      throw new ModelFormatError(`${modelName}: external tensor '${tensorName(t)}' has unsupported data type ${t.dataType}`);
    }
    const expected = elementCount(tensorDims(t), `tensor '${tensorName(t)}'`) * size;
    const length = ref.length ?? fileSize - ref.offset;
    if (ref.offset > fileSize || ref.offset + length > fileSize) {
      throw new LimitError(
        `${modelName}: external tensor '${tensorName(t)}' needs bytes ${ref.offset}..${ref.offset + length} of '${ref.location}', which has only ${fileSize}`,
      );
    }
    if (length !== expected) {
      throw new ModelFormatError(
        `${modelName}: external tensor '${tensorName(t)}' has length ${length} but dims ${tensorDims(t).join("×")} need ${expected} bytes`,
      );
    }
    total += length;
    if (inline + total > lim.maxTotalTensorBytes) {
      throw new LimitError(`${modelName}: tensor data exceeds the limit of ${lim.maxTotalTensorBytes} bytes (at external tensor '${tensorName(t)}')`);
    }
    planned.push({ t, ref, length });
  }
  for (const { t, ref, length } of planned) {
    t.rawData = source.read(ref.location, ref.offset, length);
    // Absent rather than DEFAULT: the loaded model then encodes like one saved inline.
    delete t.dataLocation;
    t.externalData = [];
  }
  return total;
}

/** Tensors smaller than this stay inside the model file when writing external data. */
export const EXTERNAL_THRESHOLD_BYTES = 1024;
const ALIGNMENT = 64;

export interface ExternalLayout {
  /** The chunks to write to the data file, in order, at the given offsets. */
  chunks: { offset: number; bytes: Uint8Array }[];
  totalBytes: number;
  /** Put the bytes back inline: the caller's model is unchanged after saving. */
  restore(): void;
}

/**
 * Move large tensors' bytes out of the model into one data file named `location` (beside the
 * model). Mutates the tensors until `restore()`; returns what to write.
 */
export function externalizeTensors(model: ModelProto, location: string): ExternalLayout {
  const chunks: ExternalLayout["chunks"] = [];
  const moved: { t: TensorProto; raw: Uint8Array; location: number | undefined; entries: TensorProto["externalData"] }[] = [];
  let offset = 0;
  for (const t of allTensors(model)) {
    const raw = t.rawData;
    if (!raw || raw.length < EXTERNAL_THRESHOLD_BYTES) continue;
    offset = Math.ceil(offset / ALIGNMENT) * ALIGNMENT;
    chunks.push({ offset, bytes: raw });
    moved.push({ t, raw, location: t.dataLocation, entries: t.externalData });
    t.externalData = [
      { key: "location", value: location },
      { key: "offset", value: String(offset) },
      { key: "length", value: String(raw.length) },
    ];
    t.dataLocation = DataLocation.EXTERNAL;
    t.rawData = new Uint8Array(0);
    offset += raw.length;
  }
  const restore = (): void => {
    for (const m of moved) {
      m.t.rawData = m.raw;
      m.t.dataLocation = m.location;
      m.t.externalData = m.entries;
    }
  };
  return { chunks, totalBytes: offset, restore };
}

/** Total bytes of inline tensor data: decides when a model must be saved with external data. */
export function inlineTensorBytes(model: ModelProto): number {
  let n = 0;
  for (const t of allTensors(model)) n += t.rawData?.length ?? 0;
  return n;
}

/** Protobuf messages cannot exceed 2 GiB; keep a margin for the graph itself. */
export const PROTOBUF_LIMIT_BYTES = 2 ** 31 - 64 * 2 ** 20;
