/**
 * The web page in real Chromium (playwright-core driving Debian's /usr/bin/chromium; never a
 * downloaded browser): prune through the page and compare the downloaded model's SHA-256 with the
 * library in Node, run the kernels' vectors in the page and in Node, and screenshot the result.
 * Skipped, with a message, when /usr/bin/chromium is absent.
 */
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeModel, encodeNpy, inspect, loadCalibrationData, loadKernelsNode, loadModelFile, prune, type PruneOptions } from "../../src/index.node.js";
import { DEFAULT_MOUNTS, startServer } from "../../tools/serve.js";
import { zoo } from "../helpers/zoo.js";
import { kernelVectors } from "./vectors.js";

const CHROMIUM = "/usr/bin/chromium";
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const ARTIFACTS = path.join(ROOT, "test-artifacts");
const DEMO_MODEL = path.join(ROOT, "fixtures/models/demo_resnet.onnx");
const DEMO_DATA = path.join(ROOT, "fixtures/data/fmnist_calib_x.npy");
const ZOO_MODEL = path.join(ROOT, "fixtures/zoo/squeezenet1_1.onnx");
const haveChromium = existsSync(CHROMIUM);
const haveZoo = existsSync(ZOO_MODEL);

if (!haveChromium) console.warn(`test/browser: skipped — ${CHROMIUM} not found (apt-get install chromium to run the browser tests)`);

/** The options the test sets in the page, and passes to prune() in Node. */
const OPTIONS = { criterion: "actsub", ratio: 0.5, recover: "lsq", samples: 64, recoverSamples: 64, threads: 1 } satisfies PruneOptions;
/** The same for the torchvision model: 8 random 3×224×224 images keep it to a minute or two. */
const ZOO_OPTIONS = { criterion: "actsub", ratio: 0.5, recover: "lsq", samples: 8, recoverSamples: 8, threads: 1 } satisfies PruneOptions;

type Options = typeof OPTIONS | typeof ZOO_OPTIONS;

/** Seeded uint8 images (N×C×H×W) written as .npy. */
function writeRandomImages(file: string, shape: [number, number, number, number], seed: number): void {
  let s = seed;
  const data = new Uint8Array(shape.reduce((a, b) => a * b, 1)).map(() => ((s = (s * 1103515245 + 12345) >>> 0) >>> 24));
  writeFileSync(file, encodeNpy({ dtype: "uint8", shape, data }));
}

/** prune() in this process, like the CLI: returns the result, its SHA-256 and the time prune() took. */
async function pruneInNode(modelPath: string, dataPath: string, channels: number, options: Options) {
  const model = loadModelFile(modelPath);
  const data = loadCalibrationData(dataPath, { channels, samples: Math.max(options.samples, options.recoverSamples) });
  const kernels = await loadKernelsNode();
  // Like the page (which has inspected the model by then), start ORT before the clock does.
  await inspect(model, { source: "warm-up" });
  const t0 = performance.now();
  const result = await prune(model, data, options, { kernels, source: path.basename(modelPath) });
  const ms = performance.now() - t0;
  return { result, ms, hash: createHash("sha256").update(encodeModel(result.model!)).digest("hex") };
}

/**
 * The page: a model already loaded (demo button or file inputs), the options through their labels,
 * Prune, then both downloads. Returns the model's SHA-256, the page's prune time and the report.
 */
async function pruneInPage(page: Page, options: Options, evalSamples: number, dir: string, timeout: number) {
  await page.waitForSelector("#model-view:not([hidden])", { timeout: 120_000 });
  await page.getByLabel("Criterion", { exact: true }).selectOption(options.criterion);
  await page.getByLabel("Fraction of channels to remove").fill(String(options.ratio));
  await page.getByLabel("Recovery", { exact: true }).selectOption(options.recover);
  await page.getByLabel("Scoring samples").fill(String(options.samples));
  await page.getByLabel("Recovery samples").fill(String(options.recoverSamples));
  await page.getByLabel("Evaluation samples").fill(String(evalSamples));
  await page.getByLabel("ORT threads").selectOption(String(options.threads));
  await page.getByRole("button", { name: "Prune" }).click();
  await page.waitForSelector("#result-view:not([hidden]), #error:not([hidden])", { timeout });
  const error = await page.locator("#error").isVisible() ? await page.locator("#error").textContent() : null;
  expect(error).toBeNull();
  const ms = await page.evaluate(() => Number(document.getElementById("progress-label")!.textContent!.match(/([\d.]+) s/)![1]) * 1000);

  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download pruned model" }).click()]);
  const file = path.join(dir, "page.onnx");
  await download.saveAs(file);
  const hash = createHash("sha256").update(readFileSync(file)).digest("hex");

  const [reportDl] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download JSON report" }).click()]);
  const reportFile = path.join(dir, "report.json");
  await reportDl.saveAs(reportFile);
  const report = JSON.parse(readFileSync(reportFile, "utf8")) as { after: { macs: number }; groups: { removed: number[] }[]; timings: { stage: string; ms: number }[] };
  return { hash, ms, report };
}

const stages = (t: { stage: string; ms: number }[]) => t.map((x) => `${x.stage} ${Math.round(x.ms)}`).join(", ");

describe("browser bundles", () => {
  it("keep the library's JS (without onnxruntime-web) within 300 KB minified", () => {
    const sizesFile = path.join(ROOT, "build/browser/sizes.json");
    if (!existsSync(sizesFile)) execFileSync(process.execPath, ["tools/build.mjs"], { cwd: ROOT, stdio: "inherit" });
    const sizes = JSON.parse(readFileSync(sizesFile, "utf8")) as Record<string, { total: number; ortJs: number; library: number }>;
    for (const name of ["index.js", "worker.js"]) {
      expect(sizes[name]!.ortJs, `${name} should contain ORT's wasm-only JS`).toBeGreaterThan(10_000);
      expect(sizes[name]!.library, name).toBeLessThanOrEqual(300_000);
    }
    // The page itself holds no library code: the pipeline lives in the worker.
    expect(sizes["app.js"]!.total).toBeLessThan(40_000);
  });
});

describe.skipIf(!haveChromium)("web page in Chromium", () => {
  let server: Server;
  let base: string;
  let browser: Browser;
  let page: Page;
  let tmp: string;
  const useDemo = existsSync(DEMO_MODEL) && existsSync(DEMO_DATA);
  let modelPath: string;
  let dataPath: string;

  beforeAll(async () => {
    // Always rebuild: a stale bundle would test old code.
    execFileSync(process.execPath, ["tools/build.mjs"], { cwd: ROOT, stdio: "inherit" });
    tmp = mkdtempSync(path.join(tmpdir(), "onnx-prune-web-"));
    await build({
      entryPoints: { vectors: path.join(ROOT, "test/browser/vectors.ts") }, bundle: true, format: "esm",
      platform: "browser", target: "es2022", outdir: tmp, logLevel: "warning",
    });
    if (useDemo) {
      modelPath = DEMO_MODEL;
      dataPath = DEMO_DATA;
    } else {
      // Until the demo model exists: a residual net from the synthetic zoo and seeded uint8 images.
      const m = zoo().find((z) => z.name === "residual") ?? zoo()[0]!;
      modelPath = path.join(tmp, `${m.name}.onnx`);
      writeFileSync(modelPath, encodeModel(m.model));
      const [c, h, w] = m.inputShape.slice(1) as [number, number, number];
      dataPath = path.join(tmp, "calib.npy");
      writeRandomImages(dataPath, [96, c, h, w], 12345);
    }
    ({ server, url: base } = await startServer(0, [["/test/", tmp], ...DEFAULT_MOUNTS]));
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
        "--disable-component-update", "--disable-sync", "--disable-quic"],
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    page = await context.newPage();
    page.on("pageerror", (e) => console.error(`page error: ${e.message}`));
    await page.goto(base);
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((ok) => (server ? server.close(ok) : ok(undefined)));
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it("is cross-origin isolated (COOP/COEP) and shows the setup form", async () => {
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    await expect(page.getByRole("button", { name: "Prune" }).isDisabled()).resolves.toBe(true);
  });

  it("prunes to the same bytes as the library in Node", async () => {
    // Node first, through the library like the CLI does.
    const node = await pruneInNode(modelPath, dataPath, useDemo ? 1 : 3, OPTIONS);

    // The page: demo button (or file inputs), the options through their labels, then Prune.
    if (useDemo) {
      await page.getByRole("button", { name: /Load the demo/ }).click();
    } else {
      await page.getByLabel("ONNX model").setInputFiles(modelPath);
      await page.getByLabel("Calibration data (.npy, or PNG/JPEG images)").setInputFiles(dataPath);
    }
    const inPage = await pruneInPage(page, OPTIONS, 200, tmp, 240_000);
    console.log(`prune ${useDemo ? "demo_resnet" : "synthetic residual"}: Node ${(node.ms / 1000).toFixed(1)} s, page ${(inPage.ms / 1000).toFixed(1)} s; sha256 node ${node.hash} page ${inPage.hash}`);
    console.log(`stage ms — Node: ${stages(node.result.report.timings)}; page: ${stages(inPage.report.timings)}`);
    expect(inPage.hash).toBe(node.hash);
    expect(inPage.report.after.macs).toBe(node.result.report.after.macs);
    expect(inPage.report.groups.map((g) => g.removed)).toEqual(node.result.report.groups.map((g) => g.removed));
  }, 300_000);

  it("draws the result as SVG charts and saves screenshots", async () => {
    for (const id of ["chart-channels", "chart-importance", "chart-macs"]) {
      expect(await page.locator(`#${id} svg[role=img]`).count()).toBe(1);
      expect(await page.locator(`#${id} svg rect, #${id} svg circle`).count()).toBeGreaterThan(3);
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, "web-result.png"), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.locator("#result-title").scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(ARTIFACTS, "web-result-phone.png") });
    await page.locator("#chart-importance").scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(ARTIFACTS, "web-result-phone-charts.png") });
    // Nothing wider than the phone viewport except the scrollable chart boxes.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(overflow).toBeLessThanOrEqual(390);
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it("computes the kernels' vectors bit-identically in the page and in Node", async () => {
    const node = kernelVectors(await loadKernelsNode(), 2024);
    // A string, not a function: vitest rewrites import() inside functions it transforms.
    const inPage = await page.evaluate(`(async () => {
      const lib = await import("/build/browser/index.js");
      const v = await import("/test/vectors.js");
      return v.kernelVectors(await lib.loadKernelsBrowser(), 2024);
    })()`) as Record<string, string>;
    expect(Object.keys(inPage).length).toBeGreaterThan(20);
    expect(inPage).toEqual(node);
  });

  it.skipIf(!haveZoo)(haveZoo
    ? "prunes torchvision squeezenet1_1 (file inputs) to the same bytes as the library in Node"
    : "prunes torchvision squeezenet1_1 to the same bytes as Node — SKIPPED: fixtures/zoo/squeezenet1_1.onnx absent (tools/export_zoo.py makes it)", async () => {
    const dir = mkdtempSync(path.join(tmp, "zoo-"));
    const dataPath = path.join(dir, "images.npy");
    writeRandomImages(dataPath, [8, 3, 224, 224], 2026);
    const node = await pruneInNode(ZOO_MODEL, dataPath, 3, ZOO_OPTIONS);

    // A fresh page: the demo left its test set and labels in the first page's state.
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    try {
      const zooPage = await context.newPage();
      zooPage.on("pageerror", (e) => console.error(`page error: ${e.message}`));
      await zooPage.goto(base);
      await zooPage.getByLabel("ONNX model").setInputFiles(ZOO_MODEL);
      await zooPage.getByLabel("Calibration data (.npy, or PNG/JPEG images)").setInputFiles(dataPath);
      const inPage = await pruneInPage(zooPage, ZOO_OPTIONS, 8, dir, 420_000);
      console.log(`prune squeezenet1_1: Node ${(node.ms / 1000).toFixed(1)} s, page ${(inPage.ms / 1000).toFixed(1)} s; sha256 node ${node.hash} page ${inPage.hash}`);
      console.log(`stage ms — Node: ${stages(node.result.report.timings)}; page: ${stages(inPage.report.timings)}`);
      expect(inPage.hash).toBe(node.hash);
      expect(inPage.report.after.macs).toBe(node.result.report.after.macs);
      expect(inPage.report.groups.map((g) => g.removed)).toEqual(node.result.report.groups.map((g) => g.removed));
    } finally {
      await context.close();
    }
  }, 900_000);
});
