// Which nodes of two graphs compute the same value. Every pass rebuilds its graph (../passes/rewrite.ts),
// so two graphs derived from one never share node objects; a node is identified by what it computes:
// its op, its attrs and its inputs' values (leaves by their attrs: a parameter or an input by its
// name, a constant by its values). This is the builder's hash-consing key with value numbers in place
// of node ids, numbered in one table for both graphs.
import type { Graph } from "./graph.js";
import { attrsKey, type Node } from "./node.js";

/** Each node of `a` → the node of `b` that computes the same value, for those that have one. */
export function sameValues(a: Graph, b: Graph): Map<Node, Node> {
  const numbers = new Map<string, number>();
  const number = (g: Graph): Map<Node, number> => {
    const of = new Map<Node, number>();
    // Nodes are in topological order: a node's inputs are numbered before it.
    for (const n of g.nodes) {
      const key = `${n.op}(${n.inputs.map((i) => of.get(i)!).join(",")})${attrsKey(n.attrs)}`;
      let v = numbers.get(key);
      if (v === undefined) numbers.set(key, (v = numbers.size));
      of.set(n, v);
    }
    return of;
  };
  const inB = new Map<number, Node>();
  for (const [n, v] of number(b)) inB.set(v, n);
  const out = new Map<Node, Node>();
  for (const [n, v] of number(a)) {
    const match = inB.get(v);
    if (match) out.set(n, match);
  }
  return out;
}
