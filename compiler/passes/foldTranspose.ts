// Transposes are never materialized: a 2-D transpose feeding a matmul becomes the matmul's
// transA/transB flag, which the lowering turns into index arithmetic. Rules as data (./rules.ts): the
// replacement is a function because it flips flags of the matched matmul; the first rule that fits
// wins, so a matmul with both operands transposed is one change.
// Test: test/passes/foldTranspose.test.ts
import { make } from "../ir/context.js";
import { matmulOp } from "../ops/matmul.js";
import { rewritePass, rule } from "./rules.js";

// No guard is needed: matmul's shape rule takes only 2-D operands, and transpose() never makes an
// identity permutation, so a transpose feeding a matmul is always the 2-D transpose (perm [1, 0]).
export const foldTransposeRules = [
  rule("matmul(transpose(a), transpose(b))", (env, n) => make(matmulOp, [env.get("a")!, env.get("b")!], { transA: !n.attrs.transA, transB: !n.attrs.transB }), "matmul(aᵀ, bᵀ) → matmul with both flags flipped"),
  rule("matmul(transpose(a), b)", (env, n) => make(matmulOp, [env.get("a")!, env.get("b")!], { transA: !n.attrs.transA, transB: n.attrs.transB }), "matmul(aᵀ, b) → matmul with transA flipped"),
  rule("matmul(a, transpose(b))", (env, n) => make(matmulOp, [env.get("a")!, env.get("b")!], { transA: n.attrs.transA, transB: !n.attrs.transB }), "matmul(a, bᵀ) → matmul with transB flipped"),
];

export const foldTranspose = rewritePass(foldTransposeRules);
