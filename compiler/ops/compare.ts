// Comparisons and the piecewise ops built on them, with PyTorch's semantics (torch 1.13, checked in
// test/ops/torchParity.test.ts against test/fixtures/torch/ops.json):
//
//   greater(a, b) = [a > b], greaterEqual(a, b) = [a ≥ b]   1 or 0 (as floats), no gradient; NaN compares
//                                                           false. less/lessEqual are these with the
//                                                           operands swapped (below).
//   where(c, a, b)      a where c ≠ 0 (as torch's c.bool(): NaN is true), else b; the gradient goes to
//                       the branch taken, none to c; a NaN in the branch not taken never leaks.
//   maximum(a, b)       std::max(a, b) = a < b ? b : a, NaN if either is NaN; ∂/∂a = g·(1 − [a < b] − ½[a = b]):
//                       ties split the gradient, and at a NaN both operands get all of it (torch's
//                       where(a == b, g/2, g).masked_fill_(a < b, 0)).
//   minimum(a, b)       std::min(a, b) = b < a ? b : a, the same with the comparisons turned around.
//   clamp(x, lo, hi)    lo where x < lo, hi where x > hi, else x; NaN stays NaN; lo > hi gives hi
//                       everywhere; ∂/∂x = g·[lo ≤ x ≤ hi]: the bounds pass the gradient, NaN does not.
//
// A float32 module compares values as stored: JavaScript computes in double, so a fused chain's local
// holds more bits than its array, and a comparison rounds both sides to float32 first (as torch
// compares a float32 tensor with a scalar rounded to float32: tensor([0.1f]) > 0.1 is false). where's
// condition is only tested against 0, which rounding changes only below 1.4·10⁻⁴⁵.
import { codes } from "../../runtime/errors.js";
import { fail, make } from "../ir/context.js";
import type { Attrs, Node } from "../ir/node.js";
import { binary, describe, tensorOf, type Operand, type Tensor } from "./build.js";
import { eq, paren } from "./math.js";
import { elementwise, type Builders, type Precision } from "./op.js";

const isLiteral = (x: string) => /^-?\d+(\.\d+)?(e[-+]?\d+)?$/.test(x);
/** x as a float32 module stores it (a number literal rounded now, anything else by Math.fround). */
const f32 = (x: string, precision?: Precision) => (precision !== "f32" ? x : isLiteral(x) ? String(Math.fround(Number(x))) : `Math.fround(${x})`);
/** `b !== b`: whether b is NaN, left out for a number literal (a constant is never NaN). */
const isNaNTest = (b: string) => (isLiteral(b) ? "" : ` || ${b} !== ${b}`);
const unb = ({ sumTo }: Builders, g: Node, x: Node): Node => sumTo(g, x.shape);

export const greaterOp = elementwise({
  name: "greater", arity: 2,
  expr: ([a, b], _, precision) => `(${f32(a!, precision)} > ${f32(b!, precision)} ? 1 : 0)`,
  vjp: () => [null, null],
  notation: ([a, b]) => `[${a} > ${b}]`,
});

export const greaterEqualOp = elementwise({
  name: "greaterEqual", arity: 2,
  expr: ([a, b], _, precision) => `(${f32(a!, precision)} >= ${f32(b!, precision)} ? 1 : 0)`,
  vjp: () => [null, null],
  notation: ([a, b]) => `[${a} ≥ ${b}]`,
  latex: ([a, b]) => `[${a} \\geq ${b}]`,
});

export const whereOp = elementwise({
  name: "where", arity: 3,
  expr: ([c, a, b]) => `(${c} !== 0 ? ${a} : ${b})`,
  vjp: (g, { inputs: [c, a, b] }, f) => [null, unb(f, f.where(c!, g, 0), a!), unb(f, f.where(c!, 0, g), b!)],
  notation: ([c, a, b]) => `where(${c}, ${a}, ${b})`,
});

// ∂max(a, b)/∂a = 1 − [a < b] − ½[a = b]: 1 where a wins (or either is NaN), ½ at a tie, 0 where b wins.
const share = ({ mul, sub, eq }: Builders, g: Node, loses: Node, a: Node, b: Node): Node => mul(g, sub(sub(1, loses), mul(0.5, eq(a, b))));

export const maximumOp = elementwise({
  name: "maximum", arity: 2,
  expr: ([a, b]) => `(${a} < ${b}${isNaNTest(b!)} ? ${b} : ${a})`,
  vjp: (g, { inputs: [a, b] }, f) => [unb(f, share(f, g, f.greater(b!, a!), a!, b!), a!), unb(f, share(f, g, f.greater(a!, b!), a!, b!), b!)],
  notation: ([a, b]) => `max(${a}, ${b})`,
});

export const minimumOp = elementwise({
  name: "minimum", arity: 2,
  expr: ([a, b]) => `(${b} < ${a}${isNaNTest(b!)} ? ${b} : ${a})`,
  vjp: (g, { inputs: [a, b] }, f) => [unb(f, share(f, g, f.greater(a!, b!), a!, b!), a!), unb(f, share(f, g, f.greater(b!, a!), a!, b!), b!)],
  notation: ([a, b]) => `min(${a}, ${b})`,
});

/** clamp's bounds: a number, or null for no bound on that side. */
const bounds = (attrs: Attrs) => ({ lo: attrs.min as number | null, hi: attrs.max as number | null });
const num = (v: number) => (v < 0 ? `(${v})` : `${v}`);
const bound = (v: number | null, missing: string) => (v === null ? missing : v === Infinity ? "∞" : v === -Infinity ? "−∞" : String(v).replace("-", "−"));
const texBound = (v: number | null, missing: string) => (v === null ? missing : v === Infinity ? "\\infty" : v === -Infinity ? "-\\infty" : String(v));

export const clampOp = elementwise({
  name: "clamp", arity: 1,
  expr: ([a], attrs) => {
    const { lo, hi } = bounds(attrs);
    // torch: min(max(x, lo), hi), so lo > hi gives hi everywhere; written as one test per bound with
    // lo lowered to hi, where NaN fails both tests and is returned.
    const low = lo !== null && hi !== null && lo > hi ? hi : lo;
    const upper = hi === null ? a! : `${paren(a!)} > ${num(hi)} ? ${num(hi)} : ${a}`;
    return low === null ? `(${upper})` : `(${paren(a!)} < ${num(low)} ? ${num(low)} : ${upper})`;
  },
  vjp: (g, { inputs: [x], attrs }, { greaterEqual, mul }) => {
    const { lo, hi } = bounds(attrs);
    const inside = [...(lo !== null ? [greaterEqual(x!, lo)] : []), ...(hi !== null ? [greaterEqual(hi, x!)] : [])];
    return [mul(g, inside.reduce((m, k) => mul(m, k)))];
  },
  notation: ([a], attrs) => `clamp(${a}, ${bound(bounds(attrs).lo, "−∞")}, ${bound(bounds(attrs).hi, "∞")})`,
  latex: ([a], attrs) => `\\operatorname{clamp}(${a}, ${texBound(bounds(attrs).lo, "-\\infty")}, ${texBound(bounds(attrs).hi, "\\infty")})`,
});

// ── the DSL functions (model.ts imports them from "gradc": ../dsl/index.ts re-exports them) ─────────

/** [a > b] as 1 or 0 (a float: a mask to multiply with, or a condition for `where`); no gradient. NaN compares false. */
export const greater = binary(greaterOp);
/** [a ≥ b] as 1 or 0. */
export const greaterEqual = binary(greaterEqualOp);
/** [a < b] as 1 or 0: greater(b, a). */
export function less(a: Operand, b: Operand): Tensor {
  return greater(b, a);
}
/** [a ≤ b] as 1 or 0: greaterEqual(b, a). */
export function lessEqual(a: Operand, b: Operand): Tensor {
  return greaterEqual(b, a);
}
/** [a = b] as 1 or 0 (NaN equals nothing). */
export const equal = eq;

/** a where `condition` is non-zero (as torch.where(condition.bool(), a, b): NaN counts as true), else b; all three broadcast. */
export function where(condition: Operand, a: Operand, b: Operand): Tensor {
  return make(whereOp, [tensorOf(condition), tensorOf(a), tensorOf(b)]);
}
/** The elementwise maximum (torch.maximum): NaN if either is NaN; ties split the gradient equally. */
export const maximum = binary(maximumOp);
/** The elementwise minimum (torch.minimum): NaN if either is NaN; ties split the gradient equally. */
export const minimum = binary(minimumOp);

/**
 * x limited to [min, max] (torch.clamp; give either bound or both, as numbers; ±Infinity is allowed):
 * NaN stays NaN, min > max gives max everywhere, and the gradient passes where min ≤ x ≤ max (bounds
 * included). For tensor bounds use maximum and minimum.
 */
export function clamp(x: Operand, min?: number | null, max?: number | null): Tensor {
  const lo = min ?? null, hi = max ?? null;
  for (const [v, what] of [[lo, "min"], [hi, "max"]] as const) {
    if (v === null) continue;
    if (typeof v !== "number") fail(codes.badArgument, `clamp: ${what} must be a number${typeof v === "object" ? " (for a tensor bound use maximum/minimum)" : ""}, got ${describe(v)}`);
    if (Number.isNaN(v)) fail(codes.badArgument, `clamp: ${what} must be a number, got NaN`);
  }
  if (lo === null && hi === null) fail(codes.badArgument, "clamp: give a min, a max or both (clamp(x, 0, 6), clamp(x, 0), clamp(x, null, 1))");
  return make(clampOp, [tensorOf(x)], { min: lo, max: hi });
}
