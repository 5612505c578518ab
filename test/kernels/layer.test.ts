import { beforeAll, describe, expect, it } from "vitest";
import type { DistanceKind, Kernels, LayerStatistics } from "../../src/kernels/kernels.js";
import { normal, referenceDistances, referenceGramSums, referenceStats, rng } from "./reference.js";
import { kernelsForTest, maxAbs, worstMismatch } from "./setup.js";

let kernels: Kernels;
beforeAll(async () => {
  kernels = await kernelsForTest();
});

const KINDS: DistanceKind[] = ["euclidean", "cosine", "correlation"];

/** ReLU-like maps with per-channel scale and offset, so statistics differ between channels. */
function randomBatch(n: number, c: number, m: number, seed: number): Float32Array {
  const u = rng(seed);
  const scale = Array.from({ length: c }, () => 0.1 + 3 * u());
  const shift = Array.from({ length: c }, () => normal(u));
  const data = new Float32Array(n * c * m);
  for (let s = 0; s < n; s++) for (let ch = 0; ch < c; ch++) for (let k = 0; k < m; k++) {
    data[(s * c + ch) * m + k] = Math.max(0, scale[ch] * normal(u) + shift[ch]) - 0.2 * u();
  }
  return data;
}

function run(data: Float32Array, n: number, c: number, m: number, kind: DistanceKind, pieces: number[] = [n]): LayerStatistics {
  const acc = kernels.createLayerAccumulator({ channels: c, spatial: m, distance: kind });
  let s0 = 0;
  for (const p of pieces) {
    acc.addBatch(data.subarray(s0 * c * m, (s0 + p) * c * m), p);
    s0 += p;
  }
  const stats = acc.finalize();
  acc.dispose();
  return stats;
}

function compareToReference(data: Float32Array, n: number, c: number, m: number, kinds: DistanceKind[]): void {
  const ref = referenceStats(data, n, c, m, 32);
  const gram = referenceGramSums(data, n, c, m);
  for (const kind of kinds) {
    const got = run(data, n, c, m, kind);
    expect(got.samples).toBe(n);
    const refD = referenceDistances(data, n, c, m, kind);
    // Distances of order 1; near-0 entries are checked against that scale.
    expect(worstMismatch(got.distance, refD, 1e-5, Math.max(1, maxAbs(refD))), `${kind} distance`).toBeNull();
    if (kind !== kinds[0]) continue;
    const a = got.activeness;
    const scaleOf = (v: Float64Array): number => Math.max(1e-30, maxAbs(v));
    expect(worstMismatch(a.std, ref.std, 1e-5, 1e-3 * scaleOf(ref.std)), "std").toBeNull();
    expect(worstMismatch(a.l1, ref.l1, 1e-5), "l1").toBeNull();
    expect(worstMismatch(a.l2, ref.l2, 1e-5), "l2").toBeNull();
    expect(worstMismatch(a.nonzero, ref.nonzero, 1e-12, 1), "nonzero").toBeNull();
    expect(worstMismatch(a.entropy, ref.entropy, 1e-9, 1), "entropy").toBeNull();
    expect(worstMismatch(got.channelMean, ref.mean, 1e-5, 1e-3 * scaleOf(ref.mean)), "mean").toBeNull();
    expect(worstMismatch(got.channelMeanSquare, ref.meanSquare, 1e-5, 1e-6 * scaleOf(ref.meanSquare)), "mean²").toBeNull();
    // Gram entries relative to √(Gii·Gjj) (the size of the terms that cancel).
    for (const [name, mine, theirs] of [["centred", got.gramCentredSum!, gram.centred], ["raw", got.gramRawSum!, gram.raw]] as const) {
      for (let i = 0; i < c; i++) for (let j = 0; j < c; j++) {
        const scale = Math.sqrt(theirs[i * c + i] * theirs[j * c + j]);
        const err = Math.abs(mine[i * c + j] - theirs[i * c + j]);
        if (!(err <= 1e-5 * Math.max(scale, Math.abs(theirs[i * c + j])) + 1e-12)) {
          expect.fail(`${name} Gram (${i},${j}): got ${mine[i * c + j]}, expected ${theirs[i * c + j]}`);
        }
      }
    }
  }
}

describe("layer accumulator vs float64 reference", () => {
  const cases: Array<[number, number, number]> = [
    // [C, M, N]
    [1, 1, 1], [1, 3136, 2], [2, 3, 65], [2, 1, 65], [37, 49, 65], [37, 3136, 1], [37, 3, 4], [512, 49, 1], [512, 1, 3],
  ];
  for (const [c, m, n] of cases) {
    it(`C=${c} M=${m} N=${n}`, () => {
      compareToReference(randomBatch(n, c, m, c * 31 + m * 7 + n), n, c, m, KINDS);
    });
  }

  it("feeding a batch in several pieces gives exactly the one-piece result", () => {
    const [c, m, n] = [37, 49, 65];
    const data = randomBatch(n, c, m, 99);
    for (const kind of KINDS) {
      const whole = run(data, n, c, m, kind);
      const pieces = run(data, n, c, m, kind, [1, 10, 0, 31, 23]);
      expect(pieces.distance).toEqual(whole.distance);
      expect(pieces.activeness).toEqual(whole.activeness);
      expect(pieces.gramCentredSum).toEqual(whole.gramCentredSum);
      expect(pieces.channelMean).toEqual(whole.channelMean);
    }
  });

  it("degenerate maps: all zero, constant, huge constant, large values ~1e4, duplicates", () => {
    const [c, m, n] = [8, 49, 3];
    const u = rng(5);
    const data = new Float32Array(n * c * m);
    for (let s = 0; s < n; s++) for (let k = 0; k < m; k++) {
      const at = (ch: number): number => (s * c + ch) * m + k;
      data[at(0)] = 0;                              // dead
      data[at(1)] = 0;                              // dead too
      data[at(2)] = 5;                              // bias only
      data[at(3)] = 1.25e4;                         // large constant
      data[at(4)] = 1e4 + 10 * normal(u);           // large values, small relative spread
      data[at(5)] = normal(u);
      data[at(6)] = data[at(5)];                    // exact duplicate of 5
      data[at(7)] = -3 * normal(u) + 2;
    }
    compareToReference(data, n, c, m, KINDS);
    const corr = run(data, n, c, m, "correlation");
    const d = (i: number, j: number): number => corr.distance[i * c + j];
    expect(d(0, 1)).toBe(0); // two constant maps
    expect(d(0, 3)).toBe(0);
    expect(d(2, 5)).toBe(1); // constant vs non-constant
    expect(d(5, 6)).toBe(0); // exact duplicates: refined in float64, not left at √(2·1e-7)
    expect(corr.activeness.std[0]).toBe(0);
    expect(corr.activeness.std[3]).toBe(0);
    expect(corr.activeness.entropy[2]).toBe(0);
    const cos = run(data, n, c, m, "cosine");
    expect(cos.distance[0 * c + 1]).toBe(0); // two zero maps
    expect(cos.distance[0 * c + 5]).toBe(1); // zero vs non-zero
  });

  it("rejects a short batch and use after dispose", () => {
    const acc = kernels.createLayerAccumulator({ channels: 3, spatial: 4, distance: "euclidean" });
    expect(() => acc.addBatch(new Float32Array(11), 1)).toThrow(/needs 12 floats/);
    expect(() => acc.finalize()).toThrow(/before any sample/);
    acc.dispose();
    expect(() => acc.addBatch(new Float32Array(12), 1)).toThrow(/after dispose/);
  });

  it("releases its memory on dispose", () => {
    const before = kernels.arena.allocatedBytes;
    const acc = kernels.createLayerAccumulator({ channels: 64, spatial: 3136, distance: "correlation" });
    acc.addBatch(randomBatch(1, 64, 3136, 1), 1);
    acc.dispose();
    expect(kernels.arena.allocatedBytes).toBe(before);
  });
});
