// Bundles the library and CLI for Node, and the library, the pruning worker and the web page for
// browsers, with esbuild. Browser sizes are written to build/browser/sizes.json (see docs/BROWSER.md).
import { build } from "esbuild";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";

mkdirSync("build/node", { recursive: true });
mkdirSync("build/browser", { recursive: true });

const common = {
  bundle: true,
  format: "esm",
  target: "es2022",
  sourcemap: true,
  logLevel: "warning",
};

await build({
  ...common,
  platform: "node",
  entryPoints: { cli: "src/cli/main.ts", index: "src/index.node.ts" },
  outdir: "build/node",
  packages: "external",
});

// ---- browsers ----
// build/kernels.wasm is served beside the bundles and fetched relative to them (see
// src/platform/browser/kernels.ts), like onnxruntime's own .wasm.
copyFileSync("build/kernels.wasm", "build/browser/kernels.wasm");

// ORT's wasm glue is loaded at run time from env.wasm.wasmPaths (set by src/platform/browser/runtime.ts
// to the bundle's folder), so it is copied beside the bundles rather than bundled.
const ortDist = "node_modules/onnxruntime-web/dist";
for (const f of ["ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm"]) copyFileSync(`${ortDist}/${f}`, `build/browser/${f}`);

const result = await build({
  ...common,
  platform: "browser",
  minify: true,
  metafile: true,
  entryPoints: {
    index: "src/platform/browser/index.ts",
    worker: "src/platform/browser/worker.ts",
    app: "src/web/app.ts",
  },
  outdir: "build/browser",
  // The wasm-only ORT build, in its "extern wasm" flavour: the glue .mjs is fetched, not inlined.
  alias: { "onnxruntime-web": "onnxruntime-web/wasm" },
  conditions: ["onnxruntime-web-use-extern-wasm"],
  loader: { ".wasm": "binary" },
});

// Sizes per output, split into onnxruntime-web's JS and everything else (the library's budget).
const sizes = {};
for (const [file, out] of Object.entries(result.metafile.outputs)) {
  if (!file.endsWith(".js")) continue;
  let ort = 0;
  for (const [input, info] of Object.entries(out.inputs)) if (input.includes("node_modules/onnxruntime-web/")) ort += info.bytesInOutput;
  sizes[file.replace("build/browser/", "")] = { total: out.bytes, ortJs: ort, library: out.bytes - ort };
}
writeFileSync("build/browser/sizes.json", `${JSON.stringify(sizes, null, 1)}\n`);
