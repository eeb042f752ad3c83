// scanBodies: the passes reach inside scans — a body's log(σ(x)) is stabilized like the outer graph's —
// and the scan computes the same values and gradients afterwards.
import { describe, expect, it } from "vitest";
import { grad } from "../../compiler/autodiff/grad.js";
import * as d from "../../compiler/dsl/core.js";
import { scan } from "../../compiler/dsl/scan.js";
import { evaluate } from "../../compiler/ir/interpret.js";
import type { Node } from "../../compiler/ir/node.js";
import { make } from "../../compiler/ir/context.js";
import { part, scanOp, type ScanAttrs } from "../../compiler/ops/scan.js";
import { finishForwardBody, optimizeForwardBody, optimizeReverseBody } from "../../compiler/pipeline.js";
import { scanBodies } from "../../compiler/passes/scanBodies.js";
import { checkGradients, traceModel } from "../helpers/gradcheck.js";
import { nonEmpty } from "../helpers/nonEmpty.js";

const def = () => {
  const xs = d.input("xs", [2, 3, 2]);
  const W = d.param("W", [2, 2], { init: "zeros" });
  const r = scan((h: Node, x: Node) => {
    const h2 = d.log(d.sigmoid(d.add(d.matmul(x, W), d.mul(h, 1))));
    return { carry: h2, output: h2 };
  }, d.zeros([2, 2]), xs);
  return { loss: d.sum(d.square(r.outputs as Node)), outputs: { ys: r.outputs as Node } };
};
const values = { inputs: { xs: [0.5, -1, 2, 0.3, -0.7, 1.2, 0.1, 0.9, -2, 0.4, 1.5, -0.2] }, params: { W: [0.3, -0.6, 0.8, 0.2] } };
const pass = scanBodies({ forward: optimizeForwardBody, reverse: optimizeReverseBody, differentiated: finishForwardBody });
const bodyOps = (g: ReturnType<typeof traceModel>) => {
  const s = g.nodes.find((n) => n.op === "scan")!.attrs as unknown as ScanAttrs;
  return { forward: s.body.graph.nodes.map((n) => n.op), reverse: s.body.backward!.body.graph.nodes.map((n) => n.op) };
};

describe("scanBodies", () => {
  it("stabilizes and simplifies the body: log σ(z) becomes −softplus(−z), h·1 becomes h", () => {
    const before = traceModel(def);
    const after = pass(before);
    expect(bodyOps(before).forward).toContain("log");
    expect(bodyOps(after.graph).forward).not.toContain("log");
    expect(bodyOps(after.graph).forward).toContain("softplus");
    expect(bodyOps(after.graph).forward.filter((o) => o === "mul")).toHaveLength(0);
    expect(after.changes).toBeGreaterThan(0);
  });
  it("keeps the scan's values", () => {
    const before = traceModel(def);
    const after = pass(before).graph;
    const a = evaluate(before, values).get(before.outputs[0]![1])!.data;
    const b = evaluate(after, values).get(after.outputs[0]![1])!.data;
    expect(b).toHaveLength(a.length);
    nonEmpty(a, "outputs").forEach((v, k) => expect(b[k]).toBeCloseTo(v, 12));
  });
  it("keeps the gradients right (the reverse body is optimized too)", () => {
    checkGradients(def, values, { differentiate: (g) => grad(pass(g).graph) });
  });
  it("optimizes the body of a scan that runs a reverse body (after grad) as it is, and counts its changes", () => {
    // (The pipeline runs scanBodies before grad; a graph after grad has both kinds of scan.) Count the
    // reverse-body passes alone: one change each time one runs.
    const none = (g: Parameters<typeof optimizeReverseBody>[0]) => ({ graph: g, changes: 0 });
    const counting = scanBodies({ forward: none, reverse: (g) => ({ graph: g, changes: 1 }), differentiated: none });
    const g = grad(traceModel(def));
    const reverseScans = g.nodes.filter((n) => n.op === "scan" && !(n.attrs as unknown as ScanAttrs).body.differentiable);
    const forwardScans = g.nodes.filter((n) => n.op === "scan" && (n.attrs as unknown as ScanAttrs).body.differentiable);
    expect([forwardScans.length, reverseScans.length]).toEqual([1, 1]);
    // The forward scan's body is differentiated anew (its new reverse body optimized once), the reverse scan's body optimized as it is.
    expect(counting(g).changes).toBe(2);
  });
  it("adds the changes of all three body passes, and optimizes a body two scans share once", () => {
    const counting = scanBodies({
      forward: (g) => ({ graph: g, changes: 1 }),
      reverse: (g) => ({ graph: g, changes: 10 }),
      differentiated: (g) => ({ graph: g, changes: 100 }),
    });
    expect(counting(traceModel(def)).changes).toBe(111);
    // Two scans over different sequences holding one body (one canonical key: the DSL traces a body per
    // scan call, so the second scan is made directly, as a rewrite that reuses a body would): the body is
    // optimized once, and both scans get the same optimized body.
    const twice = () => {
      const W = d.param("W", [2, 2], { init: "zeros" });
      const r = scan((h: Node, x: Node) => {
        const h2 = d.tanh(d.add(d.matmul(x, W), h));
        return { carry: h2, output: h2 };
      }, d.zeros([2, 2]), d.input("xs", [2, 3, 2]));
      const first = (r.outputs as Node).inputs[0]!;
      const second = make(scanOp, [d.zeros([2, 2]), d.input("zs", [2, 3, 2]), ...first.inputs.slice(2)], first.attrs);
      return { loss: d.add(d.sum(r.outputs as Node), d.sum(part(second, 1))) };
    };
    const g = traceModel(twice);
    const bodies = (graph: typeof g) => graph.nodes.filter((n) => n.op === "scan").map((n) => (n.attrs as unknown as ScanAttrs).body);
    expect(bodies(g)).toHaveLength(2);
    expect(bodies(g)[0]).toBe(bodies(g)[1]);
    const r = counting(g);
    expect(r.changes).toBe(111);
    const [first, second] = bodies(r.graph);
    expect(first).toBe(second);
    expect(first).not.toBe(bodies(g)[0]);
  });
});
