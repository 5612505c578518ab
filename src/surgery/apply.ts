/**
 * applyKeepSets: a new model in which every prunable group keeps only the given channels.
 * The input model is not touched; names stay; only the edited tensors, attributes, stale
 * value_info entries and (if ever needed) graph output dims differ.
 */
import { GraphIndex } from "../graph/graph-index.js";
import { ruleFor } from "../groups/op-rules.js";
import type { ChannelGroup, ConsumerChange, KeepSets, SurgeryResult } from "../groups/types.js";
import { cloneModel, defaultOpsetVersion } from "../onnx/model-io.js";
import type { ModelProto } from "../onnx/proto.js";
import { OP_SURGERY, type SurgeryContext } from "./ops.js";
import { keptPositions, validateKeepSets, type KeptMap } from "./positions.js";

export function applyKeepSets(model: ModelProto, groups: ChannelGroup[], keep: KeepSets, source = "model"): SurgeryResult {
  validateKeepSets(groups, keep, source);
  const copy = cloneModel(model);
  const index = new GraphIndex(copy, source);
  const kept = keptPositions(groups, keep);
  const ctx: SurgeryContext = { index, kept, copies: new Map(), opset: defaultOpsetVersion(copy), source };
  // Every edit reads the original constants' layout through `index`, built before any edit;
  // each owned constant belongs to one node, so node order does not matter.
  index.nodes.forEach((node, i) => {
    const rule = ruleFor(node.opType, node.domain);
    if (rule) OP_SURGERY[rule.kind](ctx, i, node, rule);
  });
  const graph = index.graph;
  dropOrphanedInitializers(index);
  graph.valueInfo = graph.valueInfo.filter((vi) => !kept.has(vi.name ?? ""));
  for (const out of graph.output) {
    const k = kept.get(out.name ?? "");
    const dim = k ? out.type?.tensorType?.shape?.dim[k.axis] : undefined;
    if (k && dim && (dim.dimValue !== undefined && dim.dimValue !== null)) dim.dimValue = k.kept.length;
  }
  return { model: copy, consumers: consumerChanges(groups, kept) };
}

/** Initializers whose every reader got a private copy: nothing reads them any more. */
function dropOrphanedInitializers(index: GraphIndex): void {
  const read = new Set<string>();
  for (const n of index.graph.node) for (const name of n.input) read.add(name);
  for (const o of index.graph.output) read.add(o.name ?? "");
  index.graph.initializer = index.graph.initializer.filter((t) => {
    const name = t.name ?? "";
    // keep those read inside subgraphs too (the index saw them before any edit)
    return read.has(name) || index.consumersOf(name).some((u) => u.input < 0) || index.consumersOf(name).length === 0;
  });
}

function consumerChanges(groups: readonly ChannelGroup[], kept: KeptMap): ConsumerChange[] {
  const byKey = new Map<string, ConsumerChange>();
  for (const g of groups) {
    for (const c of g.consumers) {
      const k = kept.get(c.tensor);
      const key = `${c.node}:${c.input}`;
      if (!k || byKey.has(key)) continue;
      byKey.set(key, { node: c.node, name: c.name, op: c.op, keptInputs: k.kept.slice(), originalInputs: k.size });
    }
  }
  return [...byKey.values()].sort((a, b) => a.node - b.node);
}
