import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { encodeNpy } from "../../src/data/npy.js";
import { decodeModel, encodeModel } from "../../src/onnx/model-io.js";
import { ensureBuilt, runCli } from "../helpers/cli.js";
import { ModelBuilder } from "../helpers/model-builder.js";

let dir: string;
let model: string;
let data: string;
let labels: string;

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), "onnx-prune-cli-"));
  const b = new ModelBuilder(9);
  const x = b.input("input", ["N", 3, 12, 12]);
  let h = b.relu(b.conv(x, { out: 16, name: "stem" }));
  const skip = h;
  h = b.relu(b.conv(h, { out: 16, name: "block.conv1" }));
  h = b.relu(b.op1("Add", [b.conv(h, { out: 16, name: "block.conv2" }), skip]));
  h = b.relu(b.conv(h, { out: 24, stride: 2, name: "down" }));
  const f = b.setChannels(b.op1("Flatten", [b.op1("GlobalAveragePool", [h])], { axis: 1 }), 24);
  b.output(b.gemm(f, 24, 5, "fc"));
  model = join(dir, "model.onnx");
  writeFileSync(model, encodeModel(b.build()));
  const n = 40;
  const x8 = new Uint8Array(n * 3 * 144);
  for (let i = 0; i < x8.length; i++) x8[i] = Math.floor(b.rng.next() * 256);
  data = join(dir, "x.npy");
  writeFileSync(data, encodeNpy({ dtype: "uint8", shape: [n, 3, 12, 12], data: x8 }));
  labels = join(dir, "y.npy");
  writeFileSync(labels, encodeNpy({ dtype: "int64", shape: [n], data: Array.from({ length: n }, (_, i) => i % 5) }));
});

describe("onnx-prune CLI", () => {
  it("inspect --json lists params, MACs, layers and groups", () => {
    const r = runCli(["inspect", model, "--json"]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.params).toBeGreaterThan(0);
    expect(j.macs).toBe(j.layers.reduce((s: number, l: { macs: number }) => s + l.macs, 0));
    expect(j.groups.some((g: { prunable: boolean }) => g.prunable)).toBe(true);
    expect(j.groups.find((g: { prunable: boolean; reason?: string }) => !g.prunable).reason).toMatch(/output/);
  });

  it("prune writes a smaller valid model and a JSON report; dry-run writes nothing", () => {
    const dry = runCli(["prune", model, "--data", data, "-o", join(dir, "dry.onnx"), "--dry-run", "--quiet"]);
    expect(dry.code).toBe(0);
    expect(existsSync(join(dir, "dry.onnx"))).toBe(false);
    expect(dry.stdout).toMatch(/estimated/);
    const out = join(dir, "pruned.onnx");
    const report = join(dir, "report.json");
    const r = runCli(["prune", model, "--data", data, "-o", out, "--ratio", "0.5", "--report", report, "--quiet", "--recover-samples", "32"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const rep = JSON.parse(readFileSync(report, "utf8"));
    expect(rep.after.macs).toBeLessThan(rep.before.macs * 0.5);
    // Plain groups lose half; the residual stream (stem + block.conv2) loses ratio × 0.5 by default.
    type G = { label: string; prunable: boolean; channelsAfter: number; channelsBefore: number; note?: string };
    const prunable: G[] = rep.groups.filter((g: G) => g.prunable);
    const streams = prunable.filter((g) => /^residual stream: ratio 0.25 \(--residual-scale 0.5\)$/.test(g.note ?? ""));
    expect(streams.map((g) => g.label)).toEqual(["stem"]);
    expect(rep.options.residualScale).toBe(0.5);
    for (const g of prunable) expect(g.channelsAfter).toBe(g.channelsBefore - Math.floor(g.channelsBefore * (streams.includes(g) ? 0.25 : 0.5)));
    const scored = rep.groups.find((g: { scores?: Record<string, number[]> }) => g.scores);
    expect(Object.keys(scored.scores)).toEqual(expect.arrayContaining(["activeness", "substitutability", "importance"]));
    expect(rep.timings.map((t: { stage: string }) => t.stage)).toEqual(expect.arrayContaining(["features", "score", "surgery", "recover", "validate"]));
    expect(rep.recovery.length).toBeGreaterThan(0);
    decodeModel(new Uint8Array(readFileSync(out)), out);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("eval --json reports accuracy, agreement and latency", () => {
    const r = runCli(["eval", model, "--data", data, "--labels", labels, "--reference", model, "--json"]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.agreement).toBe(1);
    expect(j.meanAbsDiff).toBe(0);
    expect(j.accuracy).toBeGreaterThanOrEqual(0);
    expect(j.latency_ms).toBeGreaterThan(0);
  });

  it("refuses to overwrite the input and reports bad options in one line with exit code 2", () => {
    const same = runCli(["prune", model, "--data", data, "-o", model, "--quiet"]);
    expect(same.code).toBe(2);
    expect(same.stderr.trim().split("\n")).toHaveLength(1);
    expect(same.stderr).toMatch(/overwrite the input/);
    const bad = runCli(["prune", model, "--data", data, "-o", join(dir, "x.onnx"), "--ratio", "2"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--ratio must be in/);
    expect(existsSync(join(dir, "x.onnx"))).toBe(false);
    const unknown = runCli(["prune", model, "--bogus"]);
    expect(unknown.code).toBe(2);
  });

  it("applies the baselines and global mode", () => {
    for (const c of ["l1", "fpgm", "random", "apoz", "hrank"]) {
      const r = runCli(["prune", model, "--data", data, "-o", join(dir, `${c}.onnx`), "--criterion", c, "--quiet", "--recover", "none"]);
      expect(r.code, `${c}: ${r.stderr}`).toBe(0);
    }
    const g = runCli(["prune", model, "--data", data, "-o", join(dir, "global.onnx"), "--global", "--target-macs", "0.6", "--quiet", "--report", join(dir, "global.json"), "--recover", "none"]);
    expect(g.code, g.stderr).toBe(0);
    const rep = JSON.parse(readFileSync(join(dir, "global.json"), "utf8"));
    expect(rep.after.macs).toBeLessThanOrEqual(rep.before.macs * 0.6 * 1.02);
    expect(rep.after.macs).toBeGreaterThan(rep.before.macs * 0.4);
  });
});
