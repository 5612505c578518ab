/**
 * Typed wrapper around the WASM kernels (assembly/). Platform-free: it takes the module bytes or a
 * compiled WebAssembly.Module; src/kernels/load-node.ts finds the bytes on disk in Node, the
 * browser/platform layer passes fetched bytes.
 *
 * Memory: see arena.ts. Every handle (layer accumulator, normal equations) owns its blocks and
 * frees them in dispose(); results are copied out into ordinary typed arrays.
 */
import { DataError, UsageError } from "../errors.js";
import { WasmArena } from "./arena.js";
import {
  selectChannels,
  type MatrixOps,
  type SelectionInput,
  type SelectionResult,
  type SubstitutabilityBackend,
} from "./selection.js";

/** The raw exports of build/kernels.wasm (pointers are byte offsets into `memory`). */
export interface KernelExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  accumulateSampleStats(
    x: number, channels: number, spatial: number, bins: number, histogram: number,
    centred: number, mean: number, variance: number, acc: number,
  ): void;
  /** Bytes of scratch the Gram kernels need (symmetric: 1 for X·Xᵀ, 0 for A·Bᵀ). */
  gramScratchBytes(aRows: number, bRows: number, len: number, symmetric: number): number;
  gramSimd(x: number, rows: number, len: number, out: number, scratch: number): void;
  gramScalar(x: number, rows: number, len: number, out: number): void;
  gramAccumulateF64(a: number, rows: number, len: number, stride: number, acc: number, accStride: number, scratch: number): void;
  crossAccumulateF64(
    a: number, aRows: number, b: number, bRows: number, len: number, stride: number, acc: number, accStride: number,
    scratch: number,
  ): void;
  accumulateSampleDistances(
    x: number, gram: number, channels: number, spatial: number, mean: number, variance: number,
    kind: number, constantEps: number, distAcc: number, gcAcc: number, rawAcc: number, scratch: number,
  ): void;
  nearestRows(dist: number, channels: number, kept: number, rows: number, score: number, nearest: number): void;
  meanRows(dist: number, channels: number, kept: number, rows: number, score: number): void;
  knnRows(
    dist: number, channels: number, kept: number, rows: number, neighbours: number, scratch: number,
    score: number, kth: number,
  ): void;
  regressionScores(precision: number, gram: number, channels: number, kept: number, ridge: number, score: number): void;
  precisionRemove(precision: number, channels: number, kept: number, r: number): void;
  transposeF32(src: number, rows: number, cols: number, dst: number): void;
  saveDiagonal(a: number, n: number, diag: number): void;
  restoreDiagonal(a: number, n: number, diag: number): void;
  choleskyInPlace(a: number, n: number, diag: number, shift: number, scratch: number): number;
  forwardSubstitute(l: number, n: number, rhs: number, count: number, scratch: number): void;
  backSubstitute(l: number, n: number, rhs: number, count: number, scratch: number): void;
}

export type DistanceKind = "euclidean" | "cosine" | "correlation";

const DISTANCE_CODES: Record<DistanceKind, number> = { euclidean: 0, cosine: 1, correlation: 2 };

/** Must match assembly/stats.ts. */
const STAT_FIELDS = 7;
const HISTOGRAM_COPIES = 4;
const enum Stat { Std = 0, Mean = 1, MeanSq = 2, L1 = 3, L2 = 4, Positive = 5, Entropy = 6 }

export interface LayerAccumulatorOptions {
  channels: number;
  /** M = H·W. */
  spatial: number;
  distance: DistanceKind;
  /** Bins of the per-map entropy histogram over [min, max] of each map; 0 skips entropy. Default 32. */
  histogramBins?: number;
  /** Also sum the centred and raw Gram matrices (needed by `regression`). Default true. */
  accumulateGram?: boolean;
  /**
   * A map is constant (correlation distance) when its variance ≤ constantEpsilon·mean²,
   * i.e. relative std ≤ 1e-5 by default (float32 maps carry ~7 significant digits). Default 1e-10.
   */
  constantEpsilon?: number;
}

/** Per-channel activeness variants, each the mean over samples (Float64Array(C)). */
export interface ActivenessVariants {
  /** Population standard deviation of the map. */
  std: Float64Array;
  /** ‖f‖₁ / M. */
  l1: Float64Array;
  /** ‖f‖₂ / √M. */
  l2: Float64Array;
  /** Fraction of values > 0 (1 − APoZ). */
  nonzero: Float64Array;
  /** Entropy in nats of the map's `histogramBins`-bin histogram over its own [min, max]. */
  entropy: Float64Array;
}

export interface LayerStatistics {
  channels: number;
  spatial: number;
  samples: number;
  distanceKind: DistanceKind;
  activeness: ActivenessVariants;
  /** Mean over samples of each map's mean (the value bias compensation folds in). */
  channelMean: Float64Array;
  /** Mean over samples of each map's mean². */
  channelMeanSquare: Float64Array;
  /** D(i, j): C×C row-major, symmetric, zero diagonal, mean over samples. */
  distance: Float64Array;
  /** Σ over samples of the per-sample centred Gram (maps minus their own mean), C×C, or null. */
  gramCentredSum: Float64Array | null;
  /** Σ over samples of the raw Gram X·Xᵀ, C×C, or null. */
  gramRawSum: Float64Array | null;
}

export interface LayerAccumulator {
  readonly channels: number;
  readonly spatial: number;
  readonly samples: number;
  /** Adds n samples of N×C×M float32 (NCHW) maps; copies each sample once into wasm memory. */
  addBatch(data: Float32Array, n: number): void;
  /** Current results (can be called again after more batches). */
  finalize(): LayerStatistics;
  dispose(): void;
}

export interface NormalEquations {
  readonly inputs: number;
  readonly outputs: number;
  readonly rows: number;
  /** Adds rows of X (rows×K float32) and Y (rows×O float32) to XᵀX and XᵀY (float64). */
  addRows(x: Float32Array, y: Float32Array, rows: number): void;
  /**
   * W (K×O row-major, Y ≈ X·W) solving (XᵀX + λ·I)·W = XᵀY by Cholesky, λ = ridge·mean(diag XᵀX).
   * Non-destructive: more rows may be added and solve() called again.
   */
  solve(ridge: number): Float64Array;
  dispose(): void;
}

export interface Kernels {
  readonly exports: KernelExports;
  readonly arena: WasmArena;
  createLayerAccumulator(options: LayerAccumulatorOptions): LayerAccumulator;
  normalEquations(inputs: number, outputs: number): NormalEquations;
  /** Channel removal by importance (activeness × substitutability), greedy or one-shot. */
  selectChannels(input: SelectionInput): SelectionResult;
}

export type KernelSource = Uint8Array | ArrayBuffer | WebAssembly.Module;

/** Compiles (if needed) and instantiates the kernels; each call gets its own memory. */
export async function loadKernels(source: KernelSource): Promise<Kernels> {
  const module = source instanceof WebAssembly.Module ? source : await WebAssembly.compile(source as BufferSource);
  const instance = await WebAssembly.instantiate(module, KERNEL_IMPORTS);
  return wrapKernels(instance.exports as unknown as KernelExports);
}

/** Synchronous variant for an already compiled module (e.g. inside a worker). */
export function instantiateKernels(module: WebAssembly.Module): Kernels {
  return wrapKernels(new WebAssembly.Instance(module, KERNEL_IMPORTS).exports as unknown as KernelExports);
}

/** The stub runtime imports only abort (unreachable with noAssert, kept for debug builds). */
const KERNEL_IMPORTS: WebAssembly.Imports = {
  env: {
    abort: (): never => {
      throw new Error("kernels.wasm aborted");
    },
  },
};

function wrapKernels(exports: KernelExports): Kernels {
  const arena = new WasmArena(exports.memory, exports.heapBase());
  const kernels: Kernels = {
    exports,
    arena,
    createLayerAccumulator: (options) => new WasmLayerAccumulator(exports, arena, options),
    normalEquations: (inputs, outputs) => new WasmNormalEquations(exports, arena, inputs, outputs),
    selectChannels: (input) => selectChannels(input, new WasmSubstitutability(exports, arena)),
  };
  return kernels;
}

function checkPositiveInt(name: string, v: number): void {
  if (!Number.isInteger(v) || v <= 0) throw new UsageError(`kernels: ${name} must be a positive integer, got ${v}`);
}

class WasmLayerAccumulator implements LayerAccumulator {
  readonly channels: number;
  readonly spatial: number;
  samples = 0;
  private readonly kind: DistanceKind;
  private readonly bins: number;
  private readonly epsilon: number;
  private readonly withGram: boolean;
  private readonly ptr: {
    input: number; centred: number; gram: number; gramScratch: number; pairScratch: number; mean: number; variance: number;
    histogram: number; stats: number; dist: number; gc: number; raw: number;
  };
  private disposed = false;

  constructor(private readonly k: KernelExports, private readonly arena: WasmArena, o: LayerAccumulatorOptions) {
    checkPositiveInt("channels", o.channels);
    checkPositiveInt("spatial", o.spatial);
    if (!(o.distance in DISTANCE_CODES)) throw new UsageError(`kernels: unknown distance "${o.distance}"`);
    this.channels = o.channels;
    this.spatial = o.spatial;
    this.kind = o.distance;
    this.bins = o.histogramBins ?? 32;
    if (!Number.isInteger(this.bins) || this.bins < 0) throw new UsageError(`kernels: histogramBins must be ≥ 0, got ${this.bins}`);
    this.epsilon = o.constantEpsilon ?? 1e-10;
    this.withGram = o.accumulateGram ?? true;
    const c = this.channels, map = c * this.spatial;
    this.ptr = {
      input: arena.alloc(map * 4),
      centred: arena.alloc(map * 4),
      gram: arena.alloc(c * c * 4),
      gramScratch: arena.alloc(k.gramScratchBytes(c, c, this.spatial, 1)),
      pairScratch: arena.alloc(c * 16),
      mean: arena.alloc(c * 8),
      variance: arena.alloc(c * 8),
      histogram: arena.alloc(Math.max(1, this.bins) * 4 * HISTOGRAM_COPIES),
      stats: arena.allocZeroed(c * STAT_FIELDS * 8),
      dist: arena.allocZeroed(c * c * 8),
      gc: this.withGram ? arena.allocZeroed(c * c * 8) : 0,
      raw: this.withGram ? arena.allocZeroed(c * c * 8) : 0,
    };
  }

  addBatch(data: Float32Array, n: number): void {
    if (this.disposed) throw new UsageError("kernels: layer accumulator used after dispose()");
    const map = this.channels * this.spatial;
    if (!Number.isInteger(n) || n < 0 || data.length < n * map) {
      throw new DataError(`kernels: batch of ${n} samples needs ${n * map} floats (C=${this.channels}, M=${this.spatial}), got ${data.length}`);
    }
    const p = this.ptr;
    const code = DISTANCE_CODES[this.kind];
    for (let s = 0; s < n; s++) {
      this.arena.f32(p.input, map).set(data.subarray(s * map, (s + 1) * map));
      this.k.accumulateSampleStats(p.input, this.channels, this.spatial, this.bins, p.histogram, p.centred, p.mean, p.variance, p.stats);
      this.k.gramSimd(p.centred, this.channels, this.spatial, p.gram, p.gramScratch);
      this.k.accumulateSampleDistances(p.input, p.gram, this.channels, this.spatial, p.mean, p.variance, code, this.epsilon, p.dist, p.gc, p.raw, p.pairScratch);
      this.samples++;
    }
  }

  finalize(): LayerStatistics {
    if (this.disposed) throw new UsageError("kernels: layer accumulator used after dispose()");
    if (this.samples === 0) throw new DataError("kernels: finalize() before any sample was added");
    const c = this.channels, n = this.samples;
    const stats = this.arena.f64(this.ptr.stats, c * STAT_FIELDS);
    const field = (f: Stat): Float64Array => {
      const out = new Float64Array(c);
      for (let i = 0; i < c; i++) out[i] = stats[i * STAT_FIELDS + f] / n;
      return out;
    };
    const distance = symmetricFromUpper(this.arena.f64(this.ptr.dist, c * c), c, 1 / n, true);
    return {
      channels: c,
      spatial: this.spatial,
      samples: n,
      distanceKind: this.kind,
      activeness: {
        std: field(Stat.Std), l1: field(Stat.L1), l2: field(Stat.L2),
        nonzero: field(Stat.Positive), entropy: field(Stat.Entropy),
      },
      channelMean: field(Stat.Mean),
      channelMeanSquare: field(Stat.MeanSq),
      distance,
      gramCentredSum: this.withGram ? symmetricFromUpper(this.arena.f64(this.ptr.gc, c * c), c, 1, false) : null,
      gramRawSum: this.withGram ? symmetricFromUpper(this.arena.f64(this.ptr.raw, c * c), c, 1, false) : null,
    };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const ptr of Object.values(this.ptr)) if (ptr !== 0) this.arena.release(ptr);
  }
}

/** Copies the upper triangle (incl. diagonal unless zeroDiagonal) of a C×C matrix into a full symmetric one. */
function symmetricFromUpper(upper: Float64Array, c: number, scale: number, zeroDiagonal: boolean): Float64Array {
  const out = new Float64Array(c * c);
  for (let i = 0; i < c; i++) {
    out[i * c + i] = zeroDiagonal ? 0 : upper[i * c + i] * scale;
    for (let j = i + 1; j < c; j++) {
      const v = upper[i * c + j] * scale;
      out[i * c + j] = v;
      out[j * c + i] = v;
    }
  }
  return out;
}

/** Rows per transposed block: long enough for SIMD, short enough that the staging stays small. */
const ROW_BLOCK = 256;

class WasmNormalEquations implements NormalEquations {
  rows = 0;
  private readonly ptr: {
    a: number; b: number; diag: number; x: number; y: number; xt: number; yt: number; scratch: number;
  };
  private disposed = false;

  constructor(
    private readonly k: KernelExports, private readonly arena: WasmArena,
    readonly inputs: number, readonly outputs: number,
  ) {
    checkPositiveInt("inputs", inputs);
    checkPositiveInt("outputs", outputs);
    this.ptr = {
      a: arena.allocZeroed(inputs * inputs * 8),
      b: arena.allocZeroed(outputs * inputs * 8), // XᵀY stored transposed: O×K
      diag: arena.alloc(inputs * 8),
      x: arena.alloc(ROW_BLOCK * inputs * 4),
      y: arena.alloc(ROW_BLOCK * outputs * 4),
      xt: arena.alloc(ROW_BLOCK * inputs * 4),
      yt: arena.alloc(ROW_BLOCK * outputs * 4),
      scratch: arena.alloc(64),
    };
  }

  addRows(x: Float32Array, y: Float32Array, rows: number): void {
    if (this.disposed) throw new UsageError("kernels: normal equations used after dispose()");
    const kIn = this.inputs, kOut = this.outputs;
    if (!Number.isInteger(rows) || rows < 0 || x.length < rows * kIn || y.length < rows * kOut) {
      throw new DataError(`kernels: addRows(${rows}) needs X ${rows}×${kIn} and Y ${rows}×${kOut}, got ${x.length} and ${y.length} floats`);
    }
    const p = this.ptr;
    for (let r0 = 0; r0 < rows; r0 += ROW_BLOCK) {
      const r = Math.min(ROW_BLOCK, rows - r0);
      this.arena.f32(p.x, r * kIn).set(x.subarray(r0 * kIn, (r0 + r) * kIn));
      this.arena.f32(p.y, r * kOut).set(y.subarray(r0 * kOut, (r0 + r) * kOut));
      // Transposed, each input (output) is one contiguous row over the block's samples, so
      // XᵀX and YᵀX become Gram-style products of rows.
      this.k.transposeF32(p.x, r, kIn, p.xt);
      this.k.transposeF32(p.y, r, kOut, p.yt);
      // No tile scratch (0): for K in the thousands it would be as large as XᵀX itself; the
      // tiles flush into the float64 sums after every cache block instead.
      this.k.gramAccumulateF64(p.xt, kIn, r, r, p.a, kIn, 0);
      this.k.crossAccumulateF64(p.yt, kOut, p.xt, kIn, r, r, p.b, kIn, 0);
    }
    this.rows += rows;
  }

  solve(ridge: number): Float64Array {
    if (this.disposed) throw new UsageError("kernels: normal equations used after dispose()");
    if (!(ridge >= 0)) throw new UsageError(`kernels: ridge must be ≥ 0, got ${ridge}`);
    const kIn = this.inputs, kOut = this.outputs, p = this.ptr;
    this.k.saveDiagonal(p.a, kIn, p.diag);
    const diag = this.arena.f64(p.diag, kIn);
    let trace = 0;
    for (let i = 0; i < kIn; i++) trace += diag[i];
    const shift = ridge * (trace / kIn);
    const work = this.arena.alloc(kOut * kIn * 8);
    try {
      this.arena.f64(work, kOut * kIn).set(this.arena.f64(p.b, kOut * kIn));
      const failed = this.k.choleskyInPlace(p.a, kIn, p.diag, shift, p.scratch);
      if (failed >= 0) {
        throw new DataError(`kernels: normal equations (${kIn} inputs, ${this.rows} rows) are not positive definite at pivot ${failed}; increase the ridge`);
      }
      this.k.forwardSubstitute(p.a, kIn, work, kOut, p.scratch);
      this.k.backSubstitute(p.a, kIn, work, kOut, p.scratch);
      const wt = this.arena.f64(work, kOut * kIn);
      const w = new Float64Array(kIn * kOut);
      for (let o = 0; o < kOut; o++) for (let i = 0; i < kIn; i++) w[i * kOut + o] = wt[o * kIn + i];
      return w;
    } finally {
      this.k.restoreDiagonal(p.a, kIn, p.diag);
      this.arena.release(work);
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const ptr of Object.values(this.ptr)) this.arena.release(ptr);
  }
}

/** The WASM row reductions the selection loop (selection.ts) calls. */
class WasmSubstitutability implements SubstitutabilityBackend {
  constructor(private readonly k: KernelExports, private readonly arena: WasmArena) {}

  withMatrices<R>(c: number, distance: Float64Array | null, gram: Float64Array | null, body: (ops: MatrixOps) => R): R {
    const a = this.arena;
    const blocks: number[] = [];
    const take = (bytes: number): number => {
      const ptr = a.alloc(bytes);
      blocks.push(ptr);
      return ptr;
    };
    try {
      const dist = distance ? take(c * c * 8) : 0;
      if (distance) a.f64(dist, c * c).set(distance);
      const g = gram ? take(c * c * 8) : 0;
      if (gram) a.f64(g, c * c).set(gram);
      const kept = take(c), rows = take(c);
      const score = take(c * 8), aux = take(c * 8), scratch = take(Math.max(64, c * 8));
      let precision = 0;
      let ridgeAbs = 0;
      const syncMasks = (keptMask: Uint8Array, rowMask: Uint8Array): void => {
        a.u8(kept, c).set(keptMask);
        a.u8(rows, c).set(rowMask);
      };
      const ops: MatrixOps = {
        nearest: (keptMask, rowMask, s, nn) => {
          syncMasks(keptMask, rowMask);
          this.k.nearestRows(dist, c, kept, rows, score, aux);
          copyRows(a.f64(score, c), s, rowMask, keptMask);
          copyRows(a.i32(aux, c), nn, rowMask, keptMask);
        },
        mean: (keptMask, rowMask, s) => {
          syncMasks(keptMask, rowMask);
          this.k.meanRows(dist, c, kept, rows, score);
          copyRows(a.f64(score, c), s, rowMask, keptMask);
        },
        knn: (keptMask, rowMask, neighbours, s, kth) => {
          syncMasks(keptMask, rowMask);
          this.k.knnRows(dist, c, kept, rows, neighbours, scratch, score, aux);
          copyRows(a.f64(score, c), s, rowMask, keptMask);
          copyRows(a.f64(aux, c), kth, rowMask, keptMask);
        },
        regressionInit: (ridge) => {
          // P = (G + εI)⁻¹ via Cholesky and the identity as right-hand sides.
          precision = take(c * c * 8);
          const work = take(c * c * 8);
          const diag = take(c * 8);
          a.f64(work, c * c).set(a.f64(g, c * c));
          this.k.saveDiagonal(work, c, diag);
          const d = a.f64(diag, c);
          let trace = 0;
          for (let i = 0; i < c; i++) trace += d[i];
          ridgeAbs = ridge * (trace / c);
          if (!(ridgeAbs > 0)) ridgeAbs = ridge > 0 ? ridge : Number.MIN_VALUE;
          const failed = this.k.choleskyInPlace(work, c, diag, ridgeAbs, scratch);
          if (failed >= 0) throw new DataError(`kernels: Gram matrix not positive definite at channel ${failed}; increase the regression ridge`);
          const id = a.f64(precision, c * c);
          id.fill(0);
          for (let i = 0; i < c; i++) id[i * c + i] = 1;
          this.k.forwardSubstitute(work, c, precision, c, scratch);
          this.k.backSubstitute(work, c, precision, c, scratch);
        },
        regressionScores: (keptMask, s) => {
          a.u8(kept, c).set(keptMask);
          this.k.regressionScores(precision, g, c, kept, ridgeAbs, score);
          copyRows(a.f64(score, c), s, keptMask, keptMask);
        },
        regressionRemove: (keptMask, r) => {
          a.u8(kept, c).set(keptMask);
          this.k.precisionRemove(precision, c, kept, r);
        },
      };
      return body(ops);
    } finally {
      for (const ptr of blocks) a.release(ptr);
    }
  }
}

function copyRows<T extends Float64Array | Int32Array>(src: T, dst: T, rowMask: Uint8Array, keptMask: Uint8Array): void {
  for (let i = 0; i < dst.length; i++) if (rowMask[i] && keptMask[i]) dst[i] = src[i];
}
