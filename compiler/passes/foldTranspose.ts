// Transposes are never materialized: a 2-D transpose feeding a matmul becomes the matmul's
// transA/transB flag, which the lowering turns into index arithmetic. Rules as data (./rules.ts): the
// replacement is a function because it flips flags of the matched matmul; the first rule that fits
// wins, so a matmul with both operands transposed is one change.
// Test: test/passes/foldTranspose.test.ts
import { make } from "../ir/context.js";
import type { Node } from "../ir/node.js";
import { matmulOp } from "../ops/matmul.js";
import { rewritePass, rule } from "./rules.js";

// Only a 2-D transpose is a flag: a matmul also takes a sequence [..., K] (rows: all its leading axes),
// and a transpose of one of its axes is not the transpose of that matrix. (transpose() never makes an
// identity permutation, so a 2-D transpose is the swap [1, 0].)
const flat = (x: string) => (_: Node, env: ReadonlyMap<string, Node>) => env.get(x)!.shape.length === 2;
const both = (_: Node, env: ReadonlyMap<string, Node>) => env.get("a")!.shape.length === 2 && env.get("b")!.shape.length === 2;
export const foldTransposeRules = [
  rule("matmul(transpose(a), transpose(b))", (env, n) => make(matmulOp, [env.get("a")!, env.get("b")!], { transA: !n.attrs.transA, transB: !n.attrs.transB }), "matmul(aᵀ, bᵀ) → matmul with both flags flipped", both),
  rule("matmul(transpose(a), b)", (env, n) => make(matmulOp, [env.get("a")!, env.get("b")!], { transA: !n.attrs.transA, transB: n.attrs.transB }), "matmul(aᵀ, b) → matmul with transA flipped", flat("a")),
  rule("matmul(a, transpose(b))", (env, n) => make(matmulOp, [env.get("a")!, env.get("b")!], { transA: n.attrs.transA, transB: !n.attrs.transB }), "matmul(a, bᵀ) → matmul with transB flipped", flat("b")),
];

export const foldTranspose = rewritePass(foldTransposeRules);
