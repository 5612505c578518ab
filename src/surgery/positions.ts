/**
 * From keep sets to kept positions: for every tensor that loses channels, which positions of its
 * channel axis survive (in original indexing). Every op's surgery reads only this map, so the
 * group analysis decides what goes and the op functions only decide how.
 */
import { UsageError } from "../errors.js";
import type { ChannelGroup, KeepSets } from "../groups/types.js";

export interface KeptAxis {
  axis: number;
  rank: number;
  /** Size of the axis before pruning. */
  size: number;
  /** Surviving positions, increasing. */
  kept: number[];
}

export type KeptMap = ReadonlyMap<string, KeptAxis>;

export function validateKeepSets(groups: readonly ChannelGroup[], keep: KeepSets, source: string): void {
  const byId = new Map(groups.map((g) => [g.id, g]));
  for (const [id, list] of keep) {
    const g = byId.get(id);
    if (!g) throw new UsageError(`${source}: keep set for unknown group ${id}`);
    const where = `${source}: keep set of group ${id} ('${g.label}', ${g.channels} channels)`;
    if (list.length === 0) throw new UsageError(`${where} is empty: a group must keep at least one channel`);
    list.forEach((c, k) => {
      if (!Number.isInteger(c) || c < 0 || c >= g.channels) throw new UsageError(`${where}: channel ${c} is out of range`);
      if (k > 0 && c <= list[k - 1]!) {
        throw new UsageError(`${where}: channels must be strictly increasing (${list[k - 1]} then ${c}: unsorted or duplicated)`);
      }
    });
    if (!g.prunable && list.length < g.channels) throw new UsageError(`${where} removes channels of a frozen group (${g.reason})`);
    // After a Split/Slice a tensor sees only part of the group; it must keep one of those channels.
    const kept = new Set(list);
    for (const t of g.tensors) {
      if (t.count === g.channels) continue;
      let any = false;
      for (let c = t.start; c < t.start + t.count && !any; c++) any = kept.has(c);
      if (!any) throw new UsageError(`${where} keeps none of channels ${t.start}..${t.start + t.count - 1}, all that tensor '${t.name}' carries`);
    }
  }
}

export function keptPositions(groups: readonly ChannelGroup[], keep: KeepSets): KeptMap {
  const removed = new Map<string, { axis: number; rank: number; size: number; gone: Set<number> }>();
  for (const g of groups) {
    const list = keep.get(g.id);
    if (!list || list.length === g.channels) continue;
    const kept = new Set(list);
    for (const t of g.tensors) {
      let entry = removed.get(t.name);
      if (!entry) removed.set(t.name, (entry = { axis: t.axis, rank: t.rank, size: t.size, gone: new Set() }));
      for (let c = t.start; c < t.start + t.count; c++) {
        if (kept.has(c)) continue;
        const base = t.offset + (c - t.start) * t.stride;
        for (let j = 0; j < t.stride; j++) entry.gone.add(base + j);
      }
    }
  }
  const out = new Map<string, KeptAxis>();
  for (const [name, e] of removed) {
    if (e.gone.size === 0) continue;
    const kept: number[] = [];
    for (let p = 0; p < e.size; p++) if (!e.gone.has(p)) kept.push(p);
    out.set(name, { axis: e.axis, rank: e.rank, size: e.size, kept });
  }
  return out;
}
