// Common subexpression elimination. Nodes are hash-consed on (op, inputs, attrs), so rebuilding the
// graph bottom-up merges every pair of structurally equal nodes that rewrites have produced.
// Test: test/passes/cse.test.ts
import { rebuild } from "./rewrite.js";
import type { Pass } from "./pass.js";

export const cse: Pass = (g) => {
  const { graph } = rebuild(g);
  return { graph, changes: g.nodes.length - graph.nodes.length };
};
