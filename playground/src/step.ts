// "Step": one training step made visible. The compiler's reference interpreter (float64) evaluates
// the training pass the generated module is made from on the current parameters and one batch, and
// every named value of the forward pass is listed in order, then the backward pass's (dz2 = δ₂ =
// ∂L/∂z2, …) and each parameter's gradient in the order backpropagation reaches them, each with the
// model.ts line it comes from, explain's formula and its name in the generated code; the training
// pass's graph is drawn with each node's value under its label. The generated trainer then takes the
// step, so the next press shows the next one.
import { trainPass } from "../../compiler/emit/passGraphs.js";
import { derive } from "../../compiler/explain/derivation.js";
import { toMermaid } from "../../compiler/graph/mermaid.js";
import { drawPass } from "../../compiler/graph/model.js";
import type { Graph } from "../../compiler/ir/graph.js";
import { evaluate } from "../../compiler/ir/interpret.js";
import type { Tensor } from "../../compiler/ir/tensor.js";
import type { Node } from "../../compiler/ir/node.js";
import type { StepValue } from "./protocol.js";
import { summarize, valueText } from "./valueText.js";

/** A heat map has at most this many rows and columns of cells. */
const HEAT = 48;

/** The tensor as rows × its last dimension, binned into at most HEAT × HEAT cells of means. */
function heatMap(data: ArrayLike<number>, shape: readonly number[]): NonNullable<StepValue["heat"]> {
  const cols = shape.length ? shape[shape.length - 1]! : 1;
  const rows = data.length / cols;
  const [r, c] = [Math.min(rows, HEAT), Math.min(cols, HEAT)];
  const sums = new Float64Array(r * c);
  const counts = new Float64Array(r * c);
  for (let i = 0; i < rows; i++) {
    const ci = Math.floor((i * r) / rows) * c;
    for (let j = 0; j < cols; j++) {
      const k = ci + Math.floor((j * c) / cols);
      sums[k]! += data[i * cols + j]!;
      counts[k]!++;
    }
  }
  return { rows: r, cols: c, cells: Array.from(sums, (v, k) => v / counts[k]!) };
}

export function stepValues(optimized: Graph, inputs: Readonly<Record<string, ArrayLike<number>>>, params: Readonly<Record<string, ArrayLike<number>>>): { values: StepValue[]; mermaid: string } {
  const pass = trainPass(optimized);
  const g = pass.graph;
  const values = evaluate(g, { inputs, params });
  // The generated module names its variables as explain does (z1, h1, delta2, dW1): the links into it.
  const derivation = derive(g, "model.ts");
  const codeNames = derivation.plainNames;
  const formulas = new Map([...derivation.forward, ...derivation.backward].map((e) => [e.node, e.rhs.text]));
  const show = (n: Node, name: string, kind: StepValue["kind"]): StepValue => {
    const t = values.get(n)!;
    const summary = summarize(t.data);
    return {
      name,
      kind,
      shape: [...t.shape],
      ...summary,
      line: n.loc.line || null,
      code: kind === "input" || kind === "param" ? name : (codeNames.get(n) ?? null),
      formula: formulas.get(n) ?? null,
      heat: summary.values ? null : heatMap(t.data, t.shape),
    };
  };
  // The forward pass is what the loss and outputs depend on; the other named values are the backward
  // pass's (dz2 = ∂L/∂z2, …), in the order it computes them.
  const forward = new Set<Node>();
  const visit = (n: Node): void => {
    if (forward.has(n)) return;
    forward.add(n);
    n.inputs.forEach(visit);
  };
  [...(g.loss ? [g.loss] : []), ...g.outputs.map(([, o]) => o)].forEach(visit);
  const grads = new Set(g.grads.map(([, d]) => d));
  const named = g.nodes.filter((n) => values.has(n) && !grads.has(n) && (n.name || n.op === "param" || n.op === "input"));
  const nameOf = (n: Node) => (n.op === "param" || n.op === "input" ? String(n.attrs.name) : n.name!);
  const out = named.filter((n) => forward.has(n)).map((n) => show(n, nameOf(n), n.op === "param" ? "param" : n.op === "input" ? "input" : "forward"));
  for (const n of named) if (!forward.has(n)) out.push(show(n, nameOf(n), "gradient"));
  for (const [name, d] of [...g.grads].reverse()) out.push({ ...show(d, `∂L/∂${name}`, "gradient"), code: `d${name}` });
  return { values: out, mermaid: toMermaid(valuesOnGraph(drawPass(pass, { backward: true, source: "model.ts" }), g, values)) };
}

/** The drawing with each computed node's value as a second line (`= [0.1, 0.2]`, or its norm and range). */
function valuesOnGraph(d: ReturnType<typeof drawPass>, g: Graph, values: ReadonlyMap<Node, Tensor>): ReturnType<typeof drawPass> {
  const byKey = new Map(g.nodes.map((n) => [`n${n.id}`, n]));
  return {
    ...d,
    title: `${d.title}; one step's values (float64)`,
    nodes: d.nodes.map((dn) => {
      const n = byKey.get(dn.key);
      const t = n && n.op !== "const" && n.op !== "dim" ? values.get(n) : undefined;
      return t ? { ...dn, note: `= ${valueText(summarize(t.data))}` } : dn;
    }),
  };
}
