/**
 * Browser edge for the WASM kernels: the bytes of build/kernels.wasm are inlined into the bundle
 * (17 KB, so one request fewer and no path to get wrong); the module is compiled once per realm.
 */
import kernelsWasm from "onnx-prune:kernels-wasm";
import { loadKernels, type Kernels, type KernelSource } from "../../kernels/index.js";

let compiled: Promise<WebAssembly.Module> | undefined;

/** Loads the kernels from the inlined bytes, or from `source` when the caller has other bytes. */
export async function loadKernelsBrowser(source?: KernelSource): Promise<Kernels> {
  if (source) return loadKernels(source);
  compiled ??= WebAssembly.compile(kernelsWasm as BufferSource);
  return loadKernels(await compiled);
}
