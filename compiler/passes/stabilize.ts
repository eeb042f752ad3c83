// Numerically stable forms. The ops themselves are stable (softmax subtracts the row max, softplus
// and σ never overflow); these rewrites remove the unstable compositions a model can spell out:
// log of a softmax or of a sigmoid underflows to log(0) = −∞ long before the stable form does, and
// log Σ exp(x) overflows to ∞ from x ≈ 710 where logSumExp factors out the largest x.
// Test: test/passes/stabilize.test.ts
import { rule, rewritePass } from "./rules.js";

export const stabilizeRules = [
  rule("log(softmax(x))", "logSoftmax(x)", "log(softmax(x)) → logSoftmax(x)"),
  rule("log(sigmoid(x))", "neg(softplus(neg(x)))", "log σ(x) → −softplus(−x)"),
  rule("log(sub(1, sigmoid(x)))", "neg(softplus(x))", "log(1 − σ(x)) → −softplus(x)"),
  rule("log(add(1, exp(x)))", "softplus(x)", "log(1 + eˣ) → softplus(x)"),
  // Σ over the last axis of a matrix's rows (logSumExp works along the last axis).
  rule("log(sum{axis=1,keepdims=false}(exp(x)))", "logSumExp(x)", "log Σ exp(x) → logSumExp(x)", (_, env) => env.get("x")!.shape.length === 2),
  rule("neg(sum{axis=1,keepdims=false}(mul(t, logSoftmax(x))))", "softmaxCE(x, t)", "−Σ t·logSoftmax(x) → softmaxCE(x, t)"),
  rule("neg(sum{axis=1,keepdims=false}(mul(logSoftmax(x), t)))", "softmaxCE(x, t)", "−Σ logSoftmax(x)·t → softmaxCE(x, t)"),
  rule("softmaxCE(x, onehot(labels))", "softmaxCE(x, labels)", "CE against onehot(labels) → CE against labels"),
];

export const stabilize = rewritePass(stabilizeRules);
