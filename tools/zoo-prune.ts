/**
 * End-to-end check of the CLI on the torchvision zoo (fixtures/zoo, random weights): for each
 * model, `onnx-prune prune` with the default method at --ratio 0.5 on 16 random 224² images, then
 * `onnx-prune eval` of the result against the original. Prints a markdown table.
 *   npx tsx tools/zoo-prune.ts [--only resnet18,mobilenet_v2]
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeNpy } from "../src/data/npy.js";
import { SeededRandom } from "../src/util/random.js";

const MODELS = ["resnet18", "resnet50", "mobilenet_v2", "mobilenet_v3_small", "densenet121", "squeezenet1_1",
  "shufflenet_v2_x0_5", "efficientnet_b0", "googlenet", "regnet_y_400mf", "mnasnet0_5"];
const only = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1]!.split(",") : MODELS;
const dir = mkdtempSync(join(tmpdir(), "zoo-prune-"));
const n = 16;
const rng = new SeededRandom(3);
const data = join(dir, "x.npy");
writeFileSync(data, encodeNpy({ dtype: "uint8", shape: [n, 3, 224, 224], data: Uint8Array.from({ length: n * 3 * 224 * 224 }, () => rng.int(256)) }));
const cli = (args: string[]) => spawnSync(process.execPath, ["bin/onnx-prune.mjs", ...args], { encoding: "utf8", maxBuffer: 1 << 26 });

console.log("| model | prune | MACs before → after | params before → after | eval vs original (agreement) | prune time |");
console.log("| --- | --- | --- | --- | --- | ---: |");
for (const m of only) {
  const model = `fixtures/zoo/${m}.onnx`;
  if (!existsSync(model)) { console.log(`| ${m} | missing (run tools/export_zoo.py) | | | | |`); continue; }
  const out = join(dir, `${m}.onnx`);
  const report = join(dir, `${m}.json`);
  const t0 = performance.now();
  const p = cli(["prune", model, "--data", data, "-o", out, "--ratio", "0.5", "--report", report, "--quiet", "--mean", "0.485,0.456,0.406", "--std", "0.229,0.224,0.225"]);
  const seconds = (performance.now() - t0) / 1000;
  if (p.status !== 0) { console.log(`| ${m} | FAILED: ${p.stderr.trim().split("\n")[0]} | | | | |`); continue; }
  const r = JSON.parse(readFileSync(report, "utf8"));
  const e = cli(["eval", out, "--data", data, "--reference", model, "--json", "--mean", "0.485,0.456,0.406", "--std", "0.229,0.224,0.225"]);
  const ev = e.status === 0 ? JSON.parse(e.stdout) : undefined;
  const f = (x: number) => (x / 1e6).toFixed(1);
  console.log(`| ${m} | ok | ${f(r.before.macs)} M → ${f(r.after.macs)} M (${((1 - r.after.macs / r.before.macs) * 100).toFixed(1)}% fewer) | ${f(r.before.params)} M → ${f(r.after.params)} M | ${ev ? `runs; ${(ev.agreement * 100).toFixed(0)}%` : `FAILED: ${e.stderr.trim()}`} | ${seconds.toFixed(0)} s |`);
}
rmSync(dir, { recursive: true, force: true });
