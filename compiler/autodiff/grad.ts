// Symbolic reverse mode, Graph → Graph. Sweeps the nodes from the loss back to the parameters in
// reverse topological order; each node's adjoint ∂L/∂node is the sum of what its consumers' derivative
// rules send it. Derivative rules build ordinary nodes in the same builder as the forward graph, so a
// rule that mentions a forward value (σ(x) in σ' = σ(1−σ)) gets the forward node itself.
import { add, broadcastTo, scalar } from "../dsl/core.js";
import { makeGraph, type Graph } from "../ir/graph.js";
import type { Node } from "../ir/node.js";
import { inBuilder, rebuild } from "../ir/rewrite.js";
import { formatShape, sameShape } from "../ir/shape.js";
import { getOp } from "../ops/index.js";

export function grad(g: Graph): Graph {
  if (!g.loss) throw new Error("grad: the graph has no loss");
  const { graph, builder } = rebuild(g);
  const loss = graph.loss!;

  // Only nodes that depend on a trainable parameter need an adjoint (state such as batchNorm's running
  // statistics is a parameter that is not trained).
  const trainable = (n: Node) => n.op === "param" && n.attrs.trainable !== false;
  const needs = new Set<Node>();
  for (const n of graph.nodes) if (trainable(n) || n.inputs.some((i) => needs.has(i))) needs.add(n);

  const pending = new Map<Node, Node[]>();
  const send = (n: Node, contribution: Node) => pending.set(n, [...(pending.get(n) ?? []), contribution]);
  const adjoint = new Map<Node, Node>();

  inBuilder(builder, loss.loc, () => send(loss, scalar(1)));
  for (let k = graph.nodes.length - 1; k >= 0; k--) {
    const n = graph.nodes[k]!;
    const parts = pending.get(n);
    if (!parts || !needs.has(n)) continue;
    const total = inBuilder(builder, n.loc, () => parts.reduce((a, b) => add(a, b)));
    if (n.name && !total.name) total.name = `d${n.name}`;
    adjoint.set(n, total);
    const rule = getOp(n.op).vjp;
    if (!rule || !n.inputs.some((i) => needs.has(i))) continue;
    const firstNew = builder.size;
    const contributions = inBuilder(builder, n.loc, () => rule(total, n));
    for (const c of contributions) markOrigin(c, firstNew, `${n.op}'`);
    n.inputs.forEach((input, i) => {
      const c = contributions[i];
      if (!c || !needs.has(input)) return;
      if (!sameShape(c.shape, input.shape)) {
        throw new Error(`internal: ${n.op}'s derivative for input ${i} has shape ${formatShape(c.shape)}, expected ${formatShape(input.shape)}`);
      }
      send(input, c);
    });
  }

  const grads = graph.params.filter(trainable).map((p) => {
    const d = adjoint.get(p) ?? inBuilder(builder, p.loc, () => broadcastTo(scalar(0), p.shape));
    return [p.attrs.name as string, d] as const;
  });
  return makeGraph({ ...graph, grads });
}

/** Labels the nodes a derivative rule created (ids from `firstNew` on) with the rule's name. */
function markOrigin(n: Node | null, firstNew: number, origin: string): void {
  if (!n || n.id < firstNew || n.origin) return;
  n.origin = origin;
  for (const i of n.inputs) markOrigin(i, firstNew, origin);
}
