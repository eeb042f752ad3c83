import { describe, expect, it } from "vitest";
import { fans, initDistribution, initTensor, shapeSize, type InitSpec } from "../../runtime/init.js";
import { createRng } from "../../runtime/rng.js";

function stats(a: ArrayLike<number>): { mean: number; std: number; min: number; max: number } {
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < a.length; i++) {
    sum += a[i];
    if (a[i] < min) min = a[i];
    if (a[i] > max) max = a[i];
  }
  const mean = sum / a.length;
  let sq = 0;
  for (let i = 0; i < a.length; i++) sq += (a[i] - mean) ** 2;
  return { mean, std: Math.sqrt(sq / a.length), min, max };
}

describe("fans", () => {
  it("reads [in, out] weights as fanIn = in, fanOut = out", () => {
    expect(fans([3, 5])).toEqual({ fanIn: 3, fanOut: 5 });
    expect(fans([784, 128])).toEqual({ fanIn: 784, fanOut: 128 });
  });

  it("counts the receptive field for conv kernels [kh, kw, cin, cout]", () => {
    expect(fans([3, 3, 16, 32])).toEqual({ fanIn: 3 * 3 * 16, fanOut: 3 * 3 * 32 });
    expect(fans([5, 2, 7])).toEqual({ fanIn: 10, fanOut: 35 });
  });

  it("uses the size for biases and 1 for scalars", () => {
    expect(fans([7])).toEqual({ fanIn: 7, fanOut: 7 });
    expect(fans([])).toEqual({ fanIn: 1, fanOut: 1 });
  });

  it("rejects invalid shapes", () => {
    expect(() => fans([2, -1])).toThrow(/dimension 1/);
    expect(() => shapeSize([1.5])).toThrow(/non-negative integer/);
    expect(shapeSize([2, 3, 4])).toBe(24);
    expect(shapeSize([])).toBe(1);
  });
});

describe("initDistribution (torch.nn.init formulas, bounds worked out by hand)", () => {
  it("xavierUniform: bound = gain·sqrt(6 / (fanIn + fanOut))", () => {
    // [3, 5]: sqrt(6/8) = sqrt(0.75) = 0.8660254037844386
    expect(initDistribution([3, 5], { kind: "xavierUniform", gain: 1 })).toEqual({
      kind: "uniform",
      low: -Math.sqrt(0.75),
      high: Math.sqrt(0.75),
    });
    const d = initDistribution([3, 5], { kind: "xavierUniform", gain: 1 });
    expect(d.kind === "uniform" && d.high).toBeCloseTo(0.8660254037844386, 15);
    // [10, 20] with gain 2: 2·sqrt(6/30) = 2·sqrt(0.2) = 0.8944271909999159
    const g = initDistribution([10, 20], { kind: "xavierUniform", gain: 2 });
    expect(g.kind === "uniform" && g.high).toBeCloseTo(0.8944271909999159, 15);
  });

  it("xavierNormal: std = gain·sqrt(2 / (fanIn + fanOut))", () => {
    // [100, 300]: sqrt(2/400) = 0.07071067811865475
    const d = initDistribution([100, 300], { kind: "xavierNormal", gain: 1 });
    expect(d).toEqual({ kind: "normal", mean: 0, std: Math.sqrt(2 / 400) });
    expect(d.kind === "normal" && d.std).toBeCloseTo(0.07071067811865475, 16);
  });

  it("heUniform: bound = sqrt(3)·gain / sqrt(fanIn)", () => {
    // [4, 10], gain sqrt(2) (ReLU): std = sqrt(2)/2, bound = sqrt(3/2) = 1.224744871391589
    const d = initDistribution([4, 10], { kind: "heUniform", gain: Math.SQRT2 });
    expect(d.kind === "uniform" && d.high).toBeCloseTo(1.224744871391589, 14);
    expect(d).toEqual({
      kind: "uniform",
      low: -Math.sqrt(3) * (Math.SQRT2 / 2),
      high: Math.sqrt(3) * (Math.SQRT2 / 2),
    });
  });

  it("heNormal: std = gain / sqrt(fanIn), conv kernels included", () => {
    // [3, 3, 16, 32]: fanIn = 144, std = sqrt(2)/12 = 0.11785113019775792
    const d = initDistribution([3, 3, 16, 32], { kind: "heNormal", gain: Math.SQRT2 });
    expect(d.kind === "normal" && d.std).toBeCloseTo(0.11785113019775792, 16);
    expect(d).toEqual({ kind: "normal", mean: 0, std: Math.SQRT2 / Math.sqrt(144) });
  });

  it("passes uniform and normal parameters through, constants as fills", () => {
    expect(initDistribution([2], { kind: "uniform", low: -1, high: 3 })).toEqual({ kind: "uniform", low: -1, high: 3 });
    expect(initDistribution([2], { kind: "normal", mean: 1, std: 0.5 })).toEqual({ kind: "normal", mean: 1, std: 0.5 });
    expect(initDistribution([2], { kind: "zeros" })).toEqual({ kind: "fill", value: 0 });
    expect(initDistribution([2], { kind: "ones" })).toEqual({ kind: "fill", value: 1 });
    expect(initDistribution([2], { kind: "constant", value: 0.25 })).toEqual({ kind: "fill", value: 0.25 });
  });

  it("rejects invalid parameters", () => {
    expect(() => initDistribution([2], { kind: "uniform", low: 1, high: 0 })).toThrow(/low <= high/);
    expect(() => initDistribution([2], { kind: "normal", mean: 0, std: -1 })).toThrow(/std/);
    expect(() => initDistribution([2], { kind: "xavierUniform", gain: Number.NaN })).toThrow(/gain/);
    expect(() => initDistribution([2], { kind: "bogus" } as unknown as InitSpec)).toThrow(/unknown init kind "bogus"/);
  });
});

describe("initTensor", () => {
  it("fills zeros, ones, constants and explicit values exactly, without drawing", () => {
    const rng = createRng(1);
    const before = rng.state();
    expect(Array.from(initTensor(rng, [2, 3], { kind: "zeros" }, "f64"))).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Array.from(initTensor(rng, [4], { kind: "ones" }, "f32"))).toEqual([1, 1, 1, 1]);
    expect(Array.from(initTensor(rng, [3], { kind: "constant", value: -0.5 }, "f64"))).toEqual([-0.5, -0.5, -0.5]);
    expect(Array.from(initTensor(rng, [2, 2], { kind: "values", values: [1, 2.5, -3, 0.1] }, "f64"))).toEqual([
      1, 2.5, -3, 0.1,
    ]);
    expect(Array.from(initTensor(rng, [1], { kind: "values", values: [0.1] }, "f32"))).toEqual([Math.fround(0.1)]);
    expect(initTensor(rng, [], { kind: "constant", value: 7 }, "f64")).toEqual(new Float64Array([7]));
    expect(rng.state()).toEqual(before);
  });

  it("rejects values of the wrong length, naming both sizes", () => {
    expect(() => initTensor(createRng(1), [2, 3], { kind: "values", values: [1, 2, 3] }, "f64")).toThrow(
      "init values for shape [2, 3]: expected 6 values, got 3",
    );
  });

  it("returns the requested array type", () => {
    expect(initTensor(createRng(1), [3], { kind: "zeros" }, "f32")).toBeInstanceOf(Float32Array);
    expect(initTensor(createRng(1), [3], { kind: "zeros" }, "f64")).toBeInstanceOf(Float64Array);
    expect(() => initTensor(createRng(1), [3], { kind: "zeros" }, "f16" as "f32")).toThrow(/unknown dtype "f16"/);
  });

  it("draws one uniform per element, row-major: low + (high − low)·u", () => {
    const a = initTensor(createRng(5), [4, 5], { kind: "uniform", low: -2, high: 3 }, "f64");
    const ref = createRng(5);
    for (let i = 0; i < a.length; i++) expect(a[i]).toBe(-2 + 5 * ref.uniform());
  });

  it("draws one normal per element: mean + std·z", () => {
    const a = initTensor(createRng(6), [10], { kind: "normal", mean: 1, std: 0.1 }, "f64");
    const ref = createRng(6);
    for (let i = 0; i < a.length; i++) expect(a[i]).toBe(1 + 0.1 * ref.normal());
  });

  it("is deterministic for a seed, differs across seeds, and f32 is the rounded f64", () => {
    const spec: InitSpec = { kind: "xavierUniform", gain: 1 };
    const a = initTensor(createRng(42), [8, 4], spec, "f64");
    const b = initTensor(createRng(42), [8, 4], spec, "f64");
    const c = initTensor(createRng(43), [8, 4], spec, "f64");
    const f = initTensor(createRng(42), [8, 4], spec, "f32");
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    expect(Array.from(f)).toEqual(Array.from(a, Math.fround));
  });

  it("pins the first values for seed 42 (golden: initParams(42) must not drift)", () => {
    const w = initTensor(createRng(42), [2, 2], { kind: "uniform", low: 0, high: 1 }, "f64");
    expect(Array.from(w)).toEqual([0.15377165265745885, 0.018084542542176507, 0.5348906284683476, 0.7272476959257951]);
  });

  it("leaves zero-size tensors empty without drawing", () => {
    const rng = createRng(3);
    const before = rng.state();
    expect(initTensor(rng, [0, 5], { kind: "heNormal", gain: Math.SQRT2 }, "f64").length).toBe(0);
    expect(rng.state()).toEqual(before);
  });

  describe("statistics on 512×512 tensors", () => {
    const shape = [512, 512];
    const cases: { spec: InitSpec; std: number; bound?: number }[] = [
      // xavierUniform: bound = sqrt(6/1024), std of U(−b, b) = b/sqrt(3)
      { spec: { kind: "xavierUniform", gain: 1 }, bound: Math.sqrt(6 / 1024), std: Math.sqrt(6 / 1024) / Math.sqrt(3) },
      { spec: { kind: "xavierNormal", gain: 1 }, std: Math.sqrt(2 / 1024) },
      // heUniform with ReLU gain: std = sqrt(2)/sqrt(512) = 1/16, bound = sqrt(3)/16
      { spec: { kind: "heUniform", gain: Math.SQRT2 }, bound: Math.sqrt(3) / 16, std: 1 / 16 },
      { spec: { kind: "heNormal", gain: Math.SQRT2 }, std: 1 / 16 },
    ];
    for (const { spec, std, bound } of cases) {
      for (const dtype of ["f64", "f32"] as const) {
        it(`${spec.kind} (${dtype}): std within 2% of ${std.toPrecision(6)}, mean ≈ 0${bound ? ", inside the bound" : ""}`, () => {
          const a = initTensor(createRng(7), shape, spec, dtype);
          const s = stats(a);
          expect(Math.abs(s.std / std - 1)).toBeLessThan(0.02);
          expect(Math.abs(s.mean)).toBeLessThan(0.01 * std);
          if (bound !== undefined) {
            // Rounding to float32 is monotone, so f32 values stay within the rounded bound.
            const b = dtype === "f32" ? Math.fround(bound) : bound;
            expect(s.min).toBeGreaterThanOrEqual(-b);
            expect(s.max).toBeLessThanOrEqual(b);
            // …and the range is actually used.
            expect(s.max).toBeGreaterThan(0.99 * bound);
            expect(s.min).toBeLessThan(-0.99 * bound);
          }
        });
      }
    }
  });
});
