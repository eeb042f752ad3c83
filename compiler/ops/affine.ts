// Index expressions Σ factor·stride + constant, folded as far as the compile-time numbers allow, so
// unrolled code reads `W1[3]` and loops read `h1[i * 128 + j]`.
import { batchDims, staticPart } from "../ir/shape.js";
import { scaledByBatch } from "./kernelLoops.js";

/** An index term: a loop variable or a number, times a stride (a number, or a product with `n`). */
export type Term = readonly [index: string | number, stride: number | string];

export function affine(terms: readonly Term[]): string {
  let constant = 0;
  const parts: string[] = [];
  for (const [ix, stride] of terms) {
    if (typeof ix === "number" && typeof stride === "number") constant += ix * stride;
    else if (ix === 0 || stride === 0) continue;
    else if (stride === 1) parts.push(String(ix));
    else if (ix === 1) parts.push(String(stride));
    else parts.push(`${factor(ix)} * ${factor(stride)}`);
  }
  if (constant || !parts.length) parts.push(String(constant));
  return parts.join(" + ");
}

/** A compound factor ("i + 1", "n * 4") in parentheses. */
const factor = (x: string | number): string => (typeof x === "string" && x.includes(" ") ? `(${x})` : String(x));

/** Row-major strides of a shape whose symbolic dimensions are the run-time `n`. */
export function stridesOf(shape: readonly (number | string)[]): (number | string)[] {
  const out: (number | string)[] = new Array(shape.length);
  let num = 1;
  let power = 0;
  for (let d = shape.length - 1; d >= 0; d--) {
    out[d] = power ? scaledByBatch(power, num) : num;
    const dim = shape[d]!;
    if (typeof dim === "number") num *= dim;
    else power++;
  }
  return out;
}

/** The size of a shape as code: a number, or an expression in `n` (n² when the batch dimension occurs twice). */
export const sizeExpr = (shape: readonly (number | string)[]): string => scaledByBatch(batchDims(shape), staticPart(shape));

/**
 * Offset of the element of a tensor of shape `shape` read at iteration index `idx` over a domain of
 * rank idx.length, with NumPy broadcasting (right-aligned; size-1 dims read index 0).
 */
export function broadcastOffset(shape: readonly (number | string)[], idx: readonly (string | number)[]): string {
  const strides = stridesOf(shape);
  const off = idx.length - shape.length;
  const terms: Term[] = [];
  for (let d = 0; d < shape.length; d++) if (shape[d] !== 1) terms.push([idx[d + off]!, strides[d]!]);
  return affine(terms);
}
