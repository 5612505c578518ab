/**
 * Which original channels survive in each tensor of the pruned model, from the groups (found
 * on the original model) and the keep sets. Tensors in no pruned group keep all channels.
 */
import type { ShapeMap } from "../graph/shapes.js";
import type { ChannelGroup, KeepSets } from "../groups/types.js";

export class ChannelMap {
  /** Per tensor: removed positions on axis 1 (the channel / feature axis). */
  private readonly removed = new Map<string, Set<number>>();
  private readonly sizes = new Map<string, number>();

  constructor(groups: readonly ChannelGroup[], keep: KeepSets, private readonly shapes: ShapeMap) {
    for (const g of groups) {
      const kept = keep.get(g.id);
      if (!kept) continue;
      const keptSet = new Set(kept);
      for (const t of g.tensors) {
        if (t.axis !== 1) continue; // recovery reads channels on axis 1 only
        const gone = this.removed.get(t.name) ?? new Set<number>();
        for (let c = t.start; c < t.start + t.count; c++) {
          if (keptSet.has(c)) continue;
          const first = t.offset + (c - t.start) * t.stride;
          for (let k = 0; k < t.stride; k++) gone.add(first + k);
        }
        this.removed.set(t.name, gone);
        this.sizes.set(t.name, t.size);
      }
    }
  }

  /** True when the tensor lost channels. */
  changed(tensor: string): boolean {
    return (this.removed.get(tensor)?.size ?? 0) > 0;
  }

  /** Original channel indices (axis 1) that the pruned tensor still carries, in order. */
  keptChannels(tensor: string): number[] {
    const c = this.sizes.get(tensor) ?? this.shapes.get(tensor)?.[1] ?? 0;
    const gone = this.removed.get(tensor);
    const all = Array.from({ length: c }, (_, i) => i);
    return gone ? all.filter((i) => !gone.has(i)) : all;
  }
}
