import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { resolveBatch, toArray, type InputSpec } from "../../runtime/inputs.js";

const XY: InputSpec[] = [
  { name: "x", shape: ["batch", 2], dtype: "f64" },
  { name: "y", shape: ["batch", 1], dtype: "f64" },
];
const IMAGES: InputSpec[] = [
  { name: "x", shape: ["batch", 2, 3], dtype: "f32" },
  { name: "labels", shape: ["batch"], dtype: "i32", classes: 3 },
];
const STATIC: InputSpec[] = [{ name: "w", shape: [2, 3], dtype: "f64" }];

describe("resolveBatch: happy paths", () => {
  it("derives n from the lengths, whatever array type carries the values", () => {
    expect(resolveBatch(XY, { x: [1, 2, 3, 4, 5, 6], y: [1, 2, 3] })).toBe(3);
    expect(resolveBatch(XY, { x: new Float64Array(8), y: new Float32Array(4) })).toBe(4);
    expect(resolveBatch(XY, { x: new Float32Array(2), y: [0.5] })).toBe(1);
  });

  it("accepts class labels as Int32Array or number[] within [0, classes)", () => {
    expect(resolveBatch(IMAGES, { x: new Float32Array(12), labels: new Int32Array([0, 2]) })).toBe(2);
    expect(resolveBatch(IMAGES, { x: new Float64Array(18), labels: [2, 1, 0] })).toBe(3);
  });

  it("accepts any int32 when an i32 input has no class count", () => {
    const specs: InputSpec[] = [{ name: "k", shape: ["batch"], dtype: "i32" }];
    expect(resolveBatch(specs, { k: [-5, 0, 2147483647, -2147483648] })).toBe(4);
  });

  it("ignores fields that are not inputs", () => {
    expect(resolveBatch(XY, { x: [1, 2], y: [3], note: "hello", extra: [1, 2, 3] })).toBe(1);
  });

  it("checks static inputs exactly and returns 1 (or the fixed batch) without a batch dimension", () => {
    expect(resolveBatch(STATIC, { w: [1, 2, 3, 4, 5, 6] })).toBe(1);
    expect(resolveBatch(STATIC, { w: [1, 2, 3, 4, 5, 6] }, 8)).toBe(8);
    expect(resolveBatch([], {})).toBe(1);
  });

  it("mixes batched and static inputs", () => {
    const specs: InputSpec[] = [...XY, { name: "scale", shape: [1], dtype: "f64" }];
    expect(resolveBatch(specs, { x: [1, 2, 3, 4], y: [1, 2], scale: [2] })).toBe(2);
  });

  it("accepts the fixed batch size when the lengths agree", () => {
    expect(resolveBatch(XY, { x: new Float64Array(6), y: new Float64Array(3) }, 3)).toBe(3);
  });

  it("handles a batch dimension that is not the first axis", () => {
    const specs: InputSpec[] = [{ name: "xt", shape: [2, "batch"], dtype: "f64" }];
    expect(resolveBatch(specs, { xt: [1, 2, 3, 4, 5, 6] })).toBe(3);
  });
});

describe("resolveBatch: errors name the input, the expected and the actual size", () => {
  it("rejects inputs that are not an object", () => {
    expect(() => resolveBatch(XY, null)).toThrow('inputs must be an object with fields "x", "y", got null');
    expect(() => resolveBatch(XY, undefined)).toThrow(/got undefined/);
    expect(() => resolveBatch(XY, [1, 2])).toThrow(/got an array of 2/);
    expect(() => resolveBatch(XY, new Float64Array(3))).toThrow(/got Float64Array\(3\)/);
    expect(() => resolveBatch(XY, 5)).toThrow(/got 5/);
  });

  it("reports a missing input with its expected size", () => {
    expect(() => resolveBatch(XY, { y: [1, 2, 3] })).toThrow(
      'missing input "x": expected a Float64Array, Float32Array or number[] (dtype f64) of n × 2 values (batch × [2]), got undefined',
    );
    expect(() => resolveBatch(STATIC, {})).toThrow(/missing input "w": .* of 6 values \(\[2, 3\]\), got undefined/);
    // Once n is known, the expected count is exact.
    expect(() => resolveBatch(XY, { x: [1, 2, 3, 4] })).toThrow(
      /missing input "y": .* of 2 values \(batch 2 × \[1\]\)/,
    );
  });

  it("rejects arrays of the wrong type", () => {
    expect(() => resolveBatch(XY, { x: new Int32Array(6), y: [1, 2, 3] })).toThrow(
      /input "x": expected a Float64Array, Float32Array or number\[\] \(dtype f64\) .*got Int32Array\(6\)/,
    );
    expect(() => resolveBatch(XY, { x: "1,2", y: [1] })).toThrow(/input "x": .*got "1,2"/);
    expect(() => resolveBatch(XY, { x: { 0: 1, length: 1 }, y: [1] })).toThrow(/input "x": .*got an object/);
    expect(() => resolveBatch(IMAGES, { x: new Float32Array(6), labels: new Float64Array([1]) })).toThrow(
      /input "labels": expected an Int32Array or number\[\] \(dtype i32\) of 1 values \(batch 1\), got Float64Array\(1\)/,
    );
  });

  it("rejects a length that is not a whole number of rows", () => {
    expect(() => resolveBatch(XY, { x: [1, 2, 3, 4, 5], y: [1, 2, 3] })).toThrow(
      'input "x": expected a multiple of 2 values (batch × [2]), got 5',
    );
  });

  it("rejects an empty batch", () => {
    expect(() => resolveBatch(XY, { x: [], y: [] })).toThrow(
      'input "x": expected at least one row of 2 values (batch × [2]), got 0',
    );
  });

  it("rejects inputs that disagree on the batch size, naming both", () => {
    expect(() => resolveBatch(XY, { x: [1, 2, 3, 4, 5, 6], y: [1, 2, 3, 4] })).toThrow(
      'input "y": expected 3 values (batch 3 × [1]), got 4, a batch of 4; input "x" has 6 values, a batch of 3',
    );
    expect(() => resolveBatch(XY, { x: [1, 2, 3, 4], y: [1, 2, 3, 4, 5].slice(0, 0) })).toThrow(
      /input "y": expected 2 values .*got 0, a batch of 0; input "x" has 4 values/,
    );
  });

  it("rejects lengths that do not match a fixed batch size", () => {
    expect(() => resolveBatch(XY, { x: [1, 2, 3, 4, 5], y: [1, 2, 3] }, 3)).toThrow(
      'input "x": expected 6 values (batch 3 × [2]), got 5; the batch size is fixed at 3',
    );
    expect(() => resolveBatch(XY, { x: new Float64Array(6), y: new Float64Array(3) }, 4)).toThrow(
      /input "x": expected 8 values \(batch 4 × \[2\]\), got 6/,
    );
  });

  it("rejects static inputs of the wrong size", () => {
    expect(() => resolveBatch(STATIC, { w: [1, 2, 3, 4, 5] })).toThrow('input "w": expected 6 values ([2, 3]), got 5');
  });

  it("rejects non-finite and non-numeric float values, naming index and value", () => {
    expect(() => resolveBatch(XY, { x: [1, 2, Number.NaN, 4], y: [1, 2] })).toThrow(
      'input "x": index 2 (element [1, 0]) is NaN, expected a finite number',
    );
    expect(() => resolveBatch(XY, { x: new Float32Array([1, 2]), y: new Float32Array([-Infinity]) })).toThrow(
      'input "y": index 0 (element [0, 0]) is -Infinity, expected a finite number',
    );
    expect(() => resolveBatch(STATIC, { w: [1, 2, 3, 4, 5, Infinity] })).toThrow(
      'input "w": index 5 (element [1, 2]) is Infinity',
    );
    expect(() => resolveBatch(XY, { x: [1, 2], y: ["3"] })).toThrow('input "y": index 0 (element [0, 0]) is "3"');
    expect(() => resolveBatch(XY, { x: [1, ,], y: [1] })).toThrow(/input "x": index 1 .* is undefined/);
  });

  it("finds a non-finite value at any place of a typed array (the scan's four sums and its tail), and takes −0", () => {
    const ROWS: InputSpec[] = [{ name: "v", shape: ["batch"], dtype: "f64" }];
    for (const Typed of [Float32Array, Float64Array]) {
      for (const length of [1, 4, 9]) {
        for (let at = 0; at < length; at++) {
          for (const bad of [Number.NaN, Infinity, -Infinity]) {
            const v = new Typed(length).fill(-0.5);
            v[at] = bad;
            expect(() => resolveBatch(ROWS, { v })).toThrow(`input "v": index ${at} is ${String(bad)}, expected a finite number`);
          }
        }
        expect(resolveBatch(ROWS, { v: new Typed(length).fill(-0) })).toBe(length);
        expect(resolveBatch(ROWS, { v: new Typed(length).fill(-3.4e38) })).toBe(length);
      }
    }
  });

  it("rejects doubles that overflow a float32 input", () => {
    expect(() => resolveBatch(IMAGES, { x: new Float64Array(6).fill(1e39), labels: [0] })).toThrow(
      'input "x": index 0 (element [0, 0, 0]) is 1e+39, which overflows float32 (input dtype f32)',
    );
    // The largest float32 itself is fine.
    expect(resolveBatch(IMAGES, { x: new Float64Array(6).fill(3.4028234663852886e38), labels: [0] })).toBe(1);
  });

  it("rejects class labels that are not integers in [0, classes), naming index, value and range", () => {
    expect(() => resolveBatch(IMAGES, { x: new Float32Array(12), labels: new Int32Array([0, 3]) })).toThrow(
      'input "labels": index 1 is 3, expected an integer class index in [0, 3)',
    );
    expect(() => resolveBatch(IMAGES, { x: new Float32Array(12), labels: [-1, 0] })).toThrow(
      /index 0 is -1, .*\[0, 3\)/,
    );
    expect(() => resolveBatch(IMAGES, { x: new Float32Array(12), labels: [0, 1.5] })).toThrow(/index 1 is 1\.5/);
    expect(() => resolveBatch(IMAGES, { x: new Float32Array(12), labels: [Number.NaN, 1] })).toThrow(/index 0 is NaN/);
  });

  it("rejects i32 values outside int32 when there is no class count", () => {
    const specs: InputSpec[] = [{ name: "k", shape: ["batch"], dtype: "i32" }];
    expect(() => resolveBatch(specs, { k: [1, 2 ** 31] })).toThrow(
      'input "k": index 1 is 2147483648, expected an integer in [-2147483648, 2147483647] (input dtype i32)',
    );
  });

  it("rejects an invalid fixed batch size", () => {
    expect(() => resolveBatch(XY, { x: [1, 2], y: [1] }, 0)).toThrow(/fixed batch size must be an integer >= 1, got 0/);
    expect(() => resolveBatch(XY, { x: [1, 2], y: [1] }, 1.5)).toThrow(/got 1\.5/);
  });

  it("rejects malformed specs (compiler bugs)", () => {
    const bad = (specs: unknown) => () => resolveBatch(specs as InputSpec[], { a: [1], b: [1] });
    expect(bad([{ name: "a", shape: ["n", 2, "n"], dtype: "f64" }])).toThrow(/"a": more than one batch dimension/);
    expect(
      bad([
        { name: "a", shape: ["n"], dtype: "f64" },
        { name: "b", shape: ["m"], dtype: "f64" },
      ]),
    ).toThrow(/"b": batch dimension "m" differs from "n"/);
    expect(bad([{ name: "a", shape: [-1], dtype: "f64" }])).toThrow(/"a": dimension -1/);
    expect(bad([{ name: "a", shape: [1], dtype: "f16" }])).toThrow(/"a": unknown dtype "f16"/);
    expect(bad([{ name: "a", shape: [1], dtype: "i32", classes: 0 }])).toThrow(/"a": classes must be an integer >= 1/);
  });
});

describe("toArray", () => {
  it("returns arrays that already have the kernel's type without copying", () => {
    const f32 = new Float32Array([1, 2]);
    const f64 = new Float64Array([1, 2]);
    const i32 = new Int32Array([1, 2]);
    expect(toArray(f32, "f32")).toBe(f32);
    expect(toArray(f64, "f64")).toBe(f64);
    expect(toArray(i32, "i32")).toBe(i32);
  });

  it("copies everything else into the kernel's type", () => {
    const a = toArray([0.1, 2], "f32");
    expect(a).toBeInstanceOf(Float32Array);
    expect(Array.from(a)).toEqual([Math.fround(0.1), 2]);
    const b = toArray(new Float32Array([0.5]), "f64");
    expect(b).toBeInstanceOf(Float64Array);
    expect(Array.from(b)).toEqual([0.5]);
    const src = new Float64Array([0.1]);
    const c = toArray(src, "f32");
    expect(c).not.toBe(src);
    expect(c[0]).toBe(Math.fround(0.1));
    const d = toArray([3, 1, 2], "i32");
    expect(d).toBeInstanceOf(Int32Array);
    expect(Array.from(d)).toEqual([3, 1, 2]);
  });

  it("recognizes typed arrays from another realm", () => {
    const foreign = runInNewContext("new Float64Array([1, 2, 3])") as Float64Array;
    expect(foreign instanceof Float64Array).toBe(false);
    expect(toArray(foreign, "f64")).toBe(foreign);
    expect(resolveBatch([{ name: "x", shape: ["batch"], dtype: "f64" }], { x: foreign })).toBe(3);
  });

  it("rejects unknown dtypes", () => {
    expect(() => toArray([1], "u8" as "f32")).toThrow(/unknown input dtype "u8"/);
  });
});
