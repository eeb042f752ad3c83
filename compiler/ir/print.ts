// One stable text form of a graph: a line per node, `%id = op(inputs) {attrs} : shape  # name`.
// Tests compare against it; `gradc compile --report` can show it.
import { canonical } from "./node.js";
import type { Graph } from "./graph.js";
import { formatShape } from "./shape.js";

export function printGraph(g: Graph): string {
  const local = new Map(g.nodes.map((n, i) => [n, i]));
  const lines = g.nodes.map((n) => {
    const attrs = Object.keys(n.attrs).length ? ` ${canonical(n.attrs)}` : "";
    const args = n.inputs.map((i) => `%${local.get(i)}`).join(", ");
    return `%${local.get(n)} = ${n.op}(${args})${attrs} : ${formatShape(n.shape)}${n.name ? `  # ${n.name}` : ""}`;
  });
  const roots = [
    ...(g.loss ? [`loss = %${local.get(g.loss)}`] : []),
    ...g.outputs.map(([k, v]) => `output ${JSON.stringify(k)} = %${local.get(v)}`),
    ...g.grads.map(([k, v]) => `grad ${JSON.stringify(k)} = %${local.get(v)}`),
    ...(g.updates ?? []).map(([k, v]) => `update ${JSON.stringify(k)} = %${local.get(v)}`),
  ];
  return [...lines, ...roots].join("\n") + "\n";
}
