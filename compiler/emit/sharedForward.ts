// The training step's forward half is forward() itself wherever the mode makes no difference: the
// training pass calls the forward pass and computes only the loss and the gradients, reading the
// forward values they need (the cut) from the workspace the forward pass filled. Each forward kernel
// is then emitted once, and the module reads like the textbook: forward, then backward.
//
// The forward pass is then lowered from the training graph, which holds every value the inference
// graph's forward pass computes (that is what "the mode makes no difference" means) and also the
// values of a scan that backpropagation through time reads (its steps), which forward() then keeps
// too. Values are matched by what they compute (../ir/sameValue.ts): the two graphs are rebuilt from
// one optimized graph and share no node objects.
import { reachable, type Graph } from "../ir/graph.js";
import type { Node } from "../ir/node.js";
import { sameValues } from "../ir/sameValue.js";
import { plan, reachableUntil, storageOf } from "../lower/plan.js";

export interface SharedForward {
  /** Each node the inference graph's forward pass reads or computes → the same value in the training graph. */
  readonly inTraining: ReadonlyMap<Node, Node>;
  /** The training graph's values the training pass reads from the forward pass (more results of it). */
  readonly cut: readonly Node[];
  /** The forward pass's results as nodes of the training graph, which it is then lowered from: `forwardResults`, then the cut. */
  readonly results: readonly Node[];
}

const computed = (n: Node): boolean => storageOf(n).def.kind !== "leaf";

/**
 * How the training pass shares the forward pass, whose results are `forwardResults` of `inference`.
 * null when the training pass computes its forward values itself: some value the forward pass computes
 * is not one of the training graph's (the mode makes a difference: a dropout mask, batch statistics),
 * a value the training pass reads is one the forward pass computes inside a fused loop, or the training
 * pass needs none of them.
 */
export function sharedForward(train: Graph, trainRoots: readonly Node[], inference: Graph, forwardResults: readonly Node[]): SharedForward | null {
  const inTraining = sameValues(inference, train);
  const forwardNodes = [...reachable(forwardResults)];
  if (forwardNodes.some((n) => !inTraining.has(n))) return null;
  const fromForward = new Set(forwardNodes.filter(computed).map((n) => inTraining.get(n)!));
  // A part of a scan the forward pass runs (a step the reverse sweep reads) is written by that scan's
  // kernel: the forward pass computes it too.
  for (const n of reachableUntil(trainRoots, fromForward)) if (n.op === "part" && fromForward.has(n.inputs[0]!)) fromForward.add(n);
  const cut = new Set<Node>();
  const take = (n: Node) => {
    if (fromForward.has(n) && !n.def.tuple) cut.add(n);
  };
  for (const n of reachableUntil(trainRoots, fromForward)) if (!fromForward.has(n)) n.inputs.forEach(take);
  trainRoots.forEach(take);
  if (!cut.size) return null;
  // The forward pass keeps its kernels: a value it computes inside a fused loop (a chain of element-wise
  // steps, each of whose derivatives reads its value) is not stored for the training pass's sake, and
  // then the training pass keeps its own forward part. A scan's steps are the exception: they are
  // copied out of the scan's loop as it runs, and forward() of a recurrent model stores them too.
  const stored = new Set(plan(inference, forwardResults).kernels.map((k) => inTraining.get(k.node)));
  if ([...cut].some((n) => n.op !== "part" && !stored.has(storageOf(n)))) return null;
  const sorted = [...cut].sort((a, b) => a.id - b.id);
  return { inTraining: new Map(forwardNodes.map((n) => [n, inTraining.get(n)!])), cut: sorted, results: [...new Set([...forwardResults.map((n) => inTraining.get(n)!), ...sorted])] };
}
