// Symbolic reverse mode, Graph → Graph: the loss is seeded with 1 and swept back to the trainable
// parameters (./sweep.ts). Derivative rules build ordinary nodes in the same builder as the forward
// graph, so a rule that mentions a forward value (σ(x) in σ' = σ(1−σ)) gets the forward node itself.
import { broadcastTo, scalar } from "../dsl/core.js";
import { makeGraph, type Graph } from "../ir/graph.js";
import type { Node } from "../ir/node.js";
import { inBuilder, rebuild } from "../passes/rewrite.js";
import { reverseSweep } from "./sweep.js";

export function grad(g: Graph): Graph {
  if (!g.loss) throw new Error("grad: the graph has no loss");
  const { graph, builder } = rebuild(g);
  const loss = graph.loss!;

  // Only nodes that depend on a trainable parameter need an adjoint (state such as batchNorm's running
  // statistics is a parameter that is not trained).
  const trainable = (n: Node) => n.op === "param" && n.attrs.trainable !== false;
  const seed = inBuilder(builder, loss.loc, () => scalar(1));
  const { adjoint } = reverseSweep(graph.nodes, builder, [[loss, seed]], trainable);

  const grads = graph.params.filter(trainable).map((p) => {
    const d = adjoint.get(p) ?? inBuilder(builder, p.loc, () => broadcastTo(scalar(0), p.shape));
    return [p.attrs.name as string, d] as const;
  });
  return makeGraph({ ...graph, grads });
}
