/**
 * The one place that talks to onnxruntime-web. Node resolves "onnxruntime-web" (its Node build);
 * the browser bundle maps the same import to "onnxruntime-web/wasm" (tools/build.mjs).
 */
import * as ort from "onnxruntime-web";
import { RuntimeFailureError, UsageError } from "../errors.js";

export type OrtTensor = ort.Tensor;
export type Feeds = Record<string, ort.Tensor>;

export interface RuntimeOptions {
  /** onnxruntime's intra-op threads (wasm threads); 1 is deterministic and safe everywhere. */
  threads?: number;
  /** "disabled" keeps every node, so intermediate tensors can be read exactly as exported. */
  optimization?: "disabled" | "basic" | "extended" | "all";
}

let configuredThreads: number | undefined;

/**
 * Sets onnxruntime's thread count. ORT reads env.wasm once, when its wasm backend first starts,
 * so callers with a --threads option call this before any session exists; later calls with a
 * different count are refused rather than silently ignored.
 */
export function configureRuntime(threads: number): void {
  if (!Number.isInteger(threads) || threads < 1) throw new UsageError(`--threads must be a positive integer, got ${threads}`);
  if (configuredThreads === undefined) {
    ort.env.wasm.numThreads = threads;
    // Our errors name the model and node; ORT's own log lines would add a second line.
    ort.env.logLevel = "fatal";
    configuredThreads = threads;
  } else if (configuredThreads !== threads) {
    throw new UsageError(`onnxruntime already runs with ${configuredThreads} thread(s) in this process; cannot switch to ${threads}`);
  }
}

function configure(threads: number | undefined): void {
  if (configuredThreads === undefined) configureRuntime(threads ?? 1);
  else if (threads !== undefined) configureRuntime(threads);
}

export class ModelSession {
  private constructor(private readonly session: ort.InferenceSession, readonly label: string) {}

  static async create(bytes: Uint8Array, label: string, options: RuntimeOptions = {}): Promise<ModelSession> {
    configure(options.threads);
    try {
      const session = await ort.InferenceSession.create(bytes, {
        graphOptimizationLevel: options.optimization ?? "all",
        executionProviders: ["wasm"],
        logSeverityLevel: 4, // fatal only: failures surface as our one-line typed errors
      });
      return new ModelSession(session, label);
    } catch (e) {
      throw new RuntimeFailureError(`${label}: onnxruntime could not load the model (${firstLine(e)})`);
    }
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  async run(feeds: Feeds, fetches?: readonly string[]): Promise<Record<string, ort.Tensor>> {
    try {
      const quiet = { logSeverityLevel: 4 as const };
      return fetches ? await this.session.run(feeds, fetches as string[], quiet) : await this.session.run(feeds, quiet);
    } catch (e) {
      throw new RuntimeFailureError(`${this.label}: onnxruntime failed to run the model (${firstLine(e)})`);
    }
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

export function floatTensor(data: Float32Array, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor("float32", data, dims as number[]);
}

export function tensorData(t: ort.Tensor, name: string): Float32Array {
  if (t.type !== "float32") {
    throw new RuntimeFailureError(`tensor '${name}' is ${t.type}, expected float32`);
  }
  return t.data as Float32Array;
}

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split("\n")[0]!.slice(0, 400);
}

/**
 * Where onnxruntime-web fetches its own wasm glue (ort-wasm-simd-threaded.mjs/.wasm): a URL prefix
 * ending in "/". Only the browser platform edge calls this (src/platform/browser/runtime.ts); Node
 * finds the files inside node_modules by itself. Must run before the first session is created.
 */
export function setRuntimeAssetPaths(prefix: string): void {
  ort.env.wasm.wasmPaths = prefix;
}
