/**
 * Parameter and MAC counts against independently known figures for torchvision models
 * (exported by tools/export_zoo.py into fixtures/zoo/, which is not committed).
 *
 * MACs: torchvision/thop report 1.814 G for resnet18 and 300.8 M for mobilenet_v2 at 224².
 * Params: torch counts 11,689,512 and 3,504,872 parameters; the ONNX export folds each
 * BatchNorm into its conv (γ merges into the weights, β becomes the conv bias), so the exported
 * model has exactly torch's count minus the BN γ entries (4,800 and 17,056 BN channels).
 */
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { decodeModel } from "../../src/onnx/model-io.js";
import { inspect } from "../../src/pipeline/inspect.js";

const cases = [
  { name: "resnet18", macs: 1.814e9, torchParams: 11_689_512, bnChannels: 4_800, roundedParams: 11.69e6 },
  { name: "mobilenet_v2", macs: 300.8e6, torchParams: 3_504_872, bnChannels: 17_056, roundedParams: 3.505e6 },
];

describe("counts vs published torchvision figures", () => {
  for (const c of cases) {
    const file = `fixtures/zoo/${c.name}.onnx`;
    it.skipIf(!existsSync(file))(`${c.name}${existsSync(file) ? "" : " (skipped: run tools/export_zoo.py)"}`, async () => {
      const r = await inspect(decodeModel(new Uint8Array(readFileSync(file)), file), { source: file });
      expect(Math.abs(r.macs - c.macs) / c.macs).toBeLessThan(1e-3);
      expect(r.params).toBe(c.torchParams - c.bnChannels);
      // Within 0.1% of the rounded published figure once the folded γ are added back.
      expect(Math.abs(r.params + c.bnChannels - c.roundedParams) / c.roundedParams).toBeLessThan(1e-3);
    }, 120_000);
  }
});
