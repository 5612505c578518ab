import { beforeAll, describe, expect, it } from "vitest";
import type { Kernels } from "../../src/kernels/kernels.js";
import { normal, referenceLeastSquares, rng } from "./reference.js";
import { kernelsForTest, maxAbs, worstMismatch } from "./setup.js";

let kernels: Kernels;
beforeAll(async () => {
  kernels = await kernelsForTest();
});

function randomRows(rows: number, cols: number, seed: number): Float32Array {
  const u = rng(seed);
  return Float32Array.from({ length: rows * cols }, () => normal(u));
}

describe("normal equations + Cholesky vs float64 reference", () => {
  // K spans: 1, below/above the 8-row groups, not multiples of 3 (register tiles) or 64 (blocks);
  // rows cross the 256-row transposition blocks.
  const cases: Array<[number, number, number, number]> = [
    // [K, O, rows, ridge]
    [1, 1, 5, 0], [3, 2, 40, 1e-3], [9, 8, 300, 0], [37, 17, 600, 1e-3], [64, 9, 257, 1e-2],
    // several 64-column Cholesky blocks, odd trailing spans (ragged 2×4 tiles) and 256-row panels
    [150, 7, 400, 1e-3], [331, 10, 700, 1e-2],
  ];
  for (const [k, o, rows, ridge] of cases) {
    it(`K=${k} O=${o} rows=${rows} ridge=${ridge}`, () => {
      const x = randomRows(rows, k, k * 13 + rows);
      const y = randomRows(rows, o, o * 17 + rows);
      const ne = kernels.normalEquations(k, o);
      ne.addRows(x, y, rows);
      const w = ne.solve(ridge);
      ne.dispose();
      const ref = referenceLeastSquares(x, y, rows, k, o, ridge);
      // Products are float32, sums float64: ~1e-7 relative on XᵀX, amplified by cond(XᵀX) (small
      // for these tall random systems).
      expect(worstMismatch(w, ref, 1e-5, maxAbs(ref))).toBeNull();
    });
  }

  it("recovers known weights of an exactly solvable system to 1e-6", () => {
    // Small integers make every float32 product and partial sum exact, so the only error left is
    // the float64 solve.
    const [k, o, rows] = [29, 11, 400];
    const u = rng(3);
    const wTrue = Float64Array.from({ length: k * o }, () => Math.round(16 * (u() - 0.5)) / 8);
    const x = Float32Array.from({ length: rows * k }, () => Math.round(8 * (u() - 0.5)));
    const y = new Float32Array(rows * o);
    for (let r = 0; r < rows; r++) for (let j = 0; j < o; j++) {
      let s = 0;
      for (let i = 0; i < k; i++) s += x[r * k + i] * wTrue[i * o + j];
      y[r * o + j] = s;
    }
    const ne = kernels.normalEquations(k, o);
    ne.addRows(x, y, rows);
    const w = ne.solve(0);
    ne.dispose();
    expect(worstMismatch(w, wTrue, 1e-6, 1)).toBeNull();
  });

  it("rows added in pieces and solve() repeated give the one-piece result", () => {
    const [k, o, rows] = [21, 5, 700];
    const x = randomRows(rows, k, 8), y = randomRows(rows, o, 9);
    const one = kernels.normalEquations(k, o);
    one.addRows(x, y, rows);
    const pieces = kernels.normalEquations(k, o);
    pieces.addRows(x.subarray(0, 100 * k), y.subarray(0, 100 * o), 100);
    const early = pieces.solve(1e-3); // must not disturb the accumulators
    expect(early.length).toBe(k * o);
    pieces.addRows(x.subarray(100 * k), y.subarray(100 * o), rows - 100);
    expect(pieces.rows).toBe(rows);
    // Different block boundaries change float32 partial sums (~1e-7), not the result beyond that.
    const whole = one.solve(1e-3);
    expect(worstMismatch(pieces.solve(1e-3), whole, 1e-5, maxAbs(whole))).toBeNull();
    one.dispose();
    pieces.dispose();
  });

  it("reports a singular system instead of returning garbage", () => {
    const [k, o, rows] = [6, 1, 3]; // rank ≤ 3 < 6
    const ne = kernels.normalEquations(k, o);
    ne.addRows(randomRows(rows, k, 1), randomRows(rows, o, 2), rows);
    expect(() => ne.solve(0)).toThrow(/not positive definite/);
    expect(ne.solve(1e-3).every(Number.isFinite)).toBe(true);
    ne.dispose();
  });
});
