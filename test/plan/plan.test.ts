import { describe, expect, it } from "vitest";
import type { ChannelGroup } from "../../src/groups/types.js";
import { makePlan, removalCount, type CostModel } from "../../src/plan/plan.js";
import type { GroupScore } from "../../src/score/types.js";
import { UsageError } from "../../src/errors.js";

function group(id: number, label: string, channels: number): ChannelGroup {
  return {
    id, label, channels, prunable: true, consumers: [], members: [],
    tensors: [{ name: `${label}_out`, offset: 0, axis: 1, rank: 4, size: channels, stride: 1, start: 0, count: channels }],
    producers: [{ node: id, name: label, op: "Conv", weight: `${label}.weight`, weightAxis: 0, output: `${label}_out`, tap: `${label}_out`, offset: 0 }],
  };
}

function score(id: number, importance: number[], removalOrder?: number[]): GroupScore {
  return { group: id, importance: Float64Array.from(importance), removalOrder, terms: {} };
}

describe("removalCount", () => {
  it("removes floor(p·C) channels", () => {
    expect(removalCount(64, 0.5, {})).toBe(32);
    expect(removalCount(10, 0.33, {})).toBe(3);
    expect(removalCount(7, 0.5, {})).toBe(3);
  });
  it("rounds the kept count up to a multiple of --round-to", () => {
    expect(removalCount(64, 0.3, { roundTo: 8 })).toBe(16); // keep 45 → 48
    expect(removalCount(30, 0.5, { roundTo: 4 })).toBe(14); // keep 15 → 16
  });
  it("honours --min-channels and --max-ratio", () => {
    expect(removalCount(16, 0.9, { minChannels: 4 })).toBe(12);
    expect(removalCount(16, 0.9, { maxRatio: 0.5 })).toBe(8);
    expect(removalCount(2, 0.9, {})).toBe(1); // at least one channel stays
  });
});

describe("makePlan", () => {
  const groups = [group(0, "stem", 8), group(1, "block1.conv", 8), group(2, "head", 4)];
  const scores = new Map([
    [0, score(0, [5, 1, 4, 1, 8, 0.5, 7, 2])],
    [1, score(1, [1, 1, 1, 1, 1, 1, 1, 1])],
    [2, score(2, [1, 2, 3, 4], [3, 2, 1, 0])],
  ]);

  it("removes the least important channels, ties by index, and follows explicit orders", () => {
    const plan = makePlan(groups, scores, { ratio: 0.5 });
    expect(plan.groups.map((g) => g.removed)).toEqual([[1, 3, 5, 7], [0, 1, 2, 3], [2, 3]]);
    expect([...plan.keep.get(0)!]).toEqual([0, 2, 4, 6]);
  });

  it("applies --ratio-for (first match wins) and --ignore globs", () => {
    const plan = makePlan(groups, scores, { ratio: 0.5, ratioFor: [{ pattern: "block*", ratio: 0.25 }], ignore: ["head"] });
    expect(plan.groups.find((g) => g.group === 1)!.removed).toEqual([0, 1]);
    const head = plan.groups.find((g) => g.group === 2)!;
    expect(head.removed).toEqual([]);
    expect(head.note).toMatch(/ignore/);
    expect(plan.keep.has(2)).toBe(false);
  });

  it("prunes residual streams at ratio × --residual-scale (default 0.5); --ratio-for still wins", () => {
    const stream: ChannelGroup = {
      ...group(3, "block2.c2", 16),
      members: [{ node: 9, name: "add", op: "Add", kind: "residual", output: "sum", tap: "sum_relu" }],
    };
    const all = [...groups, stream];
    const s = new Map([...scores, [3, score(3, Array.from({ length: 16 }, (_, i) => 16 - i))]]);
    const byDefault = makePlan(all, s, { ratio: 0.5 }).groups.find((g) => g.group === 3)!;
    expect(byDefault.removed).toEqual([12, 13, 14, 15]); // ⌊0.25·16⌋, least important first
    expect(byDefault.note).toBe("residual stream: ratio 0.25 (--residual-scale 0.5)");
    // plain groups keep the uniform rate
    expect(makePlan(all, s, { ratio: 0.5 }).groups.find((g) => g.group === 1)!.removed).toHaveLength(4);
    const uniform = makePlan(all, s, { ratio: 0.5, residualScale: 1 }).groups.find((g) => g.group === 3)!;
    expect(uniform.removed).toHaveLength(8);
    expect(uniform.note).toBeUndefined();
    expect(makePlan(all, s, { ratio: 0.5, residualScale: 0 }).groups.find((g) => g.group === 3)!.removed).toEqual([]);
    const override = makePlan(all, s, { ratio: 0.5, ratioFor: [{ pattern: "block2.*", ratio: 0.75 }] }).groups.find((g) => g.group === 3)!;
    expect(override.removed).toHaveLength(12);
    expect(() => makePlan(all, s, { ratio: 0.5, residualScale: 1.5 })).toThrow(/--residual-scale must be in \[0, 1\]/);
  });

  it("global mode reaches a MAC target by ranking normalised scores across groups", () => {
    // Each removed channel of any group saves 10 MACs out of 200.
    const cost: CostModel = {
      baseMacs: 200, baseParams: 200,
      macs: (kept) => 200 - 10 * [...kept].reduce((s, [g, k]) => s + groups[g]!.channels - k, 0),
      params: () => 200,
    };
    const plan = makePlan(groups, scores, { global: true, targetMacs: 0.5 }, cost);
    const removed = plan.groups.reduce((s, g) => s + g.removed.length, 0);
    expect(removed).toBeGreaterThanOrEqual(10);
    expect(removed).toBe(10);
    // The lowest normalised scores go first: stem's 0.5/8 and 1/8 come before block1's 1/1.
    expect(plan.groups[0]!.removed).toEqual(expect.arrayContaining([1, 3, 5]));
  });

  it("is deterministic", () => {
    const a = makePlan(groups, scores, { ratio: 0.3, roundTo: 2 });
    const b = makePlan(groups, scores, { ratio: 0.3, roundTo: 2 });
    expect(a).toEqual(b);
  });

  it("rejects bad options with a usage error", () => {
    expect(() => makePlan(groups, scores, { ratio: 1.5 })).toThrow(UsageError);
    expect(() => makePlan(groups, scores, { global: true })).toThrow(/target/);
    expect(() => makePlan(groups, scores, { targetMacs: 0.5 })).toThrow(/--global/);
    expect(() => makePlan(groups, scores, { roundTo: 0 })).toThrow(UsageError);
  });
});
