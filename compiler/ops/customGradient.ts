// customGradient: a value whose derivative the model gives (JAX's custom_vjp, TF's customGrad, a
// torch.autograd.Function). See ../dsl/gradients.ts for how a call is traced.
//
// The node is customGradient(y, x₁ … xₙ, c₁ … cₘ) with attrs { vjp }:
//  - y is the forward's result, traced from the call's arguments as ordinary nodes (so the passes
//    optimize it and the emitter emits it like any other value); the node's value is y;
//  - x₁ … xₙ are the call's arguments, the values the gradient goes to;
//  - c₁ … cₘ are values from outside the vjp that the vjp reads (captured, as a scan body captures
//    its weights); they get no gradient from here (the vjp is never differentiated);
//  - vjp.graph is the vjp traced into a graph of its own, whose inputs are placeholders for
//    g = ∂L/∂y, y, x₁ … xₙ, c₁ … cₘ and whose outputs `d1` … `dn` are ∂L/∂xₖ (an output is absent
//    where the vjp returned null: no gradient).
//
// The derivative rule copies the vjp graph into the gradient graph with its placeholders bound to the
// adjoint and the node's inputs, each copied node keeping its model.ts location (the vjp's lines), and
// sends nothing to y: the reverse sweep does not differentiate through the forward. Once gradients
// exist the node is y (passes/eraseGradientMarkers.ts replaces it before lowering: no copy).
import { context } from "../ir/context.js";
import type { CustomVjp } from "../ir/body.js";
import type { Node } from "../ir/node.js";
import { formatShape, sameShape, ShapeError } from "../ir/shape.js";
import { defineOp } from "./op.js";

export type { CustomVjp } from "../ir/body.js";

export const customGradientOp = defineOp({
  name: "customGradient",
  // Its value is y; eraseGradientMarkers replaces it by y before lowering, so the expression below
  // (y, whatever the other operands) never runs in emitted code.
  kind: "elementwise",
  carries: () => [0], // its value is y
  shape(inputs, a) {
    const { graph } = a.vjp as CustomVjp;
    const placeholders = graph.inputs.slice(1); // after g
    if (inputs.length !== placeholders.length) throw new ShapeError(`${inputs.length} inputs for a vjp of ${placeholders.length}`);
    inputs.forEach((x, k) => {
      if (!sameShape(x.shape, placeholders[k]!.shape)) throw new ShapeError(`input ${k} has shape ${formatShape(x.shape)}, the vjp was traced for ${formatShape(placeholders[k]!.shape)}`);
    });
    return inputs[0]!.shape;
  },
  dtype: ([y]) => y!.dtype,
  eval: ([y]) => y!,
  expr: ([y]) => y!,
  vjp(g, node) {
    const { graph, arity } = node.attrs.vjp as CustomVjp;
    const builder = context().builder;
    const copy = new Map<Node, Node>(graph.inputs.map((ph, k) => [ph, k === 0 ? g : node.inputs[k - 1]!]));
    for (const n of graph.nodes) {
      if (copy.has(n)) continue;
      copy.set(n, builder.make(n.def, n.inputs.map((i) => copy.get(i)!), n.attrs, n.loc, n.name));
    }
    const gradient = new Map(graph.outputs.map(([name, n]) => [name, copy.get(n)!]));
    return node.inputs.map((_, k) => (k >= 1 && k <= arity ? (gradient.get(`d${k}`) ?? null) : null));
  },
  flops: () => 0,
  notation: ([y]) => `customGradient(${y})`,
  latex: ([y]) => `\\operatorname{customGradient}\\left(${y}\\right)`,
});
