/** Shared helpers for the reliability tests: temp folders, the built CLI, small .npy files. */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { encodeNpy } from "../../src/data/npy.js";
import { encodeModel } from "../../src/onnx/model-io.js";
import type { ModelProto } from "../../src/onnx/proto.js";
import { SeededRandom } from "../../src/util/random.js";

export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
const CLI = path.join(ROOT, "bin/onnx-prune.mjs");

/** `npm test` builds first; a lone `vitest run` builds the JS bundle (esbuild, a second) if missing. */
export function ensureCliBuilt(): void {
  if (fs.existsSync(path.join(ROOT, "build/node/cli.js"))) return;
  const r = spawnSync(process.execPath, ["tools/build.mjs"], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`building the CLI failed: ${r.stderr}`);
}

export interface CliResult { status: number | null; stdout: string; stderr: string }

export function runCli(args: string[], cwd: string): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: "utf8", timeout: 120_000, env: { ...process.env, NO_COLOR: "1" } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function stderrLines(r: CliResult): string[] {
  return r.stderr.split("\n").filter((l) => l.length > 0);
}

export function makeTmp(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `onnx-prune-${prefix}-`));
}

export function writeModel(file: string, model: ModelProto | Uint8Array): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, model instanceof Uint8Array ? model : encodeModel(model));
  return file;
}

/** Seeded float32 NCHW calibration samples. */
export function writeNpy(file: string, shape: number[], seed = 1, fill?: (i: number) => number): string {
  const rng = new SeededRandom(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = fill ? fill(i) : rng.next();
  fs.writeFileSync(file, encodeNpy({ dtype: "float32", shape, data }));
  return file;
}

/** Every file in a folder tree (relative names), to check that nothing was left behind. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(d, e.name), r);
      else out.push(r);
    }
  };
  walk(dir, "");
  return out.sort();
}
