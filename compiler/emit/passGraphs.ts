// The graphs and roots of the generated passes, in one place: the emitter lowers exactly these, and
// `gradc graph` draws exactly these, so a picture never shows kernels the module does not contain.
//
//  - train:    one training step (training mode: dropout masks, batch statistics) → the loss, every
//              parameter's gradient and the new values of non-trainable state;
//  - evaluate: the inference-mode graph → the loss and the outputs (forward() is its outputs only).
import { reachable, type Graph } from "../ir/graph.js";
import type { Node } from "../ir/node.js";
import { inferenceGraph, trainingGraph } from "../pipeline.js";

export interface PassGraph {
  readonly graph: Graph;
  readonly roots: readonly Node[];
  /** The forward values (what the loss and the outputs need); every other node is a gradient. */
  readonly forward: ReadonlySet<Node>;
}

export { inferenceGraph, trainingGraph };

const forwardValues = (g: Graph): Set<Node> => reachable([...(g.loss ? [g.loss] : []), ...g.outputs.map(([, n]) => n)]);

/** The training step: loss, gradients and state updates, from the training-mode graph. */
export function trainPass(optimized: Graph): PassGraph {
  const graph = trainingGraph(optimized);
  const roots = [graph.loss!, ...graph.grads.map(([, n]) => n), ...(graph.updates ?? []).map(([, n]) => n)];
  return { graph, roots, forward: forwardValues(graph) };
}

/** The evaluation pass: loss and outputs, from the inference-mode graph. */
export function evaluatePass(optimized: Graph): PassGraph {
  const graph = inferenceGraph(optimized);
  const roots = [graph.loss!, ...graph.outputs.map(([, n]) => n)];
  return { graph, roots, forward: forwardValues(graph) };
}
