// Graph invariants, checked after every pass in tests (and by the pipeline when asked):
// topological order, inputs inside the graph, shapes that the op's shape rule reproduces, roots
// of the right shape, no dangling gradient.
import type { Graph } from "./graph.js";
import { formatShape, sameShape } from "./shape.js";

export function verify(g: Graph, after = "?"): void {
  const fail = (msg: string) => {
    throw new Error(`verify after ${after}: ${msg}`);
  };
  const seen = new Set(g.nodes);
  let last = -1;
  for (const n of g.nodes) {
    if (n.id <= last) fail(`nodes out of order at ${n.op}#${n.id}`);
    last = n.id;
    for (const i of n.inputs) {
      if (!seen.has(i)) fail(`${n.op}#${n.id} uses ${i.op}#${i.id}, which is not in the graph`);
      if (i.id >= n.id) fail(`${n.op}#${n.id} uses a later node ${i.op}#${i.id}`);
    }
    const shape = n.def.shape(n.inputs, n.attrs);
    if (!sameShape(shape, n.shape)) fail(`${n.op}#${n.id} has shape ${formatShape(n.shape)}, its rule gives ${formatShape(shape)}`);
  }
  if (g.loss && g.loss.shape.length !== 0) fail("the loss is not a scalar");
  for (const [name, u] of g.updates ?? []) {
    const p = g.params.find((q) => q.attrs.name === name);
    if (!p || p.attrs.trainable !== false) fail(`update of "${name}", which is not a state parameter`);
    else if (!sameShape(p.shape, u.shape)) fail(`update of "${name}" has shape ${formatShape(u.shape)}, the state ${formatShape(p.shape)}`);
  }
  for (const [name, d] of g.grads) {
    const p = g.params.find((q) => q.attrs.name === name);
    if (!p) fail(`gradient for unknown parameter "${name}"`);
    else if (!sameShape(p.shape, d.shape)) fail(`gradient of "${name}" has shape ${formatShape(d.shape)}, the parameter ${formatShape(p.shape)}`);
  }
}
