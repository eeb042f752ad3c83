// A standard flop count of a graph (2·M·N·K per matmul, one per element of elementwise ops and
// reductions, a few per element of softmax-like rows), with the batch dimension set to a number.
import { getOp } from "../ops/index.js";
import type { Graph } from "./graph.js";
import type { Node } from "./node.js";

/** Floating-point operations of a graph with the batch dimension set to `batch` (a rough, standard count). */
export function flops(g: Graph, batch = 1): number {
  const size = (n: Node) => n.shape.reduce<number>((a, d) => a * (typeof d === "number" ? d : batch), 1);
  let total = 0;
  for (const n of g.nodes) {
    const op = getOp(n.op);
    const kind = op.kind;
    if (op.flops) total += op.flops(n, { size, graph: (body) => flops(body, batch) });
    else if (kind === "leaf" || kind === "view" || kind === "layout") continue;
    else if (n.op === "matmul") {
      const a = n.inputs[0]!;
      const k = (n.attrs.transA ? a.shape[0] : a.shape[1])!;
      total += 2 * size(n) * (typeof k === "number" ? k : batch);
    } else if (kind === "reduce") total += size(n.inputs[0]!);
    else if (kind === "rowwise") total += 4 * Math.max(size(n), ...n.inputs.map(size));
    else total += size(n);
  }
  return total;
}

