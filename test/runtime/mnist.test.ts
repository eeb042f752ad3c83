import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { batches, oneHot } from "../../runtime/data.js";
import { loadMnist, mnistDigitsDir, type Mnist } from "../../runtime/mnist.js";
import { nonEmpty } from "../helpers/nonEmpty.js";

// The package's files, read independently of the loader (the same way a user would find them).
const digitsDir = join(dirname(createRequire(import.meta.url).resolve("mnist/package.json")), "src", "digits");
const raw: number[][] = [];
for (let d = 0; d < 10; d++) raw.push((JSON.parse(readFileSync(join(digitsDir, `${d}.json`), "utf8")) as { data: number[] }).data);

const COUNTS = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];
const TRAIN = [800, 901, 792, 825, 784, 690, 811, 856, 755, 782]; // ⌊0.8 · count⌋
const TEST = [201, 226, 199, 207, 196, 173, 203, 214, 189, 196];

let f64: Mnist;
let f32: Mnist;
beforeAll(() => {
  f64 = loadMnist({ dtype: "f64" });
  f32 = loadMnist(); // f32 is the default
});

function classCounts(labels: ArrayLike<number>): number[] {
  const counts = new Array<number>(10).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
  return counts;
}

describe("the mnist package's files", () => {
  it("hold 10,000 digits of 784 pixels, with these class counts", () => {
    expect(mnistDigitsDir()).toBe(digitsDir);
    expect(raw.map((data) => data.length / 784)).toEqual(COUNTS);
    expect(COUNTS.reduce((a, b) => a + b)).toBe(10000);
    // ⌊0.8 · count⌋ (the split) and not round(0.8 · count), which would give 8,000 / 2,000.
    expect(COUNTS.map((c) => Math.floor((4 * c) / 5))).toEqual(TRAIN);
    expect(COUNTS.map((c) => Math.round(0.8 * c)).reduce((a, b) => a + b)).toBe(8000);
  });
});

describe("loadMnist", () => {
  it("splits 7,996 train / 2,004 test with ⌊0.8 · count⌋ of each class training", () => {
    for (const { train, test } of [f64, f32]) {
      expect(train.size).toBe(7996);
      expect(test.size).toBe(2004);
      expect(classCounts(train.columns.y)).toEqual(TRAIN);
      expect(classCounts(test.columns.y)).toEqual(TEST);
      expect(train.fields).toEqual({ x: { shape: [784], dtype: train === f64.train ? "f64" : "f32" }, y: { shape: [], dtype: "i32" } });
      expect(train.columns.x.length).toBe(7996 * 784);
      expect(test.columns.x.length).toBe(2004 * 784);
      expect(train.columns.y).toBeInstanceOf(Int32Array);
    }
    expect(f64.train.columns.x).toBeInstanceOf(Float64Array);
    expect(f32.train.columns.x).toBeInstanceOf(Float32Array);
  });

  it("lists the classes in order, each class's samples in file order: the first 80% train, the rest test", () => {
    const { train, test } = f64;
    let trainRow = 0;
    let testRow = 0;
    for (let d = 0; d < 10; d++) {
      const data = raw[d];
      for (let s = 0; s < COUNTS[d]; s++) {
        const isTrain = s < TRAIN[d];
        const ds = isTrain ? train : test;
        const row = isTrain ? trainRow++ : testRow++;
        expect(ds.columns.y[row]).toBe(d);
        const x = ds.columns.x;
        const off = row * 784;
        for (let p = 0; p < 784; p++) {
          if (x[off + p] !== data[s * 784 + p]) {
            expect.fail(`digit ${d} sample ${s} pixel ${p}: ${x[off + p]} !== ${data[s * 784 + p]}`);
          }
        }
      }
    }
    expect(trainRow).toBe(7996);
    expect(testRow).toBe(2004);
  });

  it("gives the pixels exactly as the package does (f64) or rounded to float32 (f32), all in 0..1", () => {
    for (const part of ["train", "test"] as const) {
      const a = f64[part].columns.x;
      const b = f32[part].columns.x;
      let min = Infinity;
      let max = -Infinity;
      let mismatches = 0;
      for (let i = 0; i < a.length; i++) {
        if (a[i] < min) min = a[i];
        if (a[i] > max) max = a[i];
        if (b[i] !== Math.fround(a[i])) mismatches++;
      }
      expect(min).toBe(0);
      expect(max).toBe(1);
      expect(mismatches).toBe(0);
      expect(Array.from(f64[part].columns.y)).toEqual(Array.from(f32[part].columns.y));
    }
  });

  it("labels are integers 0..9 and one-hot encode", () => {
    const y = f64.test.columns.y;
    expect(Math.min(...y)).toBe(0);
    expect(Math.max(...y)).toBe(9);
    const h = oneHot(y, 10);
    expect(h.length).toBe(20040);
    expect(h.reduce((a, b) => a + b, 0)).toBe(2004);
    expect(h[y[1500] + 10 * 1500]).toBe(1);
  });

  it("parses once per process and dtype", () => {
    expect(loadMnist({ dtype: "f64" })).toBe(f64);
    expect(loadMnist({ dtype: "f32" })).toBe(f32);
    expect(loadMnist()).toBe(f32);
    expect(() => loadMnist({ dtype: "i32" as "f32" })).toThrow('loadMnist: dtype must be "f32" or "f64", got "i32"');
  });

  it("batches an epoch of 7,996 as 124 × 64 + 60, every training sample once, reproducibly", () => {
    const epoch = (e: number) => {
      const sizes: number[] = [];
      const rows: number[] = [];
      for (const b of batches(f32.train, { batchSize: 64, shuffle: true, seed: 1, epoch: e })) {
        sizes.push(b.size);
        rows.push(...b.rows);
        expect(b.inputs.x.length).toBe(784 * b.size);
        expect(b.inputs.y.length).toBe(b.size);
        expect(b.inputs.y[b.size - 1]).toBe(f32.train.columns.y[b.rows[b.size - 1]]);
      }
      return { sizes, rows };
    };
    const e0 = epoch(0);
    expect(e0.sizes.length).toBe(125);
    expect(e0.sizes.filter((s) => s === 64).length).toBe(124);
    expect(e0.sizes[124]).toBe(60);
    expect(new Set(e0.rows).size).toBe(7996);
    expect(epoch(0).rows).toEqual(e0.rows);
    expect(epoch(1).rows).not.toEqual(e0.rows);
    // batch.inputs type-checks as a generated module's Inputs (checked by tsc over test/).
    const step = (inputs: { x: ArrayLike<number>; y: ArrayLike<number> }): number => inputs.x.length / 784 - inputs.y.length;
    for (const b of nonEmpty(batches(f32.train, { batchSize: 4000 }), "batches", 2)) expect(step(b.inputs)).toBe(0);
    // A shuffled epoch mixes the classes (the stored order is class by class).
    const firstLabels = e0.rows.slice(0, 64).map((r) => f32.train.columns.y[r]);
    expect(new Set(firstLabels).size).toBeGreaterThan(5);
  });
});
