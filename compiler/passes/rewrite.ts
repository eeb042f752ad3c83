// Rebuilding a graph into a fresh builder: the mechanism every pass is made of. Rebuilding alone
// merges identical nodes (hash-consing) and drops unreachable ones; a hook may replace each node as
// it is rebuilt (its inputs already rebuilt), building replacements with DSL functions.
import { createContext, withContext } from "../ir/context.js";
import { makeGraph, type Graph } from "../ir/graph.js";
import type { Builder, Node } from "../ir/node.js";

export type RewriteHook = (node: Node) => Node | undefined;

export interface Rebuilt {
  readonly graph: Graph;
  readonly builder: Builder;
  /** Old node → its rebuilt counterpart. */
  readonly map: Map<Node, Node>;
}

export function rebuild(g: Graph, hook?: RewriteHook): Rebuilt {
  const ctx = createContext();
  const map = new Map<Node, Node>();
  withContext(ctx, () => {
    for (const n of g.nodes) {
      const made = ctx.builder.make(n.def, n.inputs.map((i) => map.get(i)!), n.attrs, n.loc, n.name);
      if (n.origin && !made.origin) made.origin = n.origin;
      if (!hook) {
        map.set(n, made);
        continue;
      }
      ctx.loc = n.loc;
      const replaced = hook(made) ?? made;
      if (n.name && !replaced.name) replaced.name = n.name;
      if (n.origin && !replaced.origin) replaced.origin = n.origin;
      map.set(n, replaced);
    }
  });
  return { graph: withRoots(g, map), builder: ctx.builder, map };
}

/** The graph whose roots (inputs, params, loss, outputs, gradients, updates) are g's, each replaced as `map` says. */
export function withRoots(g: Graph, map: ReadonlyMap<Node, Node>): Graph {
  const m = (n: Node) => map.get(n)!;
  return makeGraph({
    name: g.name,
    batchDim: g.batchDim,
    inputs: g.inputs.map(m),
    params: g.params.map(m),
    loss: g.loss ? m(g.loss) : null,
    outputs: g.outputs.map(([k, v]) => [k, m(v)] as const),
    grads: g.grads.map(([k, v]) => [k, m(v)] as const),
    ...(g.updates?.length ? { updates: g.updates.map(([k, v]) => [k, m(v)] as const) } : {}),
  });
}

/** Runs `fn` with DSL calls adding to `builder` at a fixed location. */
export function inBuilder<T>(builder: Builder, loc: Node["loc"], fn: () => T): T {
  const ctx = { ...createContext(), builder, loc };
  return withContext(ctx, fn);
}
