/**
 * Graph index: producers, consumers, initializers and constants of the main graph, and a
 * topological order. Building it validates the graph: dangling tensor names, duplicate producers
 * and cycles are typed errors naming the node and tensor.
 */
import { LimitError, ModelFormatError } from "../errors.js";
import { DEFAULT_LIMITS } from "../onnx/limits.js";
import { type AttributeProto, type GraphProto, type ModelProto, type NodeProto, type TensorProto } from "../onnx/proto.js";
import { makeFloatTensor, makeInt64Tensor } from "../onnx/tensor.js";
import { int64ToNumber } from "../onnx/proto.js";

export interface Use {
  /** Index of the consuming node in graph.node. */
  node: number;
  /** Input slot, or -1 when the tensor is used implicitly inside a subgraph attribute. */
  input: number;
}

export class GraphIndex {
  readonly graph: GraphProto;
  readonly nodes: NodeProto[];
  /** Node indices in a valid execution order. */
  readonly order: number[];
  private readonly producer = new Map<string, number>();
  private readonly uses = new Map<string, Use[]>();
  private readonly initializers = new Map<string, TensorProto>();
  private readonly graphInputs = new Set<string>();
  private readonly graphOutputs = new Set<string>();

  constructor(readonly model: ModelProto, readonly source = "model", limits: { maxNodes?: number } = {}) {
    if (!model.graph) throw new ModelFormatError(`${source}: no graph`);
    this.graph = model.graph;
    this.nodes = this.graph.node;
    const maxNodes = limits.maxNodes ?? DEFAULT_LIMITS.maxNodes;
    if (this.nodes.length > maxNodes) throw new LimitError(`${source}: ${this.nodes.length} nodes exceed the limit of ${maxNodes}`);
    for (const t of this.graph.initializer) {
      if (t.name) this.initializers.set(t.name, t);
    }
    for (const i of this.graph.input) if (i.name) this.graphInputs.add(i.name);
    for (const o of this.graph.output) if (o.name) this.graphOutputs.add(o.name);
    this.nodes.forEach((node, index) => {
      for (const out of node.output) {
        if (!out) continue;
        const prev = this.producer.get(out);
        if (prev !== undefined) {
          throw new ModelFormatError(
            `${source}: tensor '${out}' is produced twice (by '${this.nodeName(prev)}' and '${this.nodeName(index)}')`,
          );
        }
        if (this.initializers.has(out) || this.graphInputs.has(out)) {
          throw new ModelFormatError(`${source}: node '${this.nodeName(index)}' overwrites graph input or initializer '${out}'`);
        }
        this.producer.set(out, index);
      }
    });
    this.nodes.forEach((node, index) => {
      node.input.forEach((name, slot) => {
        if (name) this.addUse(name, index, slot);
      });
      for (const name of subgraphOuterNames(node)) this.addUse(name, index, -1);
    });
    for (const [name, list] of this.uses) {
      if (!this.isDefined(name)) {
        const user = this.nodeName(list[0]!.node);
        throw new ModelFormatError(`${source}: node '${user}' reads tensor '${name}', which nothing produces (dangling name)`);
      }
    }
    for (const o of this.graphOutputs) {
      if (!this.isDefined(o)) throw new ModelFormatError(`${source}: graph output '${o}' is never produced`);
    }
    this.order = this.topologicalOrder();
  }

  private addUse(name: string, node: number, input: number): void {
    let list = this.uses.get(name);
    if (!list) this.uses.set(name, (list = []));
    list.push({ node, input });
  }

  isDefined(name: string): boolean {
    return this.producer.has(name) || this.initializers.has(name) || this.graphInputs.has(name);
  }

  /** A stable display name: the node's name, or op#index when the exporter left it empty. */
  nodeName(index: number): string {
    const n = this.nodes[index]!;
    return n.name && n.name.length > 0 ? n.name : `${n.opType ?? "?"}#${index}`;
  }

  producerOf(tensor: string): number | undefined {
    return this.producer.get(tensor);
  }

  consumersOf(tensor: string): readonly Use[] {
    return this.uses.get(tensor) ?? [];
  }

  initializer(name: string): TensorProto | undefined {
    return this.initializers.get(name);
  }

  isGraphInput(name: string): boolean {
    return this.graphInputs.has(name) && !this.initializers.has(name);
  }

  isGraphOutput(name: string): boolean {
    return this.graphOutputs.has(name);
  }

  /** Inputs the user must feed (graph inputs that are not initializers). */
  get runtimeInputs(): string[] {
    return this.graph.input.map((i) => i.name ?? "").filter((n) => n && !this.initializers.has(n));
  }

  /**
   * The constant value behind a tensor name: an initializer, a Constant node's value, or either
   * seen through Identity/Cast chains. undefined when the value is computed at run time.
   */
  constantTensor(name: string): TensorProto | undefined {
    const init = this.initializers.get(name);
    if (init) return this.graphInputs.has(name) ? undefined : init; // an overridable input is not constant
    const p = this.producer.get(name);
    if (p === undefined) return undefined;
    const node = this.nodes[p]!;
    if (node.opType === "Constant" && isDefaultDomain(node)) return constantNodeValue(node, this.nodeName(p));
    if ((node.opType === "Identity" || node.opType === "Cast") && isDefaultDomain(node) && node.input[0]) {
      const inner = this.constantTensor(node.input[0]);
      if (!inner) return undefined;
      // A Cast changes the data type; callers read values as numbers, so only the type differs.
      return inner;
    }
    return undefined;
  }

  private topologicalOrder(): number[] {
    const n = this.nodes.length;
    const pending = new Int32Array(n);
    const dependents: number[][] = Array.from({ length: n }, () => []);
    this.nodes.forEach((node, index) => {
      const deps = new Set<number>();
      for (const name of [...node.input, ...subgraphOuterNames(node)]) {
        const p = name ? this.producer.get(name) : undefined;
        if (p !== undefined) deps.add(p);
      }
      pending[index] = deps.size;
      for (const d of deps) dependents[d]!.push(index);
    });
    const ready: number[] = [];
    for (let i = n - 1; i >= 0; i--) if (pending[i] === 0) ready.push(i);
    const order: number[] = [];
    while (ready.length > 0) {
      const i = ready.pop()!;
      order.push(i);
      // Push in reverse so nodes come out in file order where the graph allows it.
      const next = dependents[i]!;
      for (let k = next.length - 1; k >= 0; k--) {
        const d = next[k]!;
        if (--pending[d]! === 0) ready.push(d);
      }
    }
    if (order.length !== n) {
      const stuck = this.nodes.findIndex((_, i) => pending[i]! > 0);
      throw new ModelFormatError(`${this.source}: the graph has a cycle through node '${this.nodeName(stuck)}'`);
    }
    return order;
  }
}

export function isDefaultDomain(node: NodeProto): boolean {
  return !node.domain || node.domain === "ai.onnx";
}

export function attribute(node: NodeProto, name: string): AttributeProto | undefined {
  return node.attribute.find((a) => a.name === name);
}

export function attrInt(node: NodeProto, name: string, fallback: number): number {
  const a = attribute(node, name);
  return a && a.i !== undefined && a.i !== null ? int64ToNumber(a.i) : fallback;
}

export function attrInts(node: NodeProto, name: string): number[] | undefined {
  const a = attribute(node, name);
  return a ? (a.ints ?? []).map(int64ToNumber) : undefined;
}

export function attrFloat(node: NodeProto, name: string, fallback: number): number {
  const a = attribute(node, name);
  return a && a.f !== undefined && a.f !== null ? a.f : fallback;
}

export function attrString(node: NodeProto, name: string): string | undefined {
  const a = attribute(node, name);
  return a?.s ? new TextDecoder().decode(a.s) : undefined;
}

/** Names a node's subgraphs (If/Loop/Scan bodies) read from the enclosing scope. */
function subgraphOuterNames(node: NodeProto): string[] {
  const graphs: GraphProto[] = [];
  for (const a of node.attribute) {
    if (a.g) graphs.push(a.g);
    if (a.graphs) graphs.push(...a.graphs);
  }
  if (graphs.length === 0) return [];
  const names = new Set<string>();
  for (const g of graphs) collectOuterNames(g, names);
  return [...names];
}

function collectOuterNames(g: GraphProto, out: Set<string>): void {
  const local = new Set<string>();
  for (const i of g.input) if (i.name) local.add(i.name);
  for (const t of g.initializer) if (t.name) local.add(t.name);
  for (const n of g.node) for (const o of n.output) if (o) local.add(o);
  for (const n of g.node) {
    for (const i of n.input) if (i && !local.has(i)) out.add(i);
    for (const a of n.attribute) {
      const inner = new Set<string>();
      if (a.g) collectOuterNames(a.g, inner);
      for (const sg of a.graphs ?? []) collectOuterNames(sg, inner);
      for (const i of inner) if (!local.has(i)) out.add(i);
    }
  }
  for (const o of g.output) if (o.name && !local.has(o.name)) out.add(o.name);
}

function constantNodeValue(node: NodeProto, where: string): TensorProto | undefined {
  const a = node.attribute[0];
  if (!a) throw new ModelFormatError(`Constant node '${where}' has no value attribute`);
  switch (a.name) {
    case "value":
      if (!a.t) throw new ModelFormatError(`Constant node '${where}': 'value' is not a tensor`);
      return a.t;
    case "value_float": return makeFloatTensor(where, [], new Float32Array([a.f ?? 0]));
    case "value_floats": return makeFloatTensor(where, [a.floats?.length ?? 0], Float32Array.from(a.floats ?? []));
    case "value_int": return makeInt64Tensor(where, [], [int64ToNumber(a.i)]);
    case "value_ints": return makeInt64Tensor(where, [a.ints?.length ?? 0], (a.ints ?? []).map(int64ToNumber));
    default:
      // value_string(s) and sparse_value carry no numbers we could slice: not a usable constant.
      return undefined;
  }
}
