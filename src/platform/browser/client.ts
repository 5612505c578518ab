/** Page side of the pruning worker: one promise per request, progress through a callback. */
import type { InspectReport } from "../../pipeline/inspect.js";
import type { ProgressCallback } from "../../pipeline/progress.js";
import type { DataOptions, NamedBytes } from "./files.js";
import type { EvaluationRequest, PruneOutcome, WorkerPruneOptions, WorkerRequest, WorkerResponse } from "./protocol.js";

/** An error raised in the worker, with the original class name (DataError, UsageError...). */
export class WorkerError extends Error {
  constructor(readonly kind: string, message: string) {
    super(message);
    this.name = kind;
  }
}

interface Pending {
  resolve(value: unknown): void;
  reject(e: Error): void;
  onProgress?: ProgressCallback;
}

type RequestBody = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, "id"> : never) : never;

export class PruneWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  /** `url`: the worker bundle, by default worker.js beside this bundle. */
  constructor(url: string | URL = new URL("./worker.js", import.meta.url)) {
    this.worker = new Worker(url, { type: "module", name: "onnx-prune" });
    this.worker.onmessage = (e: MessageEvent<WorkerResponse>) => this.receive(e.data);
    this.worker.onerror = (e: ErrorEvent) => {
      const err = new WorkerError("WorkerError", e.message || "the pruning worker failed to start");
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
  }

  inspect(model: NamedBytes): Promise<InspectReport> {
    return this.request({ type: "inspect", model: { name: model.name, bytes: model.bytes.slice() } }) as Promise<InspectReport>;
  }

  /** Copies of the inputs are transferred, so the caller keeps its own bytes. */
  prune(
    model: NamedBytes, data: NamedBytes[], options: WorkerPruneOptions,
    extra: { dataOptions?: DataOptions; evaluation?: EvaluationRequest; onProgress?: ProgressCallback } = {},
  ): Promise<PruneOutcome> {
    const copy = (f: NamedBytes): NamedBytes => ({ name: f.name, bytes: f.bytes.slice() });
    const body: RequestBody = {
      type: "prune", model: copy(model), data: data.map(copy), options, dataOptions: extra.dataOptions,
      evaluation: extra.evaluation && {
        samples: extra.evaluation.samples, data: extra.evaluation.data?.map(copy), labels: extra.evaluation.labels && copy(extra.evaluation.labels),
      },
    };
    return this.request(body, extra.onProgress) as Promise<PruneOutcome>;
  }

  terminate(): void {
    this.worker.terminate();
  }

  private request(body: RequestBody, onProgress?: ProgressCallback): Promise<unknown> {
    const id = this.nextId++;
    const transfer: Transferable[] = [];
    const add = (f?: NamedBytes) => f && transfer.push(f.bytes.buffer);
    add(body.model);
    if (body.type === "prune") {
      body.data.forEach(add);
      body.evaluation?.data?.forEach(add);
      add(body.evaluation?.labels);
    }
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress });
      this.worker.postMessage({ ...body, id } as WorkerRequest, transfer);
    });
  }

  private receive(m: WorkerResponse): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    if (m.type === "progress") {
      p.onProgress?.(m.event);
      return;
    }
    this.pending.delete(m.id);
    if (m.type === "error") p.reject(new WorkerError(m.error.name, m.error.message));
    else p.resolve(m.result);
  }
}
