// Bundles the library and CLI for Node (and, with the browser work, for browsers) with esbuild.
import { build } from "esbuild";
import { mkdirSync } from "node:fs";

mkdirSync("build/node", { recursive: true });

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
