// Algebraic simplification: identities that make the gradient graph read like the textbook.
// Test: test/passes/simplify.test.ts
import { rule, rewritePass } from "./rules.js";

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
  rule("broadcastTo(reshape(x))", "x", "broadcast(reshape(x)) → broadcast(x)"),
  rule("reshape(broadcastTo(s:scalar))", "s", "reshape(broadcast(s)) → broadcast(s)"),
  rule("reshape(reshape(x))", "x", "reshape(reshape(x)) → reshape(x)"),
  rule("reshape(x)", "x", "reshape to the same shape → x"),
  rule("broadcastTo(x)", "x", "broadcast to the same shape → x"),
  rule("transpose(transpose(x))", "x", "(xᵀ)ᵀ → x"),
];

export const simplify = rewritePass(simplifyRules);
