/**
 * Parameters and multiply-accumulates per layer for one input shape (batch 1). MACs of the
 * compute layers (Conv, ConvTranspose, Gemm, MatMul) are what torchvision/thop-style counts
 * report; element-wise and pooling work is counted separately as `otherOps` (one per output
 * element, times the window size for pooling).
 */
import { TensorDataType } from "../onnx/proto.js";
import { tensorDims } from "../onnx/tensor.js";
import { attrInt, attrInts, GraphIndex } from "./graph-index.js";
import type { ShapeMap } from "./shapes.js";

export interface LayerCount {
  node: number;
  name: string;
  op: string;
  params: number;
  macs: number;
  otherOps: number;
  inChannels?: number;
  outChannels?: number;
  kernel?: number[];
  outputShape?: number[];
}

export interface ModelCount {
  params: number;
  macs: number;
  otherOps: number;
  layers: LayerCount[];
}

const COMPUTE_OPS = new Set(["Conv", "ConvTranspose", "Gemm", "MatMul"]);
/** Ops that only move or relabel data: no arithmetic to count. */
const DATA_MOVEMENT_OPS = new Set([
  "Reshape", "Flatten", "Shape", "Constant", "ConstantOfShape", "Identity", "Squeeze", "Unsqueeze",
  "Concat", "Split", "Slice", "Gather", "Transpose", "Cast", "Dropout", "Expand", "Pad", "Tile",
]);
const WINDOW_POOLS = new Set(["MaxPool", "AveragePool", "LpPool"]);

const product = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

function isFloatType(t: number | undefined): boolean {
  return t === TensorDataType.FLOAT || t === TensorDataType.FLOAT16 || t === TensorDataType.DOUBLE || t === TensorDataType.BFLOAT16;
}

export function countModel(index: GraphIndex, shapes: ShapeMap): ModelCount {
  const counted = new Set<string>();
  const layers: LayerCount[] = [];
  let params = 0;
  let macs = 0;
  let otherOps = 0;
  for (const i of index.order) {
    const node = index.nodes[i]!;
    const op = node.opType ?? "";
    let layerParams = 0;
    for (const name of node.input) {
      const t = name ? index.constantTensor(name) : undefined;
      if (!t || !isFloatType(t.dataType)) continue;
      const dims = tensorDims(t);
      // Scalars (Clip bounds, Mul/Add constants of an exported formula) are not learned weights.
      if (dims.length === 0 || product(dims) === 1) continue;
      const n = product(dims);
      // Weights count where first used; shared weights count once in the total.
      if (!counted.has(name)) {
        counted.add(name);
        params += n;
      }
      layerParams += n;
    }
    const outShape = shapes.get(node.output[0] ?? "");
    const inShape = shapes.get(node.input[0] ?? "");
    const layer: LayerCount = { node: i, name: index.nodeName(i), op, params: layerParams, macs: 0, otherOps: 0, outputShape: outShape };
    if (op === "Conv" || op === "ConvTranspose") {
      const w = shapes.get(node.input[1] ?? "") ?? [];
      const group = attrInt(node, "group", 1);
      layer.kernel = w.slice(2);
      if (op === "Conv") {
        layer.inChannels = (w[1] ?? 0) * group;
        layer.outChannels = w[0];
        layer.macs = outShape ? product(outShape.slice(1)) * (w[1] ?? 0) * product(w.slice(2)) : 0;
      } else {
        layer.inChannels = w[0];
        layer.outChannels = (w[1] ?? 0) * group;
        layer.macs = inShape ? product(inShape.slice(1)) * (w[1] ?? 0) * product(w.slice(2)) : 0;
      }
    } else if (op === "Gemm") {
      const a = shapes.get(node.input[0] ?? "") ?? [];
      const transA = attrInt(node, "transA", 0);
      const k = transA ? a[0] : a[1];
      layer.inChannels = k;
      layer.outChannels = outShape?.[1];
      layer.macs = outShape && k ? (product(outShape) / (outShape[0] ?? 1)) * k : 0;
    } else if (op === "MatMul") {
      const a = shapes.get(node.input[0] ?? "") ?? [];
      const k = a[a.length - 1] ?? 0;
      layer.inChannels = k;
      layer.outChannels = outShape?.[outShape.length - 1];
      layer.macs = outShape ? (product(outShape) / (outShape[0] ?? 1)) * k : 0;
    } else if (WINDOW_POOLS.has(op)) {
      layer.kernel = attrInts(node, "kernel_shape");
      layer.otherOps = outShape ? (product(outShape) / (outShape[0] ?? 1)) * product(layer.kernel ?? []) : 0;
    } else if (op === "GlobalAveragePool" || op === "GlobalMaxPool" || op.startsWith("Reduce")) {
      layer.otherOps = inShape ? product(inShape) / (inShape[0] ?? 1) : 0;
    } else if (outShape && outShape.length > 0 && !DATA_MOVEMENT_OPS.has(op)) {
      layer.otherOps = product(outShape) / (outShape[0] ?? 1);
    }
    if (!layer.inChannels && inShape && inShape.length >= 2 && !COMPUTE_OPS.has(op)) layer.inChannels = inShape[1];
    if (!layer.outChannels && outShape && outShape.length >= 2 && !COMPUTE_OPS.has(op)) layer.outChannels = outShape[1];
    macs += layer.macs;
    otherOps += layer.otherOps;
    layers.push(layer);
  }
  return { params, macs, otherOps, layers };
}
