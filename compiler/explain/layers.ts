// The layers of a network, found in the optimized graph, so that `gradc explain` can name values the
// way a textbook does: layer ℓ computes the pre-activation zℓ = hℓ₋₁·Wℓ + bℓ (or a convolution),
// then an activation hℓ = f(zℓ); δℓ = ∂L/∂zℓ.
//
// A layer is a matmul or conv2d with a trainable parameter as its second operand (the weight).
// Layer numbers come from the graph, not from names: ℓ is the number of such linear ops on the longest
// path from an input to the layer's linear op (its "linear depth"), so a 784-128-10 MLP has layers 1
// and 2 and the CNN's final matmul is layer 3. If two layers share a depth (parallel branches, two
// heads), depth cannot order them, and layers are numbered 1, 2, … in the order the model builds them.
//
// δℓ is read off the weight's gradient rather than searched for: reverse mode makes ∂L/∂Wℓ =
// hℓ₋₁ᵀ·∂L/∂zℓ (matmul') or hℓ₋₁ᵀ ⊛ ∂L/∂zℓ (conv2d'), and the bias rule passes ∂L/∂zℓ through
// unchanged, so the second operand of that gradient is δℓ whatever the simplifier did around it.
import type { Graph } from "../ir/graph.js";
import { reachable } from "../ir/graph.js";
import type { Node } from "../ir/node.js";
import { sameShape } from "../ir/shape.js";
import { opOf } from "../ops/op.js";

export interface Layer {
  /** ℓ, from 1. */
  readonly index: number;
  /** The matmul or conv2d. */
  readonly linear: Node;
  readonly weight: Node;
  readonly bias?: Node;
  /** zℓ: the linear op plus its bias (or the linear op alone). */
  readonly z: Node;
  /** hℓ = f(zℓ) when an elementwise one-operand op of zℓ follows (σ, tanh, relu, …). */
  readonly activation?: Node;
  /** δℓ = ∂L/∂zℓ in the optimized graph, when the weight's gradient has the reverse-mode form. */
  readonly delta?: Node;
}

const LINEAR_OPS = new Set(["matmul", "conv2d"]);
/** Gradient ops whose second operand is ∂L/∂(linear output): hᵀ·δ and hᵀ ⊛ δ. */
const WEIGHT_GRAD_OPS = new Set(["matmul", "conv2dBackwardFilter"]);

const unview = (n: Node): Node => (n.op === "reshape" || n.op === "broadcastTo" ? unview(n.inputs[0]!) : n);
const isTrainable = (n: Node) => n.op === "param" && n.attrs.trainable !== false;

export function findLayers(g: Graph): Layer[] {
  if (!g.loss) return [];
  const forward = reachable([g.loss]);
  const nodes = g.nodes.filter((n) => forward.has(n));
  const consumers = new Map<Node, Node[]>();
  for (const n of nodes) {
    for (const i of n.inputs) {
      const list = consumers.get(i);
      if (!list) consumers.set(i, [n]);
      else if (list[list.length - 1] !== n) list.push(n); // n's inputs are seen together: a repeat is the last one
    }
  }

  const isLayer = (n: Node) => LINEAR_OPS.has(n.op) && !n.attrs.transB && isTrainable(unview(n.inputs[1]!));
  const depth = new Map<Node, number>();
  for (const n of nodes) depth.set(n, Math.max(0, ...n.inputs.map((i) => depth.get(i) ?? 0)) + (isLayer(n) ? 1 : 0));
  const linears = nodes.filter(isLayer);
  const depths = linears.map((n) => depth.get(n)!);
  const byDepth = new Set(depths).size === depths.length;

  const gradOf = new Map(g.grads.map(([name, n]) => [name, n]));
  return linears.map((linear, k) => {
    const weight = unview(linear.inputs[1]!);
    const only = (n: Node) => (consumers.get(n)?.length === 1 ? consumers.get(n)![0]! : undefined);
    let z = linear;
    let bias: Node | undefined;
    // Through a view of the linear op's result (conv1d is a conv2d between two reshapes) to its bias.
    let out: Node = linear;
    let next = only(linear);
    if (next?.op === "reshape" && only(next)?.op === "add") [out, next] = [next, only(next)];
    if (next?.op === "add") {
      const other = unview(next.inputs[0] === out ? next.inputs[1]! : next.inputs[0]!);
      if (isTrainable(other) && other.shape.length === 1) {
        z = next;
        bias = other;
      }
    }
    const after = only(z);
    const activation = after && opOf(after).kind === "elementwise" && after.inputs.length === 1 ? after : undefined;
    const wGrad = gradOf.get(String(weight.attrs.name));
    const candidate = wGrad && WEIGHT_GRAD_OPS.has(wGrad.op) && (wGrad.op !== "matmul" || wGrad.attrs.transA) ? wGrad.inputs[1] : undefined;
    const delta = candidate && sameShape(candidate.shape, z.shape) && !forward.has(candidate) ? candidate : undefined;
    return {
      index: byDepth ? depth.get(linear)! : k + 1,
      linear,
      weight,
      ...(bias ? { bias } : {}),
      z,
      ...(activation ? { activation } : {}),
      ...(delta ? { delta } : {}),
    };
  });
}
