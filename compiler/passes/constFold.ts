// Constant folding: a node whose inputs are all constants becomes a constant, computed by the op's
// own reference `eval`. Large results stay unfolded (a constant is emitted as data).
// Test: test/passes/constFold.test.ts
import { constant, scalar } from "../dsl/core.js";
import { makeGraph } from "../ir/graph.js";
import { rebuild } from "./rewrite.js";
import { isStatic } from "../ir/shape.js";
import { constOp } from "../ops/leaf.js";
import { opOf } from "../ops/op.js";
import type { Pass } from "./pass.js";

const MAX_FOLDED_ELEMENTS = 1024;

export const constFold: Pass = (g) => {
  let changes = 0;
  const { graph } = rebuild(g, (n) => {
    const op = opOf(n);
    if (op.kind === "leaf" || !n.inputs.every((i) => i.op === "const") || !isStatic(n.shape)) return undefined;
    const shape = n.shape as number[];
    if (shape.reduce((a, b) => a * b, 1) > MAX_FOLDED_ELEMENTS) return undefined;
    const values = n.inputs.map((i) => constOp.eval([], i.attrs, i.shape as number[]));
    const out = op.eval(values, n.attrs, shape);
    if (!out.data.every(Number.isFinite)) return undefined; // keep 1/0 visible where it happens
    changes++;
    return shape.length === 0 ? scalar(out.data[0]!) : constant([...out.data], shape);
  });
  return { graph: makeGraph(graph), changes };
};
