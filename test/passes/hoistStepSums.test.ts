// hoistStepSums: backpropagation through time's running weight gradients (∂W += xₜᵀ·δₜ, ∂b += Σ_rows δₜ)
// leave the reverse scan as one product over every position after it, and the gradients stay right.
import { describe, expect, it } from "vitest";
import { grad } from "../../compiler/autodiff/grad.js";
import * as d from "../../compiler/dsl/core.js";
import { scan } from "../../compiler/dsl/scan.js";
import type { Graph } from "../../compiler/ir/graph.js";
import { evaluate } from "../../compiler/ir/interpret.js";
import type { Node } from "../../compiler/ir/node.js";
import type { ScanAttrs } from "../../compiler/ops/scan.js";
import { hoistStepSums } from "../../compiler/passes/hoistStepSums.js";
import { scanBodies } from "../../compiler/passes/scanBodies.js";
import { finishForwardBody, optimize, optimizeForwardBody, optimizeReverseBody } from "../../compiler/pipeline.js";
import { checkGradients, traceModel } from "../helpers/gradcheck.js";
import { nonEmpty } from "../helpers/nonEmpty.js";
import { rnn, values } from "./rnnFixture.js";

const bodies = scanBodies({ forward: optimizeForwardBody, reverse: optimizeReverseBody, differentiated: finishForwardBody });
/** The graph the pass meets in the pipeline: the scan bodies optimized, then grad. */
const beforePass = (g: Graph) => grad(bodies(g).graph);
const reverseScan = (g: Graph) => nonEmpty(g.nodes.filter((n) => n.op === "scan" && (n.attrs as unknown as ScanAttrs).reverse), "reverse scans")[0]!;
const body = (scan: Node) => (scan.attrs as unknown as ScanAttrs).body;

describe("hoistStepSums", () => {
  it("takes the four running sums (∂Wih, ∂Whh, ∂bih, ∂bhh) out of the reverse scan, leaving ∂h as its one carry", () => {
    const before = beforePass(traceModel(rnn));
    expect(body(reverseScan(before)).carries).toBe(5);
    const r = hoistStepSums(before);
    expect(r.changes).toBe(4);
    const scan = reverseScan(r.graph);
    expect(body(scan).carries).toBe(1);
    // The body stores δ per step (one output more), and reads no step input that only the sums read.
    expect(body(scan).graph.outputs.map(([name]) => name)).toEqual(["dcarry0", ...body(scan).graph.outputs.slice(1).map(([name]) => name)]);
    expect(body(scan).graph.outputs.at(-1)![0]).toMatch(/_steps$/);
    expect(body(scan).graph.nodes.some((n) => n.op === "matmul" && n.attrs.transA)).toBe(false);
    // ∂Wih and ∂Whh: one product each of two sequences [2, 3, …] with transA, outside the loop.
    const grads = new Map(r.graph.grads);
    const products = ["Wih", "Whh"].map((p) => {
      const g = grads.get(p)!;
      const mm = g.op === "matmul" ? g : g.inputs.find((i) => i.op === "matmul")!;
      return [mm.attrs.transA, mm.inputs.map((i) => i.shape)];
    });
    expect(products).toEqual([
      [true, [[2, 3, 2], [2, 3, 3]]],
      [true, [[2, 3, 3], [2, 3, 3]]],
    ]);
  });
  it("gives the gradients the per-step sums gave (finite differences in float64)", () => {
    checkGradients(rnn, values, { differentiate: (g) => hoistStepSums(beforePass(g)).graph });
  });
  it("agrees with the per-step sums of the unoptimized gradient graph to rounding", () => {
    const plain = grad(traceModel(rnn));
    const hoisted = hoistStepSums(beforePass(traceModel(rnn))).graph;
    const a = evaluate(plain, values), b = evaluate(hoisted, values);
    for (const [param, n] of nonEmpty(plain.grads, "gradients")) {
      const want = a.get(n)!.data, got = b.get(new Map(hoisted.grads).get(param)!)!.data;
      nonEmpty([...want], param).forEach((v, k) => expect(got[k], `${param}[${k}]`).toBeCloseTo(v, 13));
    }
  });
  it("runs in the pipeline: an LSTM layer's reverse scan keeps only ∂h and ∂c", () => {
    const { graph } = optimize(traceModel(rnn));
    expect(body(reverseScan(graph)).carries).toBe(1);
  });
  it("reads δ from the body's own per-step output when it is already one (the gradient of a step input)", () => {
    // h ← tanh(xₜ + h·W) with xs = s·V: δₜ is both ∂L/∂xₜ (stored per step for V's gradient) and W's share.
    const model = () => {
      const s = d.input("s", [2, 3, 2]);
      const V = d.param("V", [2, 3], { init: "zeros" });
      const W = d.param("W", [3, 3], { init: "zeros" });
      const r = scan((h: Node, x: Node) => ({ carry: d.tanh(d.add(x, d.matmul(h, W))) }), d.zeros([2, 3]), d.matmul(s, V));
      return { loss: d.sum(d.square(r.carry as Node)) };
    };
    const before = beforePass(traceModel(model));
    const after = hoistStepSums(before).graph;
    expect(body(reverseScan(after)).graph.outputs).toHaveLength(body(reverseScan(before)).graph.outputs.length - 1); // ∂W's carry gone, nothing added
    const mm = new Map(after.grads).get("W")!;
    expect(mm.op === "matmul" && mm.attrs.transA && mm.inputs[1]!.op === "part").toBe(true);
    checkGradients(model, { inputs: { s: values.inputs.xs }, params: { V: [0.3, -0.6, 0.8, 0.2, 0.1, -0.4], W: values.params.Whh } }, { differentiate: (g) => hoistStepSums(beforePass(g)).graph });
  });
  it("leaves a forward scan's running sum in its loop (a forward body is wired to its derivative by position)", () => {
    // S ← S + xₜᵀ·hₜ in the model's own scan: the form the pass looks for, in a body that is differentiated.
    const model = () => {
      const xs = d.input("xs", [2, 3, 2]);
      const W = d.param("W", [2, 2], { init: "zeros" });
      const r = scan((c: { h: Node; S: Node }, x: Node) => {
        const h = d.tanh(d.matmul(x, W));
        return { carry: { h, S: d.add(c.S, d.matmul(x, h, { transA: true })) } };
      }, { h: d.zeros([2, 2]), S: d.zeros([2, 2]) }, xs);
      return { loss: d.sum((r.carry as { S: Node }).S) };
    };
    const g = beforePass(traceModel(model));
    const forward = g.nodes.find((n) => n.op === "scan" && !(n.attrs as unknown as ScanAttrs).reverse)!;
    const after = hoistStepSums(g).graph;
    const kept = after.nodes.find((n) => n.op === "scan" && !(n.attrs as unknown as ScanAttrs).reverse)!;
    expect(body(kept).carries).toBe(body(forward).carries);
    checkGradients(model, { inputs: { xs: values.inputs.xs }, params: { W: [0.3, -0.6, 0.8, 0.2] } }, { differentiate: (m) => hoistStepSums(beforePass(m)).graph });
  });
});
