/**
 * `npm run bench -- external`: a synthetic MLP whose weights total more than 2 GiB (the protobuf
 * limit) is saved (external data chosen automatically), loaded back with its external data, its
 * channel groups built, pruned by surgery and saved again. Shapes are static here, so no
 * onnxruntime session is needed (onnxruntime-web's 4 GiB wasm memory could not hold the model
 * and a copy). Prints one JSON line with times, sizes and the process's peak RSS.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GraphIndex } from "../src/graph/graph-index.js";
import { buildChannelGroups } from "../src/groups/index.js";
import { loadModelFile, saveModelFile } from "../src/platform/node/files.js";
import { applyKeepSets } from "../src/surgery/index.js";
import { readFloats, tensorDims } from "../src/onnx/tensor.js";
import { ModelBuilder } from "../test/helpers/model-builder.js";
import { makeFloatTensor } from "../src/onnx/tensor.js";

const F = 16384; // two F×F layers: 2 × 1 GiB of float32
const dir = mkdtempSync(join(tmpdir(), "onnx-prune-2g-"));
const peak = (): number => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))![1]) * 1024;
const t = (): number => performance.now() / 1000;
try {
  const b = new ModelBuilder(1);
  const x = b.input("input", ["N", F]);
  const big = (name: string, rows: number, cols: number): string => {
    const v = new Float32Array(rows * cols);
    for (let i = 0; i < v.length; i++) v[i] = (((i * 2654435761) >>> 8) & 0xffff) / 65536 - 0.5; // cheap, deterministic
    b.initializers.push(makeFloatTensor(name, [rows, cols], v));
    b.initializers.push(makeFloatTensor(`${name}.bias`, [rows], new Float32Array(rows)));
    return name;
  };
  const gemm = (input: string, name: string, rows: number, cols: number): string =>
    b.op("Gemm", [input, big(name, rows, cols), `${name}.bias`], { transB: 1 }, { name })[0]!;
  const h1 = b.op1("Relu", [gemm(x, "fc1", F, F)]);
  const h2 = b.op1("Relu", [gemm(h1, "fc2", F, F)]);
  const y = gemm(h2, "fc3", 10, F);
  b.output(y);
  const model = b.build("mlp_2g");
  const file = join(dir, "big.onnx");
  let t0 = t();
  saveModelFile(model, file, { externalData: "auto" });
  const saveSeconds = t() - t0;
  const dataBytes = statSync(`${file}.data`).size;
  t0 = t();
  const loaded = loadModelFile(file);
  const loadSeconds = t() - t0;
  const w = readFloats(new GraphIndex(loaded).initializer("fc2")!);
  if (w[12345] !== (((12345 * 2654435761) >>> 8) & 0xffff) / 65536 - 0.5) throw new Error("external data read back wrong");
  t0 = t();
  const index = new GraphIndex(loaded);
  const shapes = new Map<string, number[]>([[x, [1, F]], [`fc1_out`, [1, F]], [h1, [1, F]], [`fc2_out`, [1, F]], [h2, [1, F]], [y, [1, 10]]]);
  for (const init of loaded.graph!.initializer) shapes.set(init.name!, tensorDims(init));
  const groups = buildChannelGroups(index, shapes);
  const keep = new Map(groups.filter((g) => g.prunable).map((g) => [g.id, Array.from({ length: g.channels / 2 }, (_, i) => 2 * i)]));
  const pruned = applyKeepSets(loaded, groups, keep).model;
  const pruneSeconds = t() - t0;
  t0 = t();
  saveModelFile(pruned, join(dir, "pruned.onnx"), { externalData: true });
  const saveAgainSeconds = t() - t0;
  console.log(JSON.stringify({
    bench: "external", weightsBytes: dataBytes, modelFileBytes: statSync(file).size, saveSeconds, loadSeconds,
    groups: groups.length, prunable: keep.size, pruneSeconds, prunedDataBytes: statSync(join(dir, "pruned.onnx.data")).size,
    saveAgainSeconds, peakRssBytes: peak(),
  }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
