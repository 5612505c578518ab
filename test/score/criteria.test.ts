/**
 * Every criterion against an independent float64 reference computed from the same feature maps
 * (read with onnxruntime) and the same weights, on a small fixture.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { npyCalibration } from "../../src/data/calibration.js";
import { collectTapStatistics } from "../../src/features/collect.js";
import { FeatureStreamer } from "../../src/features/stream.js";
import { GraphIndex } from "../../src/graph/graph-index.js";
import { inferShapes, type ShapeMap } from "../../src/graph/shapes.js";
import { buildChannelGroups } from "../../src/groups/index.js";
import type { ChannelGroup } from "../../src/groups/types.js";
import type { Kernels, LayerStatistics } from "../../src/kernels/index.js";
import { loadKernelsNode } from "../../src/kernels/load-node.js";
import type { ModelProto } from "../../src/onnx/proto.js";
import { readFloats, tensorDims } from "../../src/onnx/tensor.js";
import { DEFAULT_SCORE_OPTIONS, featureTaps, scoreGroup, type ScoreOptions } from "../../src/score/criteria.js";
import { ModelBuilder } from "../helpers/model-builder.js";
import { zoo } from "../helpers/zoo.js";

const N = 12;
let model: ModelProto;
let index: GraphIndex;
let shapes: ShapeMap;
let groups: ChannelGroup[];
let kernels: Kernels;
let maps: Map<string, { data: Float32Array; dims: readonly number[] }>;
let stats: Map<string, LayerStatistics>;
let ranks: Map<string, Float64Array>;

beforeAll(async () => {
  const b = new ModelBuilder(11);
  const x = b.input("input", ["N", 3, 8, 8]);
  const a = b.relu(b.conv(x, { out: 6, name: "conv_a" }));
  const c = b.relu(b.conv(a, { out: 9, name: "conv_b" }));
  const g = b.op1("GlobalAveragePool", [c]);
  const f = b.setChannels(b.op1("Flatten", [g], { axis: 1 }), 9);
  b.output(b.gemm(f, 9, 4, "fc"));
  model = b.build();
  index = new GraphIndex(model);
  const raw = new Float32Array(N * 3 * 64);
  for (let i = 0; i < raw.length; i++) raw[i] = b.rng.normal();
  const data = npyCalibration({ dtype: "float32", shape: [N, 3, 8, 8], data: raw }, "random.npy");
  shapes = await inferShapes(model, { input: [1, 3, 8, 8] });
  groups = buildChannelGroups(index, shapes).filter((gr) => gr.prunable);
  kernels = await loadKernelsNode();
  const taps = groups.map((gr) => gr.producers[0]!.tap);
  const collected = await collectTapStatistics(kernels, model, shapes, data, taps, "fixture", { distance: "correlation", batchSize: 5, rankSamples: N });
  stats = collected.stats;
  ranks = collected.ranks;
  const streamer = await FeatureStreamer.open(model, taps, "fixture");
  maps = new Map();
  await streamer.run(data, { batchSize: N }, (batch) => {
    for (const [k, v] of batch.tensors) maps.set(k, { data: v.data.slice(), dims: v.dims });
  });
  await streamer.close();
});

/** Per-channel flattened maps of sample n as float64 rows. */
function channelMaps(tap: string, n: number): Float64Array[] {
  const t = maps.get(tap)!;
  const [, C, H, W] = t.dims as number[];
  const M = H! * W!;
  return Array.from({ length: C! }, (_, c) => Float64Array.from(t.data.subarray((n * C! + c) * M, (n * C! + c + 1) * M)));
}

const mean = (v: Float64Array): number => v.reduce((s, x) => s + x, 0) / v.length;
const std = (v: Float64Array): number => {
  const m = mean(v);
  return Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / v.length);
};

function referenceActiveness(tap: string, kind: "std" | "nonzero" | "mean" | "l1" | "l2"): Float64Array {
  const C = maps.get(tap)!.dims[1]!;
  const out = new Float64Array(C);
  for (let n = 0; n < N; n++) {
    channelMaps(tap, n).forEach((m, c) => {
      const value = kind === "std" ? std(m) : kind === "mean" ? mean(m) : kind === "l1" ? mean(m.map(Math.abs))
        : kind === "l2" ? Math.sqrt(mean(m.map((x) => x * x))) : m.filter((x) => x > 0).length / m.length;
      out[c] += value / N;
    });
  }
  return out;
}

function referenceCorrelationDistance(tap: string): Float64Array {
  const C = maps.get(tap)!.dims[1]!;
  const D = new Float64Array(C * C);
  for (let n = 0; n < N; n++) {
    const unit = channelMaps(tap, n).map((m) => {
      const mu = mean(m);
      const centred = m.map((x) => x - mu);
      const norm = Math.sqrt(centred.reduce((s, x) => s + x * x, 0));
      // METHOD.md: a constant map has no direction, its normalised vector is 0.
      return norm <= 1e-5 * Math.sqrt(m.length) * Math.max(Math.abs(mu), 1e-30) || norm === 0 ? centred.map(() => 0) : centred.map((x) => x / norm);
    });
    for (let i = 0; i < C; i++) for (let j = 0; j < C; j++) {
      let s = 0;
      for (let k = 0; k < unit[i]!.length; k++) s += (unit[i]![k]! - unit[j]![k]!) ** 2;
      D[i * C + j] += Math.sqrt(s) / N;
    }
  }
  return D;
}

/** Greedy nearest-neighbour selection written from METHOD.md, independent of the kernels. */
function referenceGreedy(A: Float64Array, D: Float64Array, lambda: number): { order: number[]; initial: Float64Array } {
  const C = A.length;
  const maxA = Math.max(...A);
  const kept = new Set(Array.from({ length: C }, (_, i) => i));
  const importanceNow = (): Float64Array => {
    const S = new Float64Array(C);
    for (const c of kept) {
      let best = Infinity;
      for (const j of kept) if (j !== c) best = Math.min(best, D[c * C + j]!);
      S[c] = best;
    }
    const maxS = Math.max(...[...kept].map((c) => S[c]!));
    return Float64Array.from(S, (s, c) => (kept.has(c) ? (A[c]! / maxA) ** lambda * (maxS > 0 ? s / maxS : 1) ** (1 - lambda) : Infinity));
  };
  const initial = importanceNow();
  const order: number[] = [];
  while (kept.size > 1) {
    const imp = importanceNow();
    let victim = -1;
    for (const c of [...kept].sort((p, q) => p - q)) if (victim < 0 || imp[c]! < imp[victim]!) victim = c;
    order.push(victim);
    kept.delete(victim);
  }
  return { order, initial };
}

function weightRows(g: ChannelGroup): Float64Array[] {
  const w = index.initializer(g.producers[0]!.weight)!;
  const dims = tensorDims(w);
  const data = readFloats(w);
  const k = data.length / dims[0]!;
  return Array.from({ length: dims[0]! }, (_, c) => Float64Array.from(data.subarray(c * k, (c + 1) * k)));
}

function normalised(v: Float64Array): Float64Array {
  const max = Math.max(...v);
  return v.map((x) => x / max);
}

function expectClose(actual: Float64Array, expected: Float64Array, tol = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  const scale = Math.max(...Array.from(expected, Math.abs), 1e-12);
  for (let i = 0; i < actual.length; i++) expect(Math.abs(actual[i]! - expected[i]!) / scale).toBeLessThan(tol);
}

const score = (g: ChannelGroup, o: Partial<ScoreOptions>) => scoreGroup(g, { index, kernels, stats, ranks }, { ...DEFAULT_SCORE_OPTIONS, ...o });

describe("criteria vs a float64 reference", () => {
  it("finds the two conv groups", () => {
    expect(groups.map((g) => g.channels)).toEqual([6, 9]);
  });

  it("actsub (std activeness × nearest correlation distance, greedy) matches the reference order and importance", () => {
    for (const g of groups) {
      const tap = g.producers[0]!.tap;
      const A = referenceActiveness(tap, "std");
      const D = referenceCorrelationDistance(tap);
      const ref = referenceGreedy(A, D, 0.5);
      const s = score(g, { activeness: "std" });
      expectClose(s.terms.activeness!, normalised(A));
      expectClose(s.importance, ref.initial);
      expect([...s.removalOrder!]).toEqual(ref.order);
    }
  });

  it("lambda = 1 ranks by activeness alone", () => {
    const g = groups[1]!;
    const A = referenceActiveness(g.producers[0]!.tap, "std");
    const s = score(g, { activeness: "std", lambda: 1, greedy: false });
    expectClose(s.importance, normalised(A));
  });

  it("the default (l2 activeness = root mean square of the map) matches the reference order", () => {
    for (const g of groups) {
      const tap = g.producers[0]!.tap;
      const A = referenceActiveness(tap, "l2");
      const ref = referenceGreedy(A, referenceCorrelationDistance(tap), 0.5);
      const s = score(g, {});
      expectClose(s.terms.activeness!, normalised(A));
      expect([...s.removalOrder!]).toEqual(ref.order);
    }
  });

  it("l1, l2 and fpgm match weight-space references", () => {
    for (const g of groups) {
      const rows = weightRows(g);
      const l1 = Float64Array.from(rows, (r) => r.reduce((s, x) => s + Math.abs(x), 0));
      const l2 = Float64Array.from(rows, (r) => Math.sqrt(r.reduce((s, x) => s + x * x, 0)));
      const fp = Float64Array.from(rows, (r) => rows.reduce((s, q) => s + Math.sqrt(r.reduce((t, x, k) => t + (x - q[k]!) ** 2, 0)), 0));
      expectClose(score(g, { criterion: "l1" }).importance, normalised(l1));
      expectClose(score(g, { criterion: "l2" }).importance, normalised(l2));
      expectClose(score(g, { criterion: "fpgm" }).importance, normalised(fp));
    }
  });

  it("mean and apoz match activation references", () => {
    for (const g of groups) {
      const tap = g.producers[0]!.tap;
      expectClose(score(g, { criterion: "mean" }).importance, normalised(referenceActiveness(tap, "mean").map(Math.abs)));
      expectClose(score(g, { criterion: "apoz" }).importance, normalised(referenceActiveness(tap, "nonzero")));
    }
  });

  it("hrank matches the mean map rank computed by Gram–Schmidt", () => {
    for (const g of groups) {
      const tap = g.producers[0]!.tap;
      const t = maps.get(tap)!;
      const [, C, H, W] = t.dims as number[];
      const ref = new Float64Array(C!);
      for (let n = 0; n < N; n++) {
        channelMaps(tap, n).forEach((m, c) => {
          const basis: Float64Array[] = [];
          const scale = Math.max(...Array.from(m, Math.abs));
          for (let r = 0; r < H!; r++) {
            const v = Float64Array.from(m.subarray(r * W!, (r + 1) * W!));
            for (const b of basis) {
              const d = v.reduce((s, x, k) => s + x * b[k]!, 0);
              for (let k = 0; k < W!; k++) v[k] -= d * b[k]!;
            }
            const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
            if (norm > 1e-5 * scale) basis.push(v.map((x) => x / norm));
          }
          ref[c] += basis.length / N;
        });
      }
      expectClose(score(g, { criterion: "hrank" }).importance, normalised(ref));
    }
  });

  it("random is seeded and deterministic", () => {
    const g = groups[0]!;
    expect(score(g, { criterion: "random", seed: 3 }).importance).toEqual(score(g, { criterion: "random", seed: 3 }).importance);
    expect(score(g, { criterion: "random", seed: 3 }).importance).not.toEqual(score(g, { criterion: "random", seed: 4 }).importance);
  });
});

describe("feature taps of a residual stream", () => {
  it("reads the stream after each residual sum (and its ReLU), or the raw producer outputs with --tap conv", async () => {
    const m = zoo().find((z) => z.name === "residual")!;
    const idx = new GraphIndex(m.model);
    const gs = buildChannelGroups(idx, await inferShapes(m.model, { input: m.inputShape }));
    const stream = gs.find((g) => g.label === "b1.c2")!;
    const reluAfterAdd = idx.nodes
      .filter((n) => n.opType === "Relu" && idx.nodes[idx.producerOf(n.input[0]!) ?? -1]?.opType === "Add")
      .map((n) => n.output[0]!);
    expect(reluAfterAdd).toHaveLength(3);
    expect(featureTaps(stream, { tap: "act" })).toEqual(reluAfterAdd.map((tap) => ({ tap, offset: 0, depthwise: false })));
    expect(featureTaps(stream, { tap: "conv" }).map((t) => t.tap)).toEqual(stream.producers.map((p) => p.output));
    // a plain group keeps its producer's tap
    const plain = gs.find((g) => g.label === "b2.c1")!;
    expect(featureTaps(plain, { tap: "act" }).map((t) => t.tap)).toEqual([plain.producers[0]!.tap]);
  });
});
