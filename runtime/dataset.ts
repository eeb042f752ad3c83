// Data sets: named fields stored column-wise — one flat row-major typed array per field, holding `size`
// samples of a fixed per-sample shape (pixels [784], a label [], a one-hot row [10]). That is the layout
// generated trainers read, so a batch is a gather of rows into reused buffers (batches.ts) and the
// training loop hands `batch.inputs` straight to `trainer.step`.
//
// Building one checks every value (fromArrays, withFields), or wraps arrays already checked
// (wrapColumns: MNIST, CSV). Data sets are immutable by convention: functions here never modify their
// arguments and always return fresh arrays, but typed arrays cannot be frozen, so do not write into
// `columns`.
import { allocate, arrayNameFor, at, isArrayLike, shapeProduct, type Column, type FieldDtype } from "./columns.js";
import { describeValue, typedArrayTag } from "./describe.js";

export type { Column, FieldDtype } from "./columns.js";

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

// ── labels ──────────────────────────────────────────────────────────────────────────────────────────────

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
