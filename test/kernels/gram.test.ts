import { beforeAll, describe, expect, it } from "vitest";
import type { Kernels } from "../../src/kernels/kernels.js";
import { normal, referenceGram, rng } from "./reference.js";
import { kernelsForTest, worstMismatch } from "./setup.js";

let kernels: Kernels;
beforeAll(async () => {
  kernels = await kernelsForTest();
});

/** Upper triangle of a wasm C×C float32 result vs the float64 reference, tolerance scaled by √(GiiGjj). */
function checkUpper(out: Float32Array, ref: Float64Array, c: number): string | null {
  const got: number[] = [], want: number[] = [], scale: number[] = [];
  for (let i = 0; i < c; i++) {
    for (let j = i; j < c; j++) {
      got.push(out[i * c + j]);
      want.push(ref[i * c + j]);
      scale.push(Math.sqrt(ref[i * c + i] * ref[j * c + j]));
    }
  }
  // Off-diagonal entries of centred data are sums with cancellation: measure relative to the
  // natural scale √(Gii·Gjj) as well as to the value itself.
  for (let t = 0; t < got.length; t++) {
    const tol = 1e-5 * Math.max(Math.abs(want[t]), scale[t]);
    if (!(Math.abs(got[t] - want[t]) <= tol)) return `entry ${t}: got ${got[t]}, expected ${want[t]}`;
  }
  return null;
}

describe("Gram kernels (SIMD and scalar) vs float64 reference", () => {
  const shapes: Array<[number, number]> = [
    [1, 1], [1, 3], [2, 3], [4, 5], [5, 49], [37, 49], [37, 3136], [38, 67], [64, 257], [512, 49], [2, 3136],
  ];
  for (const [c, m] of shapes) {
    it(`C=${c} M=${m}`, () => {
      const u = rng(c * 1000 + m);
      const x = Float32Array.from({ length: c * m }, () => normal(u) + 0.3);
      const ref = referenceGram(x, c, m);
      const k = kernels.exports, a = kernels.arena;
      const xPtr = a.alloc(c * m * 4), out = a.alloc(c * c * 4), scratch = a.alloc(k.gramScratchBytes(c, c, m, 1));
      a.f32(xPtr, c * m).set(x);
      for (const path of ["simd", "simd without scratch", "scalar"] as const) {
        a.f32(out, c * c).fill(NaN); // the kernels must not depend on a zeroed output
        if (path === "simd") k.gramSimd(xPtr, c, m, out, scratch);
        else if (path === "simd without scratch") k.gramSimd(xPtr, c, m, out, 0);
        else k.gramScalar(xPtr, c, m, out);
        expect(checkUpper(a.f32(out, c * c), ref, c), path).toBeNull();
      }
      a.release(xPtr); a.release(out); a.release(scratch);
    });
  }

  it("float64-accumulating cross product A·Bᵀ over awkward sizes", () => {
    const u = rng(7);
    const [p, q, len] = [7, 11, 131];
    const a = Float32Array.from({ length: p * len }, () => normal(u));
    const b = Float32Array.from({ length: q * len }, () => normal(u));
    const k = kernels.exports, arena = kernels.arena;
    const pa = arena.alloc(a.length * 4), pb = arena.alloc(b.length * 4), out = arena.allocZeroed(p * q * 8);
    const scratch = arena.alloc(k.gramScratchBytes(p, q, len, 0));
    arena.f32(pa, a.length).set(a);
    arena.f32(pb, b.length).set(b);
    k.crossAccumulateF64(pa, p, pb, q, len, len, out, q, scratch);
    k.crossAccumulateF64(pa, p, pb, q, len, len, out, q, scratch); // accumulates: twice the product
    const want = new Float64Array(p * q);
    for (let i = 0; i < p; i++) for (let j = 0; j < q; j++) {
      let s = 0;
      for (let t = 0; t < len; t++) s += a[i * len + t] * b[j * len + t];
      want[i * q + j] = 2 * s;
    }
    expect(worstMismatch(arena.f64(out, p * q), want, 1e-5, Math.sqrt(len) * 2)).toBeNull();
    for (const ptr of [pa, pb, out, scratch]) arena.release(ptr);
  });
});
