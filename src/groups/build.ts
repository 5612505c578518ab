/**
 * buildChannelGroups: run the grouping walk over the graph, apply the global freezing rules
 * (graph outputs, subgraph uses, fewer than 2 channels), and turn union-find roots into
 * ChannelGroup objects with stable ids (order of first producer in topological order).
 */
import type { GraphIndex } from "../graph/graph-index.js";
import type { ShapeMap } from "../graph/shapes.js";
import { HANDLERS } from "./handlers.js";
import type { Layout } from "./layout.js";
import { ruleFor } from "./op-rules.js";
import type { ChannelGroup, ChannelTensor } from "./types.js";
import { Walk } from "./walk.js";

export function buildChannelGroups(index: GraphIndex, shapes: ShapeMap): ChannelGroup[] {
  const w = new Walk(index, shapes);
  for (const i of index.order) visit(w, i);
  freezeGlobal(w);
  return collect(w);
}

function visit(w: Walk, i: number): void {
  const node = w.index.nodes[i]!;
  const rule = ruleFor(node.opType, node.domain);
  if (!rule) {
    w.freezeInputs(i, `${w.where(i)} has no channel rule`);
    return;
  }
  for (const k of rule.scalars ?? []) {
    w.freeze(w.layout(node.input[k]), `${w.where(i)} reads channel tensor '${node.input[k]}' as a setting`);
  }
  if (rule.role !== "producer" && node.input.every((n) => !w.layout(n))) return;
  HANDLERS[rule.kind](w, i, node, rule);
}

function freezeGlobal(w: Walk): void {
  for (const d of w.deferred) w.freeze(d.layout, d.reason);
  for (const [name, layout] of w.layouts) {
    if (w.index.isGraphOutput(name)) w.freeze(layout, `reaches graph output '${name}'`);
    for (const use of w.index.consumersOf(name)) {
      if (use.input < 0) w.freeze(layout, `tensor '${name}' is used inside a subgraph of ${w.where(use.node)}`);
    }
  }
  for (let s = 0; s < w.sources.count; s++) {
    const c = w.sources.channels(s);
    if (c < 2) w.sources.freeze(s, `only ${c} channel${c === 1 ? "" : "s"}`);
  }
}

function entries(layout: Layout, name: string): (ChannelTensor & { src: number })[] {
  return layout.segments.map((s) => ({
    src: s.src, name, offset: s.offset, axis: layout.axis, rank: layout.rank, size: layout.size,
    stride: s.stride, start: s.start, count: s.count,
  }));
}

function collect(w: Walk): ChannelGroup[] {
  const { index, sources } = w;
  const byRoot = new Map<number, ChannelGroup>();
  // Groups exist where channels are made: a producer's output, in topological order.
  for (const p of w.producers) {
    const root = sources.find(p.src);
    let g = byRoot.get(root);
    if (!g) {
      g = {
        id: byRoot.size, channels: sources.channels(root), producers: [], consumers: [], tensors: [],
        members: [], prunable: true, label: index.nodeName(p.node),
      };
      byRoot.set(root, g);
    }
    g.producers.push({
      node: p.node, name: index.nodeName(p.node), op: index.nodes[p.node]!.opType ?? "",
      weight: p.weight, weightAxis: p.weightAxis, bias: p.bias, output: p.output,
      tap: tapOf(w, p.output), offset: 0,
    });
  }
  const groupOf = (src: number): ChannelGroup | undefined => byRoot.get(sources.find(src));
  for (const [name, layout] of w.layouts) {
    for (const e of entries(layout, name)) {
      const { src, ...tensor } = e;
      groupOf(src)?.tensors.push(tensor);
    }
  }
  for (const c of w.consumers) {
    const layout = w.layouts.get(c.tensor)!;
    for (const e of entries(layout, c.tensor)) {
      groupOf(e.src)?.consumers.push({
        node: c.node, name: index.nodeName(c.node), op: index.nodes[c.node]!.opType ?? "", input: c.input,
        tensor: c.tensor, offset: e.offset, stride: e.stride, inputSize: e.size, start: e.start, count: e.count,
      });
    }
  }
  for (const m of w.members) {
    const layout = w.layouts.get(m.tensor);
    if (!layout) continue;
    const seen = new Set<ChannelGroup>();
    for (const s of layout.segments) {
      const g = groupOf(s.src);
      if (!g || seen.has(g)) continue;
      seen.add(g);
      g.members.push({
        node: m.node, name: index.nodeName(m.node), op: index.nodes[m.node]!.opType ?? "", kind: m.kind,
        output: m.output, ...(m.kind === "depthwise" || m.kind === "residual" ? { tap: tapOf(w, m.output) } : {}),
      });
    }
  }
  const groups = [...byRoot.entries()].map(([root, g]) => {
    const reason = sources.reason(root);
    return reason ? { ...g, prunable: false, reason } : g;
  });
  return groups;
}

const GATES = new Set(["Sigmoid", "HardSigmoid"]);

/**
 * The tensor after a producer's own per-channel chain: follow single-use BN/activation nodes, and
 * x·σ(x) (SiLU, hard-swish) gates, stopping before couplers, pools and consumers.
 */
function tapOf(w: Walk, output: string): string {
  const { index } = w;
  let t = output;
  for (;;) {
    if (index.isGraphOutput(t)) return t;
    const uses = index.consumersOf(t);
    if (uses.length === 1) {
      const n = index.nodes[uses[0]!.node]!;
      const rule = ruleFor(n.opType, n.domain);
      if (!rule?.tapChain || uses[0]!.input !== 0 || !n.output[0] || !w.layouts.has(n.output[0])) return t;
      t = n.output[0];
      continue;
    }
    if (uses.length === 2) {
      const [a, b] = uses.map((u) => index.nodes[u.node]!);
      const gate = GATES.has(a!.opType ?? "") ? a! : GATES.has(b!.opType ?? "") ? b! : undefined;
      const mul = gate === a ? b! : a!;
      const g = gate?.output[0];
      if (gate && g && mul.opType === "Mul" && mul.input.includes(g) && mul.input.includes(t) && index.consumersOf(g).length === 1 && mul.output[0]) {
        t = mul.output[0];
        continue;
      }
    }
    return t;
  }
}
