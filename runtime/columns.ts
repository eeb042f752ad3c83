// The storage of a data set's fields and the small pieces every part of the data layer shares: typed
// arrays by element type, copying rows between them (gather), and the argument checks whose messages
// users see (dataset.ts, splits.ts, batches.ts).
import { describeValue, typedArrayTag } from "./describe.js";

/** Element type of a field: float32, float64, or int32 (class labels, counts). */
export type FieldDtype = "f32" | "f64" | "i32";
/** The flat storage of one field. */
export type Column = Float32Array | Float64Array | Int32Array;

/** Copies rows `rows[from … to)` of `src` (rowSize values each) to consecutive rows of `dst`. */
export function gather(src: Column, dst: Column, rowSize: number, rows: Int32Array, from: number, to: number): void {
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

export function identity(n: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}

export function allocate(dtype: FieldDtype, length: number): Column {
  return dtype === "f32" ? new Float32Array(length) : dtype === "f64" ? new Float64Array(length) : new Int32Array(length);
}

export function arrayNameFor(dtype: FieldDtype): string {
  return dtype === "f32" ? "Float32Array" : dtype === "f64" ? "Float64Array" : "Int32Array";
}

export function shapeProduct(shape: readonly number[]): number {
  let p = 1;
  for (const d of shape) p *= d;
  return p;
}

export function checkSeed(seed: unknown, caller: string): void {
  if (typeof seed !== "number" || !Number.isInteger(seed)) throw new Error(`${caller}: seed must be an integer, got ${describeValue(seed)}`);
}

export function checkEpoch(epoch: unknown, caller: string): void {
  if (typeof epoch !== "number" || !Number.isInteger(epoch) || epoch < 0 || epoch >= 0x80000000) {
    throw new Error(`${caller}: epoch must be an integer in [0, 2^31), got ${describeValue(epoch)}`);
  }
}

export function checkFraction(fraction: unknown, caller: string): asserts fraction is number {
  if (typeof fraction !== "number" || !(fraction >= 0 && fraction <= 1)) {
    throw new Error(`${caller}: fraction must be a number in [0, 1], got ${describeValue(fraction)}`);
  }
}

export function isArrayLike(x: unknown): x is ArrayLike<number> {
  return Array.isArray(x) || (ArrayBuffer.isView(x) && !(x instanceof DataView));
}

/** "index 5" for scalar fields, "index 1570 (sample 2, element 2)" for rows of several values. */
export function at(flat: number, rowSize: number): string {
  if (rowSize <= 1) return `index ${flat}`;
  return `index ${flat} (sample ${Math.floor(flat / rowSize)}, element ${flat % rowSize})`;
}
