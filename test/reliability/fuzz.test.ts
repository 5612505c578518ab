import { describe, expect, it } from "vitest";
import { runFuzz } from "../../bench/fuzz.js";

// A fast seeded subset of `npm run fuzz` (docs/RELIABILITY.md has the last full run).
describe("fuzzing the loader, graph index, grouping and surgery", () => {
  it("300 seeded cases: no crash, no hang, no OOM", async () => {
    const r = await runFuzz({ cases: 300, seed: 20261127, timeoutMs: 5000, memMb: 1024 });
    expect(r.counts.cases).toBe(300);
    expect(r.findings).toEqual([]);
    expect(r.counts.crashes + r.counts.hangs + r.counts.oom).toBe(0);
    expect(r.counts.ok + r.counts.typed_errors).toBe(300);
    // the mutations reach every stage, not only the decoder
    expect(r.counts.ok).toBeGreaterThan(20);
    for (const stage of ["decode", "index", "surgery"]) expect(r.stages[`typed:${stage}`] ?? 0, stage).toBeGreaterThan(0);
  });

  it("the watchdog classifies a hang and a heap exhaustion, and carries on", async () => {
    const r = await runFuzz({ cases: 4, seed: 1, timeoutMs: 1500, memMb: 96, selfTest: true, only: ["chain"] });
    expect(r.counts).toMatchObject({ cases: 4, hangs: 1, oom: 1, crashes: 0 });
    expect(r.findings.map((f) => [f.case, f.kind])).toEqual([[1, "hang"], [2, "oom"]]);
    expect(r.counts.ok + r.counts.typed_errors).toBe(2);
  });
});
