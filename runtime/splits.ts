// Choosing samples: a subset by index, and train/test splits — seeded random (split) or stratified
// by class in data set order (splitByClass). Everything random goes through rng.ts (xoshiro128**), so
// splits are identical on every platform. Splits keep each sample's place in its file (`source`).
import { allocate, checkFraction, checkSeed, gather, identity, isArrayLike, shapeProduct, type Column } from "./columns.js";
import type { Dataset, FieldSpec } from "./dataset.js";
import { describeValue } from "./describe.js";
import { createRng, shuffleInPlace } from "./rng.js";

/** The samples at `indices`, in that order (repeats allowed), as a new data set with copied columns. */
export function subset<F extends string>(ds: Dataset<F>, indices: ArrayLike<number>): Dataset<F> {
  if (!isArrayLike(indices)) throw new Error(`subset: indices must be an array or typed array, got ${describeValue(indices)}`);
  const n = indices.length;
  const rows = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const r = indices[i];
    if (!(Number.isInteger(r) && r >= 0 && r < ds.size)) {
      throw new Error(`subset: index ${i} is ${describeValue(r)}, expected an integer sample index in [0, ${ds.size})`);
    }
    rows[i] = r;
  }
  const names = Object.keys(ds.fields) as F[];
  const columns = names.map((name): [F, Column] => {
    const field = ds.fields[name];
    const rowSize = shapeProduct(field.shape);
    const out = allocate(field.dtype, n * rowSize);
    gather(ds.columns[name], out, rowSize, rows, 0, n);
    return [name, out];
  });
  const source = ds.source ? { source: { file: ds.source.file, lines: rows.map((r) => ds.source!.lines[r]!) } } : {};
  return { size: n, fields: ds.fields, columns: Object.fromEntries(columns) as Record<F, Column>, ...source };
}

/**
 * Splits `ds` into `train` (⌊fraction · size⌋ samples) and `test` (the rest). Without a seed the first
 * samples train; with one, the training samples are chosen by a seeded shuffle (createRng(seed)). Both
 * parts keep the data set's order. See `trainCount` for the rounding.
 */
export function split<F extends string>(
  ds: Dataset<F>,
  fraction: number,
  seed?: number,
): { train: Dataset<F>; test: Dataset<F> } {
  const nTrain = trainCount(ds.size, fraction);
  const chosen = new Uint8Array(ds.size);
  if (seed === undefined) {
    chosen.fill(1, 0, nTrain);
  } else {
    checkSeed(seed, "split");
    const perm = identity(ds.size);
    shuffleInPlace(createRng(seed), perm);
    for (let i = 0; i < nTrain; i++) chosen[perm[i]] = 1;
  }
  return partition(ds, chosen);
}

/**
 * A stratified, deterministic split: for each class of the i32 scalar field `label`, the first
 * ⌊fraction · count⌋ of its samples (in data set order) train and the rest test. Both parts keep the data
 * set's order, so for data stored class by class (as MNIST is) `train` is the concatenation of each
 * class's training samples. Per-class rounding as in `trainCount`.
 */
export function splitByClass<F extends string>(
  ds: Dataset<F>,
  label: NoInfer<F>,
  fraction: number,
): { train: Dataset<F>; test: Dataset<F> } {
  const field = ds.fields[label] as FieldSpec | undefined;
  if (field === undefined || !Object.prototype.hasOwnProperty.call(ds.fields, label)) {
    throw new Error(`splitByClass: no field "${label}" (fields: ${Object.keys(ds.fields).map((k) => `"${k}"`).join(", ")})`);
  }
  if (field.dtype !== "i32" || shapeProduct(field.shape) !== 1) {
    throw new Error(`splitByClass: field "${label}" must hold one i32 class label per sample, got dtype ${field.dtype} shape [${field.shape.join(", ")}]`);
  }
  checkFraction(fraction, "splitByClass");
  const labels = ds.columns[label];
  const counts = new Map<number, number>();
  for (let i = 0; i < ds.size; i++) counts.set(labels[i], (counts.get(labels[i]) ?? 0) + 1);
  const quota = new Map<number, number>();
  for (const [c, count] of counts) quota.set(c, trainCount(count, fraction));
  const chosen = new Uint8Array(ds.size);
  const seen = new Map<number, number>();
  for (let i = 0; i < ds.size; i++) {
    const c = labels[i];
    const k = seen.get(c) ?? 0;
    seen.set(c, k + 1);
    if (k < quota.get(c)!) chosen[i] = 1;
  }
  return partition(ds, chosen);
}

/**
 * How many of `count` samples a split with `fraction` puts in training: ⌊fraction · count⌋, where a
 * product within 1e-9 (relative) of an integer counts as that integer, so binary rounding cannot lose a
 * sample (0.29 · 100 is 28.999999999999996 in doubles; this returns 29). For MNIST's 1,001 zeros and
 * fraction 0.8: ⌊800.8⌋ = 800.
 */
export function trainCount(count: number, fraction: number): number {
  checkFraction(fraction, "trainCount");
  if (!(Number.isInteger(count) && count >= 0)) {
    throw new Error(`trainCount: count must be a non-negative integer, got ${describeValue(count)}`);
  }
  const t = fraction * count;
  const r = Math.round(t);
  return Math.abs(t - r) <= 1e-9 * Math.max(1, t) ? r : Math.floor(t);
}

function partition<F extends string>(ds: Dataset<F>, chosen: Uint8Array): { train: Dataset<F>; test: Dataset<F> } {
  let nTrain = 0;
  for (let i = 0; i < chosen.length; i++) nTrain += chosen[i];
  const trainRows = new Int32Array(nTrain);
  const testRows = new Int32Array(chosen.length - nTrain);
  for (let i = 0, a = 0, b = 0; i < chosen.length; i++) {
    if (chosen[i]) trainRows[a++] = i;
    else testRows[b++] = i;
  }
  return { train: subset(ds, trainRows), test: subset(ds, testRows) };
}
