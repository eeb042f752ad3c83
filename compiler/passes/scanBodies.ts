// Optimizes the graphs inside scans: each body gets the passes the outer graph gets (given by
// pipeline.ts, the one place passes are ordered), the forward body before its derivative's, and the
// scan node is rebuilt around the optimized bodies. A body's results keep their order, so the scan's
// wiring (carries, per-step outputs, saved values) is unchanged. Test: test/passes/scanBodies.test.ts
import { make } from "../dsl/context.js";
import type { Graph } from "../ir/graph.js";
import { rebuild } from "../ir/rewrite.js";
import { bodyKey } from "../autodiff/scanBody.js";
import type { ScanAttrs, ScanBody } from "../ops/scan.js";
import type { Pass } from "./pass.js";

export interface BodyPasses {
  /** For a forward body (what runs at each step). */
  readonly forward: (g: Graph) => { graph: Graph; changes: number };
  /** For the reverse body of backpropagation through time. */
  readonly reverse: (g: Graph) => { graph: Graph; changes: number };
}

export const scanBodies =
  (passes: BodyPasses): Pass =>
  (g) => {
    let changes = 0;
    const done = new Map<string, ScanBody>();
    const optimizeBody = (b: ScanBody, reverse: boolean): ScanBody => {
      const known = done.get(b.canonicalKey);
      if (known) return known;
      const r = (reverse ? passes.reverse : passes.forward)(b.graph);
      changes += r.changes;
      const backward = b.backward && { ...b.backward, body: optimizeBody(b.backward.body, true) };
      const made: ScanBody = { ...b, canonicalKey: bodyKey(), graph: r.graph, ...(backward ? { backward } : {}) };
      done.set(b.canonicalKey, made);
      return made;
    };
    const { graph } = rebuild(g, (n) => {
      if (n.op !== "scan") return undefined;
      const a = n.attrs as unknown as ScanAttrs;
      return make("scan", n.inputs, { ...a, body: optimizeBody(a.body, !a.body.backward) });
    });
    return { graph, changes };
  };
