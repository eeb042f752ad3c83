// Reuse forward values in derivatives, so the backward pass needs fewer saved tensors and fewer
// transcendental calls. Derivative rules already name forward values where the textbook does
// (σ' = σ(1−σ), tanh' = 1−tanh², exp' = exp) and hash-consing makes those the forward nodes.
// This pass handles what a rule cannot see locally: relu' = [z > 0] = [relu(z) > 0], so when the
// activation h = relu(z) exists the backward pass reads h and z need not be kept. A hook, not a
// rule (./rules.ts): whether relu(z) exists is a fact about the whole graph, not the matched node.
// Test: test/passes/reuseForward.test.ts
import { make } from "../ir/context.js";
import { makeGraph } from "../ir/graph.js";
import type { Node } from "../ir/node.js";
import { rebuild } from "./rewrite.js";
import type { Pass } from "./pass.js";
import { stepOp } from "../ops/activations.js";

export const reuseForward: Pass = (g) => {
  const reluOf = new Map<Node, Node>(); // z → relu(z), among rebuilt nodes
  let changes = 0;
  const { graph } = rebuild(g, (n) => {
    if (n.op === "relu") reluOf.set(n.inputs[0]!, n);
    const relu = n.op === "step" && n.attrs.below === 0 ? reluOf.get(n.inputs[0]!) : undefined;
    if (!relu) return undefined;
    changes++;
    return make(stepOp, [relu], n.attrs);
  });
  return { graph: makeGraph(graph), changes };
};
