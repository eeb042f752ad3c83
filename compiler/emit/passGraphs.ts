// The graphs and roots of the generated passes, in one place: the emitter lowers exactly these, and
// `gradc graph` draws exactly these, so a picture never shows kernels the module does not contain.
//
//  - train:    one training step (training mode: dropout masks, batch statistics) → the loss, every
//              parameter's gradient and the new values of non-trainable state;
//  - evaluate: the inference-mode graph → the loss and the outputs (forward() is its outputs only).
import { reachable, type Graph } from "../ir/graph.js";
import type { Node } from "../ir/node.js";
import { plan, reachableUntil, storageOf, type Plan } from "../lower/plan.js";
import { inferenceGraph, trainingGraph } from "../pipeline.js";
import { sharedForward, type SharedForward } from "./sharedForward.js";

export interface PassGraph {
  readonly graph: Graph;
  readonly roots: readonly Node[];
  /** The forward values (what the loss and the outputs need); every other node is a gradient. */
  readonly forward: ReadonlySet<Node>;
  /** A training pass that calls the forward pass first: that pass's results, and those of them it reads. */
  readonly forwardFirst?: { readonly roots: readonly Node[]; readonly given: readonly Node[] };
}

const forwardValues = (g: Graph): Set<Node> => reachable([...(g.loss ? [g.loss] : []), ...g.outputs.map(([, n]) => n)]);

/** The training step: loss, gradients and state updates, from the training-mode graph. */
export function trainPass(optimized: Graph): PassGraph {
  const graph = trainingGraph(optimized);
  const roots = trainRoots(graph);
  const shared = sharedForwardOf(graph, inferenceGraph(optimized));
  return { graph, roots, forward: forwardValues(graph), ...(shared ? { forwardFirst: { roots: shared.results, given: shared.cut } } : {}) };
}

/** What one training step computes: the loss, every trainable parameter's gradient, the new state. */
export const trainRoots = (train: Graph): Node[] => [train.loss!, ...train.grads.map(([, n]) => n), ...(train.updates ?? []).map(([, n]) => n)];

/** The forward pass's results: the outputs, then the values the evaluation pass reads beyond them (evaluationCut). */
export function forwardResults(inference: Graph): Node[] {
  const outputs = inference.outputs.map(([, n]) => n);
  return [...outputs, ...(evaluationCut(inference) ?? []).filter((n) => !outputs.includes(n))];
}

/** Whether and how the training pass calls the forward pass first (./sharedForward.ts): the emitter and the drawing ask here. */
export const sharedForwardOf = (train: Graph, inference: Graph): SharedForward | null => sharedForward(train, trainRoots(train), inference, forwardResults(inference));

/**
 * The kernels of a pass in the order the module runs them: when the training pass calls the forward
 * pass first, the forward pass's kernels, then those computing the rest from the values it left.
 */
export function passPlan(pass: PassGraph): Plan {
  if (!pass.forwardFirst) return plan(pass.graph, pass.roots);
  const first = plan(pass.graph, pass.forwardFirst.roots);
  const then = plan(pass.graph, pass.roots, new Set(pass.forwardFirst.given));
  return {
    kernels: [...first.kernels, ...then.kernels],
    inline: new Set([...first.inline, ...then.inline]),
    expanded: new Set([...first.expanded, ...then.expanded]),
    nodes: [...new Set([...first.nodes, ...then.nodes])],
  };
}

/**
 * The evaluation pass: loss and outputs, from the inference-mode graph. The module computes it as the
 * forward pass and then the loss from the values the forward pass left (evaluationCut), so those values
 * are results too: the drawing then has the kernels the module has.
 */
export function evaluatePass(optimized: Graph): PassGraph {
  const graph = inferenceGraph(optimized);
  const outputs = graph.outputs.map(([, n]) => n);
  const cut = evaluationCut(graph) ?? [];
  const roots = [graph.loss!, ...outputs, ...cut.filter((n) => !outputs.includes(n))];
  return { graph, roots, forward: forwardValues(graph) };
}

/**
 * The forward values the loss reads beyond what the outputs need to compute it from (an inference
 * graph's logits under a softmax output, say): evaluate() runs the forward pass with these as extra
 * results, then only the loss. Leaves (inputs, params, constants) are read where they are. null when
 * the loss is itself a forward value (an output): then evaluation is a pass of its own.
 */
export function evaluationCut(g: Graph): Node[] | null {
  const forward = reachable(g.outputs.map(([, n]) => n));
  if (!g.loss || forward.has(g.loss)) return null;
  const leaf = (n: Node) => storageOf(n).def.kind === "leaf";
  const cut = new Set<Node>();
  for (const n of reachableUntil([g.loss], forward)) {
    if (forward.has(n)) continue;
    for (const i of n.inputs) if (forward.has(i) && !leaf(i)) cut.add(i);
  }
  return [...cut].sort((a, b) => a.id - b.id);
}
