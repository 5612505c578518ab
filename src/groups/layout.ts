/**
 * Channel layouts: which channel sources a tensor carries on its channel axis, and where.
 * A source is a producer's output channels (or an untracked tensor's, born frozen); sources that
 * must lose the same channels are merged in a union-find, whose roots become the groups.
 */

/** Source channels [start, start + count) at positions offset + (c − start)·stride (+ stride − 1). */
export interface Segment {
  src: number;
  start: number;
  count: number;
  offset: number;
  stride: number;
}

/** Segments cover positions [0, size) of `axis` exactly, in increasing offset order. */
export interface Layout {
  axis: number;
  rank: number;
  size: number;
  segments: Segment[];
}

export class Sources {
  private readonly parent: number[] = [];
  private readonly size: number[] = [];
  private readonly frozenReason: (string | undefined)[] = [];

  create(channels: number, frozen?: string): number {
    const id = this.parent.length;
    this.parent.push(id);
    this.size.push(channels);
    this.frozenReason.push(frozen);
    return id;
  }

  get count(): number {
    return this.parent.length;
  }

  channels(id: number): number {
    return this.size[id]!;
  }

  find(id: number): number {
    let r = id;
    while (this.parent[r] !== r) r = this.parent[r]!;
    // Path compression keeps later lookups cheap on deep residual chains.
    while (this.parent[id] !== r) {
      const next = this.parent[id]!;
      this.parent[id] = r;
      id = next;
    }
    return r;
  }

  /** Merge two sources of equal channel count; the older root stays (stable group ids). */
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra === rb) return;
    const [keep, drop] = ra < rb ? [ra, rb] : [rb, ra];
    this.parent[drop] = keep;
    this.frozenReason[keep] ??= this.frozenReason[drop];
  }

  freeze(id: number, reason: string): void {
    const r = this.find(id);
    this.frozenReason[r] ??= reason;
  }

  reason(id: number): string | undefined {
    return this.frozenReason[this.find(id)];
  }
}

export function singleSource(src: number, channels: number, axis: number, rank: number): Layout {
  return { axis, rank, size: channels, segments: [{ src, start: 0, count: channels, offset: 0, stride: 1 }] };
}

export function withAxis(layout: Layout, axis: number, rank: number): Layout {
  return { ...layout, axis, rank, segments: layout.segments.map((s) => ({ ...s })) };
}

/** The same channels with every position scaled by `factor` (depthwise multiplier, Flatten). */
export function scaled(layout: Layout, factor: number, axis: number, rank: number): Layout {
  return {
    axis, rank, size: layout.size * factor,
    segments: layout.segments.map((s) => ({ ...s, offset: s.offset * factor, stride: s.stride * factor })),
  };
}

/** Positions [from, to) of a layout as a new layout, or undefined when the cut splits a stride block. */
export function cut(layout: Layout, from: number, to: number): Layout | undefined {
  const segments: Segment[] = [];
  for (const s of layout.segments) {
    const end = s.offset + s.count * s.stride;
    const lo = Math.max(from, s.offset);
    const hi = Math.min(to, end);
    if (lo >= hi) continue;
    if ((lo - s.offset) % s.stride !== 0 || (hi - s.offset) % s.stride !== 0) return undefined;
    segments.push({
      src: s.src, stride: s.stride, offset: lo - from,
      start: s.start + (lo - s.offset) / s.stride, count: (hi - lo) / s.stride,
    });
  }
  return { axis: layout.axis, rank: layout.rank, size: to - from, segments };
}

/** Layouts side by side (Concat on the channel axis). */
export function concatenated(parts: readonly Layout[], axis: number, rank: number): Layout {
  const segments: Segment[] = [];
  let size = 0;
  for (const p of parts) {
    for (const s of p.segments) segments.push({ ...s, offset: s.offset + size });
    size += p.size;
  }
  return { axis, rank, size, segments };
}
