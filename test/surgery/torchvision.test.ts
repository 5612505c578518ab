/**
 * Mask equivalence on torchvision exports (fixtures/zoo/*.onnx, made by tools/export_zoo.py and
 * git-ignored). Each model runs when its file is present and is skipped, by name, when absent.
 * One random keep set per model at ratio 0.5, batch 1, to stay fast.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { GraphIndex } from "../../src/graph/graph-index.js";
import { inferShapes } from "../../src/graph/shapes.js";
import { buildChannelGroups } from "../../src/groups/index.js";
import { decodeModel } from "../../src/onnx/model-io.js";
import { applyKeepSets } from "../../src/surgery/index.js";
import { SeededRandom } from "../../src/util/random.js";
import { maskModel, randomInput, randomKeepSets, relativeError, runModel } from "./mask.js";

const DIR = join(import.meta.dirname, "..", "..", "fixtures", "zoo");
const MODELS = [
  "resnet18", "resnet50", "mobilenet_v2", "mobilenet_v3_small", "densenet121", "squeezenet1_1",
  "shufflenet_v2_x0_5", "efficientnet_b0", "googlenet", "regnet_y_400mf", "mnasnet0_5",
];
const SHAPE = [1, 3, 224, 224];

describe("mask equivalence on torchvision exports", () => {
  for (const name of MODELS) {
    const path = join(DIR, `${name}.onnx`);
    const present = existsSync(path);
    const title = present
      ? `${name}: pruned model = masked original (ratio 0.5, one random keep set)`
      : `${name}: SKIPPED — fixtures/zoo/${name}.onnx absent (run tools/export_zoo.py)`;
    it.skipIf(!present)(title, async () => {
      const model = decodeModel(readFileSync(path), path);
      const shapes = await inferShapes(model, { input: SHAPE }, name);
      const groups = buildChannelGroups(new GraphIndex(model, name), shapes);
      const prunable = groups.filter((g) => g.prunable);
      expect(prunable.length, `${name} has prunable groups`).toBeGreaterThan(0);
      // nothing unsafe: the logits group stays whole
      for (const g of groups) {
        if (g.producers.some((p) => model.graph!.output.some((o) => o.name === p.output || o.name === p.tap))) expect(g.prunable).toBe(false);
      }
      const keep = randomKeepSets(groups, new SeededRandom(name.length), 0.5);
      const { model: pruned } = applyKeepSets(model, groups, keep, name);
      const x = randomInput(SHAPE, 3);
      const [got, want] = await Promise.all([
        runModel(pruned, x, SHAPE, `${name} pruned`),
        runModel(maskModel(model, groups, keep), x, SHAPE, `${name} masked`),
      ]);
      expect(got[0]!.length).toBe(want[0]!.length); // graph output shape intact
      expect(relativeError(got, want)).toBeLessThanOrEqual(1e-4);
    });
  }
});
