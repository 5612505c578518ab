import { describe, expect, it } from "vitest";
import { countModel } from "../../src/graph/count.js";
import { GraphIndex } from "../../src/graph/graph-index.js";
import { inferShapes } from "../../src/graph/shapes.js";
import { ModelBuilder } from "../helpers/model-builder.js";

describe("shapes and counting", () => {
  it("counts a conv → pool → flatten → gemm network by hand", async () => {
    const b = new ModelBuilder(3);
    const x = b.input("input", ["N", 3, 16, 16]);
    const c1 = b.conv(x, { out: 8, kernel: 3, stride: 1, pad: 1 }); // 8×16×16 out, 3·9 per output
    const r1 = b.relu(c1);
    const p1 = b.op1("MaxPool", [r1], { kernel_shape: [2, 2], strides: [2, 2] }); // 8×8×8
    const c2 = b.conv(p1, { out: 4, kernel: 3, stride: 2, pad: 1, group: 2 }); // 4×4×4, (8/2)·9
    const f = b.op1("Flatten", [c2], { axis: 1 });
    b.setChannels(f, 64);
    const y = b.gemm(f, 64, 10);
    b.output(y);
    const model = b.build();
    const shapes = await inferShapes(model, {}, "hand");
    expect(shapes.get(c2)).toEqual([1, 4, 4, 4]);
    expect(shapes.get(y)).toEqual([1, 10]);
    const count = countModel(new GraphIndex(model), shapes);
    const convMacs1 = 8 * 16 * 16 * 3 * 9;
    const convMacs2 = 4 * 4 * 4 * 4 * 9;
    const gemmMacs = 64 * 10;
    expect(count.macs).toBe(convMacs1 + convMacs2 + gemmMacs);
    expect(count.params).toBe(8 * 3 * 9 + 8 + 4 * 4 * 9 + 4 + 64 * 10 + 10);
    const pool = count.layers.find((l) => l.op === "MaxPool")!;
    expect(pool.otherOps).toBe(8 * 8 * 8 * 4);
    expect(count.layers.find((l) => l.op === "Relu")!.otherOps).toBe(8 * 16 * 16);
  });
});
