// Data sets and mini-batches for training loops.
//
// A `Dataset` is a set of named fields stored column-wise: one flat row-major typed array per field,
// holding `size` samples of a fixed per-sample shape (pixels [784], a label [], a one-hot row [10]).
// That is the layout generated trainers read, so a batch is a gather of rows into reused buffers and the
// training loop hands `batch.inputs` straight to `trainer.step`.
//
// Everything random here goes through rng.ts (xoshiro128**), so shuffles and splits are identical on
// every platform, and the order of epoch k depends only on (seed, k): a run resumed from a checkpoint at
// epoch k sees exactly the batches it would have seen without the interruption.
//
// Data sets are immutable by convention: functions here never modify their arguments and always return
// fresh arrays, but typed arrays cannot be frozen, so do not write into `columns`.

import { describeValue, typedArrayTag } from "./describe.js";
import { createRng, shuffleInPlace, splitmix32Mix } from "./rng.js";

/** Element type of a field: float32, float64, or int32 (class labels, counts). */
export type FieldDtype = "f32" | "f64" | "i32";
/** The flat storage of one field. */
export type Column = Float32Array | Float64Array | Int32Array;

/** Per-sample layout of a field: its shape without the sample (batch) dimension, and element type. */
export interface FieldSpec {
  readonly shape: readonly number[];
  readonly dtype: FieldDtype;
}

/**
 * `size` samples with named fields. `columns[name]` is row-major, `size × prod(fields[name].shape)`
 * values, as Float32Array / Float64Array / Int32Array for dtype f32 / f64 / i32.
 */
export interface Dataset<F extends string = string> {
  readonly size: number;
  readonly fields: Readonly<Record<F, FieldSpec>>;
  readonly columns: Readonly<Record<F, Column>>;
  /** Where each sample came from, when read from a file (fromCsv): subsets and splits keep it. */
  readonly source?: DataSource;
}

/** Sample i of a data set is line `lines[i]` of `file` (1-based), so messages can name that line. */
export interface DataSource {
  readonly file: string;
  readonly lines: Int32Array;
}

/** The place of sample `row` in its file (`{ file, line, col: 0 }`), when the data set knows it. */
export function sampleLoc(ds: Dataset, row: number): { file: string; line: number; col: number } | undefined {
  const line = ds.source?.lines[row];
  return ds.source && line !== undefined ? { file: ds.source.file, line, col: 0 } : undefined;
}

/** One field handed to `fromArrays`/`withFields`: its per-sample shape, dtype, and all values, row-major. */
export interface ColumnInit {
  readonly shape: readonly number[];
  readonly dtype: FieldDtype;
  readonly values: ArrayLike<number>;
}

// ── construction ─────────────────────────────────────────────────────────────────────────────────────

/**
 * Builds a data set from flat row-major arrays (plain arrays or typed arrays; the values are copied).
 * The sample count is inferred from the lengths, which must agree across fields. Throws an `Error`
 * naming the field when a shape or dtype is invalid, a length is not a whole number of samples or
 * disagrees with another field, a float is not finite (or overflows float32 for f32), or an i32 value
 * is not an integer in int32 range.
 */
export function fromArrays<F extends string>(columns: Readonly<Record<F, ColumnInit>>): Dataset<F> {
  if (typeof columns !== "object" || columns === null || Array.isArray(columns)) {
    throw new Error(`fromArrays: expected an object of fields { shape, dtype, values }, got ${describeValue(columns)}`);
  }
  const names = Object.keys(columns) as F[];
  if (names.length === 0) throw new Error("fromArrays: a data set needs at least one field");
  const size = inferSize(columns, names, undefined, "fromArrays");
  return buildColumns(columns, names, size, "fromArrays");
}

/**
 * A data set with the fields of `ds` plus new ones (validated and copied as by `fromArrays`; each
 * must hold `ds.size` samples). A name `ds` already has is an error. The existing columns are shared.
 *
 *     const train2 = withFields(train, { yOneHot: { shape: [10], dtype: "f32", values: oneHot(train.columns.y, 10) } });
 */
export function withFields<F extends string, G extends string>(
  ds: Dataset<F>,
  columns: Readonly<Record<G, ColumnInit>>,
): Dataset<F | G> {
  if (typeof columns !== "object" || columns === null || Array.isArray(columns)) {
    throw new Error(`withFields: expected an object of fields { shape, dtype, values }, got ${describeValue(columns)}`);
  }
  const names = Object.keys(columns) as G[];
  for (const name of names) {
    if (Object.prototype.hasOwnProperty.call(ds.fields, name)) {
      throw new Error(`withFields: field "${name}" already exists in the data set`);
    }
  }
  inferSize(columns, names, ds.size, "withFields");
  const added = buildColumns(columns, names, ds.size, "withFields");
  return {
    size: ds.size,
    fields: { ...ds.fields, ...added.fields } as Record<F | G, FieldSpec>,
    columns: { ...ds.columns, ...added.columns } as Record<F | G, Column>,
    ...(ds.source ? { source: ds.source } : {}),
  };
}

/**
 * Wraps already-validated columns without copying. Not part of the public runtime API: loaders in this
 * directory (mnist.ts) use it for data they have checked themselves.
 * @internal
 */
export function wrapColumns<F extends string>(
  size: number,
  fields: Readonly<Record<F, FieldSpec>>,
  columns: Readonly<Record<F, Column>>,
): Dataset<F> {
  for (const name of Object.keys(fields) as F[]) {
    const rowSize = shapeProduct(fields[name].shape);
    const column = columns[name];
    if (column.length !== size * rowSize || typedArrayTag(column) !== arrayNameFor(fields[name].dtype)) {
      throw new Error(`internal: field "${name}" does not hold ${size} × ${rowSize} ${fields[name].dtype} values`);
    }
  }
  return { size, fields, columns };
}

/** Checks every field's spec and length; returns the common sample count (or `expected`). */
function inferSize<F extends string>(
  columns: Readonly<Record<F, ColumnInit>>,
  names: readonly F[],
  expected: number | undefined,
  caller: string,
): number {
  let size = expected;
  let source: F | undefined; // the field that determined `size`, for messages
  for (const name of names) {
    const init = columns[name];
    if (typeof init !== "object" || init === null) {
      throw new Error(`${caller}: field "${name}": expected { shape, dtype, values }, got ${describeValue(init)}`);
    }
    const rowSize = checkShape(init.shape, name, caller);
    checkDtype(init.dtype, name, caller);
    const values = init.values;
    if (!isArrayLike(values)) {
      throw new Error(`${caller}: field "${name}": values must be an array or typed array, got ${describeValue(values)}`);
    }
    const length = values.length;
    const perSample = `${rowSize} per sample, shape [${init.shape.join(", ")}]`;
    if (rowSize === 0) {
      if (length !== 0) throw new Error(`${caller}: field "${name}": shape [${init.shape.join(", ")}] holds no values, got ${length}`);
      continue;
    }
    if (size !== undefined) {
      if (length !== size * rowSize) {
        const why = source !== undefined ? `field "${source}" has ${size} samples` : `the data set has ${size} samples`;
        const got = length % rowSize === 0 ? `${length} (${length / rowSize} samples)` : String(length);
        throw new Error(`${caller}: field "${name}": expected ${size * rowSize} values (${size} samples × ${perSample}) because ${why}, got ${got}`);
      }
    } else {
      if (length % rowSize !== 0) {
        throw new Error(`${caller}: field "${name}": ${length} values is not a whole number of samples (${perSample})`);
      }
      size = length / rowSize;
      source = name;
    }
  }
  if (size === undefined) {
    throw new Error(`${caller}: cannot infer the number of samples: every field has a shape with zero values`);
  }
  return size;
}

function buildColumns<F extends string>(
  columns: Readonly<Record<F, ColumnInit>>,
  names: readonly F[],
  size: number,
  caller: string,
): Dataset<F> {
  const fieldEntries: [F, FieldSpec][] = [];
  const columnEntries: [F, Column][] = [];
  for (const name of names) {
    const { shape, dtype, values } = columns[name];
    checkValues(values, dtype, shapeProduct(shape), name, caller);
    const column = allocate(dtype, values.length);
    for (let i = 0; i < values.length; i++) column[i] = values[i];
    fieldEntries.push([name, Object.freeze({ shape: Object.freeze(shape.slice()), dtype })]);
    columnEntries.push([name, column]);
  }
  // Object.fromEntries defines own properties, so even a field named "__proto__" stays data.
  return {
    size,
    fields: Object.fromEntries(fieldEntries) as Record<F, FieldSpec>,
    columns: Object.fromEntries(columnEntries) as Record<F, Column>,
  };
}

function checkShape(shape: unknown, name: string, caller: string): number {
  if (!Array.isArray(shape)) {
    throw new Error(`${caller}: field "${name}": shape must be an array of dimensions (per sample, [] for a scalar), got ${describeValue(shape)}`);
  }
  let rowSize = 1;
  for (let i = 0; i < shape.length; i++) {
    const d: unknown = shape[i];
    if (typeof d !== "number" || !Number.isInteger(d) || d < 0) {
      throw new Error(`${caller}: field "${name}": shape dimension ${i} must be a non-negative integer, got ${describeValue(d)}`);
    }
    rowSize *= d;
  }
  return rowSize;
}

function checkDtype(dtype: unknown, name: string, caller: string): asserts dtype is FieldDtype {
  if (dtype !== "f32" && dtype !== "f64" && dtype !== "i32") {
    throw new Error(`${caller}: field "${name}": dtype must be "f32", "f64" or "i32", got ${describeValue(dtype)}`);
  }
}

function checkValues(values: ArrayLike<number>, dtype: FieldDtype, rowSize: number, name: string, caller: string): void {
  const tag = typedArrayTag(values);
  if (dtype === "i32") {
    if (tag === "Int32Array") return;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (!(Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff)) {
        throw new Error(`${caller}: field "${name}": ${at(i, rowSize)} is ${describeValue(v)}, expected an integer in int32 range (dtype i32)`);
      }
    }
    return;
  }
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new Error(`${caller}: field "${name}": ${at(i, rowSize)} is ${describeValue(v)}, expected a finite number`);
    }
    if (dtype === "f32" && !Number.isFinite(Math.fround(v))) {
      throw new Error(`${caller}: field "${name}": ${at(i, rowSize)} is ${v}, which overflows float32 (dtype f32)`);
    }
  }
}

// ── selection and splits ─────────────────────────────────────────────────────────────────────────────

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

// ── labels ───────────────────────────────────────────────────────────────────────────────────────────

/**
 * One-hot rows for integer class labels: `labels.length × classes` values, row i all zeros except a 1
 * at column labels[i]. Float64Array by default, Float32Array with dtype "f32". Throws for a label that
 * is not an integer in [0, classes), naming its index.
 */
export function oneHot(labels: ArrayLike<number>, classes: number): Float64Array;
export function oneHot(labels: ArrayLike<number>, classes: number, dtype: "f64"): Float64Array;
export function oneHot(labels: ArrayLike<number>, classes: number, dtype: "f32"): Float32Array;
export function oneHot(labels: ArrayLike<number>, classes: number, dtype?: "f32" | "f64"): Float32Array | Float64Array;
export function oneHot(labels: ArrayLike<number>, classes: number, dtype: "f32" | "f64" = "f64"): Float32Array | Float64Array {
  if (!(Number.isInteger(classes) && classes >= 1)) {
    throw new Error(`oneHot: classes must be an integer >= 1, got ${describeValue(classes)}`);
  }
  if (dtype !== "f32" && dtype !== "f64") throw new Error(`oneHot: dtype must be "f32" or "f64", got ${describeValue(dtype)}`);
  if (!isArrayLike(labels)) throw new Error(`oneHot: labels must be an array or typed array, got ${describeValue(labels)}`);
  const n = labels.length;
  const out = dtype === "f32" ? new Float32Array(n * classes) : new Float64Array(n * classes);
  for (let i = 0; i < n; i++) {
    const c = labels[i];
    if (!(Number.isInteger(c) && c >= 0 && c < classes)) {
      throw new Error(`oneHot: label ${i} is ${describeValue(c)}, expected an integer class in [0, ${classes})`);
    }
    out[i * classes + c] = 1;
  }
  return out;
}

// ── batches ──────────────────────────────────────────────────────────────────────────────────────────

export interface BatchOptions<F extends string = string> {
  /** Samples per batch, an integer ≥ 1. */
  readonly batchSize: number;
  /** Visit the samples in a seeded random order (see `epochPermutation`); default false: data set order. */
  readonly shuffle?: boolean;
  /** Seed of the shuffle, an integer (taken modulo 2^32); default 0. */
  readonly seed?: number;
  /** Which epoch's order to produce, an integer in [0, 2^31); default 0. */
  readonly epoch?: number;
  /** Skip a final batch smaller than `batchSize`; default false (it is yielded with its true size). */
  readonly dropLast?: boolean;
  /** Deliver float fields as this type (i32 fields stay Int32Array); default: each field's own dtype. */
  readonly dtype?: "f32" | "f64";
  /** Only these fields, in this order; default all. */
  readonly fields?: readonly F[];
  /** Start at this batch of the epoch (for resuming mid-epoch); default 0. The order is unchanged. */
  readonly startBatch?: number;
}

/**
 * One mini-batch. Its arrays (and this object) are reused: they are valid until the iterator produces
 * the next batch. Copy them if you need to keep them.
 */
export interface Batch<F extends string = string> {
  /** Samples in this batch: `batchSize`, or fewer for the final batch of an epoch. */
  readonly size: number;
  /** Position of this batch within the epoch, from 0. */
  readonly index: number;
  /** The data set row of each sample (`size` values). */
  readonly rows: Int32Array;
  /** One flat row-major array per field, `size × prod(shape)` values: pass straight to `trainer.step`. */
  readonly inputs: Readonly<Record<F, Column>>;
}

/**
 * The mini-batches of one epoch. Every sample appears exactly once per epoch (unless `dropLast` drops
 * the final partial batch). Shuffled order: `epochPermutation(ds.size, seed, epoch)`.
 *
 * The final partial batch: with dropLast false, the last batch holds the remaining `size % batchSize`
 * samples, yielded with its true size and no padding. Generated trainers take the batch size from the
 * input lengths (a symbolic batch dimension), so `trainer.step(batch.inputs)` simply computes the loss
 * over that smaller batch; batch losses are means (softmaxCrossEntropy, mse), so each sample of the last
 * batch weighs 1/(its size) instead of 1/batchSize in its step, exactly as PyTorch's DataLoader with
 * drop_last=False. A module compiled with a fixed `--batch N` rejects other sizes: use dropLast: true.
 *
 * Allocation: each iteration (each `[Symbol.iterator]()` call) allocates the epoch's permutation and one
 * set of buffers per batch size (full, and the final partial one when there is one); batches are
 * gathered into them, so no typed array is allocated per batch. A batch's arrays are overwritten by the
 * next batch of the same size. Options are validated when `batches` is called.
 */
export function batches<F extends string, G extends F = F>(ds: Dataset<F>, options: BatchOptions<G>): Iterable<Batch<G>> {
  if (typeof options !== "object" || options === null) {
    throw new Error(`batches: expected options { batchSize, ... }, got ${describeValue(options)}`);
  }
  const { batchSize, shuffle = false, seed = 0, epoch = 0, dropLast = false, dtype, startBatch = 0 } = options;
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) {
    throw new Error(`batches: batchSize must be an integer >= 1, got ${describeValue(batchSize)}`);
  }
  checkSeed(seed, "batches");
  checkEpoch(epoch, "batches");
  if (dtype !== undefined && dtype !== "f32" && dtype !== "f64") {
    throw new Error(`batches: dtype must be "f32" or "f64", got ${describeValue(dtype)}`);
  }
  const names = (options.fields ?? (Object.keys(ds.fields) as G[])).slice();
  if (new Set(names).size !== names.length) throw new Error("batches: a field is listed twice in fields");
  for (const name of names) {
    if (!Object.prototype.hasOwnProperty.call(ds.fields, name)) {
      throw new Error(`batches: no field "${name}" (fields: ${Object.keys(ds.fields).map((k) => `"${k}"`).join(", ")})`);
    }
  }
  const count = batchCount(ds.size, batchSize, dropLast);
  if (!(Number.isInteger(startBatch) && startBatch >= 0 && startBatch <= count)) {
    throw new Error(`batches: startBatch must be an integer in [0, ${count}] (batches in this epoch), got ${describeValue(startBatch)}`);
  }
  const size = ds.size;
  const rowSizes = names.map((name) => shapeProduct(ds.fields[name].shape));
  const dtypes = names.map((name) => {
    const own = ds.fields[name].dtype;
    return own === "i32" || dtype === undefined ? own : dtype;
  });
  const sources = names.map((name) => ds.columns[name]);

  function makeBatch(n: number): { batch: { size: number; index: number; rows: Int32Array; inputs: Record<G, Column> }; outs: Column[] } {
    const outs = names.map((_, f) => allocate(dtypes[f], n * rowSizes[f]));
    const inputs = Object.fromEntries(names.map((name, f) => [name, outs[f]])) as Record<G, Column>;
    return { batch: { size: n, index: 0, rows: new Int32Array(n), inputs }, outs };
  }

  function* run(): Generator<Batch<G>, void, undefined> {
    const order = shuffle ? epochPermutation(size, seed, epoch) : identity(size);
    let full: ReturnType<typeof makeBatch> | undefined;
    let last: ReturnType<typeof makeBatch> | undefined;
    for (let b = startBatch; b < count; b++) {
      const start = b * batchSize;
      const n = Math.min(batchSize, size - start);
      let slot: ReturnType<typeof makeBatch>;
      if (n === batchSize) slot = full ??= makeBatch(n);
      else slot = last ??= makeBatch(n);
      const { batch, outs } = slot;
      const rows = batch.rows;
      for (let i = 0; i < n; i++) rows[i] = order[start + i];
      for (let f = 0; f < names.length; f++) gather(sources[f], outs[f], rowSizes[f], rows, 0, n);
      batch.index = b;
      yield batch;
    }
  }

  return { [Symbol.iterator]: run };
}

/** Batches per epoch: ⌈size / batchSize⌉, or ⌊size / batchSize⌋ with dropLast. */
export function batchCount(size: number, batchSize: number, dropLast = false): number {
  if (!(Number.isInteger(size) && size >= 0)) throw new Error(`batchCount: size must be a non-negative integer, got ${describeValue(size)}`);
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) {
    throw new Error(`batchCount: batchSize must be an integer >= 1, got ${describeValue(batchSize)}`);
  }
  return dropLast ? Math.floor(size / batchSize) : Math.ceil(size / batchSize);
}

/** Keeps the shuffle stream of epoch e apart from the stream createRng(seed) gives initializers. */
const EPOCH_OFFSET = 0x6a09e667; // frac(√2) · 2^32, below 2^31: epoch + offset never wraps to 0

/**
 * The sample order of one shuffled epoch: a Fisher–Yates shuffle (shuffleInPlace) of 0 … size−1 driven
 * by createRng(seed ^ splitmix32Mix(epoch + 0x6a09e667)). It depends only on (size, seed, epoch), so any
 * epoch can be reproduced without replaying earlier ones (bit-exact resume from a checkpoint). For a
 * fixed seed, distinct epochs get distinct generator seeds (splitmix32Mix is a bijection), and no epoch's
 * stream is createRng(seed) itself (that would need splitmix32Mix(…) = 0, i.e. epoch + offset = 0).
 */
export function epochPermutation(size: number, seed: number, epoch: number): Int32Array {
  if (!(Number.isInteger(size) && size >= 0)) throw new Error(`epochPermutation: size must be a non-negative integer, got ${describeValue(size)}`);
  checkSeed(seed, "epochPermutation");
  checkEpoch(epoch, "epochPermutation");
  const rng = createRng((seed ^ splitmix32Mix(epoch + EPOCH_OFFSET)) >>> 0);
  return shuffleInPlace(rng, identity(size));
}

// ── helpers ──────────────────────────────────────────────────────────────────────────────────────────

/** Copies rows `rows[from … to)` of `src` (rowSize values each) to consecutive rows of `dst`. */
function gather(src: Column, dst: Column, rowSize: number, rows: Int32Array, from: number, to: number): void {
  if (rowSize === 1) {
    for (let i = from; i < to; i++) dst[i - from] = src[rows[i]];
    return;
  }
  if (rowSize >= 16 && typedArrayTag(src) === typedArrayTag(dst)) {
    // Same element type: a block copy per row (memcpy) beats an element loop for image-sized rows.
    for (let i = from; i < to; i++) {
      const s = rows[i] * rowSize;
      (dst as Float64Array).set((src as Float64Array).subarray(s, s + rowSize), (i - from) * rowSize);
    }
    return;
  }
  for (let i = from; i < to; i++) {
    const s = rows[i] * rowSize;
    const d = (i - from) * rowSize;
    for (let k = 0; k < rowSize; k++) dst[d + k] = src[s + k];
  }
}

function identity(n: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}

function allocate(dtype: FieldDtype, length: number): Column {
  return dtype === "f32" ? new Float32Array(length) : dtype === "f64" ? new Float64Array(length) : new Int32Array(length);
}

function arrayNameFor(dtype: FieldDtype): string {
  return dtype === "f32" ? "Float32Array" : dtype === "f64" ? "Float64Array" : "Int32Array";
}

function shapeProduct(shape: readonly number[]): number {
  let p = 1;
  for (const d of shape) p *= d;
  return p;
}

function checkSeed(seed: unknown, caller: string): void {
  if (typeof seed !== "number" || !Number.isInteger(seed)) throw new Error(`${caller}: seed must be an integer, got ${describeValue(seed)}`);
}

function checkEpoch(epoch: unknown, caller: string): void {
  if (typeof epoch !== "number" || !Number.isInteger(epoch) || epoch < 0 || epoch >= 0x80000000) {
    throw new Error(`${caller}: epoch must be an integer in [0, 2^31), got ${describeValue(epoch)}`);
  }
}

function checkFraction(fraction: unknown, caller: string): asserts fraction is number {
  if (typeof fraction !== "number" || !(fraction >= 0 && fraction <= 1)) {
    throw new Error(`${caller}: fraction must be a number in [0, 1], got ${describeValue(fraction)}`);
  }
}

function isArrayLike(x: unknown): x is ArrayLike<number> {
  return Array.isArray(x) || (ArrayBuffer.isView(x) && !(x instanceof DataView));
}


/** "index 5" for scalar fields, "index 1570 (sample 2, element 2)" for rows of several values. */
function at(flat: number, rowSize: number): string {
  if (rowSize <= 1) return `index ${flat}`;
  return `index ${flat} (sample ${Math.floor(flat / rowSize)}, element ${flat % rowSize})`;
}

