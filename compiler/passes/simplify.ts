// Algebraic simplification: identities that make the gradient graph read like the textbook.
// Test: test/passes/simplify.test.ts
import type { Node } from "../ir/node.js";
import { sameShape, type Shape } from "../ir/shape.js";
import { rule, rewritePass } from "./rules.js";

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

export const simplifyRules = [
  rule("add(x, 0)", "x", "x + 0 → x"),
  rule("add(0, x)", "x", "0 + x → x"),
  rule("sub(x, 0)", "x", "x − 0 → x"),
  rule("sub(0, x)", "neg(x)", "0 − x → −x"),
  rule("mul(x, 1)", "x", "x·1 → x"),
  rule("mul(1, x)", "x", "1·x → x"),
  rule("div(x, 1)", "x", "x/1 → x"),
  rule("pow(x, 1)", "x", "x¹ → x"),
  rule("pow(x, 2)", "square(x)", "x² → square(x)"),
  rule("pow(x, 0.5)", "sqrt(x)", "x^0.5 → √x"),
  rule("mul(x, x)", "square(x)", "x·x → x²"),
  rule("neg(neg(x))", "x", "−(−x) → x"),
  rule("mul(neg(x), y)", "neg(mul(x, y))", "(−x)·y → −(x·y)"),
  rule("mul(x, neg(y))", "neg(mul(x, y))", "x·(−y) → −(x·y)"),
  rule("div(neg(x), y)", "neg(div(x, y))", "(−x)/y → −(x/y)"),
  rule("add(x, neg(y))", "sub(x, y)", "x + (−y) → x − y"),
  rule("add(neg(x), y)", "sub(y, x)", "(−x) + y → y − x"),
  rule("sub(x, neg(y))", "add(x, y)", "x − (−y) → x + y"),
  rule("neg(sub(x, y))", "sub(y, x)", "−(x − y) → y − x"),
  rule("log(exp(x))", "x", "log(eˣ) → x"),
  // Broadcasts only feed elementwise ops: the op broadcasts by itself, and the fit check keeps shapes.
  rule("add(x, broadcastTo(y))", "add(x, y)", "x + broadcast(y) → x + y"),
  rule("add(broadcastTo(x), y)", "add(x, y)", "broadcast(x) + y → x + y"),
  rule("sub(x, broadcastTo(y))", "sub(x, y)", "x − broadcast(y) → x − y"),
  rule("sub(broadcastTo(x), y)", "sub(x, y)", "broadcast(x) − y → x − y"),
  rule("mul(x, broadcastTo(y))", "mul(x, y)", "x·broadcast(y) → x·y"),
  rule("mul(broadcastTo(x), y)", "mul(x, y)", "broadcast(x)·y → x·y"),
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
