/**
 * The pruning worker (build/browser/worker.js): the whole pipeline runs here so the page never
 * blocks. Loaded as a module worker by PruneWorker (client.ts).
 */
import { decodeModel, encodeModel } from "../../onnx/model-io.js";
import { evaluate } from "../../pipeline/evaluate.js";
import { inspect } from "../../pipeline/inspect.js";
import { prune } from "../../pipeline/prune.js";
import { calibrationFromFiles, labelsFromFile } from "./files.js";
import { loadKernelsBrowser } from "./kernels.js";
import type { PruneOutcome, WorkerRequest, WorkerResponse } from "./protocol.js";
import { configureRuntime } from "./runtime.js";

declare const self: DedicatedWorkerGlobalScope;

configureRuntime();

function post(message: WorkerResponse, transfer: Transferable[] = []): void {
  self.postMessage(message, transfer);
}

async function handle(req: WorkerRequest): Promise<void> {
  if (req.type === "inspect") {
    const model = decodeModel(req.model.bytes, req.model.name);
    post({ id: req.id, type: "inspect", result: await inspect(model, { source: req.model.name }) });
    return;
  }
  const source = req.model.name;
  const model = decodeModel(req.model.bytes, source);
  const o = req.options;
  // Like the CLI: all the data is available; scoring and recovery each take what they use.
  const data = calibrationFromFiles(req.data, model, source, { ...req.dataOptions });
  const kernels = await loadKernelsBrowser();
  const t0 = performance.now();
  const result = await prune(model, data, { ...o, onProgress: (event) => post({ id: req.id, type: "progress", event }) }, { kernels, source });
  const pruneMs = performance.now() - t0;
  const pruned = result.model!;
  const bytes = encodeModel(pruned);
  const before = await inspect(model, { source, inputShape: result.report.input.shape });
  const after = await inspect(pruned, { source: `${source} (pruned)`, inputShape: result.report.input.shape });
  const outcome: PruneOutcome = { model: bytes, report: result.report, before, after, pruneMs };
  const ev = req.evaluation;
  if (ev) {
    const testData = ev.data?.length ? calibrationFromFiles(ev.data, model, source, { ...req.dataOptions, samples: ev.samples }) : data;
    const labels = ev.labels ? labelsFromFile(ev.labels) : undefined;
    const total = Math.min(testData.count, ev.samples ?? testData.count);
    outcome.evaluation = await evaluate(pruned, testData, `${source} (pruned)`, {
      reference: model, labels: labels?.subarray(0, total), samples: total, threads: o.threads,
      onProgress: (event) => post({ id: req.id, type: "progress", event }),
    });
  }
  post({ id: req.id, type: "prune", result: outcome }, [bytes.buffer]);
}

self.onmessage = (e: MessageEvent<WorkerRequest>) => {
  const req = e.data;
  handle(req).catch((err: unknown) => {
    const error = err instanceof Error ? { name: err.name, message: err.message } : { name: "Error", message: String(err) };
    post({ id: req.id, type: "error", error });
  });
};
