/** The JSON report of a prune run (also what the CLI summary table and the web page show). */
export interface GroupReport {
  id: number;
  label: string;
  producers: string[];
  channelsBefore: number;
  channelsAfter: number;
  removed: number[];
  prunable: boolean;
  reason?: string;
  note?: string;
  /** Per-channel terms (activeness, substitutability...) and importance, group indexing. */
  scores?: Record<string, number[]>;
}

export interface StageTiming {
  stage: string;
  ms: number;
}

export interface RecoveryLayerReport {
  node: string;
  op: string;
  method: string;
  /** Relative error ‖Y_orig − Y_pruned‖ / ‖Y_orig‖ on calibration rows, before and after. */
  errorBefore: number;
  errorAfter: number;
}

export interface PruneReport {
  tool: { name: "onnx-prune"; version: string };
  source: string;
  options: Record<string, unknown>;
  input: { name: string; shape: number[] };
  calibration: { source: string; samples: number; batchSize: number; batchBytes: number };
  before: { params: number; macs: number };
  after: { params: number; macs: number };
  groups: GroupReport[];
  recovery: RecoveryLayerReport[];
  validation: { samples: number; outputsFinite: boolean; top1Agreement: number; meanAbsDiff: number };
  timings: StageTiming[];
  peakRssBytes?: number;
}
