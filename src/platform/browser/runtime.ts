/**
 * Browser edge for onnxruntime-web: tools/build.mjs copies ORT's glue (ort-wasm-simd-threaded.mjs
 * and .wasm) beside the bundles in build/browser/, so ORT is told to look beside this module.
 */
import { setRuntimeAssetPaths } from "../../runtime/ort.js";

let configured = false;

/** Points ORT at `prefix` (a URL ending in "/"), by default the folder this bundle was loaded from. */
export function configureRuntime(prefix?: string): void {
  if (configured && prefix === undefined) return;
  setRuntimeAssetPaths(prefix ?? new URL("./", import.meta.url).href);
  configured = true;
}
