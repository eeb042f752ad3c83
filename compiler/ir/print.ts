// One stable text form of a graph: a line per node, `%id = op(inputs) {attrs} : shape  # name`.
// Tests compare against it; `gradc compile --report` can show it. A scan's body (and the reverse body
// of its derivative) is printed under it, indented, instead of its identity key; so is the vjp graph
// of a customGradient.
import { canonical } from "./node.js";
import type { Graph } from "./graph.js";
import { formatShape } from "./shape.js";
import type { CustomVjp, ScanBody } from "./body.js";

export function printGraph(g: Graph): string {
  return printLines(g).join("\n") + "\n";
}

function printLines(g: Graph): string[] {
  const local = new Map(g.nodes.map((n, i) => [n, i]));
  const lines = g.nodes.flatMap((n) => {
    const body = n.op === "scan" ? (n.attrs.body as ScanBody) : null;
    const vjp = n.op === "customGradient" ? (n.attrs.vjp as CustomVjp) : null;
    const shown = body ? { ...n.attrs, body: undefined } : vjp ? { ...n.attrs, vjp: undefined } : n.attrs;
    const attrs = Object.keys(shown).some((k) => shown[k] !== undefined) ? ` ${canonical(shown)}` : "";
    const args = n.inputs.map((i) => `%${local.get(i)}`).join(", ");
    const line = `%${local.get(n)} = ${n.op}(${args})${attrs} : ${formatShape(n.shape)}${n.name ? `  # ${n.name}` : ""}`;
    if (vjp) return [line, `  vjp: g, y, ${vjp.arity} argument${vjp.arity === 1 ? "" : "s"}, ${vjp.graph.inputs.length - 2 - vjp.arity} captured`, ...printLines(vjp.graph).map((l) => `    ${l}`)];
    return body ? [line, ...bodyLines(body, "body")] : [line];
  });
  const roots = [
    ...(g.loss ? [`loss = %${local.get(g.loss)}`] : []),
    ...g.outputs.map(([k, v]) => `output ${JSON.stringify(k)} = %${local.get(v)}`),
    ...g.grads.map(([k, v]) => `grad ${JSON.stringify(k)} = %${local.get(v)}`),
    ...(g.updates ?? []).map(([k, v]) => `update ${JSON.stringify(k)} = %${local.get(v)}`),
  ];
  return [...lines, ...roots];
}

function bodyLines(b: ScanBody, title: string): string[] {
  const captures = b.graph.inputs.length - b.carries - b.steps;
  const head = `  ${title}: ${b.carries} carries, ${b.steps} step inputs, ${captures} captured${b.backward ? `, ${b.backward.saved} saved for the reverse body` : ""}`;
  return [head, ...printLines(b.graph).map((l) => `    ${l}`), ...(b.backward ? bodyLines(b.backward.body, "reverse body") : [])];
}
