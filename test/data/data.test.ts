import { encode as encodePng } from "fast-png";
import jpeg from "jpeg-js";
import { describe, expect, it } from "vitest";
import { checkDataFitsInput, imageCalibration, labelsFromNpy, npyCalibration } from "../../src/data/calibration.js";
import { encodeNpy, parseNpy } from "../../src/data/npy.js";
import { DataError } from "../../src/errors.js";

describe(".npy", () => {
  it("round-trips float32, uint8 and int64 arrays", () => {
    const f = parseNpy(encodeNpy({ dtype: "float32", shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, -6.5]) }), "f.npy");
    expect(f.dtype).toBe("float32");
    expect(f.shape).toEqual([2, 3]);
    expect(Array.from(f.data)).toEqual([1, 2, 3, 4, 5, -6.5]);
    const l = parseNpy(encodeNpy({ dtype: "int64", shape: [3], data: [0, 9, 2 ** 40] }), "l.npy");
    expect(Array.from(l.data)).toEqual([0, 9, 2 ** 40]);
  });

  it("rejects bad files with the file name", () => {
    expect(() => parseNpy(new Uint8Array([1, 2, 3]), "junk.npy")).toThrow(/junk\.npy: not a \.npy/);
    const good = encodeNpy({ dtype: "float32", shape: [4], data: new Float32Array(4) });
    expect(() => parseNpy(good.subarray(0, good.length - 2), "cut.npy")).toThrow(/cut\.npy: holds 14 data bytes/);
    const header = new TextEncoder().encode("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }");
    const bad = new Uint8Array(10 + header.length + 8);
    bad.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    new DataView(bad.buffer).setUint16(8, header.length, true);
    bad.set(header, 10);
    expect(() => parseNpy(bad, "complex.npy")).toThrow(/unsupported dtype '<c8'/);
  });

  it("converts NHWC uint8 with scale, mean and std, and names non-finite samples", () => {
    const raw = new Uint8Array([0, 255, 51, 102, 153, 204, 10, 20]); // N=1, H=2, W=2, C=2
    const set = npyCalibration({ dtype: "uint8", shape: [1, 2, 2, 2], data: raw }, "x.npy", { layout: "nhwc", mean: [0.5, 0], std: [0.5, 1] });
    expect(set.sampleShape).toEqual([2, 2, 2]);
    const out = new Float32Array(8);
    set.read(0, 1, out);
    expect(Array.from(out).map((v) => Math.round(v * 1000) / 1000)).toEqual([-1, -0.6, 0.2, -0.922, 1, 0.4, 0.8, 0.078]);
    const nan = npyCalibration({ dtype: "float32", shape: [2, 1, 1, 1], data: new Float32Array([1, NaN]) }, "nan.npy");
    expect(() => nan.read(0, 2, new Float32Array(2))).toThrow(/nan\.npy: sample 1 has a non-finite value/);
    expect(() => checkDataFitsInput(set, [-1, 3, 2, 2], "input", "m.onnx")).toThrow(DataError);
    expect(() => labelsFromNpy({ dtype: "float32", shape: [2], data: new Float32Array(2) }, "y.npy")).toThrow(/labels must be integers/);
  });
});

describe("images", () => {
  const png = (w: number, h: number, channels: 1 | 3, fill: (i: number) => number) =>
    ({ name: `img_${w}x${h}.png`, bytes: encodePng({ width: w, height: h, channels, depth: 8, data: Uint8Array.from({ length: w * h * channels }, (_, i) => fill(i)) }) });

  it("decodes PNG and JPEG, converts channels and resizes bilinearly", () => {
    const grey = png(4, 4, 1, (i) => i * 16);
    const set = imageCalibration([grey], "imgs", { channels: 1 });
    const out = new Float32Array(16);
    set.read(0, 1, out);
    expect(out[5]).toBeCloseTo((5 * 16) / 255, 6);
    const half = imageCalibration([grey], "imgs", { channels: 1, size: { height: 2, width: 2 } });
    const small = new Float32Array(4);
    half.read(0, 1, small);
    // Each output pixel averages a 2×2 block (align_corners = false): pixel (0,0) = mean of 0,16,64,80.
    expect(small[0]).toBeCloseTo(40 / 255, 5);
    const rgb = jpeg.encode({ width: 8, height: 8, data: new Uint8Array(8 * 8 * 4).fill(200) }, 95);
    const j = imageCalibration([{ name: "a.jpg", bytes: new Uint8Array(rgb.data) }], "imgs", { channels: 3 });
    const px = new Float32Array(3 * 64);
    j.read(0, 1, px);
    expect(Math.abs(px[0]! - 200 / 255)).toBeLessThan(0.02);
  });

  it("names the file for corrupt images, non-images, mixed sizes and empty folders", () => {
    expect(() => imageCalibration([], "empty/", { channels: 1 })).toThrow(/empty\/: no PNG or JPEG images/);
    expect(() => imageCalibration([{ name: "notes.png", bytes: new TextEncoder().encode("hello") }], "d", { channels: 1 })).toThrow(/notes\.png: not a PNG or JPEG/);
    const good = png(4, 4, 1, () => 1);
    const broken = { name: "broken.png", bytes: good.bytes.slice(0, 30) };
    expect(() => imageCalibration([broken], "d", { channels: 1 })).toThrow(/broken\.png: corrupt image/);
    expect(() => imageCalibration([good, png(5, 4, 1, () => 1)], "d", { channels: 1 })).toThrow(/img_5x4\.png: image is 5×4 .* pass --size/);
  });
});
