/**
 * The grouping walk: visits nodes in topological order and, by each node's rule kind, gives its
 * outputs a channel layout, merges coupled sources, records producers, consumers and members, and
 * freezes whatever it cannot map. Handlers live in handlers.ts, one per rule kind.
 */
import type { GraphIndex } from "../graph/graph-index.js";
import type { ShapeMap } from "../graph/shapes.js";
import { UnsupportedStructureError } from "../errors.js";
import { defaultOpsetVersion } from "../onnx/model-io.js";
import { singleSource, Sources, withAxis, type Layout } from "./layout.js";

export interface ProducerRecord {
  node: number;
  src: number;
  weight: string;
  weightAxis: number;
  bias?: string;
  output: string;
}

export interface ConsumerRecord {
  node: number;
  input: number;
  tensor: string;
}

export interface MemberRecord {
  node: number;
  kind: string;
  /** The tensor whose layout says which groups the member belongs to. */
  tensor: string;
  output: string;
}

export class Walk {
  readonly sources = new Sources();
  readonly layouts = new Map<string, Layout>();
  readonly producers: ProducerRecord[] = [];
  readonly consumers: ConsumerRecord[] = [];
  readonly members: MemberRecord[] = [];
  /** Freezes applied after the walk, so a structural reason found later (a shuffle) names the group. */
  readonly deferred: { layout: Layout; reason: string }[] = [];
  readonly opset: number;

  constructor(readonly index: GraphIndex, readonly shapes: ShapeMap) {
    this.opset = defaultOpsetVersion(index.model);
  }

  shape(name: string): number[] {
    const s = this.shapes.get(name);
    if (!s) throw new UnsupportedStructureError(`${this.index.source}: no shape known for tensor '${name}'`);
    return s;
  }

  hasShape(name: string): boolean {
    return this.shapes.has(name);
  }

  layout(name: string | undefined): Layout | undefined {
    return name ? this.layouts.get(name) : undefined;
  }

  set(name: string | undefined, layout: Layout): void {
    if (name) this.layouts.set(name, layout);
  }

  name(node: number): string {
    return this.index.nodeName(node);
  }

  /** "node 'conv1' (Conv)": how reasons name a node. */
  where(node: number): string {
    const n = this.index.nodes[node]!;
    const domain = n.domain && n.domain !== "ai.onnx" ? `${n.domain}::` : "";
    return `node '${this.name(node)}' (${domain}${n.opType ?? "?"})`;
  }

  freeze(layout: Layout | undefined, reason: string): void {
    if (!layout) return;
    for (const s of layout.segments) this.sources.freeze(s.src, reason);
  }

  /** Freeze every channel tensor the node reads: what reaches an unmapped use can't be pruned. */
  freezeInputs(node: number, reason: string): void {
    for (const name of this.index.nodes[node]!.input) this.freeze(this.layout(name), reason);
  }

  /** A tracked layout, or a new frozen source for a tensor nothing tracks (graph input, unknown op). */
  orFrozen(name: string, axis: number, reason: string): Layout {
    const l = this.layout(name);
    if (l) return l;
    const dims = this.shape(name);
    const channels = dims[axis] ?? 1;
    const src = this.sources.create(channels, reason);
    return singleSource(src, channels, axis, dims.length);
  }

  /**
   * Make two layouts lose the same channels. Works segment by segment when both sides are cut the
   * same way; anything else (e.g. a residual Add of a Concat and a single conv) freezes both.
   */
  couple(a: Layout, b: Layout, reason: string): void {
    const aligned =
      a.size === b.size &&
      a.segments.length === b.segments.length &&
      a.segments.every((sa, k) => {
        const sb = b.segments[k]!;
        if (sa.offset !== sb.offset || sa.count !== sb.count || sa.stride !== sb.stride) return false;
        const whole = (s: typeof sa): boolean => s.start === 0 && s.count === this.sources.channels(s.src);
        if (whole(sa) && whole(sb)) return true;
        return this.sources.find(sa.src) === this.sources.find(sb.src) && sa.start === sb.start;
      });
    if (!aligned) {
      this.freeze(a, reason);
      this.freeze(b, reason);
      return;
    }
    a.segments.forEach((sa, k) => this.sources.union(sa.src, b.segments[k]!.src));
  }

  /** Outputs of a per-channel node carry the input layout (same rank, same channel axis). */
  carry(node: number, x: Layout, outputs: readonly number[] = [0]): void {
    const n = this.index.nodes[node]!;
    for (const k of outputs) {
      const out = n.output[k];
      if (!out || !this.hasShape(out)) continue;
      const dims = this.shape(out);
      if (dims.length !== x.rank || dims[x.axis] !== x.size) {
        this.freeze(x, `${this.where(node)} changes the channel axis of '${n.input[0]}'`);
        return;
      }
      this.set(out, withAxis(x, x.axis, x.rank));
    }
  }
}
