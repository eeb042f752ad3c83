// The reverse sweep every derivative in gradc is made of: from seeded roots back through the nodes in
// reverse topological order, each node's adjoint ∂L/∂node being the sum of what its consumers'
// derivative rules send it. grad.ts seeds the loss with 1; a scan body seeds its results with the
// adjoints that arrive from the next time step (see ./scanBody.ts).
//
// Ops with several results (a scan) are read through `part` nodes: the sweep collects the adjoint of
// each part and hands them to the op's `vjpParts` together, once all are known.
import type { Builder, Node } from "../ir/node.js";
import { inBuilder } from "../passes/rewrite.js";
import { formatShape, sameShape } from "../ir/shape.js";
import { opOf } from "../ops/op.js";
import { builders } from "./builders.js";

export interface Sweep {
  /** Node → ∂L/∂node, for every node that depends on a `wrt` node and receives a contribution. */
  readonly adjoint: ReadonlyMap<Node, Node>;
}

/**
 * `nodes` in topological order; `seeds` pairs a node with the adjoint it starts with (made in
 * `builder`); only nodes that depend on a `wrt` node get adjoints.
 */
export function reverseSweep(nodes: readonly Node[], builder: Builder, seeds: readonly (readonly [Node, Node])[], wrt: (n: Node) => boolean): Sweep {
  const needs = new Set<Node>();
  for (const n of nodes) if (wrt(n) || n.inputs.some((i) => needs.has(i))) needs.add(n);

  const pending = new Map<Node, Node[]>();
  const send = (n: Node, contribution: Node) => {
    const list = pending.get(n);
    if (list) list.push(contribution);
    else pending.set(n, [contribution]);
  };
  /** Tuple node → the adjoint of each of its parts (null: that part is not used). */
  const partAdjoints = new Map<Node, (Node | null)[]>();
  const adjoint = new Map<Node, Node>();
  for (const [n, seed] of seeds) send(n, seed);

  for (let k = nodes.length - 1; k >= 0; k--) {
    const n = nodes[k]!;
    if (!needs.has(n)) continue;
    const op = opOf(n);
    let contributions: readonly (Node | null)[];
    let firstNew = builder.size;
    if (op.vjpParts) {
      const parts = partAdjoints.get(n);
      if (!parts) continue;
      contributions = inBuilder(builder, n.loc, () => op.vjpParts!(parts, n, builders));
    } else {
      const parts = pending.get(n);
      if (!parts) continue;
      const total = inBuilder(builder, n.loc, () => parts.reduce((a, b) => builders.add(a, b)));
      if (n.name && !total.name) total.name = `d${n.name}`;
      adjoint.set(n, total);
      if (n.op === "part") {
        const tuple = n.inputs[0]!;
        const list = partAdjoints.get(tuple) ?? [];
        list[n.attrs.index as number] = total;
        partAdjoints.set(tuple, list);
        continue;
      }
      const rule = op.vjp;
      if (!rule || !n.inputs.some((i) => needs.has(i))) continue;
      firstNew = builder.size;
      contributions = inBuilder(builder, n.loc, () => rule(total, n, builders));
    }
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
  return { adjoint };
}

/** Labels the nodes a derivative rule created (ids from `firstNew` on) with the rule's name. */
function markOrigin(n: Node | null, firstNew: number, origin: string): void {
  const stack = n ? [n] : [];
  while (stack.length) {
    const m = stack.pop()!;
    if (m.id < firstNew || m.origin) continue;
    m.origin = origin;
    for (let k = m.inputs.length - 1; k >= 0; k--) stack.push(m.inputs[k]!);
  }
}
