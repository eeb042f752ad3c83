// Takes a recurrence's input projection out of its loop: the forward mirror of ./hoistStepSums.ts. In
//   gates = x_t·W_ih + b_ih + h·W_hh + b_hh
// the part x_t·W_ih + b_ih reads nothing that changes from step to step but the step input x_t, so it
// can be computed for every step at once before the loop: X·W_ih + b_ih with X the whole sequence
// [batch, T, in] (a matmul reads a sequence's leading axes as its rows), one product over batch·T rows
// instead of T small ones that each pack W_ih again — as torch's and cuDNN's LSTMs do. The body then reads
// that product per step as a step input of its own (`gates_x_t`).
//
// It runs before scanBodies, on the traced body: the new body drops the values the old one saved for its
// derivative and scanBodies differentiates it anew, so the hoisted product's gradients are made outside
// the loop by the ordinary rules — ∂W_ih = Xᵀ·∂G, ∂b_ih = Σ ∂G, ∂X = ∂G·W_ihᵀ, each one product over all
// steps — with ∂G the reverse scan's per-step output. Every element of X·W is the same sum, in the same
// order, as the per-step product's, so the forward values are unchanged; the gradients' sums over steps
// are the same terms, added in another order (their last bits may differ; deterministic).
//
// What moves: a value computed from step inputs and values that are the same at every step (captured
// weights without batch rows, constants) by matmuls (the step value on the left) and element-wise ops
// (a fixed operand a vector or a scalar, which broadcasts the same way over [batch, T, …] as over
// [batch, …]), as long as it contains a product: an element-wise op alone would only trade one per-step
// loop for a per-step copy. Step values are rows, [rows, features], as every recurrent layer's are.
// Test: test/passes/hoistStepProducts.test.ts
import { bodyKey, type ScanBody } from "../ir/body.js";
import { context, newBuilder } from "../ir/context.js";
import { makeGraph, reachable, type Graph } from "../ir/graph.js";
import type { Node } from "../ir/node.js";
import { isBatch } from "../ops/kernelLoops.js";
import { inputOp } from "../ops/leaf.js";
import { scanOp, userOutputs, type ScanAttrs } from "../ops/scan.js";
import type { Pass } from "./pass.js";
import { rebuild } from "./rewrite.js";

/** How a body value varies: per step and movable, the same at every step, or neither (it reads a carry). */
type Role = "step" | "fixed" | "other";

export const hoistStepProducts: Pass = (g) => {
  let changes = 0;
  const { graph } = rebuild(g, (n) => {
    if (n.op !== "scan") return undefined;
    const moved = hoist(n);
    if (moved) changes += moved.count;
    return moved?.scan;
  });
  return changes === 0 ? { graph: g, changes } : { graph, changes };
};

/** Each body value's role, and whether a step value contains a product (only those are worth moving). */
function rolesOf(g: Graph, carries: number, steps: number): { role: Map<Node, Role>; product: Set<Node> } {
  const role = new Map<Node, Role>();
  const product = new Set<Node>();
  const rows = (n: Node) => n.shape.length === 2;
  for (const n of g.nodes) {
    const at = g.inputs.indexOf(n);
    let r: Role = "other";
    if (at >= 0) {
      // A carry changes from step to step; a step input moves when it is rows; a captured value is fixed
      // unless it has batch rows (it would not broadcast the same way against [batch, T, …]).
      if (at >= carries + steps) r = n.shape.some(isBatch) ? "other" : "fixed";
      else if (at >= carries && rows(n)) r = "step";
    } else if (n.inputs.length === 0) {
      r = n.op === "const" ? "fixed" : "other";
    } else if (n.inputs.every((i) => role.get(i) === "fixed")) {
      r = "fixed";
    } else if (n.op === "matmul") {
      const [a, b] = n.inputs as [Node, Node];
      if (!n.attrs.transA && role.get(a) === "step" && rows(a) && role.get(b) === "fixed" && rows(b)) {
        r = "step";
        product.add(n);
      }
    } else if (n.def.kind === "elementwise" && rows(n)) {
      const fits = n.inputs.every((i) => (role.get(i) === "step" ? i.shape.every((d, k) => d === n.shape[k]) : role.get(i) === "fixed" && i.shape.length <= 1));
      if (fits) {
        r = "step";
        if (n.inputs.some((i) => product.has(i))) product.add(n);
      }
    }
    role.set(n, r);
  }
  return { role, product };
}

/** The scan with its movable products computed before it, or null when it has none. */
function hoist(scan: Node): { scan: Node; count: number } | null {
  const { body, length, reverse } = scan.attrs as unknown as ScanAttrs;
  const g = body.graph;
  const k = body.carries, m = body.steps;
  const { role, product } = rolesOf(g, k, m);
  // The step's results without the values kept for the old derivative (scanBodies makes a new one).
  const results = g.outputs.slice(0, k + userOutputs(body));
  // Moved: a product read by something that stays in the loop, or a result of the step.
  const isResult = new Set(results.map(([, v]) => v));
  const moved = new Set<Node>();
  for (const n of g.nodes) for (const i of n.inputs) if (product.has(i) && role.get(n) !== "step") moved.add(i);
  for (const v of isResult) if (product.has(v)) moved.add(v);
  if (moved.size === 0) return null;

  // Outside the loop: each moved value over the whole sequence, from the scan's own inputs.
  const ctx = context();
  const outer = new Map<Node, Node>();
  const cone = reachable([...moved]);
  for (const n of g.nodes) {
    if (!cone.has(n)) continue;
    const at = g.inputs.indexOf(n);
    const made = at >= 0 ? scan.inputs[at]! : ctx.builder.make(n.def, n.inputs.map((i) => outer.get(i)!), n.attrs, n.loc, n.name);
    outer.set(n, made);
  }

  // The new body: each moved value becomes a step input; a step input or captured value nothing reads any
  // more is dropped (a step input only the product read — x_t — is no longer copied in at every step).
  const added = [...moved];
  const inner = rebuildBody(g, m, added, results);
  const kept = g.inputs.map((ph, i) => i < k || inner.read.has(inner.map.get(ph)!));
  const stepsKept = g.inputs.slice(k, k + m).filter((_, j) => kept[k + j]);
  const captures = g.inputs.slice(k + m).filter((_, l) => kept[k + m + l]);
  const graph = makeGraph({
    name: g.name,
    batchDim: g.batchDim,
    inputs: [...g.inputs.slice(0, k), ...stepsKept, ...added, ...captures].map((v) => inner.map.get(v)!),
    params: [],
    loss: null,
    outputs: results.map(([key, v]) => [key, inner.map.get(v)!] as const),
    grads: [],
  });
  // Which step inputs and captured values still need gradients: a moved value does when anything it reads does.
  const wants = body.differentiable;
  const needs = (v: Node): boolean =>
    [...reachable([v])].some((x) => {
      const at = g.inputs.indexOf(x);
      return at >= k && (at < k + m ? wants!.steps[at - k]! : wants!.captures[at - k - m]!);
    });
  const newBody: ScanBody = {
    canonicalKey: bodyKey(),
    graph,
    carries: k,
    steps: stepsKept.length + added.length,
    ...(wants
      ? {
          differentiable: {
            steps: [...wants.steps.filter((_, j) => kept[k + j]), ...added.map(needs)],
            captures: wants.captures.filter((_, l) => kept[k + m + l]),
          },
        }
      : {}),
  };
  const at = (from: number, to: number) => scan.inputs.slice(from, to).filter((_, i) => kept[from + i]);
  const inputs = [...scan.inputs.slice(0, k), ...at(k, k + m), ...added.map((v) => outer.get(v)!), ...at(k + m, scan.inputs.length)];
  return { scan: ctx.builder.make(scanOp, inputs, { body: newBody, length, reverse }, scan.loc, scan.name), count: added.length };
}

/**
 * The body in a builder of its own, each moved value replaced by a new step input (`step${m + q}`, shown
 * as `${value}_t`); `read` is what its results still read.
 */
function rebuildBody(g: Graph, m: number, moved: readonly Node[], results: Graph["outputs"]): { map: Map<Node, Node>; read: Set<Node> } {
  const builder = newBuilder();
  const map = new Map<Node, Node>();
  for (const n of g.nodes) {
    const q = moved.indexOf(n);
    const made =
      q >= 0
        ? builder.make(inputOp, [], { name: `step${m + q}`, shape: n.shape, dtype: n.dtype }, n.loc, `${n.name ?? n.op}_t`)
        : builder.make(n.def, n.inputs.map((i) => map.get(i)!), n.attrs, n.loc, n.name);
    if (q < 0 && n.origin && !made.origin) made.origin = n.origin;
    map.set(n, made);
  }
  return { map, read: reachable(results.map(([, v]) => map.get(v)!)) };
}
