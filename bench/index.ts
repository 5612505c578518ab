/**
 * `npm run bench [-- memory|recovery|scale|external|all] [--json]`: whole-pipeline benchmarks
 * (`all` = memory, recovery, scale; `external` writes 2 × 2 GiB to the temp folder). Each
 * measurement runs in its own process (bench/prune-once.ts) so peak RSS is its own, and every
 * figure is printed with a ratio to a baseline measured in the same run. Not a test: the
 * machine is shared and noisy. Kernel throughput: `npm run bench:kernels`.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeNpy } from "../src/data/npy.js";
import { SeededRandom } from "../src/util/random.js";

const args = process.argv.slice(2);
const json = args.includes("--json");
const which = args.find((a) => !a.startsWith("--")) ?? "all";
const tmp = mkdtempSync(join(tmpdir(), "onnx-prune-bench-"));

interface Once { seconds: number; peakRssBytes: number; dataBytes: number; stages: Record<string, number>; batchSize: number; macsRatio: number; agreement: number }

function once(model: string, data: string, options: object): Once {
  const r = spawnSync(process.execPath, ["--import", "tsx", "bench/prune-once.ts", model, data, "--options", JSON.stringify(options)], { encoding: "utf8", maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`prune-once failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

function randomNpy(name: string, n: number, dims: number[], uint8 = false): string {
  const size = dims.reduce((a, b) => a * b, 1);
  const rng = new SeededRandom(n);
  const file = join(tmp, name);
  if (uint8) writeFileSync(file, encodeNpy({ dtype: "uint8", shape: [n, ...dims], data: Uint8Array.from({ length: n * size }, () => rng.int(256)) }));
  else writeFileSync(file, encodeNpy({ dtype: "float32", shape: [n, ...dims], data: Float32Array.from({ length: n * size }, () => rng.normal()) }));
  return file;
}

const mb = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MiB`;
const out: Record<string, unknown>[] = [];
function report(name: string, fields: Record<string, unknown>, text: string): void {
  out.push({ bench: name, ...fields });
  if (!json) console.log(text);
}

try {
  if (which === "memory" || which === "all") {
    // Peak memory of scoring with 256 vs 1024 calibration images on one model: feature maps are
    // streamed, so the peak must not grow with the number of images.
    const model = existsSync("fixtures/models/vgg_small.onnx") ? "fixtures/models/vgg_small.onnx" : "vgg16_half";
    const dims = model === "vgg16_half" ? [3, 32, 32] : [1, 28, 28];
    const data = randomNpy("mem.npy", 1024, dims, model !== "vgg16_half");
    const opts = (n: number) => ({ samples: n, recoverSamples: 64, ratio: 0.5 });
    const a = once(model, data, opts(256));
    const b = once(model, data, opts(1024));
    report("memory", { model, rss256: a.peakRssBytes, rss1024: b.peakRssBytes, ratio: b.peakRssBytes / a.peakRssBytes, batch: a.batchSize, features256_s: a.stages.features, features1024_s: b.stages.features },
      `memory (${model}, scoring + recovery on 64 images): peak RSS ${mb(a.peakRssBytes)} with 256 images, ${mb(b.peakRssBytes)} with 1024 ` +
      `→ ratio ${(b.peakRssBytes / a.peakRssBytes).toFixed(3)} (batch ${a.batchSize}); feature pass ${a.stages.features!.toFixed(2)} s vs ${b.stages.features!.toFixed(2)} s ` +
      `(${(b.stages.features! / a.stages.features!).toFixed(2)}× for 4× the images)`);
  }
  if (which === "recovery" || which === "all") {
    // Least-squares recovery of a VGG-16-sized model (half-width VGG-16: 13 convs, ~4 M params,
    // 32×32 inputs) on 256 images, against the same least squares in PyTorch (bench/lsq_torch.py).
    const data = randomNpy("vgg.npy", 256, [3, 32, 32]);
    const r = once("vgg16_half", data, { criterion: "l1", ratio: 0.5, recover: "lsq", recoverSamples: 256 });
    let torchSeconds: number | undefined;
    try {
      const py = execFileSync("/usr/bin/python3", ["bench/lsq_torch.py"], { encoding: "utf8", env: { ...process.env, OMP_NUM_THREADS: "2" } });
      torchSeconds = JSON.parse(py.trim().split("\n").pop()!).seconds;
    } catch (e) {
      if (!json) console.log(`(PyTorch baseline not run: ${(e as Error).message.split("\n")[0]})`);
    }
    report("recovery", { recover_s: r.stages.recover, torch_s: torchSeconds, ratio: torchSeconds ? torchSeconds / r.stages.recover! : undefined, agreement: r.agreement },
      `recovery (VGG-16 half width, 13 convs + 3 FC, 256 images, 64 positions): onnx-prune lsq ${r.stages.recover!.toFixed(1)} s` +
      (torchSeconds ? `, PyTorch/float64 baseline ${torchSeconds.toFixed(1)} s → ${(torchSeconds / r.stages.recover!).toFixed(2)}× faster` : ""));
  }
  if (which === "scale" || which === "all") {
    const model = "fixtures/zoo/resnet50.onnx";
    if (!existsSync(model)) {
      report("scale", { skipped: true }, `scale: ${model} not found (run tools/export_zoo.py); skipped`);
    } else {
      const data = randomNpy("r50.npy", 256, [3, 224, 224], true);
      const base = once(model, data, { samples: 16, ratio: 0.5, recover: "none" });
      const r = once(model, data, { samples: 256, ratio: 0.5, recover: "none" });
      report("scale", { peakRss: r.peakRssBytes, seconds: r.seconds, baseline16Rss: base.peakRssBytes, ratio: r.peakRssBytes / base.peakRssBytes },
        `scale (ResNet-50, 224², 256 images, scoring + surgery): ${r.seconds.toFixed(1)} s, peak RSS ${mb(r.peakRssBytes)} (16 images: ${mb(base.peakRssBytes)}, ratio ${(r.peakRssBytes / base.peakRssBytes).toFixed(2)})`);
    }
  }
  if (which === "external") {
    const r = spawnSync(process.execPath, ["--max-old-space-size=8192", "--import", "tsx", "bench/external.ts"], { encoding: "utf8", maxBuffer: 1 << 26 });
    if (r.status !== 0) throw new Error(`external bench failed: ${r.stderr}`);
    const j = JSON.parse(r.stdout.trim().split("\n").pop()!);
    report("external", j, `external data (MLP with ${mb(j.weightsBytes)} of weights, over the 2 GiB protobuf limit): save ${j.saveSeconds.toFixed(1)} s, ` +
      `load ${j.loadSeconds.toFixed(1)} s, groups + surgery ${j.pruneSeconds.toFixed(1)} s (${j.prunable} of ${j.groups} groups halved → ${mb(j.prunedDataBytes)}), ` +
      `save again ${j.saveAgainSeconds.toFixed(1)} s; peak RSS ${mb(j.peakRssBytes)} (${(j.peakRssBytes / j.weightsBytes).toFixed(2)}× the weights)`);
  }
  if (json) for (const o of out) console.log(JSON.stringify(o));
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
