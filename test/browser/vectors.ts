/**
 * Kernel test vectors run both in Node and in the page (bundled for the page by web.test.ts):
 * seeded random maps through a LayerAccumulator and rows through NormalEquations. Results are
 * returned as hex of their float64 bits, so equality means identical bits.
 */
import type { Kernels } from "../../src/kernels/index.js";
import { SeededRandom } from "../../src/util/random.js";

function hex(a: Float64Array | null): string {
  if (!a) return "null";
  return Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), (b) => b.toString(16).padStart(2, "0")).join("");
}

function randomMaps(rng: SeededRandom, n: number): Float32Array {
  const out = new Float32Array(n);
  // ReLU-like maps with a few dead channels make the entropy and nonzero paths do something.
  for (let i = 0; i < n; i++) out[i] = Math.max(0, rng.normal() + 0.2);
  return out;
}

export function kernelVectors(kernels: Kernels, seed: number): Record<string, string> {
  const rng = new SeededRandom(seed);
  const out: Record<string, string> = {};
  for (const distance of ["correlation", "euclidean", "cosine"] as const) {
    const channels = 13, spatial = 49;
    const acc = kernels.createLayerAccumulator({ channels, spatial, distance });
    for (let b = 0; b < 3; b++) acc.addBatch(randomMaps(rng, 4 * channels * spatial), 4);
    const s = acc.finalize();
    acc.dispose();
    for (const [k, v] of Object.entries(s.activeness)) out[`${distance}.activeness.${k}`] = hex(v);
    out[`${distance}.channelMean`] = hex(s.channelMean);
    out[`${distance}.channelMeanSquare`] = hex(s.channelMeanSquare);
    out[`${distance}.distance`] = hex(s.distance);
    out[`${distance}.gramCentredSum`] = hex(s.gramCentredSum);
    out[`${distance}.gramRawSum`] = hex(s.gramRawSum);
  }
  const inputs = 21, outputs = 5, rows = 300;
  const eq = kernels.normalEquations(inputs, outputs);
  const x = new Float32Array(rows * inputs).map(() => rng.normal());
  const y = new Float32Array(rows * outputs).map((_, i) => x[(i * 7) % x.length]! * 0.5 + rng.normal() * 0.1);
  eq.addRows(x, y, rows);
  out["solve.ridge1e-3"] = hex(eq.solve(1e-3));
  out["solve.ridge0"] = hex(eq.solve(0));
  eq.dispose();
  return out;
}
