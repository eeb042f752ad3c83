// The adjoints of slices that tile a tensor become one concat. A value cut into pieces along an axis
// (an LSTM's gates x·W split into i, f, g, o) gets back one gradient per piece, each placed into
// zeros of the whole (sliceGrad), and their sum: ∂L/∂gates = sliceGrad(di) + sliceGrad(df) + ….
// When the pieces cover the axis without overlap, that sum is concat([di, df, dg, do]): one copy
// instead of a zero fill and a strided copy per piece and an addition of the whole.
// Test: test/passes/joinSlices.test.ts
import { concat } from "../dsl/indexing.js";
import { makeGraph } from "../ir/graph.js";
import type { Node } from "../ir/node.js";
import { rebuild } from "./rewrite.js";
import type { Pass } from "./pass.js";

/** Whether n is an add whose operands both have `shape` (so it has it too): a sum the pass looks through. */
const isSum = (n: Node, shape: Node["shape"]): boolean =>
  n.op === "add" && n.inputs.every((i) => i.shape.length === shape.length && i.shape.every((d, k) => d === shape[k]));

/**
 * The terms of a sum x₁ + x₂ + … (through nested adds of the same shape), in order, when every one is
 * a sliceGrad; else null, as soon as another term shows up. A residual network's forward adds nest as
 * deep as the network, so the walk uses a stack and stops at the first term that is not a sliceGrad
 * (the last operand, checked first, is one in a residual chain): looking at every add stays linear.
 */
function sliceGradTerms(n: Node): Node[] | null {
  const out: Node[] = [];
  const stack = [n];
  while (stack.length) {
    const m = stack.pop()!;
    if (isSum(m, n.shape)) {
      for (let k = m.inputs.length - 1; k >= 0; k--) stack.push(m.inputs[k]!);
      // the operand on top is the first in order; look at the last one first to fail fast
      const last = m.inputs[m.inputs.length - 1]!;
      if (!isSum(last, n.shape) && last.op !== "sliceGrad") return null;
    } else if (m.op === "sliceGrad") out.push(m);
    else return null;
  }
  return out;
}

export const joinSlices: Pass = (g) => {
  let changes = 0;
  const { graph } = rebuild(g, (n) => {
    if (n.op !== "add") return undefined;
    const parts = sliceGradTerms(n);
    if (!parts || parts.length < 2) return undefined;
    const { axis, size } = parts[0]!.attrs as { axis: number; size: number };
    if (!parts.every((p) => p.attrs.axis === axis && p.attrs.size === size && p.attrs.step === 1)) return undefined;
    // The pieces, in order along the axis, must cover it exactly: each starts where the last ended.
    const sorted = [...parts].sort((a, b) => (a.attrs.start as number) - (b.attrs.start as number));
    let next = 0;
    for (const p of sorted) {
      if (p.attrs.start !== next) return undefined;
      next += p.inputs[0]!.shape[axis] as number;
    }
    if (next !== size) return undefined;
    changes++;
    return concat(sorted.map((p) => p.inputs[0]!), axis);
  });
  return { graph: makeGraph(graph), changes };
};
