import { beforeAll, describe, expect, it } from "vitest";
import type { Kernels } from "../../src/kernels/kernels.js";
import type { CombineRule, SubstitutabilityMode } from "../../src/kernels/selection.js";
import { globallyCentredGram } from "../../src/kernels/selection.js";
import { normal, referenceGreedy, referenceSubstitutability, rng, type RefMode } from "./reference.js";
import { kernelsForTest, worstMismatch } from "./setup.js";

let kernels: Kernels;
beforeAll(async () => {
  kernels = await kernelsForTest();
});

function randomDistance(c: number, seed: number): Float64Array {
  const u = rng(seed);
  const d = new Float64Array(c * c);
  for (let i = 0; i < c; i++) for (let j = i + 1; j < c; j++) {
    const v = 0.05 + u();
    d[i * c + j] = v;
    d[j * c + i] = v;
  }
  return d;
}

function randomGram(c: number, m: number, seed: number): Float64Array {
  const u = rng(seed);
  const x = Array.from({ length: c * m }, () => normal(u));
  // Make some channels nearly rebuildable from others.
  for (let k = 0; k < m; k++) x[3 * m + k] = x[1 * m + k] - 0.5 * x[2 * m + k] + 0.05 * normal(u);
  const g = new Float64Array(c * c);
  for (let i = 0; i < c; i++) for (let j = 0; j < c; j++) {
    let s = 0;
    for (let k = 0; k < m; k++) s += x[i * m + k] * x[j * m + k];
    g[i * c + j] = s;
  }
  return g;
}

const MODES: Array<[SubstitutabilityMode, RefMode]> = [
  [{ kind: "nearest" }, { kind: "nearest" }],
  [{ kind: "mean" }, { kind: "mean" }],
  [{ kind: "knn", neighbours: 3 }, { kind: "knn", neighbours: 3 }],
  [{ kind: "knn", neighbours: 50 }, { kind: "knn", neighbours: 50 }],
  [{ kind: "regression", ridge: 1e-3 }, { kind: "regression", ridge: 1e-3 }],
];

describe("channel selection vs brute-force greedy reference", () => {
  for (const [mode, refMode] of MODES) {
    for (const combine of ["product", "sum"] as CombineRule[]) {
      for (const greedy of [true, false]) {
        const label = `${mode.kind}${mode.kind === "knn" ? `:${mode.neighbours}` : ""} ${combine} ${greedy ? "greedy" : "one-shot"}`;
        it(label, () => {
          for (const c of [2, 13, 40, 100]) {
            const seed = c * 101 + (greedy ? 1 : 0);
            const matrix = mode.kind === "regression" ? randomGram(c, 3 * c, seed) : randomDistance(c, seed);
            const u = rng(seed + 5);
            const activeness = Float64Array.from({ length: c }, () => 0.1 + u());
            const remove = Math.floor(c * 0.6);
            const result = kernels.selectChannels({
              channels: c, activeness, substitutability: mode, combine, lambda: 0.5, remove, greedy,
              ...(mode.kind === "regression" ? { gram: matrix } : { distance: matrix }),
            });
            const expected = referenceGreedy(matrix, c, activeness, refMode, combine, 0.5, remove, greedy);
            expect(Array.from(result.removed), `C=${c}`).toEqual(expected);
            expect(result.kept.reduce((a, b) => a + b, 0)).toBe(c - remove);
            const s0 = referenceSubstitutability(matrix, c, new Array<boolean>(c).fill(true), refMode);
            expect(worstMismatch(result.initialSubstitutability, s0, 1e-9, 1)).toBeNull();
          }
        });
      }
    }
  }

  it("ties go to the lower channel index; of two duplicates one stays", () => {
    const c = 6;
    const d = randomDistance(c, 4);
    // Channels 1 and 4 are duplicates (distance 0, identical distances to everyone else).
    for (let j = 0; j < c; j++) {
      d[4 * c + j] = d[1 * c + j];
      d[j * c + 4] = d[j * c + 1];
    }
    d[1 * c + 4] = d[4 * c + 1] = 0;
    d[4 * c + 4] = 0;
    const activeness = new Float64Array(c).fill(1);
    const result = kernels.selectChannels({
      channels: c, activeness, distance: d, substitutability: { kind: "nearest" }, combine: "product", lambda: 0.5, remove: 2,
    });
    expect(result.removed[0]).toBe(1);
    expect(result.kept[4]).toBe(1);
    expect(Array.from(result.removed)).toEqual(referenceGreedy(d, c, activeness, { kind: "nearest" }, "product", 0.5, 2, true));
  });

  it("validates its input", () => {
    const d = randomDistance(4, 1);
    const base = { channels: 4, activeness: new Float64Array(4).fill(1), distance: d, combine: "sum" as const, lambda: 0.5 };
    expect(() => kernels.selectChannels({ ...base, substitutability: { kind: "nearest" }, remove: 4 })).toThrow(/remove/);
    expect(() => kernels.selectChannels({ ...base, substitutability: { kind: "regression" }, remove: 1 })).toThrow(/gram/);
    expect(() => kernels.selectChannels({ ...base, substitutability: { kind: "knn", neighbours: 0 }, remove: 1 })).toThrow(/neighbours/);
    expect(() => kernels.selectChannels({ ...base, activeness: Float64Array.from([1, NaN, 1, 1]), substitutability: { kind: "mean" }, remove: 1 })).toThrow(/channel 1/);
    expect(() => kernels.selectChannels({ ...base, lambda: 2, substitutability: { kind: "mean" }, remove: 1 })).toThrow(/lambda/);
  });

  it("globallyCentredGram subtracts N·M·μ̄μ̄ᵀ", () => {
    const g = globallyCentredGram(Float64Array.from([10, 4, 4, 8]), Float64Array.from([1, 0.5]), 2, 3);
    expect(Array.from(g)).toEqual([10 - 6, 4 - 3, 4 - 3, 8 - 1.5]);
  });
});
