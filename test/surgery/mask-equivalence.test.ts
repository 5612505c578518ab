/**
 * Proof of correctness for groups + surgery: the pruned model computes exactly what the original
 * computes with the removed channels silenced at the consumers (see mask.ts).
 */
import { describe, expect, it } from "vitest";
import { GraphIndex } from "../../src/graph/graph-index.js";
import { inferShapes } from "../../src/graph/shapes.js";
import { buildChannelGroups } from "../../src/groups/index.js";
import { applyKeepSets } from "../../src/surgery/index.js";
import { tensorDims } from "../../src/onnx/tensor.js";
import { SeededRandom } from "../../src/util/random.js";
import { zoo } from "../helpers/zoo.js";
import { maskModel, randomInput, randomKeepSets, relativeError, runModel } from "./mask.js";

const KEEP_SETS_PER_FIXTURE = 6;

describe("mask equivalence on the synthetic zoo", () => {
  for (const fixture of zoo()) {
    it(`${fixture.name}: pruned model = masked original for ${KEEP_SETS_PER_FIXTURE} random keep sets`, async () => {
      const { model, inputShape, name } = fixture;
      const shapes = await inferShapes(model, { input: inputShape }, name);
      const groups = buildChannelGroups(new GraphIndex(model, name), shapes);
      expect(groups.some((g) => g.prunable)).toBe(true);
      const x = randomInput(inputShape, 7);
      const rng = new SeededRandom(name.length * 977);
      for (let trial = 0; trial < KEEP_SETS_PER_FIXTURE; trial++) {
        // trial 0 prunes half of every group; the others draw random sizes
        const keep = randomKeepSets(groups, rng, trial === 0 ? 0.5 : undefined);
        const { model: pruned } = applyKeepSets(model, groups, keep, name);
        for (const g of groups) {
          const k = keep.get(g.id);
          if (!k) continue;
          const p = g.producers[0]!;
          // read the weight the pruned node now uses (a copy-on-write copy may have a new name)
          const weightName = pruned.graph!.node[p.node]!.input[1];
          const w = pruned.graph!.initializer.find((t) => t.name === weightName)!;
          expect(tensorDims(w)[p.weightAxis], `${name}: producer '${p.name}' keeps ${k.length} channels`).toBe(k.length);
        }
        const [got, want] = await Promise.all([
          runModel(pruned, x, inputShape, `${name} pruned`),
          runModel(maskModel(model, groups, keep), x, inputShape, `${name} masked`),
        ]);
        const err = relativeError(got, want);
        expect(err, `${name} trial ${trial}`).toBeLessThanOrEqual(1e-4);
      }
    });
  }
});
