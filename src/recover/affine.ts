/**
 * Folded-BN affine correction: PyTorch exports fold BatchNorm into Conv, so "re-estimate BN"
 * becomes: per output channel, scale and shift the layer so that its pre-activation mean and
 * standard deviation over the calibration data match the original model's.
 */
import type { CalibrationSet } from "../data/calibration.js";
import type { GraphIndex } from "../graph/graph-index.js";
import type { ModelProto } from "../onnx/proto.js";
import { streamPaired } from "./paired-stream.js";
import type { RecoveryTarget } from "./targets.js";
import { applyAffine } from "./weights.js";
import type { FitError } from "./lsq.js";

class ChannelMoments {
  readonly sum: Float64Array;
  readonly sumSq: Float64Array;
  count = 0;
  constructor(readonly channels: number) {
    this.sum = new Float64Array(channels);
    this.sumSq = new Float64Array(channels);
  }
  add(data: Float32Array, n: number, fullC: number, pick: readonly number[] | null): void {
    const plane = data.length / (n * fullC);
    for (let s = 0; s < n; s++) {
      for (let j = 0; j < this.channels; j++) {
        const c = pick ? pick[j]! : j;
        const base = (s * fullC + c) * plane;
        let a = 0;
        let b = 0;
        for (let p = 0; p < plane; p++) {
          const v = data[base + p]!;
          a += v;
          b += v * v;
        }
        this.sum[j] += a;
        this.sumSq[j] += b;
      }
    }
    this.count += n * plane;
  }
  mean(): Float64Array {
    return this.sum.map((v) => v / this.count);
  }
  std(): Float64Array {
    return this.sum.map((v, j) => Math.sqrt(Math.max(0, this.sumSq[j]! / this.count - (v / this.count) ** 2)));
  }
}

export async function affineCorrect(
  original: ModelProto, pruned: ModelProto, prunedIndex: GraphIndex, t: RecoveryTarget, data: CalibrationSet,
  o: { samples: number; batchSize: number; threads?: number },
): Promise<FitError> {
  const cout = t.keptOutputs.length;
  // The layer's own output, not the residual sum: its statistics are what BN normalised.
  const keptOwn = t.keptOutputs; // an Add keeps the same channel indices as its inputs
  const mo = new ChannelMoments(cout);
  const mp = new ChannelMoments(cout);
  await streamPaired(original, pruned, data, [t.output], [t.output], { ...o, label: t.name }, (b) => {
    const yo = b.original.get(t.output)!;
    const yp = b.pruned.get(t.output)!;
    mo.add(yo.data, b.n, yo.dims[1]!, keptOwn);
    mp.add(yp.data, b.n, yp.dims[1]!, null);
  });
  const so = mo.std();
  const sp = mp.std();
  const muO = mo.mean();
  const muP = mp.mean();
  // A channel the pruned model made constant cannot be rescaled: shift only.
  const scale = so.map((s, j) => (sp[j]! > 1e-8 * Math.max(1, s) ? s / sp[j]! : 1));
  let before = 0;
  let norm = 0;
  for (let j = 0; j < cout; j++) {
    before += (muO[j]! - muP[j]!) ** 2 + (so[j]! - sp[j]!) ** 2;
    norm += muO[j]! ** 2 + so[j]! ** 2;
  }
  applyAffine(prunedIndex, t, scale, muP, muO);
  return { before: Math.sqrt(before / Math.max(norm, 1e-30)), after: 0 };
}
