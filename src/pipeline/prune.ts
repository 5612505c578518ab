/**
 * The library's main entry: prune(model, data, options) → { model, report }. Platform-free:
 * kernels and data come in already loaded (see platform/ for Node and browser loaders).
 *
 * shapes → groups → features → scores → plan → surgery → recovery → validation
 */
import type { CalibrationSet } from "../data/calibration.js";
import { checkDataFitsInput } from "../data/calibration.js";
import { DataError, RuntimeFailureError, UsageError } from "../errors.js";
import { collectTapStatistics } from "../features/collect.js";
import { countModel } from "../graph/count.js";
import { GraphIndex } from "../graph/graph-index.js";
import { declaredShape, inferShapes, type ShapeMap } from "../graph/shapes.js";
import { buildChannelGroups } from "../groups/index.js";
import type { ChannelGroup } from "../groups/types.js";
import type { Kernels } from "../kernels/index.js";
import type { ModelProto } from "../onnx/proto.js";
import { buildCostModel } from "../plan/cost.js";
import { DEFAULT_RATIO, DEFAULT_RESIDUAL_SCALE, makePlan, type Plan, type PlanOptions } from "../plan/plan.js";
import { DEFAULT_RECOVERY, recoverModel, type RecoveryMethod } from "../recover/index.js";
import type { GroupReport, PruneReport } from "../report/types.js";
import { CRITERIA, DEFAULT_SCORE_OPTIONS, featureNeeds, featureTaps, parseSubstitutability, scoreGroup, type ScoreOptions } from "../score/criteria.js";
import type { GroupScore } from "../score/types.js";
import { configureRuntime } from "../runtime/ort.js";
import { applyKeepSets } from "../surgery/index.js";
import { VERSION } from "../version.js";
import { evaluate } from "./evaluate.js";
import { StageClock, type ProgressCallback } from "./progress.js";

export interface PruneOptions extends Partial<ScoreOptions>, PlanOptions {
  /** Calibration samples used for scoring. Default: all. */
  samples?: number;
  /** onnxruntime threads. Default 1. */
  threads?: number;
  /** Batch size for feature collection; default chosen from activation sizes. */
  batchSize?: number;
  /** Recovery method. Default "auto". */
  recover?: RecoveryMethod;
  recoverSamples?: number;
  recoverPositions?: number;
  ridge?: number;
  /** Samples the pruned model is checked on. Default 16. */
  validateSamples?: number;
  /** Plan only: return no model. */
  dryRun?: boolean;
  onProgress?: ProgressCallback;
}

export interface PruneResult {
  /** The pruned model; null for a dry run. */
  model: ModelProto | null;
  report: PruneReport;
  groups: ChannelGroup[];
}

export interface PruneContext {
  kernels: Kernels;
  /** Model name for messages and the report (e.g. its file path). */
  source: string;
}

export function resolveScoreOptions(o: Partial<ScoreOptions>): ScoreOptions {
  const s = { ...DEFAULT_SCORE_OPTIONS };
  for (const [k, v] of Object.entries(o)) if (v !== undefined && k in s) (s as Record<string, unknown>)[k] = v;
  if (!(CRITERIA as readonly string[]).includes(s.criterion)) throw new UsageError(`--criterion must be one of ${CRITERIA.join(", ")}, not '${s.criterion}'`);
  if (!(s.lambda >= 0 && s.lambda <= 1)) throw new UsageError(`--lambda must be in [0, 1], got ${s.lambda}`);
  parseSubstitutability(s.substitutability);
  return s;
}

/** Everything decided before the model is edited: shapes, groups, scores, plan, draft report. */
export interface PrunePlan {
  model: ModelProto;
  data: CalibrationSet;
  options: PruneOptions;
  ctx: PruneContext;
  inputName: string;
  inputShape: number[];
  shapes: ShapeMap;
  groups: ChannelGroup[];
  plan: Plan;
  report: PruneReport;
  clock: StageClock;
}

export async function prune(model: ModelProto, data: CalibrationSet, options: PruneOptions, ctx: PruneContext): Promise<PruneResult> {
  const planned = await planPrune(model, data, options, ctx);
  if (options.dryRun) return { model: null, report: planned.report, groups: planned.groups };
  return applyPrunePlan(planned, options.recover ?? "auto");
}

/** Stages up to the plan (the dry-run result). */
export async function planPrune(model: ModelProto, data: CalibrationSet, options: PruneOptions, ctx: PruneContext): Promise<PrunePlan> {
  if (options.threads !== undefined) configureRuntime(options.threads);
  const clock = new StageClock();
  const score = resolveScoreOptions(options);
  const recover = options.recover ?? "auto";
  const progress = options.onProgress;

  clock.begin("shapes");
  const index = new GraphIndex(model, ctx.source);
  const inputs = index.runtimeInputs;
  if (inputs.length !== 1) throw new DataError(`${ctx.source}: the model has ${inputs.length} inputs; onnx-prune needs exactly one image input`);
  const inputName = inputs[0]!;
  const inputVi = index.graph.input.find((i) => i.name === inputName)!;
  checkDataFitsInput(data, declaredShape(inputVi), inputName, ctx.source);
  const inputShape = [1, ...data.sampleShape];
  const shapes = await inferShapes(model, { [inputName]: inputShape }, ctx.source);
  const before = countModel(index, shapes);

  clock.begin("groups");
  const groups = buildChannelGroups(index, shapes);
  const prunable = groups.filter((g) => g.prunable);

  clock.begin("features");
  const needs = featureNeeds(score);
  let stats = new Map();
  let ranks = new Map<string, Float64Array>();
  let batchSize = 0;
  let batchBytes = 0;
  let samples = 0;
  if (needs.maps && prunable.length > 0) {
    const taps = [...new Set(prunable.flatMap((g) => featureTaps(g, score).map((t) => t.tap)))];
    const collected = await collectTapStatistics(ctx.kernels, model, shapes, data, taps, ctx.source, {
      distance: score.distance, samples: options.samples, threads: options.threads, gram: needs.gram,
      rankSamples: needs.ranks ? Math.min(options.samples ?? 64, 64) : undefined, batchSize: options.batchSize,
      onProgress: (done, total) => progress?.({ stage: "features", done, total }),
    });
    stats = collected.stats;
    ranks = collected.ranks;
    batchSize = collected.batchSize;
    batchBytes = collected.batchBytes;
    samples = collected.samples;
  }

  clock.begin("score");
  const scores = new Map<number, GroupScore>();
  prunable.forEach((g, k) => {
    scores.set(g.id, scoreGroup(g, { index, kernels: ctx.kernels, stats, ranks }, score));
    progress?.({ stage: "score", done: k + 1, total: prunable.length });
  });

  clock.begin("plan");
  const cost = options.global ? buildCostModel(index, shapes, before, groups) : undefined;
  const plan = makePlan(groups, scores, options, cost);
  const groupReports: GroupReport[] = groups.map((g) => {
    const p = plan.groups.find((x) => x.group === g.id);
    const s = scores.get(g.id);
    const removed = p?.removed ?? [];
    return {
      id: g.id, label: g.label, producers: g.producers.map((x) => x.name), channelsBefore: g.channels,
      channelsAfter: g.channels - removed.length, removed, prunable: g.prunable, reason: g.reason, note: p?.note,
      scores: s ? Object.fromEntries([...Object.entries(s.terms), ["importance", s.importance]].map(([k, v]) => [k, Array.from(v as Float64Array)])) : undefined,
    };
  });
  const report: PruneReport = {
    tool: { name: "onnx-prune", version: VERSION },
    source: ctx.source,
    options: { ...score, ...planOptionsOf(options), recover, recoverSamples: options.recoverSamples ?? DEFAULT_RECOVERY.samples, recoverPositions: options.recoverPositions ?? DEFAULT_RECOVERY.positions, ridge: options.ridge ?? DEFAULT_RECOVERY.ridge, samples: options.samples ?? data.count },
    input: { name: inputName, shape: inputShape },
    calibration: { source: data.source, samples, batchSize, batchBytes },
    before: { params: before.params, macs: before.macs },
    after: { params: before.params, macs: before.macs },
    groups: groupReports,
    recovery: [],
    validation: { samples: 0, outputsFinite: true, top1Agreement: 1, meanAbsDiff: 0 },
    timings: [],
  };
  // Estimated until surgery and a recount replace it.
  const estimate = buildCostModel(index, shapes, before, groups);
  const keptCounts = new Map([...plan.keep].map(([g, k]) => [g, k.length]));
  report.after = { params: Math.round(estimate.params(keptCounts)), macs: Math.round(estimate.macs(keptCounts)) };
  clock.end();
  report.timings = clock.timings;
  return { model, data, options, ctx, inputName, inputShape, shapes, groups, plan, report, clock };
}

/**
 * Surgery, recovery and validation for a plan. The plan can be applied several times (e.g. with
 * different recovery methods): each call works on its own copy and report.
 */
export async function applyPrunePlan(planned: PrunePlan, recover: RecoveryMethod): Promise<PruneResult> {
  const { model, data, options, ctx, inputName, inputShape, shapes, groups, plan } = planned;
  const report: PruneReport = { ...planned.report, options: { ...planned.report.options, recover }, timings: [...planned.report.timings] };
  const clock = new StageClock();
  const progress = options.onProgress;
  const score = resolveScoreOptions(options);
  const index = new GraphIndex(model, ctx.source);

  clock.begin("surgery");
  progress?.({ stage: "surgery", done: 0, total: 1 });
  const surgery = applyKeepSets(model, groups, plan.keep, ctx.source);

  clock.begin("recover");
  const recovery = await recoverModel(ctx.kernels, model, shapes, groups, plan.keep, surgery, data, {
    method: recover, samples: options.recoverSamples, positions: options.recoverPositions, ridge: options.ridge,
    seed: score.seed, threads: options.threads, onProgress: progress,
  });
  report.recovery = recovery.layers;

  clock.begin("validate");
  const pruned = surgery.model;
  const prunedIndex = new GraphIndex(pruned, `${ctx.source} (pruned)`);
  const prunedShapes = await inferShapes(pruned, { [inputName]: inputShape }, `${ctx.source} (pruned)`);
  const after = countModel(prunedIndex, prunedShapes);
  report.after = { params: after.params, macs: after.macs };
  const checkSamples = Math.min(options.validateSamples ?? 16, data.count);
  const check = await evaluate(pruned, data, `${ctx.source} (pruned)`, { reference: model, samples: checkSamples, batchSize: checkSamples, threads: options.threads, latencyRuns: 0 });
  const outputsFinite = Number.isFinite(check.meanAbsDiff ?? NaN);
  report.validation = { samples: checkSamples, outputsFinite, top1Agreement: check.agreement ?? 0, meanAbsDiff: check.meanAbsDiff ?? NaN };
  if (!outputsFinite) throw new RuntimeFailureError(`${ctx.source}: the pruned model produced non-finite outputs on calibration data; nothing written`);
  for (const o of index.graph.output) {
    const a = shapes.get(o.name ?? "")?.join("×");
    const b = prunedShapes.get(o.name ?? "")?.join("×");
    if (a !== b) throw new RuntimeFailureError(`${ctx.source}: pruning changed graph output '${o.name}' from ${a} to ${b}; nothing written`);
  }
  clock.end();
  report.timings.push(...clock.timings);
  return { model: pruned, report, groups };
}

function planOptionsOf(o: PlanOptions): PlanOptions {
  const { ratio, residualScale, ratioFor, ignore, roundTo, minChannels, maxRatio, global, targetMacs, targetParams } = o;
  // The report records the effective values, so a run can be repeated from its report.
  return { ratio: ratio ?? (global ? undefined : DEFAULT_RATIO), residualScale: residualScale ?? (global ? undefined : DEFAULT_RESIDUAL_SCALE), ratioFor, ignore, roundTo, minChannels, maxRatio, global, targetMacs, targetParams };
}
