// Input checking for generated forward / lossAndGrad / step functions.
//
// Generated kernels read inputs as flat typed arrays with compile-time row sizes and no bounds checks of
// their own, so a wrong length would silently read `undefined` (NaN) or a neighbouring row, and a bad
// class index would read outside a row. Every public entry point of a generated module therefore calls
// `resolveBatch` first: it checks each input once and returns the batch size the kernels loop over.
// The happy path allocates nothing and builds no strings; messages are only assembled on failure.
//
// Cost per call (it runs on every training step, which for a tiny network takes well under a µs):
// - the specs come from the compiler and are the same array on every call, so they are validated and
//   their layout (row size, batch dimension) computed once per spec array (a WeakMap keyed by it);
// - array types are recognized with `instanceof` first and the cross-realm toStringTag only after;
// - every value is still scanned on every call (finite floats, integer class indices). Caching a scan
//   by array identity would be wrong: callers refill the same typed array with the next batch. The
//   scan is one compare per element, small next to the step's own work on that element.

/** Element type of an input as the kernels read it. */
import { describeValue, typedArrayTag } from "./describe.js";
export type InputDtype = "f32" | "f64" | "i32";

/**
 * One model input as the generated module's `spec` describes it. A string dimension is the symbolic
 * batch dimension (e.g. "batch"); every input uses the same name, at most once per input.
 * `classes`, for i32 inputs, bounds class-index labels to [0, classes).
 */
export interface InputSpec {
  readonly name: string;
  readonly shape: readonly (number | string)[];
  readonly dtype: InputDtype;
  readonly classes?: number;
}

/** What callers may pass for one input (plain arrays are copied by `toArray`). */
export type InputValue = Float32Array | Float64Array | Int32Array | readonly number[];

/**
 * Validates `inputs` against `specs` and returns the batch size n.
 * - inputs must be an object holding every named input (extra fields are ignored);
 * - an f32/f64 input may be a Float32Array, Float64Array or number[]; an i32 input an Int32Array or
 *   number[];
 * - an input with the batch dimension must hold n × (static row size) values with n ≥ 1, and all such
 *   inputs must agree on n (and on `fixedBatch` when given); an input without it must match exactly;
 * - float values must be finite (and representable in float32 for f32 inputs); i32 values must be
 *   integers, in [0, classes) when `classes` is given.
 * Without any batch dimension the result is `fixedBatch` if given, else 1.
 */
/**
 * Each input's value as pass 1 of resolveBatch read it, for pass 2: keyed reads of `inputs` are a large
 * part of a tiny network's step (W1 without the second one: 1.08× and 1.17× steps per CPU-second by the
 * medians of two bench/ab.ts runs beside a CI run, 1.01× and 1.07× by their fastest repetitions, 2026-12-07). One array for all calls (resolveBatch is synchronous); pass 2 empties it, so only a call
 * that threw leaves its arrays referenced, until the next call.
 */
const values: unknown[] = [];

export function resolveBatch(specs: readonly InputSpec[], inputs: unknown, fixedBatch?: number): number {
  if (typeof inputs !== "object" || inputs === null || Array.isArray(inputs) || ArrayBuffer.isView(inputs)) {
    throw new Error(
      `inputs must be an object with fields ${specs.map((s) => JSON.stringify(s.name)).join(", ")}, ` +
        `got ${describeValue(inputs)}`,
    );
  }
  if (fixedBatch !== undefined && !(Number.isInteger(fixedBatch) && fixedBatch >= 1)) {
    throw new Error(`fixed batch size must be an integer >= 1, got ${String(fixedBatch)}`);
  }
  const record = inputs as Record<string, unknown>;
  const layouts = layoutOf(specs);

  // Pass 1 (per input, O(1)): presence, array type, length, and agreement on n.
  let n = fixedBatch ?? 0;
  let nSource: InputSpec | undefined; // the input that determined n, for messages
  for (let k = 0; k < specs.length; k++) {
    const spec = specs[k]!;
    const { rowSize, batched } = layouts[k]!;
    const value = record[spec.name];
    values[k] = value;
    if (!isAcceptedArray(value, spec.dtype)) {
      const prefix = value === undefined ? `missing input "${spec.name}"` : `input "${spec.name}"`;
      throw new Error(
        `${prefix}: expected ${acceptedTypes(spec.dtype)} of ${expectedCount(spec, n || undefined)}, ` +
          `got ${describeValue(value)}`,
      );
    }
    const length = value.length;
    // A row of zero values says nothing about n; such an input must simply be empty.
    if (!batched || rowSize === 0) {
      if (length !== rowSize) {
        throw new Error(
          `input "${spec.name}": expected ${rowSize} values (${describeRows(spec, undefined)}), got ${length}`,
        );
      }
      continue;
    }
    if (n > 0) {
      if (length !== n * rowSize) throw lengthError(spec, n, length, nSource, record, fixedBatch);
      continue;
    }
    if (length === 0 || length % rowSize !== 0) {
      const what = length === 0 ? "at least one row of" : "a multiple of";
      throw new Error(
        `input "${spec.name}": expected ${what} ${rowSize} values (${describeRows(spec, undefined)}), got ${length}`,
      );
    }
    n = length / rowSize;
    nSource = spec;
  }

  // Pass 2 (one scan per input): the values themselves.
  for (let k = 0; k < specs.length; k++) {
    const spec = specs[k]!;
    const value = values[k] as InputValue;
    values[k] = undefined; // the caller's arrays are not kept alive here
    if (spec.dtype === "i32") checkIndices(spec, value, n);
    else checkFloats(spec, value, n);
  }
  return n > 0 ? n : 1;
}

/**
 * The input as the typed array a kernel reads: Float32Array for f32, Float64Array for f64, Int32Array
 * for i32. Returned as is when it already has that type; otherwise copied (rounding to float32 for f32).
 * Call after `resolveBatch`, which guarantees the values fit.
 */
export function toArray(x: ArrayLike<number>, dtype: "f32"): Float32Array;
export function toArray(x: ArrayLike<number>, dtype: "f64"): Float64Array;
export function toArray(x: ArrayLike<number>, dtype: "i32"): Int32Array;
export function toArray(x: ArrayLike<number>, dtype: InputDtype): Float32Array | Float64Array | Int32Array;
export function toArray(x: ArrayLike<number>, dtype: InputDtype): Float32Array | Float64Array | Int32Array {
  // instanceof is the fast path; the tag also recognizes typed arrays of another realm (iframe, vm context).
  if (dtype === "f32" ? x instanceof Float32Array : dtype === "f64" ? x instanceof Float64Array : x instanceof Int32Array) {
    return x as Float32Array | Float64Array | Int32Array;
  }
  const tag = typedArrayTag(x);
  switch (dtype) {
    case "f32":
      return tag === "Float32Array" ? (x as Float32Array) : Float32Array.from(x);
    case "f64":
      return tag === "Float64Array" ? (x as Float64Array) : Float64Array.from(x);
    case "i32":
      return tag === "Int32Array" ? (x as Int32Array) : Int32Array.from(x);
    default:
      throw new Error(`unknown input dtype ${JSON.stringify(dtype)}: expected "f32", "f64" or "i32"`);
  }
}

// ── layout ───────────────────────────────────────────────────────────────────────────────────────────

interface Layout {
  readonly rowSize: number;
  readonly batched: boolean;
}

/** Spec arrays already validated → each input's layout. Specs are compiler output, never changed. */
const layouts = new WeakMap<readonly InputSpec[], readonly Layout[]>();

/** The last spec array seen: a training loop calls with the same one every step, and this skips the WeakMap. */
let lastSpecs: readonly InputSpec[] | null = null;
let lastLayout: readonly Layout[] = [];

function layoutOf(specs: readonly InputSpec[]): readonly Layout[] {
  if (specs === lastSpecs) return lastLayout;
  let layout = layouts.get(specs);
  if (layout === undefined) {
    checkSpecs(specs);
    layout = specs.map((s) => ({ rowSize: staticRowSize(s), batched: hasBatchDim(s) }));
    layouts.set(specs, layout);
  }
  lastSpecs = specs;
  lastLayout = layout;
  return layout;
}

/** Rejects malformed specs: they come from the compiler, so this guards against its bugs, not users'. */
function checkSpecs(specs: readonly InputSpec[]): void {
  let batchName: string | undefined;
  for (const spec of specs) {
    let symbolic = 0;
    for (const d of spec.shape) {
      if (typeof d === "string") {
        symbolic++;
        if (batchName !== undefined && d !== batchName) {
          throw new Error(`invalid input spec "${spec.name}": batch dimension "${d}" differs from "${batchName}"`);
        }
        batchName = d;
      } else if (!Number.isInteger(d) || d < 0) {
        throw new Error(`invalid input spec "${spec.name}": dimension ${String(d)} is not a non-negative integer`);
      }
    }
    if (symbolic > 1) {
      throw new Error(`invalid input spec "${spec.name}": more than one batch dimension in [${spec.shape.join(", ")}]`);
    }
    if (spec.dtype !== "f32" && spec.dtype !== "f64" && spec.dtype !== "i32") {
      throw new Error(`invalid input spec "${spec.name}": unknown dtype ${JSON.stringify(spec.dtype)}`);
    }
    if (spec.classes !== undefined && !(Number.isInteger(spec.classes) && spec.classes >= 1)) {
      throw new Error(
        `invalid input spec "${spec.name}": classes must be an integer >= 1, got ${String(spec.classes)}`,
      );
    }
  }
}

/** Values per batch row: the product of the static dimensions. */
function staticRowSize(spec: InputSpec): number {
  let rowSize = 1;
  for (const d of spec.shape) if (typeof d === "number") rowSize *= d;
  return rowSize;
}

function hasBatchDim(spec: InputSpec): boolean {
  for (const d of spec.shape) if (typeof d === "string") return true;
  return false;
}

// ── value scans ──────────────────────────────────────────────────────────────────────────────────────

/** Float inputs must be finite; an f32 input copied from doubles must also stay finite in float32. */
function checkFloats(spec: InputSpec, a: InputValue, n: number): void {
  const len = a.length;
  const typed = a instanceof Float32Array || a instanceof Float64Array;
  if (!typed || !allFinite(a)) {
    for (let i = 0; i < len; i++) {
      const v = a[i];
      if (!Number.isFinite(v)) {
        throw new Error(
          `input "${spec.name}": ${elementAt(spec, i, n)} is ${describeValue(v)}, expected a finite number`,
        );
      }
    }
  }
  if (spec.dtype === "f32" && !(a instanceof Float32Array) && typedArrayTag(a) !== "Float32Array") {
    for (let i = 0; i < len; i++) {
      const v = a[i]!; // finite: checked above
      if (!Number.isFinite(Math.fround(v))) {
        throw new Error(
          `input "${spec.name}": ${elementAt(spec, i, n)} is ${v}, which overflows float32 (input dtype f32)`,
        );
      }
    }
  }
}

/**
 * Whether every element of a float typed array is finite, without a branch per element: x·0 is ±0 for a
 * finite x and NaN for ±∞ and NaN, so four running sums of it stay 0 exactly when all are finite. Every
 * step scans its whole batch (W3: 50,000 pixels); this takes ~0.56 ns an element against ~1.1 ns for a
 * test of each (a micro-benchmark, 2026-12-07, node 20). Plain arrays keep the test of each element: a
 * string or null there times 0 is 0 too, and must be refused.
 */
function allFinite(a: Float32Array | Float64Array): boolean {
  const length = a.length;
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let i = 0;
  for (; i + 3 < length; i += 4) {
    s0 += a[i]! * 0;
    s1 += a[i + 1]! * 0;
    s2 += a[i + 2]! * 0;
    s3 += a[i + 3]! * 0;
  }
  for (; i < length; i++) s0 += a[i]! * 0;
  return s0 + s1 + s2 + s3 === 0;
}

/** Integer inputs are class indices or counts: integers, in [0, classes) when bounded, else int32. */
function checkIndices(spec: InputSpec, a: InputValue, n: number): void {
  const len = a.length;
  const classes = spec.classes;
  if (classes !== undefined) {
    for (let i = 0; i < len; i++) {
      const v = a[i]!; // a hole fails Number.isInteger
      if (!(Number.isInteger(v) && v >= 0 && v < classes)) {
        throw new Error(
          `input "${spec.name}": ${elementAt(spec, i, n)} is ${describeValue(v)}, ` +
            `expected an integer class index in [0, ${classes})`,
        );
      }
    }
  } else if (!(a instanceof Int32Array) && typedArrayTag(a) !== "Int32Array") {
    for (let i = 0; i < len; i++) {
      const v = a[i]!; // a hole fails Number.isInteger
      if (!(Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff)) {
        throw new Error(
          `input "${spec.name}": ${elementAt(spec, i, n)} is ${describeValue(v)}, ` +
            `expected an integer in [-2147483648, 2147483647] (input dtype i32)`,
        );
      }
    }
  }
}

// ── array types ──────────────────────────────────────────────────────────────────────────────────────


function isAcceptedArray(x: unknown, dtype: InputDtype): x is InputValue {
  if (dtype === "i32" ? x instanceof Int32Array : x instanceof Float32Array || x instanceof Float64Array) return true;
  if (Array.isArray(x)) return true;
  const tag = typedArrayTag(x);
  return dtype === "i32" ? tag === "Int32Array" : tag === "Float32Array" || tag === "Float64Array";
}

// ── messages (built only when something is wrong) ────────────────────────────────────────────────────

function acceptedTypes(dtype: InputDtype): string {
  if (dtype === "i32") return "an Int32Array or number[] (dtype i32)";
  return `a ${dtype === "f32" ? "Float32Array" : "Float64Array"}, ${dtype === "f32" ? "Float64Array" : "Float32Array"} or number[] (dtype ${dtype})`;
}

/** "6 values (batch 3 × [2])", "n × 2 values (batch × [2])" or "6 values ([2, 3])". */
function expectedCount(spec: InputSpec, n: number | undefined): string {
  const rowSize = staticRowSize(spec);
  if (!hasBatchDim(spec)) return `${rowSize} values (${describeRows(spec, undefined)})`;
  if (n !== undefined) return `${n * rowSize} values (${describeRows(spec, n)})`;
  return `n × ${rowSize} values (${describeRows(spec, undefined)})`;
}

/** The shape with the batch dimension pulled out front: "batch 3 × [2]", "batch × [2]", "batch 3", "[2, 3]". */
function describeRows(spec: InputSpec, n: number | undefined): string {
  const rest = spec.shape.filter((d) => typeof d === "number");
  const batch = spec.shape.find((d) => typeof d === "string");
  if (batch === undefined) return `[${rest.join(", ")}]`;
  const head = n === undefined ? String(batch) : `${String(batch)} ${n}`;
  return rest.length === 0 ? head : `${head} × [${rest.join(", ")}]`;
}

function lengthError(
  spec: InputSpec,
  n: number,
  length: number,
  nSource: InputSpec | undefined,
  record: Record<string, unknown>,
  fixedBatch: number | undefined,
): Error {
  let why = "";
  if (nSource !== undefined) {
    const otherLength = (record[nSource.name] as InputValue).length;
    why = `; input "${nSource.name}" has ${otherLength} values, a batch of ${n}`;
    const rowSize = staticRowSize(spec);
    const implied = length % rowSize === 0 ? `, a batch of ${length / rowSize}` : "";
    return new Error(`input "${spec.name}": expected ${expectedCount(spec, n)}, got ${length}${implied}${why}`);
  }
  if (fixedBatch !== undefined) why = `; the batch size is fixed at ${fixedBatch}`;
  return new Error(`input "${spec.name}": expected ${expectedCount(spec, n)}, got ${length}${why}`);
}

/** "index 5 (element [2, 1])": the flat index users see in their array plus the tensor coordinates. */
function elementAt(spec: InputSpec, flat: number, n: number): string {
  if (spec.shape.length <= 1) return `index ${flat}`;
  const coords: number[] = new Array(spec.shape.length);
  let rest = flat;
  for (let axis = spec.shape.length - 1; axis >= 0; axis--) {
    const d = spec.shape[axis];
    const size = typeof d === "number" ? d : n;
    coords[axis] = size > 0 ? rest % size : 0;
    rest = size > 0 ? Math.floor(rest / size) : 0;
  }
  return `index ${flat} (element [${coords.join(", ")}])`;
}

