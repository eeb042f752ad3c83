// The adjoints of slices that tile a tensor become one concat. A value cut into pieces along an axis
// (an LSTM's gates x·W split into i, f, g, o) gets back one gradient per piece, each placed into
// zeros of the whole (sliceGrad), and their sum: ∂L/∂gates = sliceGrad(di) + sliceGrad(df) + ….
// When the pieces cover the axis without overlap, that sum is concat([di, df, dg, do]): one copy
// instead of a zero fill and a strided copy per piece and an addition of the whole.
// Test: test/passes/joinSlices.test.ts
import { concat } from "../dsl/indexing.js";
import { makeGraph } from "../ir/graph.js";
import type { Node } from "../ir/node.js";
import { rebuild } from "../ir/rewrite.js";
import type { Pass } from "./pass.js";

/** The terms of a sum x₁ + x₂ + … (through nested adds of the same shape). */
function terms(n: Node, shape: Node["shape"]): Node[] {
  if (n.op !== "add" || n.shape.length !== shape.length || !n.inputs.every((i) => i.shape.length === shape.length && i.shape.every((d, k) => d === shape[k]))) return [n];
  return n.inputs.flatMap((i) => terms(i, shape));
}

export const joinSlices: Pass = (g) => {
  let changes = 0;
  const { graph } = rebuild(g, (n) => {
    if (n.op !== "add") return undefined;
    const parts = terms(n, n.shape);
    if (parts.length < 2 || !parts.every((p) => p.op === "sliceGrad")) return undefined;
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
