/**
 * Plans: how many and which channels each prunable group loses. Per-group rate (--ratio, with
 * per-layer overrides), or global ranking of normalised scores toward a MAC or parameter target.
 * Deterministic: ties break by channel index, groups are visited in id order.
 */
import { UsageError } from "../errors.js";
import { isResidualStream, type ChannelGroup, type KeepSets } from "../groups/types.js";
import { globToRegExp } from "../util/glob.js";
import type { GroupScore } from "../score/types.js";

export interface PlanOptions {
  /** Fraction of each group's channels to remove (per-group mode). Default 0.5. */
  ratio?: number;
  /**
   * Residual streams (groups that several branches add into) lose ratio × residualScale of their
   * channels. Default 0.5; 1 prunes them at the same rate as every other group.
   */
  residualScale?: number;
  /** Per-layer overrides: the first matching pattern (on any member's name) wins. */
  ratioFor?: readonly { pattern: string; ratio: number }[];
  /** Groups with a member matching any of these patterns are not pruned. */
  ignore?: readonly string[];
  /** Kept channel counts are rounded up to a multiple of this (e.g. 8 for vector units). */
  roundTo?: number;
  /** Never keep fewer channels than this in a group. Default 1. */
  minChannels?: number;
  /** Never remove more than this fraction of a group. Default 0.9. */
  maxRatio?: number;
  /** Global mode: rank normalised importance across groups toward a target. */
  global?: boolean;
  targetMacs?: number;
  targetParams?: number;
}

export interface GroupPlan {
  group: number;
  label: string;
  channels: number;
  removed: number[];
  kept: number[];
  /** Why the group is untouched, when it is. */
  note?: string;
}

export interface Plan {
  groups: GroupPlan[];
  keep: KeepSets;
}

/** Cost model for global mode: MACs/params as a function of the kept count of every group. */
export interface CostModel {
  macs(kept: ReadonlyMap<number, number>): number;
  params(kept: ReadonlyMap<number, number>): number;
  readonly baseMacs: number;
  readonly baseParams: number;
}

export function memberNames(g: ChannelGroup): string[] {
  return [g.label, ...g.producers.map((p) => p.name), ...g.consumers.map((c) => c.name), ...g.tensors.map((t) => t.name)];
}

function matches(g: ChannelGroup, pattern: string): boolean {
  const re = globToRegExp(pattern);
  return memberNames(g).some((n) => re.test(n));
}

export function validatePlanOptions(o: PlanOptions): void {
  const frac = (v: number | undefined, name: string, lo: number, hi: number): void => {
    if (v !== undefined && !(v >= lo && v <= hi)) throw new UsageError(`--${name} must be in [${lo}, ${hi}], got ${v}`);
  };
  frac(o.ratio, "ratio", 0, 1);
  frac(o.maxRatio, "max-ratio", 0, 1);
  frac(o.residualScale, "residual-scale", 0, 1);
  frac(o.targetMacs, "target-macs", 0, 1);
  frac(o.targetParams, "target-params", 0, 1);
  for (const r of o.ratioFor ?? []) frac(r.ratio, `ratio-for ${r.pattern}`, 0, 1);
  if (o.roundTo !== undefined && !(Number.isInteger(o.roundTo) && o.roundTo >= 1)) throw new UsageError(`--round-to must be a positive integer`);
  if (o.minChannels !== undefined && !(Number.isInteger(o.minChannels) && o.minChannels >= 1)) throw new UsageError(`--min-channels must be a positive integer`);
  if (o.global && o.targetMacs === undefined && o.targetParams === undefined) throw new UsageError(`--global needs --target-macs or --target-params`);
  if (!o.global && (o.targetMacs !== undefined || o.targetParams !== undefined)) throw new UsageError(`--target-macs/--target-params need --global`);
}

/** The most channels a group may lose under min-channels, max-ratio and round-to. */
function maxRemovable(C: number, o: PlanOptions): number {
  const minKeep = Math.max(o.minChannels ?? 1, C - Math.floor((o.maxRatio ?? 0.9) * C), 1);
  return Math.max(0, C - roundKeep(Math.min(C, minKeep), C, o.roundTo));
}

function roundKeep(keep: number, C: number, roundTo = 1): number {
  return Math.min(C, Math.ceil(keep / roundTo) * roundTo);
}

/** How many channels to remove from a C-channel group at this ratio. */
export function removalCount(C: number, ratio: number, o: PlanOptions): number {
  const keep = roundKeep(C - Math.floor(ratio * C + 1e-9), C, o.roundTo);
  return Math.min(C - keep, maxRemovable(C, o));
}

/** Channels in removal order: the score's explicit order, or ascending importance (ties: index). */
export function removalOrder(score: GroupScore): number[] {
  if (score.removalOrder) return [...score.removalOrder];
  const idx = Array.from(score.importance, (_, i) => i);
  return idx.sort((a, b) => score.importance[a]! - score.importance[b]! || a - b);
}

/**
 * Ranges of the group's channels that some tensor carries on its own (a Split or Slice branch):
 * each must keep at least one channel, or that branch would become empty.
 */
function partialRanges(g: ChannelGroup): [number, number][] {
  const seen = new Set<string>();
  const out: [number, number][] = [];
  for (const r of [...g.tensors, ...g.consumers]) {
    if (r.count >= g.channels) continue;
    const key = `${r.start}:${r.count}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push([r.start, r.start + r.count]);
    }
  }
  return out;
}

/** The first k channels of the order that can go without emptying a partial range. */
function takeRemovable(g: ChannelGroup, order: readonly number[], k: number): number[] {
  const ranges = partialRanges(g);
  if (ranges.length === 0) return order.slice(0, k);
  const left = ranges.map(([a, b]) => b - a);
  const taken: number[] = [];
  for (const c of order) {
    if (taken.length === k) break;
    const hits = ranges.map(([a, b], i) => (c >= a && c < b ? i : -1)).filter((i) => i >= 0);
    if (hits.some((i) => left[i] === 1)) continue;
    for (const i of hits) left[i]!--;
    taken.push(c);
  }
  return taken;
}

function groupPlan(g: ChannelGroup, order: readonly number[], k: number, note?: string): GroupPlan {
  const removed = takeRemovable(g, order, k).sort((a, b) => a - b);
  const gone = new Set(removed);
  const kept: number[] = [];
  for (let c = 0; c < g.channels; c++) if (!gone.has(c)) kept.push(c);
  return { group: g.id, label: g.label, channels: g.channels, removed, kept, note };
}

export function makePlan(groups: readonly ChannelGroup[], scores: ReadonlyMap<number, GroupScore>, o: PlanOptions, cost?: CostModel): Plan {
  validatePlanOptions(o);
  const plans: GroupPlan[] = [];
  const candidates: ChannelGroup[] = [];
  for (const g of groups) {
    if (!g.prunable) continue;
    if (o.ignore && o.ignore.some((p) => matches(g, p))) {
      plans.push(groupPlan(g, [], 0, "ignored by --ignore"));
      continue;
    }
    if (!scores.has(g.id)) throw new UsageError(`internal: no scores for group '${g.label}'`);
    candidates.push(g);
  }
  if (o.global) {
    if (!cost) throw new UsageError("--global needs a cost model (model shapes)");
    plans.push(...globalPlan(candidates, scores, o, cost));
  } else {
    for (const g of candidates) {
      const { ratio, note } = groupRatio(g, o);
      plans.push(groupPlan(g, removalOrder(scores.get(g.id)!), removalCount(g.channels, ratio, o), note));
    }
  }
  plans.sort((a, b) => a.group - b.group);
  const keep: KeepSets = new Map();
  for (const p of plans) if (p.removed.length > 0) keep.set(p.group, p.kept);
  return { groups: plans, keep };
}

/** Default per-group rate (`--ratio`). */
export const DEFAULT_RATIO = 0.5;
/** Default residual-stream scale: see docs/ACCURACY.md, "Residual streams". */
export const DEFAULT_RESIDUAL_SCALE = 0.5;

/**
 * The rate of one group in per-group mode: a --ratio-for override, else --ratio, scaled for a
 * residual stream. A stream's channels are shared by every block along it (input and output of
 * each), so a uniform rate narrows the whole network's trunk at once; pruning it at a lower rate
 * is the usual practice for ResNets and inverted residuals.
 */
function groupRatio(g: ChannelGroup, o: PlanOptions): { ratio: number; note?: string } {
  const override = o.ratioFor?.find((r) => matches(g, r.pattern));
  if (override) return { ratio: override.ratio, note: `--ratio-for ${override.pattern}=${override.ratio}` };
  const ratio = o.ratio ?? DEFAULT_RATIO;
  const scale = o.residualScale ?? DEFAULT_RESIDUAL_SCALE;
  if (scale === 1 || !isResidualStream(g)) return { ratio };
  return { ratio: ratio * scale, note: `residual stream: ratio ${fmt(ratio * scale)} (--residual-scale ${scale})` };
}

function fmt(x: number): string {
  return String(Math.round(x * 1e4) / 1e4);
}

/**
 * Global ranking: channels of all groups compete on importance normalised within their group
 * (divided by the group's max) and are removed lowest first (ties: group id, then the group's own
 * removal order), one by one; a binary search on how many finds the smallest removal that
 * reaches the target under the per-group limits.
 */
function globalPlan(groups: readonly ChannelGroup[], scores: ReadonlyMap<number, GroupScore>, o: PlanOptions, cost: CostModel): GroupPlan[] {
  const orders = new Map<number, number[]>();
  const queue: { group: number; rank: number; score: number }[] = [];
  for (const g of groups) {
    const s = scores.get(g.id)!;
    const order = removalOrder(s);
    orders.set(g.id, order);
    const max = Math.max(...Array.from(s.importance), 1e-30);
    // A greedy order need not be monotone in importance: use the running maximum, so that the
    // group's channels leave in its own order.
    let run = 0;
    order.forEach((c, rank) => queue.push({ group: g.id, rank, score: (run = Math.max(run, s.importance[c]! / max)) }));
  }
  queue.sort((a, b) => a.score - b.score || a.group - b.group || a.rank - b.rank);
  const caps = new Map(groups.map((g) => [g.id, maxRemovable(g.channels, o)]));
  const channelsOf = new Map(groups.map((g) => [g.id, g.channels]));
  const countsAfter = (prefix: number): Map<number, number> => {
    const removed = new Map<number, number>();
    for (let i = 0; i < prefix; i++) {
      const q = queue[i]!;
      const r = removed.get(q.group) ?? 0;
      if (r < caps.get(q.group)! && q.rank === r) removed.set(q.group, r + 1);
    }
    const kept = new Map<number, number>();
    for (const [g, c] of channelsOf) kept.set(g, roundKeep(c - (removed.get(g) ?? 0), c, o.roundTo));
    return kept;
  };
  const meets = (kept: Map<number, number>): boolean =>
    (o.targetMacs === undefined || cost.macs(kept) <= o.targetMacs * cost.baseMacs)
    && (o.targetParams === undefined || cost.params(kept) <= o.targetParams * cost.baseParams);
  let hi = queue.length;
  const planFor = (kept: Map<number, number>, note?: string): GroupPlan[] =>
    groups.map((g) => groupPlan(g, orders.get(g.id)!, g.channels - kept.get(g.id)!, note));
  if (!meets(countsAfter(hi))) return planFor(countsAfter(hi), "target not reachable within --max-ratio/--min-channels");
  let lo = 0;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (meets(countsAfter(mid))) hi = mid;
    else lo = mid + 1;
  }
  return planFor(countsAfter(hi));
}
