/**
 * `npm run demo`: prune the bundled Fashion-MNIST residual CNN with the default method at a 50%
 * per-layer rate, then compare accuracy, MACs and speed before and after on 2,000 test images.
 */
import * as fs from "node:fs";
import { evaluate, loadCalibrationData, loadKernelsNode, loadLabels, loadModelFile, prune, saveModelFile } from "../src/index.node.js";
import { human, percent, table } from "../src/cli/format.js";
import { makeProgressPrinter } from "../src/cli/progress.js";

const MODEL = "fixtures/models/demo_resnet.onnx";
const CALIB = "fixtures/data/fmnist_calib_x.npy";
const TEST_X = "fixtures/data/fmnist_test_x.npy";
const TEST_Y = "fixtures/data/fmnist_test_y.npy";
const OUT_DIR = "out";
const OUT = `${OUT_DIR}/demo_resnet_pruned.onnx`;
const ratio = Number(process.env.DEMO_RATIO ?? 0.5);

const progress = makeProgressPrinter(process.stderr.isTTY ? "tty" : "plain");
const model = loadModelFile(MODEL);
const calib = loadCalibrationData(CALIB, { channels: 1 });
const kernels = await loadKernelsNode();
console.log(`onnx-prune demo: ${MODEL}, ${calib.count} calibration images, --ratio ${ratio}, default method (actsub + auto recovery)\n`);
const t0 = performance.now();
const result = await prune(model, calib, { ratio, onProgress: progress }, { kernels, source: MODEL });
const pruneSeconds = (performance.now() - t0) / 1000;
if (process.stderr.isTTY) process.stderr.write("\n");
fs.mkdirSync(OUT_DIR, { recursive: true });
saveModelFile(result.model!, OUT, { overwrite: true });
fs.writeFileSync(`${OUT_DIR}/demo_report.json`, `${JSON.stringify(result.report, null, 1)}\n`);

const test = loadCalibrationData(TEST_X, { channels: 1 });
const labels = loadLabels(TEST_Y);
const e = await evaluate(result.model!, test, OUT, { labels, reference: model, batchSize: 100, latencyRuns: 30, onProgress: progress });
if (process.stderr.isTTY) process.stderr.write("\n");
const r = result.report;
console.log(table(["", "original", "pruned", "change"], [
  ["top-1 accuracy (2,000 test images)", percent(e.referenceAccuracy!, 1), percent(e.accuracy!, 1), `${((e.accuracy! - e.referenceAccuracy!) * 100).toFixed(2)} pt`],
  ["MACs per image", human(r.before.macs), human(r.after.macs), `${percent(r.after.macs, r.before.macs)} of original`],
  ["parameters", human(r.before.params), human(r.after.params), `${percent(r.after.params, r.before.params)} of original`],
  ["latency, batch of 100 (median)", `${e.reference_batch_latency_ms!.toFixed(2)} ms`, `${e.batch_latency_ms.toFixed(2)} ms`, `${e.speedup!.toFixed(2)}× faster`],
  ["latency, 1 image (median)", `${e.reference_latency_ms!.toFixed(3)} ms`, `${e.latency_ms.toFixed(3)} ms`, `${(e.reference_latency_ms! / e.latency_ms).toFixed(2)}× faster`],
]));
console.log(`\ntop-1 agreement with the original: ${percent(e.agreement!, 1)}; pruning took ${pruneSeconds.toFixed(1)} s`);
console.log(`wrote ${OUT} and ${OUT_DIR}/demo_report.json`);
