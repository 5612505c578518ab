/** JSON-friendly summaries of channel groups (for `inspect --json` and reports). */
import { isResidualStream, type ChannelGroup } from "./types.js";

export interface GroupDescription {
  id: number;
  label: string;
  channels: number;
  prunable: boolean;
  /** Channels that several branches add into (pruned at ratio × --residual-scale). */
  residualStream: boolean;
  reason: string | null;
  producers: string[];
  consumers: string[];
}

export function describeGroups(groups: readonly ChannelGroup[]): GroupDescription[] {
  const unique = (names: string[]): string[] => [...new Set(names)];
  return groups.map((g) => ({
    id: g.id,
    label: g.label,
    channels: g.channels,
    prunable: g.prunable,
    residualStream: isResidualStream(g),
    reason: g.reason ?? null,
    producers: unique(g.producers.map((p) => p.name)),
    consumers: unique(g.consumers.map((c) => c.name)),
  }));
}
