/**
 * Shared test setup: the tests never build anything themselves unless build/kernels.wasm is
 * missing (npm test builds first); then they compile it once with asc.
 */
import { execSync } from "node:child_process";
import { existsSync, renameSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { loadKernelsNode } from "../../src/kernels/load-node.js";
import type { Kernels } from "../../src/kernels/kernels.js";

const root = fileURLToPath(new URL("../../", import.meta.url));

export async function kernelsForTest(): Promise<Kernels> {
  const target = `${root}build/kernels.wasm`;
  if (!existsSync(target)) {
    // Test files run in parallel workers: each builds to its own file and renames it into place
    // (atomic), so no worker ever reads a half-written module.
    const own = `build/kernels.${process.pid}.wasm`;
    execSync(`npx asc assembly/index.ts --target release --outFile ${own} --textFile build/kernels.${process.pid}.wat`, { cwd: root, stdio: "inherit" });
    renameSync(`${root}${own}`, target);
    rmSync(`${root}build/kernels.${process.pid}.wat`, { force: true });
  }
  return loadKernelsNode();
}

/** |actual − expected| ≤ rel·max(|expected|, scale) elementwise; returns the worst offender. */
export function worstMismatch(actual: ArrayLike<number>, expected: ArrayLike<number>, rel: number, scale = 0): string | null {
  if (actual.length !== expected.length) return `length ${actual.length} ≠ ${expected.length}`;
  let worst: string | null = null;
  let worstRatio = 1;
  for (let i = 0; i < expected.length; i++) {
    const tol = rel * Math.max(Math.abs(expected[i]), scale);
    const err = Math.abs(actual[i] - expected[i]);
    const ratio = tol > 0 ? err / tol : err > 0 ? Infinity : 0;
    if (!(ratio <= worstRatio)) {
      worstRatio = ratio;
      worst = `[${i}] got ${actual[i]}, expected ${expected[i]} (error ${err.toExponential(2)}, tolerance ${tol.toExponential(2)})`;
    }
  }
  return worst;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}
