/**
 * Residual-stream trade-off on the trained residual models (docs/ACCURACY.md, "Residual streams"):
 * accuracy and MACs of the default method with streams at the uniform rate (--residual-scale 1)
 * and at ratio × 0.5 (the default), at ratios that bracket equal MACs.
 *   npx tsx tools/residual-tradeoff.ts
 */
import { applyPrunePlan, loadModelFile, planPrune } from "../src/index.node.js";
import { calib, kernels, testAccuracy } from "./fmnist-fixtures.js";

for (const model of ["demo_resnet", "mobilenet_small"]) {
  const file = `fixtures/models/${model}.onnx`;
  for (const [ratio, residualScale] of [[0.3, 1], [0.4, 1], [0.4, 0.5], [0.6, 0.5]] as const) {
    const planned = await planPrune(loadModelFile(file), calib, { ratio, residualScale }, { kernels, source: file });
    const r = await applyPrunePlan(planned, "auto");
    const accuracy = await testAccuracy(r.model!, model);
    console.log(`${model} ratio ${ratio} residual-scale ${residualScale}: ${(accuracy * 100).toFixed(2)}% at ${(100 * r.report.after.macs / r.report.before.macs).toFixed(1)}% MACs`);
  }
}
