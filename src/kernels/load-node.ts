/**
 * Node-only loading of build/kernels.wasm. Kept out of kernels.ts so that browser bundles never
 * see node:fs; the platform layer may also read the bytes itself and pass them in.
 */
import { readFile } from "node:fs/promises";
import { loadKernels, type Kernels } from "./kernels.js";

/**
 * Where the wasm can be relative to this module: from src/kernels/ (tsx, vitest) it is
 * ../../build/kernels.wasm; bundled by esbuild into build/node/*.js it is ../kernels.wasm.
 */
export function kernelWasmCandidates(): URL[] {
  return [
    new URL("../../build/kernels.wasm", import.meta.url),
    new URL("../kernels.wasm", import.meta.url),
    new URL("./kernels.wasm", import.meta.url),
  ];
}

export async function readKernelWasm(): Promise<Uint8Array> {
  const tried: string[] = [];
  for (const url of kernelWasmCandidates()) {
    try {
      return new Uint8Array(await readFile(url));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      tried.push(url.pathname);
    }
  }
  throw new Error(`kernels.wasm not found (run "npm run build:wasm"); looked in: ${tried.join(", ")}`);
}

/** Loads the kernels in Node: from `wasmBytes` when the caller has them, else from disk. */
export async function loadKernelsNode(wasmBytes?: Uint8Array): Promise<Kernels> {
  return loadKernels(wasmBytes ?? (await readKernelWasm()));
}
