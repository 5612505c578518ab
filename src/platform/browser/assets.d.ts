/** build/kernels.wasm, inlined into the browser bundles by tools/build.mjs (esbuild `binary` loader). */
declare module "onnx-prune:kernels-wasm" {
  const bytes: Uint8Array;
  export default bytes;
}
