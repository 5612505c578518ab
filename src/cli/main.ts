/**
 * The command-line face: `onnx-prune inspect | prune | eval`. Parses options, calls the library,
 * prints tables. Typed errors become one line and exit code 2; anything else is a bug (exit 1).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { isOnnxPruneError, PathSafetyError, UsageError } from "../errors.js";
import { declaredShape } from "../graph/shapes.js";
import { GraphIndex } from "../graph/graph-index.js";
import { loadKernelsNode } from "../kernels/load-node.js";
import { configureRuntime } from "../runtime/ort.js";
import type { ModelProto } from "../onnx/proto.js";
import { evaluate } from "../pipeline/evaluate.js";
import { inspect } from "../pipeline/inspect.js";
import { prune, type PruneOptions } from "../pipeline/prune.js";
import { loadCalibrationData, loadLabels } from "../platform/node/data-files.js";
import { loadModelFile, sameFile, saveModelFile, writeFileAtomic } from "../platform/node/files.js";
import { VERSION } from "../version.js";
import { human, percent, table } from "./format.js";
import { makeProgressPrinter } from "./progress.js";

const HELP = `onnx-prune ${VERSION} — structured filter pruning of ONNX CNNs, guided by sample data

Usage:
  onnx-prune inspect <model.onnx> [--input-shape 1,3,224,224] [--json]
  onnx-prune prune <in.onnx> --data <calib.npy|images/> -o <out.onnx> [options]
  onnx-prune eval <model.onnx> --data <x.npy|images/> [--labels y.npy] [--reference orig.onnx] [--json]

Prune options (defaults in brackets):
  --ratio p                 fraction of each group's channels to remove [0.5]
  --ratio-for NAME=p        per-layer override (glob on node/tensor names), repeatable
  --residual-scale s        residual streams (channels that branches add into) lose ratio × s [0.5]
  --global                  rank channels across groups toward --target-macs F or --target-params F
  --round-to N              kept channel counts are multiples of N [1]
  --min-channels N          never keep fewer than N channels [1]
  --max-ratio p             never remove more than this fraction of a group [0.9]
  --ignore NAME             never prune groups with a member matching NAME (glob), repeatable
  --criterion C             actsub | l1 | l2 | random | fpgm | mean | apoz | hrank [actsub]
  --activeness A            l2 | l1 | std | nonzero | entropy [l2]
  --distance D              correlation | euclidean | cosine [correlation]
  --substitutability S      nearest | mean | knn:K | regression [nearest]
  --combine C               product | sum [product]
  --lambda L                weight of activeness in the combination [0.5]
  --no-greedy               rank once instead of greedy re-scoring
  --tap T                   act (after BN/activation) | conv (raw output) [act]
  --seed N                  seed for random choices [0]
  --recover M               none | bias | affine | lsq | auto [auto]
  --recover-samples N       calibration samples for recovery [1024]
  --recover-positions K     output positions per image for conv fits [64]
  --ridge L                 ridge, relative to the mean diagonal [0.001]
  --samples N               calibration samples used for scoring [all]
  --threads N               onnxruntime threads [1]
  --report FILE             write the JSON report
  --dry-run                 print the plan, write nothing
  --external-data           save weights to <out>.data beside the model
  --force                   replace an existing output file
  --quiet                   no progress output
Data options (prune and eval):
  --layout nchw|nhwc        layout of .npy data [nchw]
  --size HxW                resize images
  --scale S                 multiply raw values first [1/255 for uint8 and images, 1 for float]
  --mean a,b,c  --std a,b,c normalise per channel after scaling
General: --verbose (stack traces), --help, --version
Exit codes: 0 ok, 2 bad input or options (one line on stderr), 1 internal error.`;

const OPTIONS = {
  "input-shape": { type: "string" }, json: { type: "boolean" }, data: { type: "string" }, output: { type: "string", short: "o" },
  ratio: { type: "string" }, "ratio-for": { type: "string", multiple: true }, global: { type: "boolean" },
  "target-macs": { type: "string" }, "target-params": { type: "string" }, "round-to": { type: "string" },
  "min-channels": { type: "string" }, "max-ratio": { type: "string" }, "residual-scale": { type: "string" }, ignore: { type: "string", multiple: true },
  criterion: { type: "string" }, activeness: { type: "string" }, distance: { type: "string" },
  substitutability: { type: "string" }, combine: { type: "string" }, lambda: { type: "string" },
  "no-greedy": { type: "boolean" }, tap: { type: "string" }, seed: { type: "string" },
  recover: { type: "string" }, "recover-samples": { type: "string" }, "recover-positions": { type: "string" },
  ridge: { type: "string" }, samples: { type: "string" }, threads: { type: "string" }, report: { type: "string" },
  "dry-run": { type: "boolean" }, "external-data": { type: "boolean" }, force: { type: "boolean" }, quiet: { type: "boolean" },
  layout: { type: "string" }, size: { type: "string" }, scale: { type: "string" }, mean: { type: "string" }, std: { type: "string" },
  labels: { type: "string" }, reference: { type: "string" }, batch: { type: "string" },
  verbose: { type: "boolean" }, help: { type: "boolean", short: "h" }, version: { type: "boolean" },
} satisfies ParseArgsConfig["options"];

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>["values"];

function num(v: string | undefined, name: string, integer = false): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) throw new UsageError(`--${name} must be ${integer ? "an integer" : "a number"}, got '${v}'`);
  return n;
}

function numList(v: string | undefined, name: string): number[] | undefined {
  if (v === undefined) return undefined;
  const parts = v.split(",").map((s) => num(s.trim(), name)!);
  return parts;
}

function parseSize(v: string | undefined): { height: number; width: number } | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+)[xX×](\d+)$/.exec(v);
  if (!m) throw new UsageError(`--size must look like HxW (e.g. 224x224), got '${v}'`);
  return { height: Number(m[1]), width: Number(m[2]) };
}

function oneOf<T extends string>(v: string | undefined, name: string, allowed: readonly T[]): T | undefined {
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v)) throw new UsageError(`--${name} must be one of ${allowed.join(", ")}, not '${v}'`);
  return v as T;
}

function loadData(values: Values, model: ModelProto, source: string, samples?: number) {
  if (!values.data) throw new UsageError("--data is required (a .npy file or a folder of PNG/JPEG images)");
  const index = new GraphIndex(model, source);
  const input = index.graph.input.find((i) => i.name === index.runtimeInputs[0]);
  const dims = input ? declaredShape(input) : [];
  return loadCalibrationData(values.data, {
    layout: oneOf(values.layout, "layout", ["nchw", "nhwc"] as const), samples, channels: dims[1] && dims[1] > 0 ? dims[1] : 3,
    size: parseSize(values.size), scale: num(values.scale, "scale"), mean: numList(values.mean, "mean"), std: numList(values.std, "std"),
  });
}

function progressMode(values: Values): "tty" | "plain" | "quiet" {
  if (values.quiet || values.json) return "quiet";
  return process.stderr.isTTY ? "tty" : "plain";
}

async function cmdInspect(file: string, values: Values): Promise<void> {
  const model = loadModelFile(file);
  const report = await inspect(model, { inputShape: numList(values["input-shape"], "input-shape"), source: file });
  if (values.json) {
    process.stdout.write(`${JSON.stringify(report, null, 1)}\n`);
    return;
  }
  const rows = report.layers
    .filter((l) => l.macs > 0 || l.params > 0)
    .map((l) => [l.name, l.op, l.inChannels ?? "", l.outChannels ?? "", l.kernel?.join("×") ?? "", human(l.params), human(l.macs), l.outputShape?.join("×") ?? ""]);
  console.log(table(["layer", "op", "in", "out", "kernel", "params", "MACs", "output"], rows));
  const prunable = report.groups.filter((g) => g.prunable).length;
  console.log(`\n${file}: ${report.layers.length} nodes, params ${human(report.params)} (${report.params}), MACs ${human(report.macs)} (${report.macs}), other ops ${human(report.otherOps)}`);
  console.log(`inputs: ${report.inputs.map((i) => `${i.name} ${i.shape.join("×")}`).join(", ")}`);
  const streams = report.groups.filter((g) => g.prunable && g.residualStream).length;
  console.log(`channel groups: ${report.groups.length} (${prunable} prunable, ${report.groups.length - prunable} frozen); residual streams: ${streams}`);
  for (const g of report.groups.filter((x) => !x.prunable).slice(0, 20)) console.log(`  frozen ${g.label} (${g.channels} ch): ${g.reason}`);
}

function pruneOptions(values: Values): PruneOptions {
  return {
    ratio: num(values.ratio, "ratio"), residualScale: num(values["residual-scale"], "residual-scale"),
    ratioFor: values["ratio-for"]?.map((s) => {
      const eq = s.lastIndexOf("=");
      if (eq <= 0) throw new UsageError(`--ratio-for must look like NAME=p, got '${s}'`);
      return { pattern: s.slice(0, eq), ratio: num(s.slice(eq + 1), "ratio-for")! };
    }),
    global: values.global, targetMacs: num(values["target-macs"], "target-macs"), targetParams: num(values["target-params"], "target-params"),
    roundTo: num(values["round-to"], "round-to", true), minChannels: num(values["min-channels"], "min-channels", true),
    maxRatio: num(values["max-ratio"], "max-ratio"), ignore: values.ignore,
    criterion: values.criterion as PruneOptions["criterion"],
    activeness: oneOf(values.activeness, "activeness", ["std", "l1", "l2", "nonzero", "entropy"] as const),
    distance: oneOf(values.distance, "distance", ["correlation", "euclidean", "cosine"] as const),
    substitutability: values.substitutability, combine: oneOf(values.combine, "combine", ["product", "sum"] as const),
    lambda: num(values.lambda, "lambda"), greedy: values["no-greedy"] ? false : undefined,
    tap: oneOf(values.tap, "tap", ["act", "conv"] as const), seed: num(values.seed, "seed", true),
    recover: oneOf(values.recover, "recover", ["none", "bias", "affine", "lsq", "auto"] as const),
    recoverSamples: num(values["recover-samples"], "recover-samples", true), recoverPositions: num(values["recover-positions"], "recover-positions", true),
    ridge: num(values.ridge, "ridge"), samples: num(values.samples, "samples", true), threads: num(values.threads, "threads", true),
    dryRun: values["dry-run"],
  };
}

/** Output paths are checked before any work, so a long run never ends in an unwritable path. */
function checkWritableTarget(target: string, what: string): void {
  const dir = path.dirname(path.resolve(target));
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    throw new PathSafetyError(`${target}: the folder for the ${what} does not exist`);
  }
  if (!stat.isDirectory()) throw new PathSafetyError(`${target}: '${dir}' is not a folder`);
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch {
    throw new PathSafetyError(`${target}: the folder for the ${what} is not writable`);
  }
}

async function cmdPrune(file: string, values: Values): Promise<void> {
  const out = values.output;
  if (!out && !values["dry-run"]) throw new UsageError("-o <out.onnx> is required (or --dry-run)");
  if (out && sameFile(out, file) && !values.force) throw new PathSafetyError(`${out}: refusing to overwrite the input model (use --force)`);
  if (out && fs.existsSync(out) && !values.force) throw new PathSafetyError(`${out}: already exists (use --force to replace it)`);
  if (out && !values["dry-run"]) checkWritableTarget(out, "output model");
  if (values.report) {
    checkWritableTarget(values.report, "report");
    if (sameFile(values.report, file)) throw new PathSafetyError(`${values.report}: refusing to overwrite the input model with the report`);
  }
  const options = pruneOptions(values);
  const model = loadModelFile(file);
  const data = loadData(values, model, file);
  const kernels = await loadKernelsNode();
  const result = await prune(model, data, { ...options, onProgress: makeProgressPrinter(progressMode(values)) }, { kernels, source: file });
  if (progressMode(values) === "tty") process.stderr.write("\n");
  const r = result.report;
  const changed = r.groups.filter((g) => g.prunable);
  console.log(table(["group", "channels", "removed", "note"], changed.map((g) => [g.label, `${g.channelsBefore} → ${g.channelsAfter}`, g.channelsBefore - g.channelsAfter, g.note ?? ""])));
  const frozen = r.groups.length - changed.length;
  console.log(`\n${changed.length} groups pruned or prunable, ${frozen} frozen${frozen ? " (see inspect for reasons)" : ""}`);
  console.log(`params ${human(r.before.params)} → ${human(r.after.params)} (${percent(r.after.params, r.before.params)})${values["dry-run"] ? " (estimated)" : ""}`);
  console.log(`MACs   ${human(r.before.macs)} → ${human(r.after.macs)} (${percent(r.after.macs, r.before.macs)})${values["dry-run"] ? " (estimated)" : ""}`);
  if (!values["dry-run"]) console.log(`check on ${r.validation.samples} calibration samples: top-1 agreement with the original ${percent(r.validation.top1Agreement, 1)}`);
  console.log(`time: ${r.timings.map((t) => `${t.stage} ${(t.ms / 1000).toFixed(2)}s`).join(", ")}`);
  r.peakRssBytes = process.memoryUsage().rss;
  // The report first: if it cannot be written, no model is left behind without its report.
  if (values.report) {
    writeFileAtomic(values.report, new TextEncoder().encode(`${JSON.stringify(r, null, 1)}\n`));
    console.log(`wrote ${values.report}`);
  }
  if (result.model && out) {
    saveModelFile(result.model, out, { externalData: values["external-data"] ? true : "auto", overwrite: values.force });
    console.log(`wrote ${out}`);
  }
}

async function cmdEval(file: string, values: Values): Promise<void> {
  const model = loadModelFile(file);
  const data = loadData(values, model, file, num(values.samples, "samples", true));
  const labels = values.labels ? loadLabels(values.labels) : undefined;
  const reference = values.reference ? loadModelFile(values.reference) : undefined;
  const result = await evaluate(model, data, file, { labels, reference, batchSize: num(values.batch, "batch", true), threads: num(values.threads, "threads", true), onProgress: makeProgressPrinter(progressMode(values)) });
  if (progressMode(values) === "tty") process.stderr.write("\n");
  if (values.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const rows: [string, string][] = [["samples", String(result.samples)]];
  if (result.accuracy !== undefined) rows.push(["top-1 accuracy", percent(result.accuracy, 1)]);
  if (result.referenceAccuracy !== undefined) rows.push(["reference top-1 accuracy", percent(result.referenceAccuracy, 1)]);
  if (result.agreement !== undefined) rows.push(["top-1 agreement with reference", percent(result.agreement, 1)]);
  if (result.meanAbsDiff !== undefined) rows.push(["mean |output − reference|", result.meanAbsDiff.toPrecision(4)]);
  rows.push(["latency, 1 sample (median)", `${result.latency_ms.toFixed(3)} ms`]);
  rows.push([`latency, batch ${result.batch_size} (median)`, `${result.batch_latency_ms.toFixed(3)} ms`]);
  if (result.speedup !== undefined) rows.push(["speed-up vs reference (batch)", `${result.speedup.toFixed(2)}×`]);
  console.log(table(["metric", "value"], rows));
}

export async function main(argv: string[]): Promise<number> {
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true }));
  } catch (e) {
    console.error(`onnx-prune: ${(e as Error).message} (see --help)`);
    return 2;
  }
  if (values.version) {
    console.log(VERSION);
    return 0;
  }
  const [command, file, ...rest] = positionals;
  if (values.help || !command) {
    console.log(HELP);
    return values.help ? 0 : 2;
  }
  try {
    if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(" ")}`);
    const threads = num(values.threads, "threads", true);
    if (threads !== undefined) configureRuntime(threads);
    if (!file) throw new UsageError(`${command}: a model file is required`);
    switch (command) {
      case "inspect": await cmdInspect(file, values); break;
      case "prune": await cmdPrune(file, values); break;
      case "eval": await cmdEval(file, values); break;
      default: throw new UsageError(`unknown command '${command}' (inspect, prune, eval)`);
    }
    return 0;
  } catch (e) {
    if (isOnnxPruneError(e)) {
      console.error(`onnx-prune: ${e.message}`);
      if (values.verbose) console.error(e.stack);
      return 2;
    }
    console.error(`onnx-prune: internal error: ${(e as Error).message ?? e}`);
    console.error((e as Error).stack ?? "");
    return 1;
  }
}
