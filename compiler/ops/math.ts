// Elementwise arithmetic: + − × ÷ pow, negation, exp/log/sqrt/abs/square, and the masks derivative
// rules need. Each derivative sits next to its definition; gradients of broadcast operands are
// summed back to the operand's shape (sumTo).
import type { Node } from "../ir/node.js";
import { binary, unary } from "./build.js";
import { isCompound } from "./notate.js";
import { elementwise, texParen } from "./op.js";

/** Parenthesizes an operand unless it is atomic (no spaces outside brackets). */
export function paren(s: string): string {
  return isCompound(s) ? `(${s})` : s;
}

export const addOp = elementwise({
  name: "add", arity: 2,
  expr: ([a, b]) => `${a} + ${b}`,
  vjp: (g, { inputs: [a, b] }, { sumTo }) => [sumTo(g, a!.shape), sumTo(g, b!.shape)],
  notation: ([a, b]) => `${a} + ${b}`,
});

export const subOp = elementwise({
  name: "sub", arity: 2,
  expr: ([a, b]) => `${a} - ${paren(b!)}`,
  vjp: (g, { inputs: [a, b] }, { sumTo, neg }) => [sumTo(g, a!.shape), sumTo(neg(g), b!.shape)],
  notation: ([a, b]) => `${a} − ${paren(b!)}`,
});

export const mulOp = elementwise({
  name: "mul", arity: 2,
  expr: ([a, b]) => `${paren(a!)} * ${paren(b!)}`,
  vjp: (g, { inputs: [a, b] }, { sumTo, mul }) => [sumTo(mul(g, b!), a!.shape), sumTo(mul(g, a!), b!.shape)],
  notation: ([a, b]) => `${paren(a!)} ⊙ ${paren(b!)}`,
});

export const divOp = elementwise({
  name: "div", arity: 2,
  expr: ([a, b]) => `${paren(a!)} / ${paren(b!)}`,
  // d(a/b)/db = −(a/b)/b: reuses the quotient.
  vjp: (g, node, { sumTo, div, neg, mul }) => [sumTo(div(g, node.inputs[1]!), node.inputs[0]!.shape), sumTo(neg(div(mul(g, node), node.inputs[1]!)), node.inputs[1]!.shape)],
  notation: ([a, b]) => `${paren(a!)} / ${paren(b!)}`,
  latex: ([a, b]) => `\\frac{${a}}{${b}}`,
});

export const powOp = elementwise({
  name: "pow", arity: 2,
  expr: ([a, b]) => `Math.pow(${a}, ${b})`,
  // d(aᵇ)/da = b·aᵇ⁻¹, d(aᵇ)/db = aᵇ·ln a.
  vjp: (g, node, { sumTo, mul, pow, sub, log }) => {
    const [a, b] = node.inputs as [Node, Node];
    return [sumTo(mul(g, mul(b, pow(a, sub(b, 1)))), a.shape), sumTo(mul(g, mul(node, log(a))), b.shape)];
  },
  notation: ([a, b]) => `${paren(a!)}^${paren(b!)}`,
  latex: ([a, b]) => `{${texParen(a!)}}^{${b}}`,
});

export const negOp = elementwise({
  name: "neg", arity: 1,
  // A negative operand ("-x", "-0.5") needs parentheses: "--x" is a decrement, not −(−x).
  expr: ([a]) => (a!.startsWith("-") ? `-(${a})` : `-${paren(a!)}`),
  vjp: (g, _, { neg }) => [neg(g)],
  notation: ([a]) => `−${paren(a!)}`,
});

export const expOp = elementwise({
  name: "exp", arity: 1,
  expr: ([a]) => `Math.exp(${a})`,
  vjp: (g, node, { mul }) => [mul(g, node)], // exp' = exp: the forward value
  notation: ([a]) => `exp(${a})`,
});

export const logOp = elementwise({
  name: "log", arity: 1,
  expr: ([a]) => `Math.log(${a})`,
  vjp: (g, { inputs: [x] }, { div }) => [div(g, x!)],
  notation: ([a]) => `log(${a})`,
});

/** erf(x) = (2/√π)∫₀ˣ e^(−t²) dt, gradc/runtime's (Math has none); erf' = (2/√π)·e^(−x²). */
export const erfOp = elementwise({
  name: "erf", arity: 1,
  expr: ([a]) => `erf(${a})`,
  runtime: () => ["erf"],
  vjp: (g, { inputs: [x] }, { mul, exp, neg, square }) => [mul(g, mul(2 / Math.sqrt(Math.PI), exp(neg(square(x!)))))],
  notation: ([a]) => `erf(${a})`,
});

export const sqrtOp = elementwise({
  name: "sqrt", arity: 1,
  expr: ([a]) => `Math.sqrt(${a})`,
  vjp: (g, node, { div, mul }) => [div(g, mul(2, node))], // (√x)' = 1/(2√x): the forward value
  notation: ([a]) => `√${paren(a!)}`,
  latex: ([a]) => `\\sqrt{${a}}`,
});

export const squareOp = elementwise({
  name: "square", arity: 1,
  expr: ([a]) => `${paren(a!)} * ${paren(a!)}`,
  vjp: (g, { inputs: [x] }, { mul }) => [mul(g, mul(2, x!))],
  notation: ([a]) => `${paren(a!)}²`,
});

export const absOp = elementwise({
  name: "abs", arity: 1,
  expr: ([a]) => `Math.abs(${a})`,
  vjp: (g, { inputs: [x] }, { mul, sign }) => [mul(g, sign(x!))], // |x|' = sign(x), 0 at 0 as in PyTorch
  notation: ([a]) => `|${a}|`,
});

/**
 * sign(x): −1, 0 or 1 (Math.sign, which keeps −0). Only abs' uses it, so at NaN it is what PyTorch's
 * abs' is there: torch.sign(NaN) = 0 (|x|' = g·sign(x) = 0 for a finite g, as torch.abs's gradient).
 */
export const signOp = elementwise({
  name: "sign", arity: 1,
  expr: ([a]) => `(${a} !== ${a} ? 0 : Math.sign(${a}))`,
  vjp: () => [null],
  notation: ([a]) => `sign(${a})`,
});

/**
 * [a = b]: which elements attain a maximum (max's derivative). NaN equals nothing, as torch.eq: a row
 * whose max is NaN has no maximum, its tie count is 0 and max' is g/0·0 = NaN there, as torch.amax's.
 * A float32 module compares both sides rounded to float32: a value kept in a double local (x·w) must
 * equal the max it produced, which was rounded when stored.
 */
export const eqOp = elementwise({
  name: "eq", arity: 2,
  expr: ([a, b], _, precision) => (precision === "f32" ? `(Math.fround(${a}) === Math.fround(${b}) ? 1 : 0)` : `(${a} === ${b} ? 1 : 0)`),
  vjp: () => [null, null],
  notation: ([a, b]) => `[${a} = ${b}]`,
});

// ── the DSL functions (model.ts imports them from "gradc": ../dsl/index.ts re-exports them) ─────────

export const add = binary(addOp);
export const sub = binary(subOp);
export const mul = binary(mulOp);
export const div = binary(divOp);
export const pow = binary(powOp);
export const neg = unary(negOp);
export const exp = unary(expOp);
export const log = unary(logOp);
export const sqrt = unary(sqrtOp);
export const square = unary(squareOp);
export const abs = unary(absOp);
export const sign = unary(signOp);
/** [a = b] as 1 or 0 (which elements attain a max). */
export const eq = binary(eqOp);
/** The error function (2/√π)∫₀ˣ e^(−t²) dt, as torch.erf. */
export const erf = unary(erfOp);
