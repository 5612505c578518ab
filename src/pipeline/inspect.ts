/** inspect(model): layers with channels, kernels, params, MACs, shapes; and the channel groups. */
import { countModel, type LayerCount } from "../graph/count.js";
import { GraphIndex } from "../graph/graph-index.js";
import { inferShapes } from "../graph/shapes.js";
import { buildChannelGroups, describeGroups, type GroupDescription } from "../groups/index.js";
import type { ModelProto } from "../onnx/proto.js";

export interface InspectReport {
  params: number;
  macs: number;
  otherOps: number;
  inputs: { name: string; shape: number[] }[];
  layers: LayerCount[];
  groups: GroupDescription[];
}

export async function inspect(model: ModelProto, options: { inputShape?: number[]; source?: string } = {}): Promise<InspectReport> {
  const source = options.source ?? "model";
  const index = new GraphIndex(model, source);
  const requested: Record<string, number[]> = {};
  const first = index.runtimeInputs[0];
  if (options.inputShape && first) requested[first] = options.inputShape;
  const shapes = await inferShapes(model, requested, source);
  const count = countModel(index, shapes);
  const groups = buildChannelGroups(index, shapes);
  return {
    params: count.params,
    macs: count.macs,
    otherOps: count.otherOps,
    inputs: index.runtimeInputs.map((name) => ({ name, shape: shapes.get(name) ?? [] })),
    layers: count.layers,
    groups: describeGroups(groups),
  };
}
