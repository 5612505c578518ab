/**
 * Which original channels survive in each tensor of the pruned model, from the groups (found
 * on the original model) and the keep sets. Tensors in no pruned group keep all channels.
 */
import type { ShapeMap } from "../graph/shapes.js";
import type { ChannelGroup, KeepSets } from "../groups/types.js";

export class ChannelMap {
  private readonly segments = new Map<string, { offset: number; channels: number; kept: readonly number[] }[]>();

  constructor(groups: readonly ChannelGroup[], keep: KeepSets, private readonly shapes: ShapeMap) {
    for (const g of groups) {
      const kept = keep.get(g.id);
      if (!kept) continue;
      for (const t of g.tensors) {
        const list = this.segments.get(t.name) ?? [];
        list.push({ offset: t.offset, channels: g.channels, kept });
        this.segments.set(t.name, list);
      }
    }
  }

  /** True when the tensor lost channels. */
  changed(tensor: string): boolean {
    return this.segments.has(tensor);
  }

  /** Original channel indices (axis 1) that the pruned tensor still carries, in order. */
  keptChannels(tensor: string): number[] {
    const c = this.shapes.get(tensor)?.[1] ?? 0;
    const segs = this.segments.get(tensor);
    const all = Array.from({ length: c }, (_, i) => i);
    if (!segs) return all;
    const gone = new Set<number>();
    for (const s of segs) {
      const keptSet = new Set(s.kept);
      for (let i = 0; i < s.channels; i++) if (!keptSet.has(i)) gone.add(s.offset + i);
    }
    return all.filter((i) => !gone.has(i));
  }
}
