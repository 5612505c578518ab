/**
 * A small ONNX graph builder for synthetic test fixtures: seeded random weights, readable names.
 * Used to make the fixture zoo in test code (no Python at test time).
 */
import type { AttributeProto, ModelProto, NodeProto, TensorProto, ValueInfoProto } from "../../src/onnx/proto.js";
import { makeFloatTensor, makeInt64Tensor } from "../../src/onnx/tensor.js";
import { SeededRandom } from "../../src/util/random.js";

export type AttrValue = number | number[] | string | TensorProto | { float: number } | { floats: number[] };

export interface ConvSpec {
  out: number;
  kernel?: number | [number, number];
  stride?: number;
  pad?: number;
  group?: number;
  dilation?: number;
  bias?: boolean;
  name?: string;
}

export class ModelBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  readonly inputs: ValueInfoProto[] = [];
  readonly outputs: ValueInfoProto[] = [];
  readonly rng: SeededRandom;
  private counter = 0;
  /** Channel count of each tensor the builder made (NCHW axis 1), for conv weight shapes. */
  readonly channels = new Map<string, number>();
  opset = 13;

  constructor(seed = 1) {
    this.rng = new SeededRandom(seed);
  }

  fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  input(name: string, dims: (number | string)[]): string {
    this.inputs.push(valueInfo(name, dims));
    if (typeof dims[1] === "number") this.channels.set(name, dims[1]);
    return name;
  }

  output(name: string, dims?: (number | string)[]): void {
    this.outputs.push(valueInfo(name, dims));
  }

  weight(name: string, dims: number[], scale = 1): string {
    const n = dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = this.rng.normal() * scale;
    this.initializers.push(makeFloatTensor(name, dims, data));
    return name;
  }

  constant(name: string, dims: number[], values: number[] | Float32Array): string {
    this.initializers.push(makeFloatTensor(name, dims, Float32Array.from(values)));
    return name;
  }

  intConstant(name: string, values: number[]): string {
    this.initializers.push(makeInt64Tensor(name, [values.length], values));
    return name;
  }

  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, options: { name?: string; outputs?: number } = {}): string[] {
    const name = options.name ?? this.fresh(opType.toLowerCase());
    const outs = Array.from({ length: options.outputs ?? 1 }, (_, i) => (options.outputs && options.outputs > 1 ? `${name}_out${i}` : `${name}_out`));
    this.nodes.push({
      name,
      opType,
      input: inputs,
      output: outs,
      attribute: Object.entries(attrs).map(([k, v]) => makeAttribute(k, v)),
      domain: "",
    });
    return outs;
  }

  op1(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, name?: string): string {
    const out = this.op(opType, inputs, attrs, { name })[0]!;
    const c = this.channels.get(inputs[0]!);
    if (c !== undefined) this.channels.set(out, c);
    return out;
  }

  conv(x: string, spec: ConvSpec): string {
    const cin = this.channelsOf(x);
    const k = Array.isArray(spec.kernel) ? spec.kernel : [spec.kernel ?? 3, spec.kernel ?? 3];
    const group = spec.group ?? 1;
    const name = spec.name ?? this.fresh("conv");
    const fanIn = (cin / group) * k[0] * k[1];
    const w = this.weight(`${name}.weight`, [spec.out, cin / group, k[0], k[1]], Math.sqrt(2 / fanIn));
    const inputs = [x, w];
    if (spec.bias ?? true) inputs.push(this.weight(`${name}.bias`, [spec.out], 0.1));
    const pad = spec.pad ?? Math.floor(k[0] / 2);
    const attrs: Record<string, AttrValue> = {
      kernel_shape: k, strides: [spec.stride ?? 1, spec.stride ?? 1], pads: [pad, pad, pad, pad],
      group, dilations: [spec.dilation ?? 1, spec.dilation ?? 1],
    };
    const out = this.op("Conv", inputs, attrs, { name })[0]!;
    this.channels.set(out, spec.out);
    return out;
  }

  convTranspose(x: string, spec: ConvSpec): string {
    const cin = this.channelsOf(x);
    const k = Array.isArray(spec.kernel) ? spec.kernel : [spec.kernel ?? 2, spec.kernel ?? 2];
    const group = spec.group ?? 1;
    const name = spec.name ?? this.fresh("deconv");
    const w = this.weight(`${name}.weight`, [cin, spec.out / group, k[0], k[1]], Math.sqrt(1 / cin));
    const inputs = [x, w];
    if (spec.bias ?? true) inputs.push(this.weight(`${name}.bias`, [spec.out], 0.1));
    const out = this.op("ConvTranspose", inputs, { kernel_shape: k, strides: [spec.stride ?? 2, spec.stride ?? 2], group }, { name })[0]!;
    this.channels.set(out, spec.out);
    return out;
  }

  batchNorm(x: string, name = this.fresh("bn")): string {
    const c = this.channelsOf(x);
    const scale = this.constant(`${name}.scale`, [c], Array.from({ length: c }, () => 0.5 + this.rng.next()));
    const bias = this.constant(`${name}.bias`, [c], Array.from({ length: c }, () => this.rng.normal() * 0.1));
    const mean = this.constant(`${name}.mean`, [c], Array.from({ length: c }, () => this.rng.normal() * 0.1));
    const variance = this.constant(`${name}.var`, [c], Array.from({ length: c }, () => 0.5 + this.rng.next()));
    return this.op1("BatchNormalization", [x, scale, bias, mean, variance], { epsilon: { float: 1e-5 } }, name);
  }

  relu(x: string): string {
    return this.op1("Relu", [x]);
  }

  gemm(x: string, inFeatures: number, out: number, name = this.fresh("fc")): string {
    const w = this.weight(`${name}.weight`, [out, inFeatures], Math.sqrt(1 / inFeatures));
    const b = this.weight(`${name}.bias`, [out], 0.1);
    const y = this.op("Gemm", [x, w, b], { transB: 1 }, { name })[0]!;
    this.channels.set(y, out);
    return y;
  }

  channelsOf(x: string): number {
    const c = this.channels.get(x);
    if (c === undefined) throw new Error(`builder: unknown channel count of '${x}'`);
    return c;
  }

  setChannels(x: string, c: number): string {
    this.channels.set(x, c);
    return x;
  }

  build(name = "synthetic"): ModelProto {
    return {
      irVersion: 8,
      opsetImport: [{ domain: "", version: this.opset }],
      producerName: "onnx-prune test builder",
      producerVersion: "1",
      graph: {
        name,
        node: this.nodes,
        initializer: this.initializers,
        sparseInitializer: [],
        input: this.inputs,
        output: this.outputs,
        valueInfo: [],
        quantizationAnnotation: [],
      },
      metadataProps: [],
      trainingInfo: [],
      functions: [],
    };
  }
}

export function valueInfo(name: string, dims?: (number | string)[]): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: 1,
        shape: dims ? { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) } : undefined,
      },
    },
  };
}

function makeAttribute(name: string, v: AttrValue): AttributeProto {
  if (typeof v === "number") return { name, type: 2, i: v };
  if (typeof v === "string") return { name, type: 3, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: 7, ints: v };
  if ("float" in v) return { name, type: 1, f: v.float };
  if ("floats" in v) return { name, type: 6, floats: v.floats };
  return { name, type: 4, t: v };
}

// ---- additions for the channel-group fixture zoo ------------------------------------------------

/** Conv → BatchNormalization → activation; `act` names the activation op ("" for none). */
export function convBnAct(b: ModelBuilder, x: string, spec: ConvSpec, act = "Relu", attrs: Record<string, AttrValue> = {}): string {
  const y = b.batchNorm(b.conv(x, { ...spec, bias: spec.bias ?? false }));
  return act ? b.op1(act, [y], attrs) : y;
}

/** ReLU6 as exported by PyTorch: Clip with constant min/max inputs (opset ≥ 11). */
export function relu6(b: ModelBuilder, x: string): string {
  const lo = b.constant(b.fresh("clip_min"), [], [0]);
  const hi = b.constant(b.fresh("clip_max"), [], [6]);
  return b.op1("Clip", [x, lo, hi]);
}

/** x·σ(x) as exported by PyTorch for SiLU (Sigmoid then Mul). */
export function silu(b: ModelBuilder, x: string): string {
  return b.op1("Mul", [x, b.op1("Sigmoid", [x])]);
}

/** Global average pool → Flatten → Gemm head, the usual classifier. */
export function classifierHead(b: ModelBuilder, x: string, classes = 5): string {
  const c = b.channelsOf(x);
  const f = b.setChannels(b.op1("Flatten", [b.op1("GlobalAveragePool", [x])], { axis: 1 }), c);
  return b.gemm(f, c, classes);
}
