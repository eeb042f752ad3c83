// Dead code elimination: keep only nodes the roots (loss, outputs, gradients, declared inputs and
// parameters) reach. Test: test/passes/dce.test.ts
import { makeGraph } from "../ir/graph.js";
import type { Pass } from "./pass.js";

export const dce: Pass = (g) => {
  const graph = makeGraph(g);
  return { graph, changes: g.nodes.length - graph.nodes.length };
};
