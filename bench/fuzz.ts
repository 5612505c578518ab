/**
 * Seeded fuzzing of the loader, the graph index, channel grouping and surgery.
 *
 *   npm run fuzz -- [--cases 10000] [--seed 1] [--json] [--timeout-ms 5000] [--mem-mb 1024]
 *                   [--case K --verbose]   (re-run one case in this process, with its stack)
 *                   [--save DIR]           (write the bytes of every crash/hang/oom case to DIR)
 *
 * Cases run in a child process, one after another; the parent is a watchdog: a case that does not
 * answer within --timeout-ms is a hang (the child is killed and a new one continues), a child that
 * dies of heap exhaustion (its old space is capped at --mem-mb) or whose RSS passes --mem-mb + 512 MiB
 * (array buffers live outside the heap) is an OOM.
 * Case K of seed S is always the same mutation (its own seeded stream), so findings reproduce.
 *
 * Per case: decodeModel → GraphIndex → buildChannelGroups (with the unmutated model's ORT shapes,
 * and the mutated initializers' own dims, when every tensor name still has a shape; else skipped)
 * → applyKeepSets with a random valid keep set → GraphIndex + encode of the result → reading every
 * initializer. ok = no error; typed = an OnnxPruneError; crash = any other exception.
 */
import { fork, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import Long from "long";
import { OnnxPruneError } from "../src/errors.js";
import { GraphIndex } from "../src/graph/graph-index.js";
import { buildChannelGroups, OP_RULES } from "../src/groups/index.js";
import type { ChannelGroup, KeepSets } from "../src/groups/types.js";
import { decodeModel, encodeModel } from "../src/onnx/model-io.js";
import { DataLocation, TensorDataType, type ModelProto, type NodeProto, type TensorProto } from "../src/onnx/proto.js";
import { readFloats, readInts, tensorDims } from "../src/onnx/tensor.js";
import { applyKeepSets } from "../src/surgery/index.js";
import { SeededRandom } from "../src/util/random.js";
import { zoo } from "../test/helpers/zoo.js";

const SELF = fileURLToPath(import.meta.url);
const ROOT = path.resolve(path.dirname(SELF), "..");

export interface FuzzCounts { cases: number; ok: number; typed_errors: number; crashes: number; hangs: number; oom: number }
export interface Finding { case: number; kind: "crash" | "hang" | "oom"; base: string; mutation: string; message: string }
export interface FuzzResult { counts: FuzzCounts; findings: Finding[]; seconds: number; groupsSkipped: number; stages: Record<string, number> }
export interface FuzzOptions {
  cases: number;
  /** First case index (default 0): a range of a long run can be re-run alone. */
  first?: number;
  seed: number;
  timeoutMs?: number;
  /** Heap cap of the child in MiB (default 1024); its RSS may reach this + 512 MiB. */
  memMb?: number;
  /** Base model names (zoo names or file names) to restrict to; default: all. */
  only?: string[];
  save?: string;
  /** Make case 1 hang and case 2 run out of heap, to test the watchdog. */
  selfTest?: boolean;
}

interface Base { name: string; bytes: Uint8Array; shapes: [string, number[]][] | null }
type Outcome = { case: number; outcome: "ok" | "typed" | "crash" | "oom"; stage: string; base: string; mutation: string; message: string; skipped: boolean };

// ---- base models --------------------------------------------------------------------------------

function baseModels(only?: string[]): { name: string; bytes: Uint8Array }[] {
  // Plain Uint8Array copies: a Node Buffer's slice() is a view, and mutations must never write
  // into the base bytes.
  const out = zoo().map((z) => ({ name: z.name, bytes: new Uint8Array(encodeModel(z.model)) }));
  const dirs = [path.join(ROOT, "fixtures/models"), path.join(ROOT, "test/onnx/fixtures")];
  for (const d of dirs) {
    if (!fs.existsSync(d)) continue;
    for (const f of fs.readdirSync(d).filter((n) => n.endsWith(".onnx")).sort()) {
      const bytes = new Uint8Array(fs.readFileSync(path.join(d, f))); // a copy, not a Buffer view
      if (bytes.length < 4 * 2 ** 20) out.push({ name: f, bytes }); // keep cases fast: small models only
    }
  }
  return only ? out.filter((b) => only.includes(b.name)) : out;
}

async function withShapes(list: { name: string; bytes: Uint8Array }[]): Promise<Base[]> {
  const { inferShapes } = await import("../src/graph/shapes.js");
  const out: Base[] = [];
  for (const b of list) {
    let shapes: [string, number[]][] | null = null;
    try {
      const m = decodeModel(b.bytes, b.name);
      const index = new GraphIndex(m, b.name);
      const input = index.runtimeInputs[0];
      const s = await inferShapes(m, input ? { [input]: [1, ...((m.graph!.input.find((i) => i.name === input)?.type?.tensorType?.shape?.dim ?? []).slice(1).map((d) => Number(d.dimValue ?? 1) || 1))] } : {}, b.name);
      shapes = [...s.entries()];
    } catch {
      shapes = null; // no shapes: grouping and surgery are skipped for this base
    }
    out.push({ ...b, shapes });
  }
  return out;
}

/** The base models with their shapes (for probing cases in-process). */
export async function loadBases(only?: string[]): Promise<Base[]> {
  return withShapes(baseModels(only));
}

// ---- mutations ----------------------------------------------------------------------------------

const NUMBERS = [0, -1, 1, 2, 3, 7, 255, 1e9, -1e9, 2 ** 31 - 1, -(2 ** 31), 2 ** 40, 2 ** 53, 0.5, NaN, Infinity, -Infinity];
const ABSURD_INTS = [0, -1, 1e9, 99, 2 ** 40, 2 ** 62, -(2 ** 31)];

function pick<T>(rng: SeededRandom, items: readonly T[]): T {
  return items[rng.int(items.length)]!;
}

function mutateBytes(rng: SeededRandom, input: Uint8Array): { bytes: Uint8Array; what: string } {
  let b = Uint8Array.from(input);
  const kind = rng.int(6);
  switch (kind) {
    case 0: {
      const n = 1 + rng.int(8);
      for (let k = 0; k < n; k++) b[rng.int(b.length)]! ^= 1 << rng.int(8);
      return { bytes: b, what: `flip ${n} bits` };
    }
    case 1: {
      const at = rng.int(b.length);
      return { bytes: b.slice(0, at), what: `truncate at ${at}` };
    }
    case 2: {
      const at = rng.int(b.length);
      const ins = Uint8Array.from({ length: 1 + rng.int(16) }, () => rng.int(256));
      const out = new Uint8Array(b.length + ins.length);
      out.set(b.subarray(0, at));
      out.set(ins, at);
      out.set(b.subarray(at), at + ins.length);
      return { bytes: out, what: `insert ${ins.length} bytes at ${at}` };
    }
    case 3: {
      const at = rng.int(b.length);
      const len = Math.min(1 + rng.int(64), b.length - at);
      const out = new Uint8Array(b.length - len);
      out.set(b.subarray(0, at));
      out.set(b.subarray(Math.min(b.length, at + len)), at);
      return { bytes: out, what: `delete ${len} bytes at ${at}` };
    }
    case 4: {
      // a maximal varint (a length or a number) written over whatever was there
      const at = rng.int(Math.max(1, b.length - 6));
      b.set([0xff, 0xff, 0xff, 0xff, 0x0f], at);
      return { bytes: b, what: `huge varint at ${at}` };
    }
    default: {
      const from = rng.int(b.length);
      const len = 1 + rng.int(256);
      const chunk = b.slice(from, from + len);
      const to = rng.int(b.length);
      b = b.slice();
      b.set(chunk.subarray(0, Math.max(0, Math.min(chunk.length, b.length - to))), to);
      return { bytes: b, what: `copy ${len} bytes ${from}→${to}` };
    }
  }
}

interface Site { obj: Record<string, unknown>; key: string | number }

/** Every scalar field and every repeated field of the decoded message tree. */
function collectSites(root: unknown, scalars: Site[], arrays: Site[], strings: string[]): void {
  const visit = (obj: Record<string, unknown>): void => {
    for (const key of Object.keys(obj)) {
      if (key.startsWith("$")) continue;
      const v = obj[key];
      if (Array.isArray(v)) {
        arrays.push({ obj, key });
        v.forEach((x, i) => {
          if (x !== null && typeof x === "object" && !(x instanceof Uint8Array) && !Long.isLong(x)) visit(x as Record<string, unknown>);
          else scalars.push({ obj: v as unknown as Record<string, unknown>, key: i });
          if (typeof x === "string") strings.push(x);
        });
      } else if (v !== null && typeof v === "object" && !(v instanceof Uint8Array) && !Long.isLong(v)) {
        visit(v as Record<string, unknown>);
      } else {
        scalars.push({ obj, key });
        if (typeof v === "string") strings.push(v);
      }
    }
  };
  visit(root as Record<string, unknown>);
}

function rewriteField(rng: SeededRandom, m: ModelProto): string {
  const scalars: Site[] = [];
  const arrays: Site[] = [];
  const strings: string[] = [];
  collectSites(m, scalars, arrays, strings);
  if (rng.next() < 0.25 && arrays.length > 0) {
    const s = pick(rng, arrays);
    const arr = s.obj[s.key] as unknown[];
    const op = rng.int(4);
    if (op === 0 && arr.length > 0) arr.splice(rng.int(arr.length), 1);
    else if (op === 1 && arr.length > 0) arr.splice(rng.int(arr.length), 0, arr[rng.int(arr.length)]);
    else if (op === 2) rng.shuffle(arr);
    else arr.length = 0;
    return `array ${String(s.key)} op ${op}`;
  }
  const s = pick(rng, scalars);
  const old = s.obj[s.key];
  if (typeof old === "string") {
    s.obj[s.key] = rng.next() < 0.7 && strings.length > 0 ? pick(rng, strings) : pick(rng, ["", "ghost", "../x", "x".repeat(300)]);
  } else if (typeof old === "number" || Long.isLong(old)) {
    s.obj[s.key] = pick(rng, NUMBERS);
  } else if (typeof old === "boolean") {
    s.obj[s.key] = !old;
  } else if (old instanceof Uint8Array) {
    s.obj[s.key] = old.slice(0, rng.int(old.length + 1));
  }
  return `field ${String(s.key)}: ${String(old).slice(0, 20)} → ${String(s.obj[s.key]).slice(0, 20)}`;
}

function floatValues(rng: SeededRandom, t: TensorProto): string {
  if (t.dataType !== TensorDataType.FLOAT || !t.rawData || t.rawData.length < 4) return "no float weights";
  const raw = Uint8Array.from(t.rawData);
  const v = new DataView(raw.buffer);
  const bad = pick(rng, [NaN, Infinity, -Infinity, -1e30, 0, -0]);
  for (let i = 0; i < Math.floor(raw.length / 4); i++) if (rng.next() < 0.3) v.setFloat32(i * 4, bad, true);
  t.rawData = raw;
  return `weights of '${t.name}' set to ${bad}`;
}

function mutateModel(rng: SeededRandom, m: ModelProto): string {
  const g = m.graph!;
  const nodes = g.node;
  const anyNode = (): NodeProto => pick(rng, nodes);
  const anyInit = (): TensorProto | undefined => (g.initializer.length ? pick(rng, g.initializer) : undefined);
  switch (rng.int(14)) {
    case 0: case 1: case 2: return rewriteField(rng, m);
    case 3: {
      const n = nodes.filter((x) => x.attribute.length > 0);
      if (!n.length) return rewriteField(rng, m);
      const a = pick(rng, pick(rng, n).attribute);
      const v = pick(rng, ABSURD_INTS);
      if (a.ints && a.ints.length) a.ints = a.ints.map(() => v);
      else if (a.i !== undefined) a.i = v;
      else if (a.f !== undefined) a.f = pick(rng, [NaN, Infinity, -1, 0]);
      return `attribute ${a.name} = ${v}`;
    }
    case 4: {
      const n = anyNode();
      const name = pick(rng, ["group", "kernel_shape", "strides", "pads", "dilations", "axis", "transB", "perm", "split"]);
      n.attribute = n.attribute.filter((a) => a.name !== name);
      const v = pick(rng, ABSURD_INTS);
      n.attribute.push(["group", "axis", "transB"].includes(name) ? { name, type: 2, i: v } : { name, type: 7, ints: [v, v] });
      return `${n.opType} ${name} := ${v}`;
    }
    case 5: {
      const t = anyInit();
      if (!t) return rewriteField(rng, m);
      const k = rng.int(Math.max(1, t.dims.length));
      const v = pick(rng, [0, -1, 1, 1e9, 2 ** 40, 3]);
      if (t.dims.length === 0 || rng.next() < 0.2) t.dims.push(v); else t.dims[k] = v;
      return `dims of '${t.name}'[${k}] = ${v}`;
    }
    case 6: {
      const t = anyInit();
      if (!t) return rewriteField(rng, m);
      t.dataType = rng.int(21);
      return `data type of '${t.name}' = ${t.dataType}`;
    }
    case 7: {
      const t = anyInit();
      return t ? floatValues(rng, t) : rewriteField(rng, m);
    }
    case 8: {
      // a cycle: an early node reads a later node's output
      const i = rng.int(nodes.length);
      const j = rng.int(nodes.length);
      const [a, b] = i < j ? [i, j] : [j, i];
      if (!nodes[a]!.input.length || !nodes[b]!.output.length) return rewriteField(rng, m);
      nodes[a]!.input[0] = nodes[b]!.output[0]!;
      return `cycle: node ${a} reads node ${b}`;
    }
    case 9: {
      const a = anyNode();
      const b = anyNode();
      if (rng.next() < 0.5 && a.output.length && b.output.length) {
        a.output[0] = b.output[0]!;
        return "duplicated node output";
      }
      g.output.push({ ...g.output[0]! });
      return "duplicated graph output";
    }
    case 10: {
      const a = anyNode();
      const b = anyNode();
      if (!a.input.length || !b.input.length) return rewriteField(rng, m);
      const [x, y] = [rng.int(a.input.length), rng.int(b.input.length)];
      [a.input[x], b.input[y]] = [b.input[y]!, a.input[x]!];
      return "swapped tensor names";
    }
    case 11: {
      const what = rng.int(3);
      if (what === 0) nodes.splice(rng.int(nodes.length), 1);
      else if (what === 1 && g.initializer.length) g.initializer.splice(rng.int(g.initializer.length), 1);
      else {
        const n = anyNode();
        n.opType = rng.next() < 0.8 ? pick(rng, Object.keys(OP_RULES)) : "Unheard";
        return `op type → ${n.opType}`;
      }
      return `removed a ${what === 0 ? "node" : "initializer"}`;
    }
    case 12: {
      const t = anyInit();
      if (!t) return rewriteField(rng, m);
      t.dataLocation = DataLocation.EXTERNAL;
      t.externalData = [{ key: "location", value: pick(rng, ["../x", "/etc/passwd", "w.bin"]) }];
      return `'${t.name}' marked external`;
    }
    default: {
      const t = anyInit();
      if (!t?.rawData?.length) return rewriteField(rng, m);
      t.rawData = t.rawData.slice(0, rng.int(t.rawData.length));
      return `raw_data of '${t.name}' truncated`;
    }
  }
}

function caseRng(seed: number, k: number): SeededRandom {
  return new SeededRandom((Math.imul(seed + 1, 0x9e3779b1) ^ Math.imul(k + 1, 0x85ebca6b)) >>> 0);
}

function makeCase(bases: Base[], seed: number, k: number): { base: Base; bytes: Uint8Array; mutation: string; rng: SeededRandom } {
  const rng = caseRng(seed, k);
  const base = bases[rng.int(bases.length)]!;
  if (rng.next() < 0.3) {
    const { bytes, what } = mutateBytes(rng, base.bytes);
    return { base, bytes, mutation: what, rng };
  }
  const steps: string[] = [];
  try {
    const m = decodeModel(base.bytes, base.name);
    const n = 1 + rng.int(3);
    for (let i = 0; i < n; i++) steps.push(mutateModel(rng, m));
    return { base, bytes: new Uint8Array(encodeModel(m)), mutation: steps.join("; "), rng };
  } catch (e) {
    // a bug in the mutator, or a mutation protobufjs cannot encode: fall back to a byte-level one
    const { bytes, what } = mutateBytes(rng, base.bytes);
    return { base, bytes, mutation: `${what} (encode failed: ${(e as Error).message})`, rng };
  }
}

// ---- one case -----------------------------------------------------------------------------------

function randomKeepSets(rng: SeededRandom, groups: ChannelGroup[]): KeepSets {
  const keep: KeepSets = new Map();
  for (const g of groups) {
    if (!g.prunable || g.channels > 1e6) continue;
    const p = 0.3 + 0.6 * rng.next();
    const set = new Set<number>();
    for (let c = 0; c < g.channels; c++) if (rng.next() < p) set.add(c);
    if (set.size === 0) set.add(rng.int(g.channels));
    for (const t of g.tensors) {
      let any = false;
      for (let c = t.start; c < t.start + t.count; c++) if (set.has(c)) { any = true; break; }
      if (!any && t.count > 0) set.add(t.start);
    }
    keep.set(g.id, [...set].sort((a, b) => a - b));
  }
  return keep;
}

export function runCase(bases: Base[], seed: number, k: number): Outcome {
  const { base, bytes, mutation, rng } = makeCase(bases, seed, k);
  const name = `${base.name}#${k}`;
  let stage = "decode";
  let skipped = false;
  const result = (outcome: Outcome["outcome"], message = ""): Outcome => ({ case: k, outcome, stage, base: base.name, mutation, message, skipped });
  try {
    const model = decodeModel(bytes, name);
    stage = "index";
    const index = new GraphIndex(model, name);
    stage = "groups";
    const names = new Set<string>();
    for (const n of index.nodes) for (const t of [...n.input, ...n.output]) if (t) names.add(t);
    const baseShapes = base.shapes ? new Map(base.shapes) : undefined;
    if (baseShapes && [...names].every((t) => baseShapes.has(t))) {
      const shapes = new Map(baseShapes);
      for (const t of model.graph!.initializer) if (t.name) shapes.set(t.name, tensorDims(t));
      const groups = buildChannelGroups(index, shapes);
      stage = "surgery";
      const out = applyKeepSets(model, groups, randomKeepSets(rng, groups), name);
      new GraphIndex(out.model, `${name} (pruned)`);
      encodeModel(out.model);
    } else {
      skipped = true;
    }
    stage = "tensors";
    for (const t of model.graph!.initializer) {
      const type = t.dataType ?? 0;
      if (type === TensorDataType.FLOAT || type === TensorDataType.FLOAT16 || type === TensorDataType.DOUBLE) readFloats(t);
      else readInts(t);
    }
    return result("ok");
  } catch (e) {
    if (e instanceof OnnxPruneError) return result("typed", e.message);
    const err = e as Error;
    return result("crash", `${err?.name}: ${err?.message}\n${(err?.stack ?? "").split("\n").slice(1, 6).join("\n")}`);
  }
}

// ---- child process ------------------------------------------------------------------------------

function childMain(): void {
  let bases: Base[] = [];
  let seed = 0;
  let memBytes = Infinity;
  process.on("message", (msg: { init?: { bases: { name: string; shapes: Base["shapes"] }[]; seed: number; memMb: number; only?: string[] }; run?: number }) => {
    if (msg.init) {
      const bytes = new Map(baseModels(msg.init.only).map((b) => [b.name, b.bytes]));
      bases = msg.init.bases.map((b) => ({ ...b, bytes: bytes.get(b.name)! }));
      seed = msg.init.seed;
      // RSS also holds code and buffers outside the JS heap: allow 512 MiB above the heap cap
      memBytes = (msg.init.memMb + 512) * 2 ** 20;
      process.send!({ ready: true });
      return;
    }
    if (msg.run !== undefined) {
      // Self-test of the watchdog (test/reliability/fuzz.test.ts): case 1 hangs, case 2 exhausts the heap.
      const selfTest = process.env.ONNX_PRUNE_FUZZ_SELFTEST === "1";
      if (selfTest && msg.run === 1) for (;;) { /* hang */ }
      if (selfTest && msg.run === 2) {
        const hog: number[][] = [];
        for (;;) hog.push(new Array(1e6).fill(msg.run));
      }
      let r: Outcome;
      try {
        r = runCase(bases, seed, msg.run);
      } catch (e) {
        r = { case: msg.run, outcome: "crash", stage: "harness", base: "?", mutation: "?", message: (e as Error).stack ?? String(e), skipped: false };
      }
      const rss = process.memoryUsage().rss;
      if (rss > memBytes) {
        process.send!({ ...r, outcome: "oom", message: `RSS ${Math.round(rss / 2 ** 20)} MiB after the case` }, () => process.exit(3));
        return;
      }
      process.send!(r);
    }
  });
}

// ---- parent: watchdog ---------------------------------------------------------------------------

export async function runFuzz(o: FuzzOptions): Promise<FuzzResult> {
  const t0 = performance.now();
  const timeoutMs = o.timeoutMs ?? 5000;
  const memMb = o.memMb ?? 1024;
  const list = baseModels(o.only);
  if (list.length === 0) throw new Error("fuzz: no base models");
  const bases = await withShapes(list);
  const counts: FuzzCounts = { cases: 0, ok: 0, typed_errors: 0, crashes: 0, hangs: 0, oom: 0 };
  const findings: Finding[] = [];
  const stages: Record<string, number> = {};
  let groupsSkipped = 0;
  const init = { bases: bases.map((b) => ({ name: b.name, shapes: b.shapes })), seed: o.seed, memMb, only: o.only };
  const describe = (k: number): { base: string; mutation: string } => {
    const c = makeCase(bases, o.seed, k);
    if (o.save) {
      fs.mkdirSync(o.save, { recursive: true });
      fs.writeFileSync(path.join(o.save, `seed${o.seed}-case${k}.onnx`), c.bytes);
    }
    return { base: c.base.name, mutation: c.mutation };
  };

  let child: ChildProcess | undefined;
  let lastStderr = "";
  const start = (): Promise<ChildProcess> => new Promise((resolve, reject) => {
    const c = fork(SELF, [], {
      execArgv: ["--import", "tsx", `--max-old-space-size=${Math.min(memMb, 4096)}`],
      env: { ...process.env, ONNX_PRUNE_FUZZ_CHILD: "1", ...(o.selfTest ? { ONNX_PRUNE_FUZZ_SELFTEST: "1" } : {}) },
      stdio: ["ignore", "ignore", "pipe", "ipc"],
    });
    c.stderr!.on("data", (d: Buffer) => { lastStderr = (lastStderr + d.toString()).slice(-2000); });
    c.once("message", () => resolve(c));
    c.once("exit", (code) => reject(new Error(`fuzz child exited during start-up (${code})`)));
    c.send({ init });
  });

  let k = o.first ?? 0;
  const end = k + o.cases;
  while (k < end) {
    child ??= await start();
    const c = child;
    const r = await new Promise<Outcome | { outcome: "hang" } | { outcome: "died"; code: number | null; signal: string | null }>((resolve) => {
      const timer = setTimeout(() => {
        c.removeAllListeners("message");
        c.removeAllListeners("exit");
        c.kill("SIGKILL");
        resolve({ outcome: "hang" });
      }, timeoutMs);
      c.once("message", (m: Outcome) => { clearTimeout(timer); c.removeAllListeners("exit"); resolve(m); });
      c.once("exit", (code, signal) => { clearTimeout(timer); c.removeAllListeners("message"); resolve({ outcome: "died", code, signal }); });
      c.send({ run: k });
    });
    counts.cases++;
    if (r.outcome === "ok" || r.outcome === "typed") {
      if (r.outcome === "ok") counts.ok++; else counts.typed_errors++;
      stages[`${r.outcome}:${r.stage}`] = (stages[`${r.outcome}:${r.stage}`] ?? 0) + 1;
      if (r.skipped) groupsSkipped++;
    } else if (r.outcome === "crash") {
      counts.crashes++;
      findings.push({ case: k, kind: "crash", base: r.base, mutation: r.mutation, message: `[${r.stage}] ${r.message}` });
      describe(k);
    } else if (r.outcome === "oom") {
      counts.oom++;
      findings.push({ case: k, kind: "oom", base: r.base, mutation: r.mutation, message: r.message });
      describe(k);
      child = undefined;
    } else if (r.outcome === "hang") {
      counts.hangs++;
      findings.push({ case: k, kind: "hang", ...describe(k), message: `no answer within ${timeoutMs} ms` });
      child = undefined;
    } else {
      // the child died without answering: V8 aborts on heap exhaustion (SIGABRT / 134)
      const d = r as { code: number | null; signal: string | null };
      const oom = d.signal === "SIGABRT" || d.code === 134;
      if (oom) counts.oom++; else counts.crashes++;
      findings.push({ case: k, kind: oom ? "oom" : "crash", ...describe(k), message: `child exited (code ${d.code}, signal ${d.signal}): ${lastStderr.trim().split("\n").slice(-8).join(" | ")}` });
      child = undefined;
    }
    k++;
  }
  if (child) {
    child.removeAllListeners();
    child.kill();
  }
  return { counts, findings, seconds: (performance.now() - t0) / 1000, groupsSkipped, stages };
}

// ---- command line -------------------------------------------------------------------------------

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

async function cli(argv: string[]): Promise<void> {
  const seed = Number(arg(argv, "seed") ?? 1);
  const one = arg(argv, "case");
  if (one !== undefined) {
    const bases = await withShapes(baseModels());
    const c = makeCase(bases, seed, Number(one));
    console.log(`case ${one} (seed ${seed}): base ${c.base.name}, ${c.mutation}`);
    console.log(runCase(bases, seed, Number(one)));
    return;
  }
  const r = await runFuzz({
    cases: Number(arg(argv, "cases") ?? 10000), seed, timeoutMs: Number(arg(argv, "timeout-ms") ?? 5000),
    memMb: Number(arg(argv, "mem-mb") ?? 1024), save: arg(argv, "save"),
  });
  if (argv.includes("--json")) {
    process.stdout.write(`${JSON.stringify(r.counts)}\n`);
  } else {
    console.log(`fuzz: seed ${seed}, ${r.counts.cases} cases in ${r.seconds.toFixed(1)} s`);
    for (const [k, v] of Object.entries(r.counts)) if (k !== "cases") console.log(`  ${k.padEnd(13)} ${v}`);
    console.log(`  (grouping/surgery skipped on ${r.groupsSkipped} cases whose tensor names no longer match the base shapes)`);
    console.log(`  outcome by last stage: ${Object.entries(r.stages).sort().map(([s, n]) => `${s} ${n}`).join(", ")}`);
  }
  for (const f of r.findings) console.error(`${f.kind} case ${f.case} (${f.base}: ${f.mutation}): ${f.message}`);
  process.exitCode = r.counts.crashes + r.counts.hangs + r.counts.oom > 0 ? 1 : 0;
}

if (process.env.ONNX_PRUNE_FUZZ_CHILD === "1") childMain();
else if (process.argv[1] && pathToFileURL(path.resolve(process.argv[1])).href === import.meta.url) await cli(process.argv.slice(2));
