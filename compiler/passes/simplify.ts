// Algebraic simplification: identities that make the gradient graph read like the textbook.
// Test: test/passes/simplify.test.ts
import { make } from "../ir/context.js";
import { constOp } from "../ops/leaf.js";
import { div, mul } from "../dsl/core.js";
import type { Node } from "../ir/node.js";
import { sameShape, type Shape } from "../ir/shape.js";
import { rule, rewritePass, type RuleGuard } from "./rules.js";

const withoutLeadingOnes = (s: Shape): Shape => {
  let i = 0;
  while (i < s.length && s[i] === 1) i++;
  return s.slice(i);
};
/** reshape(x) only adds or drops leading 1s, so x broadcasts (right-aligned) exactly as reshape(x) does. */
const onlyLeadingOnes = (n: Node, env: ReadonlyMap<string, Node>): boolean =>
  sameShape(withoutLeadingOnes(n.inputs[0]!.shape), withoutLeadingOnes(env.get("x")!.shape));
/** transpose(transpose(x, p), q) is x only when q undoes p. */
const undoes = (n: Node): boolean => {
  const q = n.attrs.perm as number[], p = n.inputs[0]!.attrs.perm as number[];
  return q.every((axis, i) => p[axis] === i);
};

/**
 * Whether `v` is ±2^k with 2^k a normal number in float32 as in float64 (2^-126 … 2^127). Multiplying
 * by such a number only moves the exponent: it is exact wherever the product stays in range, so it
 * commutes with rounding, and a product of two constant factors of which one is a power of two is
 * bit-identical to the two products it replaces (test/passes/constantFactors.test.ts).
 */
export function isExactFactor(v: number): boolean {
  return inRange(v) && 2 ** Math.round(Math.log2(Math.abs(v))) === Math.abs(v);
}
/** A normal number in float32 and float64 alike: a constant that is exact after moving its exponent. */
const inRange = (v: number): boolean => Math.abs(v) >= 2 ** -126 && Math.abs(v) <= 2 ** 127;
const value = (env: ReadonlyMap<string, Node>, name: string): number => env.get(name)!.attrs.value as number;
const scalarConst = (v: number): Node => make(constOp, [], { value: v });
/** c₁·(c₂·x) = (c₁c₂)·x bit for bit: one factor is a power of two and the combined one is in range. */
const exactProduct: RuleGuard = (_n, env) => {
  const c = value(env, "c"), d = value(env, "d");
  return (isExactFactor(c) || isExactFactor(d)) && inRange(c) && inRange(d) && inRange(c * d);
};
/** (x·c₁)/c₂ = x·(c₁/c₂) bit for bit: the divisor is a power of two (so c₁/c₂ is exact) and c₁/c₂ is in range. */
const exactQuotient: RuleGuard = (_n, env) => {
  const c = value(env, "c"), d = value(env, "d");
  return isExactFactor(d) && inRange(c) && inRange(c / d);
};
/** (c/N)·(d·x) = ((c·d)/N)·x bit for bit: d is a power of two (so c·d/N is d times c/N, exactly). */
const exactOverN: RuleGuard = (_n, env) => isExactFactor(value(env, "d")) && inRange(value(env, "c")) && inRange(value(env, "c") * value(env, "d"));
/** ((c·d)/N)·x, with the quotient on the side the matched node had it. */
const overN = (env: ReadonlyMap<string, Node>, n: Node): Node => {
  const q = div(scalarConst(value(env, "c") * value(env, "d")), env.get("n")!);
  return n.inputs[0]!.op === "div" ? mul(q, env.get("x")!) : mul(env.get("x")!, q);
};
/** c·x, with the constant on the side `like` (a mul) has its constant: a rewrite keeps the operands' order. */
const scaled = (c: number, x: Node, like: Node): Node =>
  c === 1 ? x : like.inputs[0]!.op === "const" ? mul(scalarConst(c), x) : mul(x, scalarConst(c));

export const simplifyRules = [
  rule("add(x, 0)", "x", "x + 0 → x", { commutative: true }),
  rule("sub(x, 0)", "x", "x − 0 → x"),
  rule("sub(0, x)", "neg(x)", "0 − x → −x"),
  rule("mul(x, 1)", "x", "x·1 → x", { commutative: true }),
  rule("div(x, 1)", "x", "x/1 → x"),
  rule("pow(x, 1)", "x", "x¹ → x"),
  rule("pow(x, 2)", "square(x)", "x² → square(x)"),
  rule("pow(x, 0.5)", "sqrt(x)", "x^0.5 → √x"),
  rule("mul(x, x)", "square(x)", "x·x → x²"),
  rule("neg(neg(x))", "x", "−(−x) → x"),
  rule("mul(neg(x), y)", "neg(mul(x, y))", "(−x)·y → −(x·y)", { commutative: true }),
  rule("div(neg(x), y)", "neg(div(x, y))", "(−x)/y → −(x/y)"),
  rule("add(x, neg(y))", "sub(x, y)", "x + (−y) → x − y", { commutative: true }),
  rule("sub(x, neg(y))", "add(x, y)", "x − (−y) → x + y"),
  rule("neg(sub(x, y))", "sub(y, x)", "−(x − y) → y − x"),
  rule("log(exp(x))", "x", "log(eˣ) → x"),
  // Constant factors combine only where the result is bit-identical: c₁·(c₂·x) rounds twice, and
  // (c₁c₂)·x once, the same only when one factor is a power of two (docs/passes/simplify.md).
  // Signs move into a constant freely: negation is exact.
  rule("mul(c:const, mul(d:const, x))", (env, n) => scaled(value(env, "c") * value(env, "d"), env.get("x")!, n), "c₁·(c₂·x) → (c₁c₂)·x  (one a power of two)", { when: exactProduct, commutative: true }),
  rule("mul(c:const, mul(x, d:const))", (env, n) => scaled(value(env, "c") * value(env, "d"), env.get("x")!, n), "c₁·(x·c₂) → (c₁c₂)·x  (one a power of two)", { when: exactProduct, commutative: true }),
  // The same with the factor a constant over N (a mean's 1/N): (c/N)·(d·x) → ((c·d)/N)·x, d a power of two.
  rule("mul(div(c:const, n), mul(d:const, x))", overN, "(c₁/N)·(c₂·x) → ((c₁c₂)/N)·x  (c₂ a power of two)", { when: exactOverN, commutative: true }),
  rule("mul(div(c:const, n), mul(x, d:const))", overN, "(c₁/N)·(x·c₂) → ((c₁c₂)/N)·x  (c₂ a power of two)", { when: exactOverN, commutative: true }),
  rule("div(mul(x, c:const), d:const)", (env, n) => scaled(value(env, "c") / value(env, "d"), env.get("x")!, n.inputs[0]!), "(x·c₁)/c₂ → x·(c₁/c₂)  (c₂ a power of two; (x·c)/c → x)", { when: exactQuotient, commutative: true }),
  rule("neg(mul(c:const, x))", (env, n) => scaled(-value(env, "c"), env.get("x")!, n.inputs[0]!), "−(c·x) → (−c)·x", { commutative: true }),
  rule("neg(c:const)", (env) => scalarConst(-value(env, "c")), "−c → the constant −c"),
  // Broadcasts only feed elementwise ops: the op broadcasts by itself, and the fit check keeps shapes.
  rule("add(x, broadcastTo(y))", "add(x, y)", "x + broadcast(y) → x + y", { commutative: true }),
  rule("sub(x, broadcastTo(y))", "sub(x, y)", "x − broadcast(y) → x − y"),
  rule("sub(broadcastTo(x), y)", "sub(x, y)", "broadcast(x) − y → x − y"),
  rule("mul(x, broadcastTo(y))", "mul(x, y)", "x·broadcast(y) → x·y", { commutative: true }),
  rule("div(x, broadcastTo(y))", "div(x, y)", "x/broadcast(y) → x/y"),
  rule("div(broadcastTo(x), y)", "div(x, y)", "broadcast(x)/y → x/y"),
  rule("broadcastTo(broadcastTo(x))", "x", "broadcast(broadcast(x)) → broadcast(x)"),
  // Not when the reshape moves a dimension: v [2] → [2, 1] → [2, 2] fills row i with v[i]; v → [2, 2] makes every row v.
  rule("broadcastTo(reshape(x))", "x", "broadcast(reshape(x)) → broadcast(x)", onlyLeadingOnes),
  rule("reshape(broadcastTo(s:scalar))", "s", "reshape(broadcast(s)) → broadcast(s)"),
  rule("reshape(reshape(x))", "x", "reshape(reshape(x)) → reshape(x)"),
  rule("reshape(x)", "x", "reshape to the same shape → x"),
  rule("broadcastTo(x)", "x", "broadcast to the same shape → x"),
  rule("transpose(transpose(x))", "x", "(xᵀ)ᵀ → x", undoes),
];

export const simplify = rewritePass(simplifyRules);
