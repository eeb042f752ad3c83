import { describe, expect, it } from "vitest";
import {
  batchCount,
  batches,
  epochPermutation,
  fromArrays,
  oneHot,
  split,
  splitByClass,
  subset,
  trainCount,
  withFields,
  type Batch,
  type Dataset,
} from "../../runtime/data.js";
import { createRng, shuffleInPlace, splitmix32Mix } from "../../runtime/rng.js";
import { nonEmpty } from "../helpers/nonEmpty.js";

/** n samples: "x" [2] f64 = (10·i, 10·i + 1), "y" [] i32 = i % 3, "id" [] i32 = i (to trace samples). */
function tiny(n: number): Dataset<"x" | "y" | "id"> {
  const x: number[] = [];
  for (let i = 0; i < n; i++) x.push(10 * i, 10 * i + 1);
  return fromArrays({
    x: { shape: [2], dtype: "f64", values: x },
    y: { shape: [], dtype: "i32", values: Array.from({ length: n }, (_, i) => i % 3) },
    id: { shape: [], dtype: "i32", values: Array.from({ length: n }, (_, i) => i) },
  });
}

function isPermutation(a: ArrayLike<number>, n: number): boolean {
  if (a.length !== n) return false;
  const seen = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = a[i];
    if (!(Number.isInteger(v) && v >= 0 && v < n) || seen[v]) return false;
    seen[v] = 1;
  }
  return true;
}

/** Every batch's ids, copied (the batch arrays are reused). */
function collect<F extends string>(it: Iterable<Batch<F | "id">>): { sizes: number[]; ids: number[] } {
  const sizes: number[] = [];
  const ids: number[] = [];
  for (const b of it) {
    sizes.push(b.size);
    ids.push(...Array.from(b.inputs.id));
  }
  return { sizes, ids };
}

describe("fromArrays", () => {
  it("infers the sample count and stores each field as a fresh typed array of its dtype", () => {
    const values = [1, 2, 3, 4, 5, 6];
    const ds = fromArrays({
      a: { shape: [3], dtype: "f32", values },
      b: { shape: [], dtype: "i32", values: [7, 8] },
      c: { shape: [1, 2, 1], dtype: "f64", values: new Float32Array([0.5, 1, 1.5, 2]) },
    });
    expect(ds.size).toBe(2);
    expect(ds.columns.a).toBeInstanceOf(Float32Array);
    expect(ds.columns.b).toBeInstanceOf(Int32Array);
    expect(ds.columns.c).toBeInstanceOf(Float64Array);
    expect(Array.from(ds.columns.a)).toEqual(values);
    expect(Array.from(ds.columns.c)).toEqual([0.5, 1, 1.5, 2]);
    expect(ds.fields.c).toEqual({ shape: [1, 2, 1], dtype: "f64" });
    values[0] = 99; // copied, not aliased
    expect(ds.columns.a[0]).toBe(1);
  });

  it("copies typed arrays too, so later writes to them do not change the data set", () => {
    const src = new Float64Array([1, 2]);
    const ds = fromArrays({ v: { shape: [], dtype: "f64", values: src } });
    src[0] = 5;
    expect(ds.columns.v[0]).toBe(1);
    expect(ds.columns.v).not.toBe(src);
  });

  it("accepts an empty data set", () => {
    const ds = fromArrays({ x: { shape: [4], dtype: "f32", values: [] } });
    expect(ds.size).toBe(0);
    expect(Array.from(batches(ds, { batchSize: 8 }))).toEqual([]);
  });

  it("keeps a field named __proto__ as data", () => {
    const columns = JSON.parse('{"__proto__": {"shape": [], "dtype": "i32", "values": [1, 2]}}');
    const ds = fromArrays(columns as Record<string, { shape: number[]; dtype: "i32"; values: number[] }>);
    expect(Object.keys(ds.fields)).toEqual(["__proto__"]);
    expect(Object.getPrototypeOf(ds.columns)).toBe(Object.prototype);
    expect(Array.from(Object.getOwnPropertyDescriptor(ds.columns, "__proto__")!.value as Int32Array)).toEqual([1, 2]);
  });

  it("names the field and both sizes when lengths disagree", () => {
    expect(() =>
      fromArrays({
        x: { shape: [2], dtype: "f64", values: [1, 2, 3, 4, 5, 6] },
        y: { shape: [], dtype: "i32", values: [0, 1] },
      }),
    ).toThrow('fromArrays: field "y": expected 3 values (3 samples × 1 per sample, shape []) because field "x" has 3 samples, got 2 (2 samples)');
    expect(() => fromArrays({ x: { shape: [2, 2], dtype: "f64", values: [1, 2, 3] } })).toThrow(
      'fromArrays: field "x": 3 values is not a whole number of samples (4 per sample, shape [2, 2])',
    );
  });

  it("rejects malformed fields, naming them", () => {
    expect(() => fromArrays(null as never)).toThrow(/expected an object of fields/);
    expect(() => fromArrays({})).toThrow("fromArrays: a data set needs at least one field");
    expect(() => fromArrays({ x: 5 } as never)).toThrow('fromArrays: field "x": expected { shape, dtype, values }, got 5');
    expect(() => fromArrays({ x: { shape: 2, dtype: "f64", values: [1] } } as never)).toThrow(/field "x": shape must be an array/);
    expect(() => fromArrays({ x: { shape: [1.5], dtype: "f64", values: [1] } })).toThrow(
      'fromArrays: field "x": shape dimension 0 must be a non-negative integer, got 1.5',
    );
    expect(() => fromArrays({ x: { shape: [1], dtype: "int", values: [1] } } as never)).toThrow(
      'fromArrays: field "x": dtype must be "f32", "f64" or "i32", got "int"',
    );
    expect(() => fromArrays({ x: { shape: [1], dtype: "f64", values: "12" } } as never)).toThrow(
      'fromArrays: field "x": values must be an array or typed array, got "12"',
    );
    expect(() => fromArrays({ x: { shape: [0], dtype: "f64", values: [] } })).toThrow(/cannot infer the number of samples/);
    expect(() => fromArrays({ x: { shape: [0], dtype: "f64", values: [1] } })).toThrow(/field "x": shape \[0\] holds no values, got 1/);
  });

  it("rejects bad values, naming the field, the index and the sample", () => {
    expect(() => fromArrays({ x: { shape: [3], dtype: "f64", values: [0, 1, 2, 3, NaN, 5] } })).toThrow(
      'fromArrays: field "x": index 4 (sample 1, element 1) is NaN, expected a finite number',
    );
    expect(() => fromArrays({ x: { shape: [], dtype: "f32", values: [1, 1e39] } })).toThrow(
      'fromArrays: field "x": index 1 is 1e+39, which overflows float32 (dtype f32)',
    );
    expect(() => fromArrays({ y: { shape: [], dtype: "i32", values: [0, 1.5] } })).toThrow(
      'fromArrays: field "y": index 1 is 1.5, expected an integer in int32 range (dtype i32)',
    );
    expect(() => fromArrays({ y: { shape: [], dtype: "i32", values: new Uint32Array([2 ** 31]) } })).toThrow(/index 0 is 2147483648/);
    expect(() => fromArrays({ y: { shape: [], dtype: "f64", values: [0, "1"] as unknown as number[] } })).toThrow(/index 1 is "1"/);
  });
});

describe("withFields", () => {
  it("adds validated fields and shares the existing columns", () => {
    const ds = tiny(4);
    const more = withFields(ds, { y1h: { shape: [3], dtype: "f32", values: oneHot(ds.columns.y, 3) } });
    expect(more.size).toBe(4);
    expect(Object.keys(more.fields)).toEqual(["x", "y", "id", "y1h"]);
    expect(more.columns.x).toBe(ds.columns.x);
    expect(Array.from(more.columns.y1h)).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0]);
  });

  it("rejects an existing name or a different sample count", () => {
    const ds = tiny(4);
    expect(() => withFields(ds, { y: { shape: [], dtype: "i32", values: [0, 0, 0, 0] } })).toThrow('withFields: field "y" already exists');
    expect(() => withFields(ds, { w: { shape: [], dtype: "f64", values: [1, 2, 3] } })).toThrow(
      'withFields: field "w": expected 4 values (4 samples × 1 per sample, shape []) because the data set has 4 samples, got 3',
    );
  });
});

describe("subset, split, splitByClass", () => {
  it("subset gathers the given rows in order, repeats allowed", () => {
    const s = subset(tiny(5), [4, 0, 4]);
    expect(s.size).toBe(3);
    expect(Array.from(s.columns.x)).toEqual([40, 41, 0, 1, 40, 41]);
    expect(Array.from(s.columns.id)).toEqual([4, 0, 4]);
    expect(() => subset(tiny(5), [5])).toThrow("subset: index 0 is 5, expected an integer sample index in [0, 5)");
    expect(() => subset(tiny(5), [0, -1])).toThrow(/index 1 is -1/);
  });

  it("split without a seed takes the first ⌊fraction · size⌋ samples", () => {
    const { train, test } = split(tiny(10), 0.75);
    expect(Array.from(train.columns.id)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(Array.from(test.columns.id)).toEqual([7, 8, 9]);
  });

  it("split with a seed chooses a reproducible random part and keeps the data set's order", () => {
    const a = split(tiny(50), 0.8, 7);
    const b = split(tiny(50), 0.8, 7);
    const c = split(tiny(50), 0.8, 8);
    expect(a.train.size).toBe(40);
    expect(a.test.size).toBe(10);
    expect(Array.from(a.train.columns.id)).toEqual(Array.from(b.train.columns.id));
    expect(Array.from(a.train.columns.id)).not.toEqual(Array.from(c.train.columns.id));
    const all = [...Array.from(a.train.columns.id), ...Array.from(a.test.columns.id)];
    expect(all.slice().sort((p, q) => p - q)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    const sorted = (xs: Int32Array | Float32Array | Float64Array) => Array.from(xs).every((v, i, arr) => i === 0 || arr[i - 1] < v);
    expect(sorted(a.train.columns.id)).toBe(true);
    expect(sorted(a.test.columns.id)).toBe(true);
    expect(Array.from(a.train.columns.id)).not.toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  it("splitByClass takes the first ⌊fraction · count⌋ of every class, keeping the order", () => {
    // labels i % 3 for 11 samples: class 0 has 4 (ids 0,3,6,9), class 1 has 4 (1,4,7,10), class 2 has 3 (2,5,8).
    const { train, test } = splitByClass(tiny(11), "y", 0.5); // 2, 2, ⌊1.5⌋ = 1
    expect(Array.from(train.columns.id)).toEqual([0, 1, 2, 3, 4]);
    expect(Array.from(test.columns.id)).toEqual([5, 6, 7, 8, 9, 10]);
    const r = splitByClass(tiny(11), "y", 0.8); // ⌊3.2⌋ = 3, 3, ⌊2.4⌋ = 2
    expect(Array.from(r.train.columns.id)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(Array.from(r.test.columns.id)).toEqual([8, 9, 10]);
    expect(Array.from(r.train.columns.x.subarray(0, 4))).toEqual([0, 1, 10, 11]);
  });

  it("splitByClass needs a scalar i32 label field", () => {
    expect(() => splitByClass(tiny(3), "x", 0.5)).toThrow('splitByClass: field "x" must hold one i32 class label per sample, got dtype f64 shape [2]');
    expect(() => splitByClass(tiny(3), "nope" as "x", 0.5)).toThrow('splitByClass: no field "nope" (fields: "x", "y", "id")');
    expect(() => splitByClass(tiny(3), "toString" as "x", 0.5)).toThrow(/no field "toString"/);
    expect(() => splitByClass(tiny(3), "y", 1.5)).toThrow("splitByClass: fraction must be a number in [0, 1], got 1.5");
  });

  it("trainCount floors, without losing a sample to binary rounding", () => {
    expect(trainCount(1001, 0.8)).toBe(800);
    expect(trainCount(1127, 0.8)).toBe(901);
    expect(0.29 * 100).toBeLessThan(29); // the trap
    expect(trainCount(100, 0.29)).toBe(29);
    expect(trainCount(10, 0.7)).toBe(7);
    expect(trainCount(7, 0)).toBe(0);
    expect(trainCount(7, 1)).toBe(7);
    expect(trainCount(0, 0.5)).toBe(0);
    for (let c = 0; c < 5000; c++) expect(trainCount(c, 0.8)).toBe(Math.floor((4 * c) / 5));
    expect(() => trainCount(-1, 0.5)).toThrow(/count must be a non-negative integer/);
    expect(() => trainCount(3, NaN)).toThrow(/fraction must be a number in \[0, 1\], got NaN/);
  });
});

describe("oneHot", () => {
  it("sets one 1 per row", () => {
    const h = oneHot(new Int32Array([2, 0, 1]), 3);
    expect(h).toBeInstanceOf(Float64Array);
    expect(Array.from(h)).toEqual([0, 0, 1, 1, 0, 0, 0, 1, 0]);
    expect(oneHot([1], 2, "f32")).toBeInstanceOf(Float32Array);
    expect(oneHot([], 4).length).toBe(0);
  });

  it("rejects labels outside [0, classes) and bad class counts", () => {
    expect(() => oneHot([0, 3], 3)).toThrow("oneHot: label 1 is 3, expected an integer class in [0, 3)");
    expect(() => oneHot([-1], 3)).toThrow(/label 0 is -1/);
    expect(() => oneHot([0.5], 3)).toThrow(/label 0 is 0.5/);
    expect(() => oneHot([0], 0)).toThrow("oneHot: classes must be an integer >= 1, got 0");
  });
});

describe("epochPermutation", () => {
  it("is a permutation, reproducible from (size, seed, epoch) alone", () => {
    for (const n of [0, 1, 2, 7, 1000]) expect(isPermutation(epochPermutation(n, 3, 2), n)).toBe(true);
    const later = epochPermutation(500, 11, 9); // computed before and after other epochs: same order
    for (let e = 0; e < 9; e++) epochPermutation(500, 11, e);
    expect(Array.from(epochPermutation(500, 11, 9))).toEqual(Array.from(later));
  });

  it("differs between epochs and between seeds", () => {
    const orders = new Set<string>();
    for (let e = 0; e < 20; e++) orders.add(epochPermutation(100, 0, e).join(","));
    for (let s = 1; s < 20; s++) orders.add(epochPermutation(100, s, 0).join(","));
    expect(orders.size).toBe(39);
  });

  it("uses createRng(seed ^ splitmix32Mix(epoch + 0x6a09e667)) and Fisher–Yates (pinned values)", () => {
    // Pinned so a change of the formula, which would break bit-exact resume of saved runs, cannot pass unnoticed.
    expect(Array.from(epochPermutation(10, 42, 0))).toEqual([9, 5, 3, 1, 8, 2, 0, 6, 7, 4]);
    expect(Array.from(epochPermutation(10, 42, 3))).toEqual([4, 0, 5, 1, 7, 6, 8, 9, 3, 2]);
    expect(Array.from(epochPermutation(10, 0, 0))).toEqual([6, 9, 7, 3, 1, 8, 4, 5, 0, 2]);
    const expected = shuffleInPlace(createRng((42 ^ splitmix32Mix(3 + 0x6a09e667)) >>> 0), Array.from({ length: 10 }, (_, i) => i));
    expect(Array.from(epochPermutation(10, 42, 3))).toEqual(expected);
  });

  it("does not replay the stream initializers get from createRng(seed)", () => {
    const plain = shuffleInPlace(createRng(42), Array.from({ length: 50 }, (_, i) => i));
    for (let e = 0; e < 5; e++) expect(Array.from(epochPermutation(50, 42, e))).not.toEqual(plain);
  });

  it("takes seeds modulo 2^32 and validates its arguments", () => {
    expect(Array.from(epochPermutation(20, -1, 1))).toEqual(Array.from(epochPermutation(20, 2 ** 32 - 1, 1)));
    expect(() => epochPermutation(5, 1.5, 0)).toThrow("epochPermutation: seed must be an integer, got 1.5");
    expect(() => epochPermutation(5, 0, -1)).toThrow("epochPermutation: epoch must be an integer in [0, 2^31), got -1");
    expect(() => epochPermutation(5, 0, 2 ** 31)).toThrow(/epoch must be an integer in \[0, 2\^31\)/);
    expect(() => epochPermutation(-1, 0, 0)).toThrow(/size must be a non-negative integer/);
  });
});

describe("batches", () => {
  it("yields 7,996 samples as 124 batches of 64 and a final batch of 60, each sample exactly once", () => {
    const ds = tiny(7996);
    const { sizes, ids } = collect(batches(ds, { batchSize: 64, shuffle: true, seed: 5, epoch: 1 }));
    expect(sizes.length).toBe(125);
    expect(sizes.slice(0, 124).every((s) => s === 64)).toBe(true);
    expect(sizes[124]).toBe(60);
    expect(isPermutation(ids, 7996)).toBe(true);
    expect(ids).toEqual(Array.from(epochPermutation(7996, 5, 1)));
    expect(batchCount(7996, 64)).toBe(125);
  });

  it("dropLast skips the final partial batch", () => {
    const { sizes, ids } = collect(batches(tiny(7996), { batchSize: 64, shuffle: true, seed: 5, dropLast: true }));
    expect(sizes.length).toBe(124);
    expect(sizes.every((s) => s === 64)).toBe(true);
    expect(new Set(ids).size).toBe(7936);
    expect(ids).toEqual(Array.from(epochPermutation(7996, 5, 0)).slice(0, 7936));
    expect(batchCount(7996, 64, true)).toBe(124);
    expect(collect(batches(tiny(5), { batchSize: 8, dropLast: true })).sizes).toEqual([]);
    expect(collect(batches(tiny(5), { batchSize: 8 })).sizes).toEqual([5]);
    expect(collect(batches(tiny(8), { batchSize: 4, dropLast: true })).sizes).toEqual([4, 4]);
  });

  it("gathers every field's rows consistently, in data set order without shuffle", () => {
    const ds = tiny(10);
    const seen: number[][] = [];
    for (const b of batches(ds, { batchSize: 4 })) {
      const rows = Array.from(b.rows);
      expect(Array.from(b.inputs.id)).toEqual(rows);
      expect(Array.from(b.inputs.y)).toEqual(rows.map((r) => r % 3));
      expect(Array.from(b.inputs.x)).toEqual(rows.flatMap((r) => [10 * r, 10 * r + 1]));
      expect(b.inputs.x.length).toBe(2 * b.size);
      seen.push(rows);
    }
    expect(seen).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
  });

  it("gathers large rows (block copies) correctly", () => {
    const n = 37;
    const row = 100;
    const values = Float32Array.from({ length: n * row }, (_, i) => i);
    const ds = fromArrays({ img: { shape: [10, 10], dtype: "f32", values }, id: { shape: [], dtype: "i32", values: Array.from({ length: n }, (_, i) => i) } });
    for (const b of nonEmpty(batches(ds, { batchSize: 8, shuffle: true, seed: 2 }), "batches")) {
      for (let i = 0; i < b.size; i++) {
        const r = b.rows[i];
        expect(Array.from(b.inputs.img.subarray(i * row, (i + 1) * row))).toEqual(Array.from(values.subarray(r * row, (r + 1) * row)));
      }
    }
  });

  it("same seed and epoch give the same order; other epochs and seeds differ", () => {
    const ds = tiny(300);
    const order = (seed: number, epoch: number) => collect(batches(ds, { batchSize: 32, shuffle: true, seed, epoch })).ids;
    expect(order(1, 4)).toEqual(order(1, 4));
    expect(order(1, 4)).not.toEqual(order(1, 5));
    expect(order(1, 4)).not.toEqual(order(2, 4));
    expect(order(1, 0)).not.toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(collect(batches(ds, { batchSize: 32, shuffle: true })).ids).toEqual(order(0, 0)); // seed defaults to 0
  });

  it("an iterable replays the same epoch; startBatch resumes mid-epoch", () => {
    const ds = tiny(100);
    const it = batches(ds, { batchSize: 16, shuffle: true, seed: 9, epoch: 3 });
    const first = collect(it);
    expect(collect(it)).toEqual(first);
    const resumed = collect(batches(ds, { batchSize: 16, shuffle: true, seed: 9, epoch: 3, startBatch: 4 }));
    expect(resumed.ids).toEqual(first.ids.slice(64));
    expect(resumed.sizes).toEqual([16, 16, 4]);
    const indices: number[] = [];
    for (const b of batches(ds, { batchSize: 16, startBatch: 5 })) indices.push(b.index);
    expect(indices).toEqual([5, 6]);
    expect(collect(batches(ds, { batchSize: 16, startBatch: 7 })).sizes).toEqual([]);
  });

  it("reuses one set of buffers per batch size instead of allocating per batch", () => {
    const ds = tiny(70);
    const xs: unknown[] = [];
    const objects: unknown[] = [];
    for (const b of batches(ds, { batchSize: 16, shuffle: true, seed: 1 })) {
      xs.push(b.inputs.x);
      objects.push(b);
    }
    expect(xs.length).toBe(5);
    expect(new Set(xs.slice(0, 4)).size).toBe(1); // the four full batches share arrays
    expect(xs[4]).not.toBe(xs[0]); // the final batch of 6 has its own
    expect(new Set(objects).size).toBe(2);
  });

  it("converts float fields to the requested dtype and keeps i32 fields", () => {
    const ds = tiny(5);
    for (const b of nonEmpty(batches(ds, { batchSize: 2, dtype: "f32" }), "batches", 3)) {
      expect(b.inputs.x).toBeInstanceOf(Float32Array);
      expect(b.inputs.y).toBeInstanceOf(Int32Array);
    }
    const [b] = batches(fromArrays({ v: { shape: [], dtype: "f64", values: [0.1] } }), { batchSize: 1, dtype: "f32" });
    expect(b.inputs.v[0]).toBe(Math.fround(0.1));
  });

  it("delivers only the selected fields", () => {
    for (const b of nonEmpty(batches(tiny(4), { batchSize: 4, fields: ["x"] }), "batches", 1)) {
      expect(Object.keys(b.inputs)).toEqual(["x"]);
    }
  });

  it("validates options when called, not when first iterated", () => {
    const ds = tiny(10);
    expect(() => batches(ds, { batchSize: 0 })).toThrow("batches: batchSize must be an integer >= 1, got 0");
    expect(() => batches(ds, { batchSize: 2.5 })).toThrow(/batchSize must be an integer >= 1, got 2.5/);
    expect(() => batches(ds, { batchSize: 2, seed: 0.5 })).toThrow("batches: seed must be an integer, got 0.5");
    expect(() => batches(ds, { batchSize: 2, epoch: -1 })).toThrow(/epoch must be an integer in \[0, 2\^31\), got -1/);
    expect(() => batches(ds, { batchSize: 2, dtype: "i32" as "f32" })).toThrow('batches: dtype must be "f32" or "f64", got "i32"');
    expect(() => batches(ds, { batchSize: 2, fields: ["z" as "x"] })).toThrow('batches: no field "z" (fields: "x", "y", "id")');
    expect(() => batches(ds, { batchSize: 2, fields: ["x", "x"] })).toThrow("batches: a field is listed twice in fields");
    expect(() => batches(ds, { batchSize: 3, startBatch: 5 })).toThrow("batches: startBatch must be an integer in [0, 4] (batches in this epoch), got 5");
    expect(() => batches(ds, null as never)).toThrow(/expected options/);
  });
});
