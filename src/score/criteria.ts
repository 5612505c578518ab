/**
 * Criteria: the patent's activeness × substitutability method (`actsub`) and the baselines, as
 * one table. Each criterion turns a channel group into a GroupScore (importance per channel,
 * optionally an explicit greedy removal order). Definitions: METHOD.md.
 */
import { UnsupportedStructureError, UsageError } from "../errors.js";
import type { GraphIndex } from "../graph/graph-index.js";
import type { ChannelGroup, GroupProducer } from "../groups/types.js";
import { globallyCentredGram, type CombineRule, type DistanceKind, type Kernels, type LayerStatistics, type SubstitutabilityMode } from "../kernels/index.js";
import { SeededRandom } from "../util/random.js";
import type { GroupScore } from "./types.js";
import { geometricMedianScores, producerFilters, rowNorms } from "./weights.js";

export const CRITERIA = ["actsub", "l1", "l2", "random", "fpgm", "mean", "apoz", "hrank"] as const;
export type Criterion = (typeof CRITERIA)[number];
export const ACTIVENESS = ["std", "l1", "l2", "nonzero", "entropy"] as const;
export type ActivenessKind = (typeof ACTIVENESS)[number];

export interface ScoreOptions {
  criterion: Criterion;
  activeness: ActivenessKind;
  distance: DistanceKind;
  /** "nearest" | "mean" | "knn:K" | "regression" */
  substitutability: string;
  combine: CombineRule;
  lambda: number;
  greedy: boolean;
  seed: number;
  /** "act": after the producer's per-channel chain (default); "conv": the raw producer output. */
  tap: "act" | "conv";
}

/**
 * Defaults. Activeness `l2` (root mean square of the map) rather than METHOD.md's first choice
 * `std`: under least-squares recovery it measured best on average over the three trained models
 * (docs/ACCURACY.md, variant tables: +0.77 pt over `l1` across models and rates, at worst −0.55).
 */
export const DEFAULT_SCORE_OPTIONS: ScoreOptions = {
  criterion: "actsub",
  activeness: "l2",
  distance: "correlation",
  substitutability: "nearest",
  combine: "product",
  lambda: 0.5,
  greedy: true,
  seed: 0,
  tap: "act",
};

/** Which feature statistics a criterion needs; weight-only criteria need none. */
export function featureNeeds(o: ScoreOptions): { maps: boolean; gram: boolean; ranks: boolean } {
  const maps = o.criterion === "actsub" || o.criterion === "mean" || o.criterion === "apoz" || o.criterion === "hrank";
  return { maps, gram: o.criterion === "actsub" && o.substitutability === "regression", ranks: o.criterion === "hrank" };
}

export function parseSubstitutability(s: string): SubstitutabilityMode {
  if (s === "nearest" || s === "mean" || s === "regression") return { kind: s } as SubstitutabilityMode;
  const m = /^knn:(\d+)$/.exec(s);
  if (m) return { kind: "knn", neighbours: Number(m[1]) };
  throw new UsageError(`--substitutability must be nearest, mean, knn:K or regression, not '${s}'`);
}

export function tapOf(p: GroupProducer, o: Pick<ScoreOptions, "tap">): string {
  return o.tap === "conv" ? p.output : p.tap;
}

/**
 * The feature maps that carry a group's channels, each with the group's offset in it: every
 * producer's, plus those of depthwise convs that follow the producer (METHOD.md: "a depthwise
 * conv following its producer" is a member of the group with maps of its own). A residual stream
 * is read where the next layers see it, after each residual sum (and its activation), not on the
 * branches that feed the sums; `--tap conv` keeps the raw producer outputs.
 */
export function featureTaps(g: ChannelGroup, o: Pick<ScoreOptions, "tap">): { tap: string; offset: number; depthwise: boolean }[] {
  const sums = o.tap === "conv" ? [] : residualSumTaps(g);
  const taps = sums.length > 0 ? sums : g.producers.map((p) => ({ tap: tapOf(p, o), offset: p.offset, depthwise: false }));
  for (const m of g.members) {
    if (m.kind === "depthwise") taps.push({ tap: o.tap === "conv" ? m.output : m.tap ?? m.output, offset: 0, depthwise: true });
  }
  return taps;
}

/** The group's residual sums whose output holds the whole group contiguously (the common case). */
function residualSumTaps(g: ChannelGroup): { tap: string; offset: number; depthwise: boolean }[] {
  return g.members.flatMap((m) => {
    if (m.kind !== "residual") return [];
    const t = g.tensors.find((x) => x.name === m.output && x.stride === 1 && x.start === 0 && x.count === g.channels);
    return t ? [{ tap: m.tap ?? m.output, offset: t.offset, depthwise: false }] : [];
  });
}

/** The group's C channels out of a tap's statistics (the tap may carry more channels). */
function sliceStats(s: LayerStatistics, offset: number, c: number): { activeness: Record<ActivenessKind, Float64Array>; mean: Float64Array; distance: Float64Array; gram: Float64Array | null } {
  const full = s.channels;
  const vec = (v: Float64Array): Float64Array => v.slice(offset, offset + c);
  const mat = (m: Float64Array): Float64Array => {
    const out = new Float64Array(c * c);
    for (let i = 0; i < c; i++) out.set(m.subarray((offset + i) * full + offset, (offset + i) * full + offset + c), i * c);
    return out;
  };
  const gram = s.gramRawSum ? mat(globallyCentredGram(s.gramRawSum, s.channelMean, s.samples, s.spatial)) : null;
  return {
    activeness: {
      std: vec(s.activeness.std), l1: vec(s.activeness.l1), l2: vec(s.activeness.l2),
      nonzero: vec(s.activeness.nonzero), entropy: vec(s.activeness.entropy),
    },
    mean: vec(s.channelMean),
    distance: mat(s.distance),
    gram,
  };
}

function normalisedByMax(v: Float64Array): Float64Array {
  let max = 0;
  for (const x of v) max = Math.max(max, x);
  return max > 0 ? v.map((x) => x / max) : v.map(() => 1);
}

function meanOf(vs: readonly Float64Array[]): Float64Array {
  const out = new Float64Array(vs[0]!.length);
  for (const v of vs) for (let i = 0; i < v.length; i++) out[i] += v[i]! / vs.length;
  return out;
}

export interface ScoreInputs {
  index: GraphIndex;
  kernels: Kernels;
  stats: Map<string, LayerStatistics>;
  ranks: Map<string, Float64Array>;
}

export function scoreGroup(g: ChannelGroup, inputs: ScoreInputs, o: ScoreOptions): GroupScore {
  const C = g.channels;
  const memberStats = (): ReturnType<typeof sliceStats>[] =>
    featureTaps(g, o).flatMap((t) => {
      const s = inputs.stats.get(t.tap);
      if (!s) throw new UnsupportedStructureError(`group '${g.label}': no feature statistics for tap '${t.tap}'`);
      // A depthwise conv with a channel multiplier carries k maps per channel: not a 1:1 member.
      if (t.depthwise && s.channels !== C) return [];
      return [sliceStats(s, t.offset, C)];
    });
  switch (o.criterion) {
    case "actsub": return activenessSubstitutability(g, memberStats(), inputs.kernels, o);
    case "l1":
    case "l2": {
      const p = o.criterion === "l1" ? 1 : 2;
      const norms = g.producers.map((pr) => normalisedByMax(rowNorms(producerFilters(inputs.index, g, pr).rows, p)));
      return { group: g.id, importance: meanOf(norms), terms: { [`${o.criterion}_norm`]: meanOf(norms) } };
    }
    case "fpgm": {
      const s = g.producers.map((pr) => normalisedByMax(geometricMedianScores(producerFilters(inputs.index, g, pr).rows)));
      return { group: g.id, importance: meanOf(s), terms: { distance_sum: meanOf(s) } };
    }
    case "random": {
      const rng = new SeededRandom(o.seed * 1000003 + g.id);
      const importance = Float64Array.from({ length: C }, () => rng.next());
      return { group: g.id, importance, terms: {} };
    }
    case "mean": {
      // Mean activation of the tapped map (a zero-mean channel contributes least on average).
      const m = meanOf(memberStats().map((s) => normalisedByMax(s.mean.map(Math.abs))));
      return { group: g.id, importance: m, terms: { mean_activation: m } };
    }
    case "apoz": {
      // 1 − APoZ: channels that are rarely positive after ReLU are pruned first.
      const m = meanOf(memberStats().map((s) => normalisedByMax(s.activeness.nonzero)));
      return { group: g.id, importance: m, terms: { nonzero_fraction: m } };
    }
    case "hrank": {
      const r = featureTaps(g, o).flatMap((t) => {
        const v = inputs.ranks.get(t.tap);
        if (!v) throw new UnsupportedStructureError(`group '${g.label}': hrank needs spatial maps at '${t.tap}'`);
        return t.depthwise && v.length !== C ? [] : [normalisedByMax(v.slice(t.offset, t.offset + C))];
      });
      return { group: g.id, importance: meanOf(r), terms: { mean_rank: meanOf(r) } };
    }
  }
}

/**
 * The patent's method. Groups with several members (residual Adds, depthwise chains) pool the
 * members' evidence before selecting: activeness as the mean of each member's max-normalised
 * activeness, differences (or Gram) as the members' mean, then one greedy selection, so that
 * "of two near-duplicates, one stays" holds for the group as a whole.
 */
function activenessSubstitutability(g: ChannelGroup, members: ReturnType<typeof sliceStats>[], kernels: Kernels, o: ScoreOptions): GroupScore {
  const C = g.channels;
  const mode = parseSubstitutability(o.substitutability);
  const activeness = meanOf(members.map((m) => normalisedByMax(m.activeness[o.activeness])));
  const distance = meanOf(members.map((m) => m.distance));
  let gram: Float64Array | undefined;
  if (mode.kind === "regression") {
    gram = meanOf(members.map((m) => {
      const gm = m.gram!;
      let trace = 0;
      for (let i = 0; i < C; i++) trace += gm[i * C + i]!;
      return trace > 0 ? gm.map((x) => (x * C) / trace) : gm;
    }));
  }
  if (C < 2) return { group: g.id, importance: new Float64Array(C).fill(1), terms: {} };
  const result = kernels.selectChannels({
    channels: C, activeness, distance, gram, substitutability: mode, combine: o.combine, lambda: o.lambda,
    remove: C - 1, greedy: o.greedy,
  });
  return {
    group: g.id,
    importance: result.initialImportance,
    removalOrder: Array.from(result.removed),
    terms: { activeness, substitutability: result.initialSubstitutability },
  };
}
