/**
 * The Fashion-MNIST fixtures the measurement tools share: kernels, the calibration set, the
 * 2,000 labelled test images, and top-1 accuracy on them.
 */
import { evaluate, loadCalibrationData, loadKernelsNode, loadLabels } from "../src/index.node.js";
import type { ModelProto } from "../src/onnx/proto.js";

export const kernels = await loadKernelsNode();
export const calib = loadCalibrationData("fixtures/data/fmnist_calib_x.npy", { channels: 1 });
const test = loadCalibrationData("fixtures/data/fmnist_test_x.npy", { channels: 1 });
const labels = loadLabels("fixtures/data/fmnist_test_y.npy");

/** Top-1 accuracy (0..1) on the 2,000 test images. */
export async function testAccuracy(model: ModelProto, name: string): Promise<number> {
  return (await evaluate(model, test, name, { labels, batchSize: 250, latencyRuns: 1 })).accuracy!;
}
