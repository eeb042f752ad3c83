// A standard flop count of a graph (2·M·N·K per matmul, one per element of elementwise ops and
// reductions, a few per element of softmax-like rows), with the batch dimension set to a number.
import type { Graph } from "./graph.js";
import type { Node } from "./node.js";

/** Floating-point operations of a graph with the batch dimension set to `batch` (a rough, standard count). */
export function flops(g: Pick<Graph, "nodes">, batch = 1): number {
  let total = 0;
  for (const n of g.nodes) total += nodeFlops(n, batch);
  return total;
}

/** Floating-point operations of one node with the batch dimension set to `batch` (flops() sums them). */
export function nodeFlops(n: Node, batch = 1): number {
  const size = (m: Node) => m.shape.reduce<number>((a, d) => a * (typeof d === "number" ? d : batch), 1);
  const op = n.def;
  const kind = op.kind;
  if (op.flops) return op.flops(n, { size, graph: (body) => flops(body, batch) });
  if (kind === "leaf" || kind === "view" || kind === "layout") return 0;
  if (n.op === "matmul") {
    // The contraction: A's columns, or with transA its rows (all its leading axes when its rank is > 2).
    const a = n.inputs[0]!;
    const last = a.shape[a.shape.length - 1]!;
    const k = n.attrs.transA ? size(a) / (typeof last === "number" ? last : batch) : typeof last === "number" ? last : batch;
    return 2 * size(n) * k;
  }
  if (kind === "reduce") return size(n.inputs[0]!);
  if (kind === "rowwise") return 4 * Math.max(size(n), ...n.inputs.map(size));
  return size(n);
}
