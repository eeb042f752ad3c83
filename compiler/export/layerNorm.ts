// layerNorm(x, γ, β, { eps }) written as one ONNX LayerNormalization (opset 17) where the graph holds
// exactly what the DSL's layerNorm builds (../dsl/normalization.ts: mean and biased variance over the
// last axis, eps inside the square root, γ and β optional): the DSL function is traced on placeholders
// of the node's shape, optimized as the forward graph is, and unified with the graph (./unify.ts).
// Anything else (a hand-written normalization, eps = 0, which simplify folds away) is exported op by op.
// Test: test/export/onnx.test.ts ("layerNorm")
import { createContext, make, withContext } from "../ir/context.js";
import { layerNorm } from "../dsl/normalization.js";
import { makeGraph, reachable } from "../ir/graph.js";
import type { Node } from "../ir/node.js";
import { constFold } from "../passes/constFold.js";
import { cse } from "../passes/cse.js";
import { simplify } from "../passes/simplify.js";
import { stabilize } from "../passes/stabilize.js";
import { unifier, unify } from "./unify.js";
import { inputOp } from "../ops/leaf.js";

/** A value no model's eps is: the reference's eps, which binds to the graph's. */
const EPS = 0.000123456789;

export interface LayerNormMatch {
  readonly x: Node;
  readonly gamma: Node | null;
  readonly beta: Node | null;
  readonly eps: number;
  /** The nodes the match replaces (its interior), root included. */
  readonly covers: ReadonlySet<Node>;
}

function reference(n: Node, affine: { gamma: boolean; beta: boolean }): Node {
  const width = n.shape[n.shape.length - 1] as number;
  const ctx = createContext();
  const out = withContext(ctx, () => {
    const ph = (name: string, shape: Node["shape"]) => make(inputOp, [], { name, shape: [...shape], dtype: "f" });
    return layerNorm(ph("x", n.shape), affine.gamma ? ph("gamma", [width]) : null, affine.beta ? ph("beta", [width]) : null, { eps: EPS });
  });
  let g = makeGraph({ name: "layerNorm", batchDim: null, inputs: [], params: [], loss: null, outputs: [["y", out]], grads: [] });
  for (const pass of [stabilize, simplify, constFold, cse]) g = pass(g).graph;
  return g.outputs[0]![1];
}

const VARIANTS = [
  { gamma: true, beta: true },
  { gamma: true, beta: false },
  { gamma: false, beta: true },
  { gamma: false, beta: false },
];

/** The layer normalizations among `nodes` (largest first, none inside another), by their result node. */
export function findLayerNorms(nodes: readonly Node[]): Map<Node, LayerNormMatch> {
  const found = new Map<Node, LayerNormMatch>();
  const covered = new Set<Node>();
  const candidates = nodes.filter((n) => ["add", "mul", "div"].includes(n.op) && n.dtype === "f" && typeof n.shape[n.shape.length - 1] === "number");
  for (const n of [...candidates].sort((a, b) => b.id - a.id)) {
    if (covered.has(n)) continue;
    for (const variant of VARIANTS) {
      const ref = reference(n, variant);
      const u = unifier((role, node) => role !== "eps" || (node.op === "const" && node.shape.length === 0), new Map([[EPS, "eps"]]));
      if (!unify(ref, n, u)) continue;
      const x = u.roles.get("x")!;
      const bound = new Set(u.roles.values());
      const covers = new Set([...u.seen.values()].filter((v) => !bound.has(v)));
      found.set(n, { x, gamma: u.roles.get("gamma") ?? null, beta: u.roles.get("beta") ?? null, eps: u.roles.get("eps")!.attrs.value as number, covers });
      for (const c of covers) covered.add(c);
      break;
    }
  }
  return found;
}

/** Every node `roots` need when each matched layer normalization reads only x, γ and β. */
export function reachableThrough(roots: readonly Node[], fused: ReadonlyMap<Node, LayerNormMatch>): Set<Node> {
  if (!fused.size) return reachable(roots);
  const seen = new Set<Node>();
  const stack = [...roots];
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    const m = fused.get(n);
    stack.push(...(m ? [m.x, ...(m.gamma ? [m.gamma] : []), ...(m.beta ? [m.beta] : [])] : n.inputs));
  }
  return seen;
}
