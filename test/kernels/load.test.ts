import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { instantiateKernels, loadKernels } from "../../src/kernels/kernels.js";
import { kernelsForTest } from "./setup.js";

describe("loading", () => {
  it("loads from disk in Node, from caller bytes, and from a compiled module", async () => {
    await kernelsForTest(); // builds build/kernels.wasm if missing
    const bytes = new Uint8Array(readFileSync(new URL("../../build/kernels.wasm", import.meta.url)));
    const fromBytes = await loadKernels(bytes);
    const fromModule = instantiateKernels(await WebAssembly.compile(bytes));
    for (const k of [fromBytes, fromModule]) {
      const acc = k.createLayerAccumulator({ channels: 2, spatial: 2, distance: "euclidean" });
      acc.addBatch(Float32Array.from([0, 0, 3, 4]), 1);
      // ‖(0,0) − (3,4)‖ / √2
      expect(acc.finalize().distance[1]).toBeCloseTo(5 / Math.SQRT2, 6);
      acc.dispose();
    }
  });

  it("memory growth keeps earlier handles valid (views are re-created)", async () => {
    const k = await kernelsForTest();
    const acc = k.createLayerAccumulator({ channels: 3, spatial: 5, distance: "cosine" });
    const data = Float32Array.from({ length: 15 }, (_, i) => Math.sin(i));
    acc.addBatch(data, 1);
    const before = acc.finalize();
    const big = k.arena.alloc(64 * 1024 * 1024); // forces memory.grow
    acc.addBatch(data, 1);
    const after = acc.finalize();
    expect(after.samples).toBe(2);
    expect(Array.from(after.distance)).toEqual(Array.from(before.distance));
    k.arena.release(big);
    acc.dispose();
  });
});
