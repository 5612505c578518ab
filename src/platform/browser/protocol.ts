/**
 * Messages between the page and the pruning worker. Requests carry an id; the worker answers with
 * any number of progress messages and then exactly one result or error for that id. Byte buffers
 * are transferred, not copied.
 */
import type { EvaluationResult } from "../../pipeline/evaluate.js";
import type { InspectReport } from "../../pipeline/inspect.js";
import type { PruneOptions } from "../../pipeline/prune.js";
import type { ProgressEvent } from "../../pipeline/progress.js";
import type { PruneReport } from "../../report/types.js";
import type { DataOptions, NamedBytes } from "./files.js";

/** PruneOptions that survive structured cloning (no callback). */
export type WorkerPruneOptions = Omit<PruneOptions, "onProgress">;

export interface EvaluationRequest {
  /** Test inputs (.npy) or images; without it the calibration data is used. */
  data?: NamedBytes[];
  labels?: NamedBytes;
  samples?: number;
}

export type WorkerRequest =
  | { id: number; type: "inspect"; model: NamedBytes }
  | {
    id: number;
    type: "prune";
    model: NamedBytes;
    data: NamedBytes[];
    dataOptions?: DataOptions;
    options: WorkerPruneOptions;
    /** Evaluate the pruned model against the original (and labels) after pruning. */
    evaluation?: EvaluationRequest;
  };

export interface PruneOutcome {
  /** The pruned model, encoded. */
  model: Uint8Array;
  report: PruneReport;
  /** Per-layer counts of the original and the pruned model (for the MACs chart). */
  before: InspectReport;
  after: InspectReport;
  evaluation?: EvaluationResult;
  /** Wall time of prune() alone, in ms. */
  pruneMs: number;
}

export type WorkerResponse =
  | { id: number; type: "progress"; event: ProgressEvent }
  | { id: number; type: "inspect"; result: InspectReport }
  | { id: number; type: "prune"; result: PruneOutcome }
  | { id: number; type: "error"; error: { name: string; message: string } };
