/**
 * Constant inputs as the grouping walk and the surgery see them: values, and whether a constant
 * belongs to one node only (so slicing or rewriting it cannot change another node).
 */
import { attrInts, isDefaultDomain, type GraphIndex } from "../graph/graph-index.js";
import type { NodeProto, TensorProto } from "../onnx/proto.js";
import { readInts, tensorDims } from "../onnx/tensor.js";

/**
 * The tensor to edit in place for input `name` of node `node`: an initializer or a Constant node's
 * `value`, read by no other node. undefined otherwise (shared, computed, or seen through
 * Identity/Cast), which makes the caller freeze the group rather than edit a shared value.
 */
export function ownedConstant(index: GraphIndex, name: string, node: number): TensorProto | undefined {
  if (!name) return undefined;
  if (index.consumersOf(name).some((u) => u.node !== node)) return undefined;
  if (index.isGraphOutput(name)) return undefined;
  const init = index.initializer(name);
  if (init) return index.isGraphInput(name) || index.graph.input.some((i) => i.name === name) ? undefined : init;
  const p = index.producerOf(name);
  if (p === undefined) return undefined;
  const producer = index.nodes[p]!;
  if (producer.opType !== "Constant" || !isDefaultDomain(producer)) return undefined;
  const value = producer.attribute.find((a) => a.name === "value");
  return value?.t ?? undefined;
}

/**
 * Nodes that use the value of constant `name`, looking through Identity/Cast copies (exporters
 * deduplicate equal initializers and sometimes re-expose them through Identity nodes).
 */
export function constantUsers(index: GraphIndex, name: string): number[] {
  let root = name;
  for (;;) {
    const p = index.producerOf(root);
    const n = p === undefined ? undefined : index.nodes[p]!;
    if (!n || (n.opType !== "Identity" && n.opType !== "Cast") || !isDefaultDomain(n) || !n.input[0]) break;
    root = n.input[0];
  }
  const users = new Set<number>();
  const visit = (t: string): void => {
    for (const u of index.consumersOf(t)) {
      const n = index.nodes[u.node]!;
      if ((n.opType === "Identity" || n.opType === "Cast") && isDefaultDomain(n) && n.output[0]) visit(n.output[0]);
      else users.add(u.node);
    }
  };
  visit(root);
  return [...users].sort((a, b) => a - b);
}

/** Who else reads a tensor, for error messages and frozen reasons. */
export function sharedWith(index: GraphIndex, name: string, node: number): string {
  const others = index.consumersOf(name).filter((u) => u.node !== node).map((u) => `'${index.nodeName(u.node)}'`);
  return others.length > 0 ? `also read by ${[...new Set(others)].join(", ")}` : "not an owned initializer";
}

/** Integer values of a constant input, or undefined when absent ("" or empty) or computed. */
export function constantInts(index: GraphIndex, name: string | undefined): number[] | undefined | "dynamic" {
  if (!name) return undefined;
  const t = index.constantTensor(name);
  if (!t) return "dynamic";
  if (tensorDims(t).reduce((a, b) => a * b, 1) === 0) return undefined;
  return readInts(t);
}

/** An int-list setting that moved from an attribute to an input at some opset (Split, Pad, Reduce). */
export function intsSetting(
  index: GraphIndex, node: NodeProto, attr: string, slot: number,
): number[] | undefined | "dynamic" {
  const fromAttr = attrInts(node, attr);
  if (fromAttr !== undefined) return fromAttr;
  return constantInts(index, node.input[slot]);
}

export function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

export const product = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);
