/**
 * An analytic cost model: MACs and parameters of the model as a function of how many channels
 * each group keeps, from the unpruned per-layer counts. Each layer's work scales with the kept
 * fraction of its output channels and (for Conv/Gemm/MatMul, not depthwise) of its input channels.
 * Exact for per-channel groups; the pruned model is always recounted exactly after surgery.
 */
import type { ModelCount } from "../graph/count.js";
import { attrInt, type GraphIndex } from "../graph/graph-index.js";
import type { ShapeMap } from "../graph/shapes.js";
import type { ChannelGroup } from "../groups/types.js";
import type { CostModel } from "./plan.js";

export function buildCostModel(index: GraphIndex, shapes: ShapeMap, count: ModelCount, groups: readonly ChannelGroup[]): CostModel {
  const tensorGroups = new Map<string, { g: ChannelGroup; share: number }[]>();
  const consumerGroups = new Map<number, { g: ChannelGroup; stride: number; size: number }[]>();
  for (const g of groups) {
    if (!g.prunable) continue;
    for (const t of g.tensors) {
      if (t.axis !== 1) continue;
      const list = tensorGroups.get(t.name) ?? [];
      // Each removed group channel removes `stride` positions, for the `count/channels` share of
      // the group this tensor carries (Split/Slice branches carry part of it).
      list.push({ g, share: (t.stride * t.count) / g.channels / t.size });
      tensorGroups.set(t.name, list);
    }
    for (const c of g.consumers) {
      const list = consumerGroups.get(c.node) ?? [];
      list.push({ g, stride: (c.stride * c.count) / g.channels, size: c.inputSize });
      consumerGroups.set(c.node, list);
    }
  }
  const evaluate = (kept: ReadonlyMap<number, number>): { macs: number; params: number } => {
    const removed = (g: ChannelGroup): number => g.channels - (kept.get(g.id) ?? g.channels);
    const tensorFraction = (name: string): number => {
      const gs = tensorGroups.get(name);
      if (!gs) return 1;
      return Math.max(0, 1 - gs.reduce((s, x) => s + removed(x.g) * x.share, 0));
    };
    let macs = 0;
    let params = 0;
    for (const layer of count.layers) {
      const node = index.nodes[layer.node]!;
      const fOut = tensorFraction(node.output[0] ?? "");
      const cons = consumerGroups.get(layer.node);
      const fIn = cons
        ? Math.max(0, 1 - cons.reduce((s, c) => s + (removed(c.g) * c.stride) / c.size, 0))
        : tensorFraction(node.input[0] ?? "");
      const compute = layer.op === "Conv" || layer.op === "ConvTranspose" || layer.op === "Gemm" || layer.op === "MatMul";
      const depthwise = layer.op === "Conv" && attrInt(node, "group", 1) > 1 && (shapes.get(node.input[1] ?? "")?.[1] ?? 0) === 1;
      const scale = compute && !depthwise ? fOut * fIn : fOut;
      macs += layer.macs * scale;
      params += layer.params * scale;
    }
    return { macs, params };
  };
  const all = new Map<number, number>();
  return {
    macs: (kept) => evaluate(kept).macs,
    params: (kept) => evaluate(kept).params,
    baseMacs: evaluate(all).macs,
    baseParams: evaluate(all).params,
  };
}
