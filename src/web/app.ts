/**
 * The web page (web/index.html): collects a model, calibration data and options, runs inspect and
 * prune in the pruning worker, and draws the result. No pruning logic lives here.
 */
import { PruneWorker } from "../platform/browser/client.js";
import type { NamedBytes } from "../platform/browser/files.js";
import type { PruneOutcome, WorkerPruneOptions } from "../platform/browser/protocol.js";
import type { InspectReport } from "../pipeline/inspect.js";
import type { ProgressEvent } from "../pipeline/progress.js";
import type { RecoveryMethod } from "../recover/index.js";
import type { Criterion } from "../score/criteria.js";
import { human, importanceStrips, pairedBars } from "./charts.js";

// Type-only imports keep the page bundle free of the library (which lives in the worker); the
// Record types below make the typecheck fail when a criterion or recovery method is added.
const CRITERION_TEXT: Record<Criterion, string> = {
  actsub: "actsub — activeness × substitutability",
  l1: "l1 — filter weight L1 norm", l2: "l2 — filter weight L2 norm", random: "random (seeded)",
  fpgm: "fpgm — geometric median", mean: "mean activation", apoz: "apoz — share of zeros", hrank: "hrank — feature map rank",
};
const RECOVERY_TEXT: Record<RecoveryMethod, string> = {
  none: "none", bias: "bias compensation", affine: "affine correction", lsq: "least squares (next layer)", auto: "auto",
};

const DEMO = {
  model: "/fixtures/models/demo_resnet.onnx",
  calibration: "/fixtures/data/fmnist_calib_x.npy",
  testX: "/fixtures/data/fmnist_test_x.npy",
  testY: "/fixtures/data/fmnist_test_y.npy",
};

const STAGE_SPAN: Record<ProgressEvent["stage"], [number, number]> = {
  shapes: [0, 0.02], features: [0.02, 0.45], score: [0.45, 0.5], plan: [0.5, 0.5], surgery: [0.5, 0.52],
  recover: [0.52, 0.85], validate: [0.85, 0.88], evaluate: [0.88, 1],
};

function $<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`page is missing #${id}`);
  return e as T;
}

const state: {
  model?: NamedBytes; calibration: NamedBytes[]; test: NamedBytes[]; labels?: NamedBytes;
  inspect?: InspectReport; result?: PruneOutcome; busy: boolean;
} = { calibration: [], test: [], busy: false };

const worker = new PruneWorker(new URL("./worker.js", import.meta.url));

async function read(file: File): Promise<NamedBytes> {
  return { name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) };
}

function showError(e: unknown): void {
  const box = $("error");
  box.textContent = e instanceof Error ? e.message : String(e);
  box.hidden = false;
}

function clearError(): void {
  $("error").hidden = true;
}

function setBusy(busy: boolean): void {
  state.busy = busy;
  for (const id of ["run", "demo", "model-file", "calib-files"]) ($(id) as HTMLButtonElement).disabled = busy;
  updateRunButton();
}

function updateRunButton(): void {
  ($("run") as HTMLButtonElement).disabled = state.busy || !state.model || state.calibration.length === 0;
}

function describeFiles(files: readonly NamedBytes[]): string {
  if (files.length === 0) return "";
  const bytes = files.reduce((a, f) => a + f.bytes.length, 0);
  return files.length === 1 ? `${files[0]!.name} (${human(bytes)}B)` : `${files.length} files (${human(bytes)}B)`;
}

function notes(): void {
  $("model-note").textContent = state.model ? describeFiles([state.model]) : "No model yet.";
  $("calib-note").textContent = state.calibration.length ? describeFiles(state.calibration) : "No calibration data yet.";
  const t = [state.test.length ? `test inputs: ${describeFiles(state.test)}` : "", state.labels ? `labels: ${state.labels.name}` : ""].filter(Boolean);
  $("test-note").textContent = t.join("; ");
  updateRunButton();
}

async function setModel(model: NamedBytes): Promise<void> {
  state.model = model;
  state.inspect = undefined;
  notes();
  $("model-view").hidden = true;
  setProgress("Reading the model…", 0);
  state.inspect = await worker.inspect(model);
  renderModel(state.inspect, model.name);
  setProgress("Ready", 0);
}

function setProgress(text: string, fraction: number): void {
  $("progress-label").textContent = text;
  ($("progress") as HTMLProgressElement).value = fraction;
}

function onProgress(e: ProgressEvent): void {
  const [a, b] = STAGE_SPAN[e.stage];
  const f = e.total > 0 ? e.done / e.total : 0;
  setProgress(`${e.stage} ${e.done}/${e.total}${e.detail ? ` — ${e.detail}` : ""}`, a + (b - a) * f);
}

function cell(row: HTMLTableRowElement, text: string, cls?: string): void {
  const td = row.insertCell();
  td.textContent = text;
  if (cls) td.className = cls;
}

function renderModel(r: InspectReport, name: string): void {
  const prunable = r.groups.filter((g) => g.prunable).length;
  $("model-summary").textContent = `${name}: input ${r.inputs.map((i) => `${i.name} ${i.shape.join("×")}`).join(", ")}; `
    + `${human(r.params)} parameters, ${human(r.macs)} MACs; ${r.groups.length} channel groups (${prunable} prunable, ${r.groups.length - prunable} frozen).`;
  const chart = $("group-chart");
  $("model-view").hidden = false;
  chart.replaceChildren(pairedBars(r.groups.map((g) => ({
    label: g.label, before: g.channels, after: g.channels, note: g.prunable ? undefined : g.reason ?? "frozen",
  })), "Channels per group", chart.clientWidth, (v) => String(Math.round(v))));
  $("group-count").textContent = `${r.groups.length}`;
  const gBody = ($("groups-table") as HTMLTableElement).tBodies[0]!;
  gBody.replaceChildren();
  for (const g of r.groups) {
    const row = gBody.insertRow();
    cell(row, g.label);
    cell(row, String(g.channels), "num");
    cell(row, g.prunable ? "prunable" : `frozen: ${g.reason ?? ""}`, g.prunable ? undefined : "frozen-reason");
  }
  const layers = r.layers.filter((l) => l.macs > 0 || l.params > 0);
  $("layer-count").textContent = `${layers.length} with weights or MACs`;
  const lBody = ($("layers-table") as HTMLTableElement).tBodies[0]!;
  lBody.replaceChildren();
  for (const l of layers) {
    const row = lBody.insertRow();
    cell(row, l.name);
    cell(row, l.op);
    cell(row, l.inChannels !== undefined ? `${l.inChannels} → ${l.outChannels ?? "?"}` : "");
    cell(row, l.kernel?.join("×") ?? "");
    cell(row, human(l.params), "num");
    cell(row, human(l.macs), "num");
  }
  $("model-view").hidden = false;
}

function optionalNumber(id: string): number | undefined {
  const v = ($(id) as HTMLInputElement).value.trim();
  if (v === "") return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`${$(id).previousElementSibling?.textContent ?? id}: '${v}' is not a number`);
  return n;
}

function numberList(id: string): number[] | undefined {
  const v = ($(id) as HTMLInputElement).value.trim();
  if (v === "") return undefined;
  const out = v.split(/[,\s]+/).filter(Boolean).map(Number);
  if (out.some((n) => !Number.isFinite(n))) throw new Error(`${id}: '${v}' must be numbers separated by commas`);
  return out;
}

function readOptions(): WorkerPruneOptions {
  const value = (id: string) => ($(id) as HTMLInputElement | HTMLSelectElement).value;
  const macs = ($("mode-macs") as HTMLInputElement).checked;
  return {
    criterion: value("criterion") as WorkerPruneOptions["criterion"],
    recover: value("recover") as WorkerPruneOptions["recover"],
    ...(macs ? { global: true, targetMacs: optionalNumber("target-macs") } : { ratio: optionalNumber("ratio") }),
    samples: optionalNumber("samples"),
    recoverSamples: optionalNumber("recover-samples"),
    threads: Number(value("threads")),
  };
}

function baseName(name: string): string {
  return name.replace(/^.*[\\/]/, "").replace(/\.onnx$/i, "");
}

function download(bytes: BlobPart, name: string, type: string): void {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function card(dl: HTMLElement, term: string, value: string, small?: string): void {
  const d = document.createElement("div");
  const dt = document.createElement("dt");
  dt.textContent = term;
  const dd = document.createElement("dd");
  dd.textContent = value;
  if (small) {
    const s = document.createElement("small");
    s.textContent = ` ${small}`;
    dd.append(s);
  }
  d.append(dt, dd);
  dl.append(d);
}

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

function renderResult(o: PruneOutcome): void {
  const r = o.report;
  const dl = $("summary");
  dl.replaceChildren();
  card(dl, "Parameters", `${human(r.before.params)} → ${human(r.after.params)}`, `(${pct(r.after.params / r.before.params)})`);
  card(dl, "MACs", `${human(r.before.macs)} → ${human(r.after.macs)}`, `(${pct(r.after.macs / r.before.macs)})`);
  card(dl, "Check: top-1 agreement", pct(r.validation.top1Agreement), `on ${r.validation.samples} calibration samples`);
  const ev = o.evaluation;
  if (ev) {
    if (ev.accuracy !== undefined) card(dl, "Accuracy (pruned)", pct(ev.accuracy), ev.referenceAccuracy !== undefined ? `original ${pct(ev.referenceAccuracy)}` : undefined);
    if (ev.agreement !== undefined) card(dl, "Agreement with original", pct(ev.agreement), `on ${ev.samples} samples`);
    if (ev.speedup !== undefined) card(dl, "Speed-up (batch)", `${ev.speedup.toFixed(2)}×`, `${ev.batch_latency_ms.toFixed(1)} ms vs ${ev.reference_batch_latency_ms!.toFixed(1)} ms`);
  }
  card(dl, "Prune time", `${(o.pruneMs / 1000).toFixed(1)} s`, `${r.calibration.samples} samples`);

  const prunable = r.groups.filter((g) => g.prunable);
  $("result-view").hidden = false;
  const width = $("chart-channels").clientWidth;
  $("chart-channels").replaceChildren(pairedBars(r.groups.map((g) => ({
    label: g.label, before: g.channelsBefore, after: g.channelsAfter, note: g.prunable ? undefined : g.reason ?? "frozen",
  })), "Channels per group", width, (v) => String(Math.round(v))));
  $("chart-importance").replaceChildren(importanceStrips(prunable.filter((g) => g.scores?.importance).map((g) => ({
    label: g.label, values: g.scores!.importance!, removed: new Set(g.removed),
  })), "Importance per group", width));
  const after = new Map(o.after.layers.map((l) => [l.name, l.macs]));
  $("chart-macs").replaceChildren(pairedBars(o.before.layers.filter((l) => l.macs > 0).map((l) => ({
    label: `${l.name} (${l.op})`, before: l.macs, after: after.get(l.name) ?? 0,
  })), "MACs per layer", width));
}

async function run(): Promise<void> {
  if (!state.model || state.busy) return;
  clearError();
  let options: WorkerPruneOptions;
  try {
    options = readOptions();
  } catch (e) {
    showError(e);
    return;
  }
  setBusy(true);
  $("result-view").hidden = true;
  setProgress("Starting…", 0);
  const layout = ($("layout") as HTMLSelectElement).value as "nchw" | "nhwc";
  try {
    const dataOptions = { layout, scale: optionalNumber("scale"), mean: numberList("mean"), std: numberList("std") };
    state.result = await worker.prune(state.model, state.calibration, options, {
      dataOptions,
      evaluation: { data: state.test.length ? state.test : undefined, labels: state.labels, samples: optionalNumber("eval-samples") },
      onProgress,
    });
    renderResult(state.result);
    setProgress(`Done in ${(state.result.pruneMs / 1000).toFixed(1)} s`, 1);
    $("result-title").focus();
  } catch (e) {
    setProgress("Failed", 0);
    showError(e);
  } finally {
    setBusy(false);
  }
}

async function fetchBytes(url: string): Promise<NamedBytes> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status} ${res.statusText} (the demo files are made by tools/train_models.py)`);
  return { name: url.replace(/^.*\//, ""), bytes: new Uint8Array(await res.arrayBuffer()) };
}

async function loadDemo(): Promise<void> {
  clearError();
  setBusy(true);
  try {
    setProgress("Fetching the demo…", 0);
    const [model, calib, x, y] = await Promise.all([DEMO.model, DEMO.calibration, DEMO.testX, DEMO.testY].map(fetchBytes));
    state.calibration = [calib!];
    state.test = [x!];
    state.labels = y;
    await setModel(model!);
  } catch (e) {
    setProgress("Failed", 0);
    showError(e);
  } finally {
    setBusy(false);
  }
}

async function takeFiles(files: File[]): Promise<void> {
  clearError();
  try {
    const model = files.find((f) => /\.onnx$/i.test(f.name));
    const data = files.filter((f) => /\.(npy|png|jpe?g)$/i.test(f.name));
    const other = files.filter((f) => f !== model && !data.includes(f));
    if (other.length) throw new Error(`${other[0]!.name}: not a model (.onnx) or data (.npy, PNG, JPEG)`);
    if (data.length) {
      state.calibration = await Promise.all(data.map(read));
      notes();
    }
    if (model) await setModel(await read(model));
  } catch (e) {
    showError(e);
  }
}

function fillSelect(id: string, text: Record<string, string>, selected: string): void {
  const s = $(id) as HTMLSelectElement;
  for (const [v, t] of Object.entries(text)) s.add(new Option(t, v, v === selected, v === selected));
}

function init(): void {
  fillSelect("criterion", CRITERION_TEXT, "actsub");
  fillSelect("recover", RECOVERY_TEXT, "auto");
  $("result-title").tabIndex = -1;
  const mode = () => {
    const macs = ($("mode-macs") as HTMLInputElement).checked;
    ($("ratio") as HTMLInputElement).disabled = macs;
    ($("target-macs") as HTMLInputElement).disabled = !macs;
  };
  $("mode-ratio").addEventListener("change", mode);
  $("mode-macs").addEventListener("change", mode);
  $("model-file").addEventListener("change", (e) => {
    const f = (e.target as HTMLInputElement).files?.[0];
    if (f) void takeFiles([f]);
  });
  $("calib-files").addEventListener("change", async (e) => {
    const files = [...((e.target as HTMLInputElement).files ?? [])];
    state.calibration = await Promise.all(files.map(read));
    notes();
  });
  $("test-files").addEventListener("change", async (e) => {
    state.test = await Promise.all([...((e.target as HTMLInputElement).files ?? [])].map(read));
    notes();
  });
  $("label-file").addEventListener("change", async (e) => {
    const f = (e.target as HTMLInputElement).files?.[0];
    state.labels = f ? await read(f) : undefined;
    notes();
  });
  $("demo").addEventListener("click", () => void loadDemo());
  $("setup").addEventListener("submit", (e) => {
    e.preventDefault();
    void run();
  });
  $("download-model").addEventListener("click", () => {
    if (state.result && state.model) download(state.result.model as BlobPart, `${baseName(state.model.name)}.pruned.onnx`, "application/octet-stream");
  });
  $("download-report").addEventListener("click", () => {
    if (state.result && state.model) {
      download(`${JSON.stringify({ ...state.result.report, evaluation: state.result.evaluation }, null, 1)}\n`, `${baseName(state.model.name)}.report.json`, "application/json");
    }
  });
  const drop = $("drop");
  // The whole page accepts drops; the zone only shows where.
  document.addEventListener("dragover", (e) => {
    e.preventDefault();
    drop.classList.add("over");
  });
  document.addEventListener("dragleave", (e) => {
    if (e.relatedTarget === null) drop.classList.remove("over");
  });
  document.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    if (!state.busy && e.dataTransfer?.files.length) void takeFiles([...e.dataTransfer.files]);
  });
  notes();
}

init();
