/**
 * Why a model loses what it loses (docs/ACCURACY.md, "Targets"): plans the default prune of one
 * model at a ratio, then applies it with every group pruned, with one group only, and with all
 * groups but one, each followed by the default recovery; prints top-1 on the 2,000 test images.
 *   npx tsx tools/sensitivity.ts [mobilenet_small] [0.5]
 */
import { applyPrunePlan, loadModelFile, planPrune } from "../src/index.node.js";
import { isResidualStream, type KeepSets } from "../src/groups/index.js";
import { calib, kernels, testAccuracy } from "./fmnist-fixtures.js";

const model = process.argv[2] ?? "mobilenet_small";
const ratio = Number(process.argv[3] ?? "0.5");
const file = `fixtures/models/${model}.onnx`;
const planned = await planPrune(loadModelFile(file), calib, { ratio }, { kernels, source: file });
const full = planned.plan.keep;
const pct = (x: number): string => (x * 100).toFixed(2);

/** Accuracy and remaining MAC share with only these groups pruned (default recovery). */
async function pruneOnly(keep: KeepSets): Promise<{ accuracy: number; macs: number }> {
  const r = await applyPrunePlan({ ...planned, plan: { ...planned.plan, keep } }, "auto");
  return { accuracy: await testAccuracy(r.model!, model), macs: r.report.after.macs / r.report.before.macs };
}

console.log(`${model} original ${pct(await testAccuracy(planned.model, model))}`);
console.log(`${model} all groups: ${pct((await pruneOnly(full)).accuracy)}`);
for (const [gid, kept] of full) {
  const g = planned.groups.find((x) => x.id === gid)!;
  const only = await pruneOnly(new Map([[gid, kept]]));
  const allBut = await pruneOnly(new Map([...full].filter(([id]) => id !== gid)));
  console.log(`${model} all but ${g.label}: ${pct(allBut.accuracy)}  MACs ${(100 * allBut.macs).toFixed(1)}%`);
  console.log(`${model} only ${g.label} (${g.channels}→${kept.length}${isResidualStream(g) ? ", stream" : ""}): ${pct(only.accuracy)}  MACs saved ${(100 * (1 - only.macs)).toFixed(1)}%`);
}
