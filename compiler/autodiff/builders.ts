// The graph-building functions derivative rules are handed (compiler/ops/op.ts's `Builders`): the
// DSL's own, so a gradient is built exactly as the same expression written in model.ts would be. The
// autodiff layer gives them to each rule; op files never import compiler/dsl (no circle between them).
import { add, broadcastTo, div, eq, erf, exp, greater, greaterEqual, log, logSoftmax, matmul, mul, neg, onehot, pow, reshape, scalar, sigmoid, sign, softmax, square, step, sub, sum, sumTo, tanh, transpose, where } from "../dsl/core.js";
import type { Builders } from "../ops/op.js";

export const builders: Builders = {
  add, sub, mul, div, pow, neg, exp, log, square, sign, erf, sigmoid, tanh, step, eq, greater, greaterEqual, where,
  sum, sumTo, broadcastTo, reshape, transpose, matmul, softmax, logSoftmax, onehot, scalar,
};
