// Specialize a graph to training or to inference: select(train, infer) keeps one branch, and a
// dropout mask stays (training) or becomes 1 (inference). Each generated pass is lowered from the
// graph of its mode. Test: test/passes/specialize.test.ts
import { broadcastTo, scalar } from "../dsl/core.js";
import { makeGraph } from "../ir/graph.js";
import { rebuild } from "../ir/rewrite.js";
import type { Pass } from "./pass.js";

export type Mode = "train" | "infer";

export const specialize =
  (mode: Mode): Pass =>
  (g) => {
    let changes = 0;
    const { graph } = rebuild(g, (n) => {
      if (n.op === "select") {
        changes++;
        return n.inputs[mode === "train" ? 0 : 1];
      }
      if (n.op === "dropoutMask" && mode === "infer") {
        changes++;
        return broadcastTo(scalar(1), n.shape);
      }
      return undefined;
    });
    return { graph: makeGraph(graph), changes };
  };
