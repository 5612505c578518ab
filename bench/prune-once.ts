/**
 * One prune run in its own process, so its peak RSS is its own: prints one JSON line with the
 * time of each stage and the process's peak resident memory (VmHWM).
 * Usage: tsx bench/prune-once.ts <model.onnx|vgg16_half> <data.npy|random:N:CxHxW> [--json-options '{...}']
 */
import { readFileSync } from "node:fs";
import { npyCalibration } from "../src/data/calibration.js";
import { loadCalibrationData, loadKernelsNode, loadModelFile, prune } from "../src/index.node.js";
import { SeededRandom } from "../src/util/random.js";
import { vgg16Half } from "./models.js";

function peakRss(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
  return m ? Number(m[1]) * 1024 : process.memoryUsage().rss;
}

const [modelArg, dataArg, , optionsJson] = process.argv.slice(2); // <model> <data> --options <json>
const model = modelArg === "vgg16_half" ? vgg16Half() : loadModelFile(modelArg!);
let data;
if (dataArg!.startsWith("random:")) {
  const [, n, shape] = dataArg!.split(":");
  const dims = shape!.split("x").map(Number);
  const size = dims.reduce((a, b) => a * b, 1);
  const raw = new Float32Array(Number(n) * size);
  const rng = new SeededRandom(7);
  for (let i = 0; i < raw.length; i++) raw[i] = rng.normal();
  data = npyCalibration({ dtype: "float32", shape: [Number(n), ...dims], data: raw }, dataArg!);
} else {
  data = loadCalibrationData(dataArg!, { channels: 1 });
}
const options = optionsJson ? JSON.parse(optionsJson) : {};
const kernels = await loadKernelsNode();
const t0 = performance.now();
const r = await prune(model, data, options, { kernels, source: modelArg! });
console.log(JSON.stringify({
  seconds: (performance.now() - t0) / 1000,
  peakRssBytes: peakRss(),
  dataBytes: data.count * data.sampleShape.reduce((a, b) => a * b, 1) * 4,
  stages: Object.fromEntries(r.report.timings.map((t) => [t.stage, t.ms / 1000])),
  batchSize: r.report.calibration.batchSize,
  macsRatio: r.report.after.macs / r.report.before.macs,
  agreement: r.report.validation.top1Agreement,
}));
