/** Runs the built CLI (build/node/cli.js via bin/onnx-prune.mjs) in a child process. */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function ensureBuilt(): void {
  if (!existsSync("build/node/cli.js") || !existsSync("build/kernels.wasm")) {
    execFileSync("npm", ["run", "build"], { stdio: "ignore" });
  }
}

export function runCli(args: string[], timeoutMs = 120_000): CliResult {
  const r = spawnSync(process.execPath, ["bin/onnx-prune.mjs", ...args], { encoding: "utf8", timeout: timeoutMs });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
