#!/usr/bin/env node
// Thin launcher: the CLI is bundled into build/node/cli.js by `npm run build` (run by `npm ci`).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const cli = new URL("../build/node/cli.js", import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  console.error("onnx-prune: build/node/cli.js is missing; run `npm run build` first");
  process.exit(1);
}
const { main } = await import(cli.href);
process.exitCode = await main(process.argv.slice(2));
