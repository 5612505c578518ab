import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PathSafetyError } from "../../src/errors.js";
import { encodeModel } from "../../src/onnx/model-io.js";
import { loadModelFile, saveModelFile, writeFileAtomic } from "../../src/platform/node/files.js";
import { zoo } from "../helpers/zoo.js";
import { ensureCliBuilt, listFiles, makeTmp, runCli, stderrLines, writeModel, writeNpy } from "./helpers.js";

const model = zoo().find((z) => z.name === "chain")!.model;
let tmp: string;
let n = 0;
beforeAll(() => {
  tmp = makeTmp("paths");
  ensureCliBuilt();
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A fresh folder with in.onnx and calib.npy. */
function workdir(): string {
  const dir = path.join(tmp, `w${n++}`);
  writeModel(path.join(dir, "in.onnx"), model);
  writeNpy(path.join(dir, "calib.npy"), [8, 3, 16, 16]);
  return dir;
}

const PRUNE = ["prune", "in.onnx", "--data", "calib.npy", "--quiet", "--recover", "bias"];
const bytesOf = (f: string): Buffer => fs.readFileSync(f);

function expectOneLineFailure(r: ReturnType<typeof runCli>, message: RegExp): void {
  expect(r.status).toBe(2);
  const lines = stderrLines(r);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(message);
}

describe("output paths through the CLI", () => {
  it("-o onto the input path is refused without --force; the input is untouched", () => {
    const dir = workdir();
    const before = bytesOf(path.join(dir, "in.onnx"));
    expectOneLineFailure(runCli([...PRUNE, "-o", "in.onnx"], dir), /in.onnx: refusing to overwrite the input model \(use --force\)/);
    expectOneLineFailure(runCli([...PRUNE, "-o", "./sub/../in.onnx"], dir), /refusing to overwrite the input model/);
    expect(bytesOf(path.join(dir, "in.onnx")).equals(before)).toBe(true);
    expect(listFiles(dir)).toEqual(["calib.npy", "in.onnx"]);
  });

  it("-o onto an existing file is refused without --force, replaced with it (atomically, no temp left)", () => {
    const dir = workdir();
    fs.writeFileSync(path.join(dir, "out.onnx"), "keep me");
    expectOneLineFailure(runCli([...PRUNE, "-o", "out.onnx"], dir), /out.onnx: already exists \(use --force to replace it\)/);
    expect(fs.readFileSync(path.join(dir, "out.onnx"), "utf8")).toBe("keep me");
    const r = runCli([...PRUNE, "-o", "out.onnx", "--force"], dir);
    expect(r.status, r.stderr).toBe(0);
    expect(loadModelFile(path.join(dir, "out.onnx")).graph!.node.length).toBeGreaterThan(0);
    expect(listFiles(dir)).toEqual(["calib.npy", "in.onnx", "out.onnx"]);
  });

  it("--force onto the input replaces it with the pruned model", () => {
    const dir = workdir();
    const before = bytesOf(path.join(dir, "in.onnx"));
    const r = runCli([...PRUNE, "-o", "in.onnx", "--force"], dir);
    expect(r.status, r.stderr).toBe(0);
    expect(bytesOf(path.join(dir, "in.onnx")).equals(before)).toBe(false);
    expect(listFiles(dir)).toEqual(["calib.npy", "in.onnx"]);
  });

  it("into a missing folder: one line, exit 2, nothing created", () => {
    const dir = workdir();
    expectOneLineFailure(runCli([...PRUNE, "-o", "missing/out.onnx"], dir), /missing\/out.onnx: the folder for the output model does not exist/);
    expect(listFiles(dir)).toEqual(["calib.npy", "in.onnx"]);
    expect(fs.existsSync(path.join(dir, "missing"))).toBe(false);
  });

  it("a failing model (and failing data) leaves nothing behind", () => {
    const dir = workdir();
    fs.writeFileSync(path.join(dir, "bad.onnx"), encodeModel(model).subarray(0, 100));
    expectOneLineFailure(runCli(["prune", "bad.onnx", "--data", "calib.npy", "-o", "out.onnx", "--quiet"], dir), /bad.onnx: not a valid ONNX model/);
    writeNpy(path.join(dir, "nan.npy"), [8, 3, 16, 16], 1, (i) => (i === 700 ? NaN : 0.5));
    expectOneLineFailure(runCli(["prune", "in.onnx", "--data", "nan.npy", "-o", "out.onnx", "--quiet"], dir), /nan.npy: sample 0 has a non-finite value/);
    expect(listFiles(dir)).toEqual(["bad.onnx", "calib.npy", "in.onnx", "nan.npy"]);
  });

  it("--external-data writes <out>.data beside the model; an existing .data file is not replaced without --force", () => {
    const dir = workdir();
    const r = runCli([...PRUNE, "-o", "out.onnx", "--external-data"], dir);
    expect(r.status, r.stderr).toBe(0);
    expect(listFiles(dir)).toEqual(["calib.npy", "in.onnx", "out.onnx", "out.onnx.data"]);
    expect(loadModelFile(path.join(dir, "out.onnx")).graph!.initializer.length).toBeGreaterThan(0);
    fs.rmSync(path.join(dir, "out.onnx"));
    expectOneLineFailure(runCli([...PRUNE, "-o", "out.onnx", "--external-data"], dir), /out.onnx.data: already exists/);
    expect(listFiles(dir)).toEqual(["calib.npy", "in.onnx", "out.onnx.data"]);
  });
});

// Known bug (src/cli/main.ts, cmdPrune): the model is saved before the --report file, and neither
// folder is checked up front, so a report path in a missing folder fails after out.onnx exists.
describe("known bug", () => {
  it("a --report path in a missing folder leaves no model behind", () => {
    const dir = workdir();
    const r = runCli([...PRUNE, "-o", "out.onnx", "--report", "missing/r.json"], dir);
    expect(r.status).toBe(2);
    expect(listFiles(dir)).toEqual(["calib.npy", "in.onnx"]);
  });
});

describe("atomic writes (library)", () => {
  it("a failed write leaves neither the target nor a temp file", () => {
    const dir = path.join(tmp, `w${n++}`);
    fs.mkdirSync(path.join(dir, "target.onnx"), { recursive: true }); // a folder where the file should go
    expect(() => writeFileAtomic(path.join(dir, "target.onnx"), new Uint8Array(10))).toThrow(PathSafetyError);
    expect(listFiles(dir)).toEqual([]);
  });

  it("saveModelFile refuses an existing file unless overwrite, and cleans up its data file when the model write fails", () => {
    const dir = path.join(tmp, `w${n++}`);
    fs.mkdirSync(dir);
    const file = path.join(dir, "m.onnx");
    fs.writeFileSync(file, "old");
    expect(() => saveModelFile(model, file)).toThrow(/already exists/);
    expect(fs.readFileSync(file, "utf8")).toBe("old");
    // the model path is a folder: the data file is written first, then removed again
    const blocked = path.join(dir, "blocked.onnx");
    fs.mkdirSync(blocked);
    expect(() => saveModelFile(model, blocked, { externalData: true, overwrite: true })).toThrow(PathSafetyError);
    expect(listFiles(dir)).toEqual(["m.onnx"]);
  });
});
