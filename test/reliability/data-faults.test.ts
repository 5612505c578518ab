import * as fs from "node:fs";
import * as path from "node:path";
import { encode as encodePng } from "fast-png";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeNpy } from "../../src/data/npy.js";
import { zoo } from "../helpers/zoo.js";
import { ensureCliBuilt, listFiles, makeTmp, runCli, stderrLines, writeModel, writeNpy } from "./helpers.js";

let tmp: string;
beforeAll(() => {
  tmp = makeTmp("data");
  ensureCliBuilt();
  writeModel(path.join(tmp, "in.onnx"), zoo().find((z) => z.name === "chain")!.model);
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function png(width: number, height: number, seed = 1): Uint8Array {
  const data = new Uint8Array(width * height * 3).map((_, i) => (i * 31 + seed * 17) & 0xff);
  return encodePng({ width, height, data, channels: 3, depth: 8 });
}

/** [case, set up the data (returns its path relative to tmp), the message (which names the file)] */
const CASES: [string, () => string, RegExp][] = [
  ["a .npy of the wrong spatial shape", () => writeNpy(path.join(tmp, "hw.npy"), [4, 3, 8, 8]) && "hw.npy", /hw.npy: samples are 3×8×8 but in.onnx input 'input' expects 3×16×16/],
  ["a .npy with the wrong channel count", () => writeNpy(path.join(tmp, "ch.npy"), [4, 1, 16, 16]) && "ch.npy", /ch.npy: samples are 1×16×16 but in.onnx input 'input' expects 3×16×16/],
  ["a .npy of rank 3", () => writeNpy(path.join(tmp, "rank.npy"), [4, 16, 16]) && "rank.npy", /rank.npy: calibration data must have 4 dims/],
  ["a .npy of int64", () => (fs.writeFileSync(path.join(tmp, "int.npy"), encodeNpy({ dtype: "int64", shape: [1, 3, 2, 2], data: new Array(12).fill(1) })), "int.npy"), /int.npy: calibration data must be float32 or uint8, not int64/],
  ["NaN values", () => writeNpy(path.join(tmp, "nan.npy"), [4, 3, 16, 16], 1, (i) => (i === 3 * 256 + 5 ? NaN : 0.1)) && "nan.npy", /nan.npy: sample 1 has a non-finite value \(NaN or Inf\) in channel 0/],
  ["Inf values", () => writeNpy(path.join(tmp, "inf.npy"), [4, 3, 16, 16], 1, (i) => (i === 2 * 768 + 300 ? -Infinity : 0.1)) && "inf.npy", /inf.npy: sample 2 has a non-finite value/],
  ["zero samples", () => writeNpy(path.join(tmp, "zero.npy"), [0, 3, 16, 16]) && "zero.npy", /zero.npy: no samples/],
  ["a truncated .npy", () => { const f = writeNpy(path.join(tmp, "trunc.npy"), [4, 3, 16, 16]); fs.truncateSync(f, 1000); return "trunc.npy"; }, /trunc.npy: holds \d+ data bytes/],
  ["a .npy that is not one", () => (fs.writeFileSync(path.join(tmp, "fake.npy"), "hello"), "fake.npy"), /fake.npy: (not a .npy file|truncated)/],
  ["a missing path", () => "absent.npy", /absent.npy: calibration data not found/],
  ["an empty folder", () => (fs.mkdirSync(path.join(tmp, "empty")), "empty"), /empty: no PNG or JPEG images found/],
  ["a folder of non-images", () => (fs.mkdirSync(path.join(tmp, "txt")), fs.writeFileSync(path.join(tmp, "txt/a.txt"), "x"), "txt"), /txt: no PNG or JPEG images found/],
  ["a corrupt PNG", () => { fs.mkdirSync(path.join(tmp, "corrupt")); fs.writeFileSync(path.join(tmp, "corrupt/a.png"), png(16, 16)); fs.writeFileSync(path.join(tmp, "corrupt/b.png"), png(16, 16).subarray(0, 60)); return "corrupt"; }, /corrupt\/b.png: corrupt image/],
  ["a text file named .jpg", () => { fs.mkdirSync(path.join(tmp, "liar")); fs.writeFileSync(path.join(tmp, "liar/a.jpg"), "not a jpeg at all"); return "liar"; }, /liar\/a.jpg: (not a PNG or JPEG image|corrupt image)/],
  ["images of mixed sizes without --size", () => { fs.mkdirSync(path.join(tmp, "mixed")); fs.writeFileSync(path.join(tmp, "mixed/a.png"), png(16, 16)); fs.writeFileSync(path.join(tmp, "mixed/b.png"), png(20, 12)); return "mixed"; }, /mixed\/b.png: image is 20×12 but earlier images are 16×16; pass --size HxW to resize/],
];

describe("calibration data faults through the CLI: one line naming the file, exit 2, nothing written", () => {
  it.each(CASES)("%s", (_name, setup, message) => {
    const data = setup();
    const before = listFiles(tmp);
    const r = runCli(["prune", "in.onnx", "--data", data, "-o", "out.onnx", "--quiet"], tmp);
    expect(r.status, r.stderr).toBe(2);
    const lines = stderrLines(r);
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(listFiles(tmp)).toEqual(before);
  });

  it("mixed sizes are fine with --size", () => {
    const r = runCli(["prune", "in.onnx", "--data", "mixed", "--size", "16x16", "--dry-run", "--quiet"], tmp);
    expect(r.status, r.stderr).toBe(0);
  });
});
