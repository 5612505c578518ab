/**
 * Browser edge for the WASM kernels: build/browser/kernels.wasm is served beside the bundle (as
 * onnxruntime's own .wasm is) and fetched relative to it, which keeps it out of the library's JS
 * budget; the module is compiled once per realm.
 */
import { loadKernels, type Kernels, type KernelSource } from "../../kernels/index.js";

let compiled: Promise<WebAssembly.Module> | undefined;

async function compileBesideBundle(): Promise<WebAssembly.Module> {
  const url = new URL("./kernels.wasm", import.meta.url);
  const response = await fetch(url);
  if (!response.ok) throw new Error(`kernels.wasm: ${response.status} ${response.statusText} at ${url.href} (serve it beside the bundle)`);
  return WebAssembly.compile(await response.arrayBuffer());
}

/** Loads the kernels from kernels.wasm beside the bundle, or from `source` when the caller has the bytes. */
export async function loadKernelsBrowser(source?: KernelSource): Promise<Kernels> {
  if (source) return loadKernels(source);
  compiled ??= compileBesideBundle();
  return loadKernels(await compiled);
}
