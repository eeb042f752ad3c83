// Transposes are never materialized: a 2-D transpose feeding a matmul becomes the matmul's
// transA/transB flag, which the lowering turns into index arithmetic.
// Test: test/passes/foldTranspose.test.ts
import { make } from "../ir/context.js";
import { makeGraph } from "../ir/graph.js";
import type { Node } from "../ir/node.js";
import { rebuild } from "../ir/rewrite.js";
import type { Pass } from "./pass.js";
import { matmulOp } from "../ops/matmul.js";

const isTranspose2d = (n: Node) => n.op === "transpose" && n.shape.length === 2;

export const foldTranspose: Pass = (g) => {
  let changes = 0;
  const { graph } = rebuild(g, (n) => {
    if (n.op !== "matmul") return undefined;
    const [a, b] = n.inputs as [Node, Node];
    if (!isTranspose2d(a) && !isTranspose2d(b)) return undefined;
    changes++;
    return make(matmulOp, [isTranspose2d(a) ? a.inputs[0]! : a, isTranspose2d(b) ? b.inputs[0]! : b], {
      transA: isTranspose2d(a) ? !n.attrs.transA : n.attrs.transA,
      transB: isTranspose2d(b) ? !n.attrs.transB : n.attrs.transB,
    });
  });
  return { graph: makeGraph(graph), changes };
};
