/** Decoding and encoding ModelProto bytes with protobufjs, from the schema in schema.ts. */
import protobuf from "protobufjs/light.js";
import { LimitError, ModelFormatError } from "../errors.js";
import { checkModelLimits, resolveLimits, type ModelLimits } from "./limits.js";
import { allTensors } from "./external-data.js";
import { onnxSchema } from "./schema.js";
import { int64ToNumber, type ModelProto } from "./proto.js";

const root = protobuf.Root.fromJSON(onnxSchema);
export const ModelType = root.lookupType("onnx.ModelProto");
export const TensorType = root.lookupType("onnx.TensorProto");

/** Lowest default-domain opset we accept: onnxruntime supports 7 and later. */
export const MIN_OPSET = 7;
/** Highest default-domain opset we know the operator semantics of. */
export const MAX_OPSET = 23;

/**
 * Decode and check a model: protobuf errors, the header (ir_version, opsets) and the resource
 * limits (file size before decoding; node count, subgraph depth, tensor bytes after).
 */
export function decodeModel(bytes: Uint8Array, source: string, limits?: Partial<ModelLimits>): ModelProto {
  const lim = resolveLimits(limits);
  if (bytes.length > lim.maxModelFileBytes) {
    throw new LimitError(`${source}: ${bytes.length} bytes exceed the model size limit of ${lim.maxModelFileBytes}`);
  }
  let model: ModelProto;
  try {
    model = ModelType.decode(keepingUnknownFields(bytes)) as unknown as ModelProto;
  } catch (e) {
    throw new ModelFormatError(
      `${source}: not a valid ONNX model (protobuf decoding failed: ${(e as Error).message})`,
    );
  }
  checkModelHeader(model, source);
  checkModelLimits(model, source, lim);
  return model;
}

export function encodeModel(model: ModelProto): Uint8Array {
  return ModelType.encode(model as unknown as protobuf.Message).finish();
}

/** Tensors at least this large are copied directly rather than through the wire format. */
const DIRECT_COPY_BYTES = 1 << 20;

/**
 * Deep copy through the wire format (the only copy that is guaranteed complete), with large
 * tensor bytes set aside and copied directly: a model over 2 GiB cannot be one protobuf message.
 */
export function cloneModel(model: ModelProto): ModelProto {
  const originals = [...allTensors(model)];
  const stash = originals.map((t) => (t.rawData && t.rawData.length >= DIRECT_COPY_BYTES ? t.rawData : undefined));
  stash.forEach((raw, i) => raw && (originals[i]!.rawData = new Uint8Array(0)));
  let copy: ModelProto;
  try {
    copy = ModelType.decode(keepingUnknownFields(encodeModel(model))) as unknown as ModelProto;
  } finally {
    stash.forEach((raw, i) => raw && (originals[i]!.rawData = raw));
  }
  // The copy has the same structure, so its tensors come in the same order.
  const copies = [...allTensors(copy)];
  stash.forEach((raw, i) => raw && (copies[i]!.rawData = raw.slice()));
  return copy;
}

/**
 * A reader that keeps fields our schema does not know (a newer onnx.proto) so that they are
 * written back unchanged instead of silently dropped.
 */
function keepingUnknownFields(bytes: Uint8Array): protobuf.Reader {
  const reader = protobuf.Reader.create(bytes);
  reader.discardUnknown = false;
  return reader;
}

/** A plain-object form for comparisons in tests and reports: int64 as strings, bytes as base64. */
export function modelToPlainObject(model: ModelProto): Record<string, unknown> {
  return ModelType.toObject(model as unknown as protobuf.Message, {
    longs: String,
    bytes: String,
    defaults: false,
    arrays: false,
  });
}

function checkModelHeader(model: ModelProto, source: string): void {
  if (!model.graph) {
    throw new ModelFormatError(`${source}: not an ONNX model (no graph in the ModelProto)`);
  }
  if (int64ToNumber(model.irVersion) <= 0) {
    throw new ModelFormatError(`${source}: not an ONNX model (ir_version is missing)`);
  }
  const defaultOpset = model.opsetImport.find((o) => !o.domain || o.domain === "ai.onnx");
  if (!defaultOpset) {
    throw new ModelFormatError(`${source}: the model imports no default-domain (ai.onnx) opset`);
  }
  const version = int64ToNumber(defaultOpset.version);
  if (version < MIN_OPSET || version > MAX_OPSET) {
    throw new ModelFormatError(
      `${source}: unsupported ai.onnx opset ${version} (supported: ${MIN_OPSET}..${MAX_OPSET})`,
    );
  }
}

export function defaultOpsetVersion(model: ModelProto): number {
  const o = model.opsetImport.find((x) => !x.domain || x.domain === "ai.onnx");
  return int64ToNumber(o?.version);
}
