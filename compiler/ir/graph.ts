// A graph is a set of named roots over nodes of one builder: the loss, the outputs, and (after
// autodiff) one gradient per parameter. Its node list is what the roots reach, in topological order.

import type { Node } from "./node.js";

export interface Graph {
  readonly name: string;
  /** The named batch dimension ("batch" in the contract), or null when every shape is static. */
  readonly batchDim: string | null;
  /** Declared inputs and parameters, in declaration order (they stay even when unused). */
  readonly inputs: readonly Node[];
  readonly params: readonly Node[];
  readonly loss: Node | null;
  readonly outputs: readonly (readonly [string, Node])[];
  /** Parameter name → ∂loss/∂parameter. Empty before autodiff. */
  readonly grads: readonly (readonly [string, Node])[];
  /**
   * State name → its value after a training step (batchNorm's running statistics): non-trainable
   * parameters that a training step overwrites. Absent or empty for most models.
   */
  readonly updates?: readonly (readonly [string, Node])[];
  /** Every node reachable from the roots, in topological (id) order. */
  readonly nodes: readonly Node[];
}

export type GraphRoots = Omit<Graph, "nodes">;

export function roots(g: GraphRoots): Node[] {
  return [...g.inputs, ...g.params, ...(g.loss ? [g.loss] : []), ...g.outputs.map((o) => o[1]), ...g.grads.map((o) => o[1]), ...(g.updates ?? []).map((o) => o[1])];
}

/** Every node `roots` depend on (the roots included). */
export function reachable(roots: readonly Node[]): Set<Node> {
  const seen = new Set<Node>();
  const stack = [...roots];
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    stack.push(...n.inputs);
  }
  return seen;
}

/** Builds the node list from the roots: reachable nodes only (so unreachable ones are dropped). */
export function makeGraph(r: GraphRoots): Graph {
  const seen = reachable(roots(r));
  return { ...r, nodes: [...seen].sort((a, b) => a.id - b.id) };
}

/** How many nodes use each node (roots count as a use). */
export function useCounts(g: Graph): Map<Node, number> {
  const uses = new Map<Node, number>();
  for (const n of g.nodes) for (const i of n.inputs) uses.set(i, (uses.get(i) ?? 0) + 1);
  for (const r of [...(g.loss ? [g.loss] : []), ...g.outputs.map((o) => o[1]), ...g.grads.map((o) => o[1]), ...(g.updates ?? []).map((o) => o[1])]) {
    uses.set(r, (uses.get(r) ?? 0) + 1);
  }
  return uses;
}

/** Consumers of each node, in topological order. */
export function consumers(g: Graph): Map<Node, Node[]> {
  const out = new Map<Node, Node[]>();
  for (const n of g.nodes) for (const i of n.inputs) {
    const l = out.get(i) ?? [];
    if (!l.includes(n)) l.push(n);
    out.set(i, l);
  }
  return out;
}
