/**
 * A copy of a model that computes only the given tensors: graph outputs replaced, nodes and
 * initializers that do not lead to them dropped. Lets a stage run just the part it needs.
 */
import { cloneModel } from "../onnx/model-io.js";
import type { ModelProto } from "../onnx/proto.js";

export function truncateModel(model: ModelProto, outputs: readonly string[]): ModelProto {
  const copy = cloneModel(model);
  const g = copy.graph!;
  const producer = new Map<string, number>();
  g.node.forEach((n, i) => n.output.forEach((o) => o && producer.set(o, i)));
  const needed = new Set<number>();
  const stack = [...outputs];
  const seen = new Set<string>(stack);
  while (stack.length > 0) {
    const t = stack.pop()!;
    const p = producer.get(t);
    if (p === undefined || needed.has(p)) continue;
    needed.add(p);
    const node = g.node[p]!;
    const names = [...node.input];
    for (const a of node.attribute) {
      // Subgraph bodies may read outer names: keep their producers too.
      for (const sg of [a.g, ...(a.graphs ?? [])]) if (sg) for (const n of sg.node) names.push(...n.input);
    }
    for (const i of names) {
      if (i && !seen.has(i)) {
        seen.add(i);
        stack.push(i);
      }
    }
  }
  const byName = new Map(model.graph!.output.map((o) => [o.name, o]));
  g.node = g.node.filter((_, i) => needed.has(i));
  g.initializer = g.initializer.filter((t) => seen.has(t.name ?? ""));
  g.output = outputs.map((name) => byName.get(name) ?? { name });
  g.valueInfo = [];
  return copy;
}
