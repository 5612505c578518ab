/**
 * Measures the accuracy tables in docs/ACCURACY.md on the trained Fashion-MNIST models:
 *   npx tsx tools/accuracy.ts [--models demo_resnet,vgg_small,mobilenet_small] [--grid main,variants]
 *   npx tsx tools/accuracy.ts --render        (rebuild docs/ACCURACY.md from docs/accuracy/*.json)
 * Measurements go to docs/accuracy/<model>.json (one file per model, so models can be measured
 * separately); the tables in docs/ACCURACY.md are rendered from all of them.
 * main: criterion {actsub, l1, random} × ratio {0.3, 0.5, 0.7} × recovery {none, bias, affine, lsq, auto};
 * variants: the METHOD.md options one at a time at ratio 0.5 with the default recovery.
 * Each plan is computed once and applied with every recovery method.
 */
import * as fs from "node:fs";
import { applyPrunePlan, loadModelFile, planPrune, type PruneOptions } from "../src/index.node.js";
import type { RecoveryMethod } from "../src/recover/index.js";
import { calib, kernels, testAccuracy } from "./fmnist-fixtures.js";

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const models = arg("models", "demo_resnet,vgg_small,mobilenet_small").split(",").filter((m) => fs.existsSync(`fixtures/models/${m}.onnx`));
const grids = arg("grid", "main,variants").split(",");
const variantRatios = arg("variant-ratios", "0.5").split(",").map(Number);
const criteria = arg("criteria", "actsub,l1,random").split(",") as ("actsub" | "l1" | "random")[];
/** Only the variants whose name contains one of these (comma-separated), e.g. "default,--tap". */
const variantFilter = arg("variants", "").split(",").filter((v) => v.length > 0);
const outFile = "docs/ACCURACY.md";
const jsonDir = "docs/accuracy";
const renderOnly = process.argv.includes("--render");

const RECOVERY: RecoveryMethod[] = ["none", "bias", "affine", "lsq", "auto"];

interface Row { model: string; criterion: string; ratio: number; variant: string; recover: string; accuracy: number; macs: number; params: number; seconds: number }
const rows: Row[] = [];
const base: Record<string, { accuracy: number; macs: number; params: number }> = {};

async function run(model: string, variant: string, options: PruneOptions, methods: RecoveryMethod[]): Promise<void> {
  const file = `fixtures/models/${model}.onnx`;
  const m = loadModelFile(file);
  const t0 = performance.now();
  const planned = await planPrune(m, calib, options, { kernels, source: file });
  const planSeconds = (performance.now() - t0) / 1000;
  for (const recover of methods) {
    const t1 = performance.now();
    const r = await applyPrunePlan(planned, recover);
    const seconds = planSeconds + (performance.now() - t1) / 1000;
    const accuracy = await testAccuracy(r.model!, model);
    rows.push({ model, criterion: options.criterion ?? "actsub", ratio: options.ratio ?? 0.5, variant, recover, accuracy, macs: r.report.after.macs, params: r.report.after.params, seconds });
    base[model]!.macs = r.report.before.macs;
    base[model]!.params = r.report.before.params;
    console.error(`${model} ${variant} ratio=${options.ratio} ${recover}: ${(accuracy * 100).toFixed(2)}% (${seconds.toFixed(1)} s)`);
  }
}

for (const model of renderOnly ? [] : models) {
  const accuracy = await testAccuracy(loadModelFile(`fixtures/models/${model}.onnx`), model);
  base[model] = { accuracy, macs: 0, params: 0 };
  if (grids.includes("main")) {
    for (const criterion of criteria) {
      for (const ratio of [0.3, 0.5, 0.7]) await run(model, "default", { criterion, ratio }, RECOVERY);
    }
  }
  if (grids.includes("variants")) {
    const variants: [string, PruneOptions][] = [
      ["default (l2 activeness, correlation, nearest, greedy, product λ=0.5)", {}],
      ["--activeness std", { activeness: "std" }], ["--activeness l1", { activeness: "l1" }],
      ["--activeness nonzero", { activeness: "nonzero" }], ["--activeness entropy", { activeness: "entropy" }],
      ["--distance euclidean", { distance: "euclidean" }], ["--distance cosine", { distance: "cosine" }],
      ["--substitutability mean", { substitutability: "mean" }], ["--substitutability knn:3", { substitutability: "knn:3" }],
      ["--substitutability regression", { substitutability: "regression" }], ["--no-greedy", { greedy: false }],
      ["--lambda 1 (activeness only)", { lambda: 1 }], ["--lambda 0 (substitutability only)", { lambda: 0 }],
      ["--combine sum", { combine: "sum" }], ["--tap conv", { tap: "conv" }],
      ["--residual-scale 1 (streams at the full rate)", { residualScale: 1 }], ["--residual-scale 0 (streams kept)", { residualScale: 0 }],
      ["baseline l1", { criterion: "l1" }], ["baseline random", { criterion: "random" }],
      ["baseline fpgm", { criterion: "fpgm" }], ["baseline apoz", { criterion: "apoz" }], ["baseline hrank", { criterion: "hrank" }],
    ];
    const chosen = variants.filter(([name]) => variantFilter.length === 0 || variantFilter.some((f) => name.includes(f)));
    for (const ratio of variantRatios) for (const [name, o] of chosen) await run(model, name, { ...o, ratio }, ["auto"]);
  }
}

fs.mkdirSync(jsonDir, { recursive: true });
for (const model of renderOnly ? [] : models) {
  // Merge with earlier measurements of the model: a new row replaces the one with the same key.
  const file = `${jsonDir}/${model}.json`;
  const key = (r: Row): string => `${r.variant}|${r.criterion}|${r.ratio}|${r.recover}`;
  const merged = new Map<string, Row>();
  if (fs.existsSync(file)) for (const r of (JSON.parse(fs.readFileSync(file, "utf8")) as { rows: Row[] }).rows) merged.set(key(r), r);
  for (const r of rows.filter((x) => x.model === model)) merged.set(key(r), r);
  fs.writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString().slice(0, 10), base: base[model], rows: [...merged.values()] }, null, 1)}\n`);
}
// Render from every measured model, including ones measured in earlier runs.
rows.length = 0;
const measured: string[] = [];
for (const f of fs.readdirSync(jsonDir).filter((n) => n.endsWith(".json")).sort()) {
  const j = JSON.parse(fs.readFileSync(`${jsonDir}/${f}`, "utf8")) as { base: (typeof base)[string]; rows: Row[] };
  const model = f.replace(/\.json$/, "");
  base[model] = j.base;
  rows.push(...j.rows);
  measured.push(model);
}
const pct = (x: number): string => (x * 100).toFixed(2);
const lines: string[] = [];
for (const model of measured) {
  const b = base[model]!;
  lines.push(`### ${model}`, "", `Original: ${pct(b.accuracy)}% top-1 on the 2,000 test images, ${(b.macs / 1e6).toFixed(2)} M MACs, ${(b.params / 1e3).toFixed(1)} K params.`, "");
  if (rows.some((r) => r.model === model && r.variant === "default")) {
    lines.push("| criterion | ratio | MACs | none | bias | affine | lsq | auto |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (const criterion of ["actsub", "l1", "random"]) {
      for (const ratio of [0.3, 0.5, 0.7]) {
        const rs = rows.filter((r) => r.model === model && r.variant === "default" && r.criterion === criterion && r.ratio === ratio);
        if (rs.length === 0) continue;
        const cell = (m: string): string => { const r = rs.find((x) => x.recover === m); return r ? pct(r.accuracy) : "-"; };
        lines.push(`| ${criterion} | ${ratio} | ${((rs[0]!.macs / b.macs) * 100).toFixed(1)}% | ${RECOVERY.map(cell).join(" | ")} |`);
      }
    }
    lines.push("");
  }
  if (rows.some((r) => r.model === model && r.variant !== "default")) {
    lines.push("| variant (recovery auto) | ratio 0.5 | MACs | ratio 0.7 | MACs |", "| --- | ---: | ---: | ---: | ---: |");
    const names = [...new Set(rows.filter((r) => r.model === model && r.recover === "auto" && r.variant !== "default").map((r) => r.variant))];
    for (const n of names) {
      const at = (ratio: number): string => {
        const r = rows.find((x) => x.model === model && x.variant === n && x.ratio === ratio);
        return r ? `${pct(r.accuracy)} | ${((r.macs / b.macs) * 100).toFixed(1)}%` : "- | -";
      };
      lines.push(`| ${n} | ${at(0.5)} | ${at(0.7)} |`);
    }
    lines.push("");
  }
}
// Across models: each variant's difference to the default in every (model, ratio) cell measured.
const variantRows = rows.filter((r) => r.variant !== "default" && r.recover === "auto");
const defaultName = variantRows.find((r) => r.variant.startsWith("default"))?.variant;
if (defaultName) {
  lines.push("### Variants against the default, across models", "",
    "Δ = variant − default in points, recovery `auto`, for every model and ratio measured (d = demo_resnet, m = mobilenet_small, v = vgg_small). "
      + "The `--residual-scale` rows also change the MACs (per-model tables above), so they are not like-for-like.", "",
    "| variant | mean Δ | worst Δ | cells |", "| --- | ---: | ---: | --- |");
  for (const n of [...new Set(variantRows.map((r) => r.variant))].filter((v) => v !== defaultName)) {
    const cells = variantRows.filter((r) => r.variant === n).flatMap((r) => {
      const d = variantRows.find((x) => x.variant === defaultName && x.model === r.model && x.ratio === r.ratio);
      return d ? [{ cell: `${r.model[0]}@${r.ratio}`, delta: (r.accuracy - d.accuracy) * 100 }] : [];
    });
    if (cells.length === 0) continue;
    const mean = cells.reduce((a, c) => a + c.delta, 0) / cells.length;
    const worst = Math.min(...cells.map((c) => c.delta));
    const signed = (x: number): string => `${x > 0 ? "+" : x < 0 ? "−" : ""}${Math.abs(x).toFixed(2)}`;
    lines.push(`| ${n} | ${signed(mean)} | ${signed(worst)} | ${cells.map((c) => `${c.cell} ${signed(c.delta)}`).join(", ")} |`);
  }
  lines.push("");
}
const marker = "<!-- measured tables: tools/accuracy.ts -->";
const doc = fs.existsSync(outFile) ? fs.readFileSync(outFile, "utf8") : `# Accuracy\n\n${marker}\n`;
const head = doc.includes(marker) ? doc.slice(0, doc.indexOf(marker) + marker.length) : `${doc}\n${marker}`;
fs.writeFileSync(outFile, `${head}\n\n${lines.join("\n")}\n`);
console.error(`wrote ${outFile} from ${measured.join(", ")}`);
