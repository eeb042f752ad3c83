// Optimizes the graphs inside scans: a forward body gets the passes the outer forward graph gets
// (given by pipeline.ts, the one place passes are ordered) and is then differentiated again, so the
// reverse body is the derivative of the optimized step (of −softplus(−z), not of log σ(z)) and saves
// only what that derivative reads; the reverse body then gets the passes that follow grad. The scan
// node is rebuilt around the new bodies; a body's inputs and results keep their order, so the wiring
// of the scan's carries, step inputs and outputs is unchanged (a pass on the differentiated forward
// body must keep its outputs in order: the reverse body reads its saved values by position).
// Test: test/passes/scanBodies.test.ts
import { make } from "../ir/context.js";
import { makeGraph, type Graph } from "../ir/graph.js";
import { rebuild } from "./rewrite.js";
import { differentiateBody } from "../autodiff/scanBody.js";
import { bodyKey } from "../ir/body.js";
import { type ScanAttrs, type ScanBody, scanOp, userOutputs } from "../ops/scan.js";
import type { Pass } from "./pass.js";

export interface BodyPasses {
  /** For a forward body (what runs at each step). */
  readonly forward: (g: Graph) => { graph: Graph; changes: number };
  /** For the reverse body of backpropagation through time. */
  readonly reverse: (g: Graph) => { graph: Graph; changes: number };
  /** For a forward body once it is differentiated (what it still needs before lowering). */
  readonly differentiated: (g: Graph) => { graph: Graph; changes: number };
}

export const scanBodies =
  (passes: BodyPasses): Pass =>
  (g) => {
    let changes = 0;
    const done = new Map<string, ScanBody>();
    const optimizeBody = (b: ScanBody): ScanBody => {
      const known = done.get(b.canonicalKey);
      if (known) return known;
      let made: ScanBody;
      if (!b.differentiable) {
        // A reverse body (or a body nothing differentiates): optimize it as it is.
        const r = passes.reverse(b.graph);
        changes += r.changes;
        made = { ...b, canonicalKey: bodyKey(), graph: r.graph };
      } else {
        // The step itself, without the values saved for the old derivative, optimized and differentiated anew.
        const step = makeGraph({ ...b.graph, outputs: b.graph.outputs.slice(0, b.carries + userOutputs(b)) });
        const r = passes.forward(step);
        changes += r.changes;
        const { graph, builder } = rebuild(r.graph);
        const fresh = differentiateBody(graph, builder, b.carries, b.steps, b.differentiable);
        const reverse = passes.reverse(fresh.backward!.body.graph);
        const after = passes.differentiated(fresh.graph);
        changes += reverse.changes + after.changes;
        made = { ...fresh, graph: after.graph, backward: { ...fresh.backward!, body: { ...fresh.backward!.body, graph: reverse.graph } } };
      }
      done.set(b.canonicalKey, made);
      return made;
    };
    const { graph } = rebuild(g, (n) => {
      if (n.op !== "scan") return undefined;
      const a = n.attrs as unknown as ScanAttrs;
      return make(scanOp, n.inputs, { ...a, body: optimizeBody(a.body) });
    });
    return { graph, changes };
  };
