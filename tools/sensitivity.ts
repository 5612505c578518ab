/**
 * Why a model loses what it loses (docs/ACCURACY.md, "Targets"): plans the default prune of one
 * model at a ratio, then applies it with every group pruned, with one group only, and with all
 * groups but one, each followed by the default recovery; prints top-1 on the 2,000 test images.
 *   npx tsx tools/sensitivity.ts [mobilenet_small] [0.5]
 */
import { applyPrunePlan, evaluate, loadCalibrationData, loadKernelsNode, loadLabels, loadModelFile, planPrune } from "../src/index.node.js";
import { isResidualStream } from "../src/groups/index.js";
const kernels = await loadKernelsNode();
const calib = loadCalibrationData("fixtures/data/fmnist_calib_x.npy", { channels: 1 });
const test = loadCalibrationData("fixtures/data/fmnist_test_x.npy", { channels: 1 });
const labels = loadLabels("fixtures/data/fmnist_test_y.npy");
const model = process.argv[2] ?? "mobilenet_small";
const ratio = Number(process.argv[3] ?? "0.5");
const file = `fixtures/models/${model}.onnx`;
const planned = await planPrune(loadModelFile(file), calib, { ratio }, { kernels, source: file });
const full = planned.plan.keep;
const base = await evaluate(planned.model, test, model, { labels, batchSize: 250, latencyRuns: 1 });
console.log(`${model} original ${(base.accuracy! * 100).toFixed(2)}`);
const all = await applyPrunePlan(planned, "auto");
console.log(`${model} all groups: ${((await evaluate(all.model!, test, model, { labels, batchSize: 250, latencyRuns: 1 })).accuracy! * 100).toFixed(2)}`);
for (const [gid, kept] of full) {
  const g = planned.groups.find((x) => x.id === gid)!;
  const keep = new Map([[gid, kept]]);
  const r = await applyPrunePlan({ ...planned, plan: { ...planned.plan, keep } }, "auto");
  const e = await evaluate(r.model!, test, model, { labels, batchSize: 250, latencyRuns: 1 });
  const allBut = new Map([...full].filter(([id]) => id !== gid));
  const r2 = await applyPrunePlan({ ...planned, plan: { ...planned.plan, keep: allBut } }, "auto");
  const e2 = await evaluate(r2.model!, test, model, { labels, batchSize: 250, latencyRuns: 1 });
  console.log(`${model} all but ${g.label}: ${(e2.accuracy! * 100).toFixed(2)}  MACs ${(100 * r2.report.after.macs / r2.report.before.macs).toFixed(1)}%`);
  console.log(`${model} only ${g.label} (${g.channels}→${kept.length}${isResidualStream(g) ? ", stream" : ""}): ${(e.accuracy! * 100).toFixed(2)}  MACs saved ${(100 * (1 - r.report.after.macs / r.report.before.macs)).toFixed(1)}%`);
}
