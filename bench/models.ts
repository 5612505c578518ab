/** Benchmark models with random weights, made with the test builder (no files to download). */
import { ModelBuilder } from "../test/helpers/model-builder.js";
import type { ModelProto } from "../src/onnx/proto.js";

/** VGG-16 layout (13 convs, 3 FC) at half width for 32×32 inputs: about 4 M parameters. */
export function vgg16Half(seed = 1): ModelProto {
  const b = new ModelBuilder(seed);
  let h = b.input("input", ["N", 3, 32, 32]);
  const plan = [32, 32, "M", 64, 64, "M", 128, 128, 128, "M", 256, 256, 256, "M", 256, 256, 256, "M"] as const;
  let i = 0;
  for (const p of plan) {
    if (p === "M") h = b.op1("MaxPool", [h], { kernel_shape: [2, 2], strides: [2, 2] });
    else h = b.relu(b.conv(h, { out: p, name: `features.${i++}` }));
  }
  const f = b.setChannels(b.op1("Flatten", [h], { axis: 1 }), 256);
  const fc1 = b.relu(b.gemm(f, 256, 256, "classifier.0"));
  const fc2 = b.relu(b.gemm(fc1, 256, 256, "classifier.3"));
  b.output(b.gemm(fc2, 256, 10, "classifier.6"));
  return b.build("vgg16_half");
}
