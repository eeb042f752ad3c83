// "Step": one training step made visible. The compiler's reference interpreter (float64) evaluates
// the optimized training graph on the current parameters and one batch, and every named value of the
// forward pass is listed in order, then the backward pass's (dz2 = δ₂ = ∂L/∂z2, …) and each parameter's
// gradient in the order backpropagation reaches them, each with the model.ts line it comes from; the generated trainer
// then takes the step, so the next press shows the next one.
import type { Graph } from "../../compiler/ir/graph.js";
import { evaluate } from "../../compiler/ir/interpret.js";
import type { Node } from "../../compiler/ir/node.js";
import { specialize } from "../../compiler/passes/specialize.js";
import type { StepValue } from "./protocol.js";

/** Tensors of at most this many elements are shown in full; larger ones by their norm and range. */
const FULL = 16;

export function stepValues(optimized: Graph, inputs: Readonly<Record<string, ArrayLike<number>>>, params: Readonly<Record<string, ArrayLike<number>>>): StepValue[] {
  const g = specialize("train")(optimized).graph;
  const values = evaluate(g, { inputs, params });
  const show = (n: Node, name: string, kind: StepValue["kind"]): StepValue => {
    const t = values.get(n)!;
    const data = Array.from(t.data);
    let norm = 0;
    for (const v of data) norm += v * v;
    return {
      name,
      kind,
      shape: [...t.shape],
      values: data.length <= FULL ? data : null,
      norm: Math.sqrt(norm),
      min: Math.min(...data),
      max: Math.max(...data),
      line: n.loc.line || null,
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
  for (const [name, d] of [...g.grads].reverse()) out.push(show(d, `∂L/∂${name}`, "gradient"));
  return out;
}
