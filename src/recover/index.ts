/**
 * Training-free recovery after surgery (METHOD.md "Recovery without training"):
 * - `lsq`: least-squares re-fit of every Conv/Gemm/MatMul downstream of a pruned channel, in
 *   execution order, each fitted on the input the already-recovered pruned model feeds it;
 * - `affine`: per-channel mean/std matching of the same layers (folded-BN re-calibration);
 * - `bias`: fold removed channels' mean contribution into consumer biases;
 * - BatchNormalization re-calibration whenever BN nodes remain (all methods but `none`);
 * - `auto`: BN re-calibration + `lsq` (the best measured in docs/ACCURACY.md).
 */
import type { CalibrationSet } from "../data/calibration.js";
import { UsageError } from "../errors.js";
import { GraphIndex } from "../graph/graph-index.js";
import { inferShapes, type ShapeMap } from "../graph/shapes.js";
import type { ChannelGroup, KeepSets, SurgeryResult } from "../groups/types.js";
import type { Kernels } from "../kernels/index.js";
import type { ModelProto } from "../onnx/proto.js";
import type { ProgressCallback } from "../pipeline/progress.js";
import type { RecoveryLayerReport } from "../report/types.js";
import { affineCorrect } from "./affine.js";
import { recalibrateBatchNorm } from "./batchnorm.js";
import { compensateBiases } from "./bias.js";
import { ChannelMap } from "./channel-map.js";
import { fitLayer, planSampling, sampledTargetBytes, sampleOriginalTargets, type LsqOptions, type Sampling } from "./lsq.js";
import { affectedNodes, recoveryTargets } from "./targets.js";

export const RECOVERY_METHODS = ["none", "bias", "affine", "lsq", "auto"] as const;
export type RecoveryMethod = (typeof RECOVERY_METHODS)[number];

export interface RecoveryOptions {
  method: RecoveryMethod;
  /** Calibration samples used for recovery (capped by the data). Default 1024. */
  samples?: number;
  /** Output positions sampled per image for convolution fits. Default 64. */
  positions?: number;
  /** Ridge λ relative to the mean diagonal of XᵀX. Default 1e-3. */
  ridge?: number;
  batchSize?: number;
  seed?: number;
  threads?: number;
  onProgress?: ProgressCallback;
}

export const DEFAULT_RECOVERY = { samples: 1024, positions: 64, ridge: 1e-3 } as const;

export interface RecoveryResult {
  layers: RecoveryLayerReport[];
}

/** Mutates `surgery.model` in place (it is the tool's own copy). */
export async function recoverModel(
  kernels: Kernels, original: ModelProto, originalShapes: ShapeMap, groups: readonly ChannelGroup[], keep: KeepSets,
  surgery: SurgeryResult, data: CalibrationSet, o: RecoveryOptions,
): Promise<RecoveryResult> {
  if (!(RECOVERY_METHODS as readonly string[]).includes(o.method)) {
    throw new UsageError(`--recover must be one of ${RECOVERY_METHODS.join(", ")}, not '${o.method}'`);
  }
  const layers: RecoveryLayerReport[] = [];
  if (o.method === "none" || keep.size === 0) return { layers };
  const pruned = surgery.model;
  const samples = Math.min(o.samples ?? DEFAULT_RECOVERY.samples, data.count);
  const batchSize = o.batchSize ?? 32;
  const stream = { samples, batchSize, threads: o.threads };
  const originalIndex = new GraphIndex(original, "original");
  let prunedIndex = new GraphIndex(pruned, "pruned");
  const channels = new ChannelMap(groups, keep, originalShapes);
  const changedWeights = new Set<string>();
  for (const t of pruned.graph!.initializer) {
    const before = originalIndex.initializer(t.name ?? "");
    if (before && before.dims.map(Number).join() !== t.dims.map(Number).join()) changedWeights.add(t.name ?? "");
  }
  const affected = affectedNodes(prunedIndex, (t) => channels.changed(t), changedWeights);

  if (o.method === "bias") {
    const shifts = await compensateBiases(original, originalIndex, prunedIndex, surgery.consumers, channels, data, stream);
    for (const s of shifts) layers.push({ node: s.node, op: s.op, method: "bias", errorBefore: NaN, errorAfter: NaN });
  } else {
    await refitLayers();
  }
  await recalibrate();
  return { layers };

  async function refitLayers(): Promise<void> {
    const prunedShapes = await inferShapes(pruned, { [prunedIndex.runtimeInputs[0]!]: [1, ...data.sampleShape] }, "pruned");
    const targets = recoveryTargets(prunedIndex, prunedShapes, channels, affected);
    const active = targets.filter((t) => !t.skip);
    for (const t of targets) {
      if (t.skip) layers.push({ node: t.name, op: t.op, method: `skipped: ${t.skip}`, errorBefore: NaN, errorAfter: NaN });
    }
    const lsq: LsqOptions = {
      samples, positions: o.positions ?? DEFAULT_RECOVERY.positions, ridge: o.ridge ?? DEFAULT_RECOVERY.ridge,
      batchSize, seed: o.seed ?? 0, threads: o.threads,
    };
    const samplings = active.map((t) => planSampling(t, samples, lsq));
    // The original model's targets are read for a wave of layers in one pass, within this budget.
    const cacheBudget = 256 * 2 ** 20;
    let cached: { from: number; values: Float32Array[] } = { from: 0, values: [] };
    for (const [k, t] of active.entries()) {
      o.onProgress?.({ stage: "recover", done: k, total: active.length, detail: t.name });
      if (o.method === "affine") {
        if (t.op === "MatMul") {
          layers.push({ node: t.name, op: t.op, method: "skipped: MatMul has no bias to shift", errorBefore: NaN, errorAfter: NaN });
          continue;
        }
        const e = await affineCorrect(original, pruned, prunedIndex, t, data, stream);
        layers.push({ node: t.name, op: t.op, method: "affine", errorBefore: e.before, errorAfter: e.after });
      } else {
        if (k >= cached.from + cached.values.length) {
          let end = k;
          let bytes = 0;
          while (end < active.length && (end === k || bytes + sampledTargetBytes(active[end]!, samplings[end]!) <= cacheBudget)) {
            bytes += sampledTargetBytes(active[end]!, samplings[end]!);
            end++;
          }
          cached = { from: k, values: await sampleOriginalTargets(original, pruned, active.slice(k, end), samplings.slice(k, end) as Sampling[], data, lsq) };
        }
        const e = await fitLayer(kernels, original, pruned, prunedIndex, t, samplings[k]!, cached.values[k - cached.from]!, data, lsq);
        layers.push({ node: t.name, op: t.op, method: t.residual ? "lsq (residual sum)" : "lsq", errorBefore: e.before, errorAfter: e.after });
      }
      // A bias may have been added: refresh the index so later steps see it.
      prunedIndex = new GraphIndex(pruned, "pruned");
    }
    o.onProgress?.({ stage: "recover", done: active.length, total: active.length });
  }

  /**
   * BN nodes that survive in the graph are re-calibrated last, in order, on the pruned model as
   * the other methods left it (re-fitted layers restore their outputs, so a BN after them keeps
   * its statistics unless its input still differs).
   */
  async function recalibrate(): Promise<void> {
    prunedIndex = new GraphIndex(pruned, "pruned");
    const bnNodes = prunedIndex.order.filter((i) => affected.has(i) && prunedIndex.nodes[i]!.opType === "BatchNormalization");
    for (const [k, i] of bnNodes.entries()) {
      o.onProgress?.({ stage: "recover", done: k, total: bnNodes.length, detail: `BN ${prunedIndex.nodeName(i)}` });
      if (await recalibrateBatchNorm(original, pruned, prunedIndex, i, channels, data, stream)) {
        layers.push({ node: prunedIndex.nodeName(i), op: "BatchNormalization", method: "bn-recalibration", errorBefore: NaN, errorAfter: NaN });
      }
    }
  }
}
