// hoistStepProducts: a recurrence's input projection (xₜ·W_ih + b_ih) leaves the forward scan as one
// product over the whole sequence before it; the forward values are bit for bit the same, the gradients
// right, and what reads a carry (or a value that differs per sequence) stays in the loop.
import { describe, expect, it } from "vitest";
import { grad } from "../../compiler/autodiff/grad.js";
import * as d from "../../compiler/dsl/core.js";
import { lstm } from "../../compiler/dsl/recurrent.js";
import { scan } from "../../compiler/dsl/scan.js";
import type { Graph } from "../../compiler/ir/graph.js";
import { evaluate } from "../../compiler/ir/interpret.js";
import type { Node } from "../../compiler/ir/node.js";
import type { ScanAttrs } from "../../compiler/ops/scan.js";
import { hoistStepProducts } from "../../compiler/passes/hoistStepProducts.js";
import { scanBodies } from "../../compiler/passes/scanBodies.js";
import { finishForwardBody, optimize, optimizeForwardBody, optimizeReverseBody } from "../../compiler/pipeline.js";
import { checkGradients, traceModel } from "../helpers/gradcheck.js";
import { nonEmpty } from "../helpers/nonEmpty.js";
import { rnn, values } from "./rnnFixture.js";

const bodies = scanBodies({ forward: optimizeForwardBody, reverse: optimizeReverseBody, differentiated: finishForwardBody });
/** The pass as the pipeline runs it: before the bodies are optimized and differentiated, then grad. */
const withPass = (g: Graph) => grad(bodies(hoistStepProducts(g).graph).graph);
const forwardScan = (g: Graph) => nonEmpty(g.nodes.filter((n) => n.op === "scan" && !(n.attrs as unknown as ScanAttrs).reverse), "forward scans")[0]!;
const body = (scan: Node) => (scan.attrs as unknown as ScanAttrs).body;
const stepInputs = (scan: Node) => body(scan).graph.inputs.slice(body(scan).carries, body(scan).carries + body(scan).steps);
/** The body's products that read a step input (what the pass moves out). */
const stepProducts = (scan: Node) => body(scan).graph.nodes.filter((n) => n.op === "matmul" && stepInputs(scan).includes(n.inputs[0]!));

describe("hoistStepProducts", () => {
  it("computes xs·Wih + bih for every step before the loop; the body reads it per step instead of xₜ", () => {
    const traced = traceModel(rnn);
    expect(stepProducts(forwardScan(traced))).toHaveLength(1);
    const r = hoistStepProducts(traced);
    expect(r.changes).toBe(1);
    const scan = forwardScan(r.graph);
    // The one step input is the moved value, [2, 3] per step, shown as its name with _t.
    expect(stepInputs(scan).map((ph) => [ph.attrs.name, ph.shape])).toEqual([["step1", [2, 3]]]);
    expect(stepProducts(scan)).toEqual([]);
    expect(body(scan).graph.nodes.filter((n) => n.op === "matmul")).toHaveLength(1); // h·Whh stays
    // Outside: add(matmul(xs [2, 3, 2], Wih) → [2, 3, 3], bih), the scan's step input; xs is no longer one.
    const moved = scan.inputs[body(scan).carries]!;
    expect([moved.op, moved.shape, moved.inputs[0]!.op, moved.inputs[0]!.inputs.map((i) => i.attrs.name)]).toEqual(["add", [2, 3, 3], "matmul", ["xs", "Wih"]]);
    expect(moved.inputs[1]!.attrs.name).toBe("bih");
    expect(scan.inputs.some((i) => i.attrs.name === "xs")).toBe(false);
    // Differentiated anew by scanBodies: the moved value needs a gradient (Wih and bih are trainable).
    expect(body(scan).differentiable!.steps).toEqual([true]);
    expect(body(scan).backward).toBeUndefined();
  });
  it("leaves every forward value bit for bit as it was (the same sums in the same order)", () => {
    const traced = traceModel(rnn);
    const after = hoistStepProducts(traced).graph;
    const a = evaluate(traced, values), b = evaluate(after, values);
    expect(b.get(after.loss!)!.data).toEqual(a.get(traced.loss!)!.data);
    const [[, hs]] = after.outputs as [[string, Node]];
    expect([...b.get(hs)!.data]).toEqual([...a.get(traced.outputs[0]![1])!.data]);
  });
  it("gives right gradients: ∂Wih = xsᵀ·∂G and ∂bih = Σ ∂G outside the loop (finite differences in float64)", () => {
    checkGradients(rnn, values, { differentiate: withPass });
    const plain = grad(traceModel(rnn)), hoisted = withPass(traceModel(rnn));
    const a = evaluate(plain, values), b = evaluate(hoisted, values);
    for (const [param, n] of nonEmpty(plain.grads, "gradients")) {
      const want = a.get(n)!.data, got = b.get(new Map(hoisted.grads).get(param)!)!.data;
      nonEmpty([...want], param).forEach((v, k) => expect(got[k], `${param}[${k}]`).toBeCloseTo(v, 13));
    }
    // ∂Wih is one product of the whole sequence with its gradient, made by matmul's own rule.
    const dWih = new Map(hoisted.grads).get("Wih")!;
    expect([dWih.op, dWih.attrs.transA, dWih.inputs.map((i) => i.shape)]).toEqual(["matmul", true, [[2, 3, 2], [2, 3, 3]]]);
  });
  it("keeps a step input something else in the loop reads, and gives a sequence that needs a gradient its own", () => {
    // xs = tanh(s·V) needs a gradient (V); the body reads xₜ in its product and again in xₜ ⊙ h.
    const model = () => {
      const s = d.input("s", [2, 3, 2]);
      const V = d.param("V", [2, 2], { init: "zeros" });
      const W = d.param("W", [2, 2], { init: "zeros" });
      const r = scan((h: Node, x: Node) => ({ carry: d.tanh(d.add(d.matmul(x, W), d.mul(x, h))) }), d.zeros([2, 2]), d.tanh(d.matmul(s, V)));
      return { loss: d.sum(d.square(r.carry as Node)) };
    };
    const loop = forwardScan(hoistStepProducts(traceModel(model)).graph);
    expect(stepInputs(loop).map((ph) => ph.attrs.name)).toEqual(["step0", "step1"]);
    expect(body(loop).differentiable!.steps).toEqual([true, true]);
    checkGradients(model, { inputs: { s: values.inputs.xs }, params: { V: [0.3, -0.6, 0.8, 0.2], W: [0.5, 0.1, -0.3, 0.7] } }, { differentiate: withPass });
  });
  it("moves a product and the element-wise ops after it (σ(xₜ·W)), but not an element-wise op alone", () => {
    const model = (withProduct: boolean) => () => {
      const xs = d.input("xs", [2, 3, 2]);
      const W = d.param("W", [2, 2], { init: "zeros" });
      const r = scan((h: Node, x: Node) => ({ carry: d.mul(d.sigmoid(withProduct ? d.matmul(x, W) : d.mul(x, 2)), d.add(h, W.shape.length)) }), d.zeros([2, 2]), xs);
      return { loss: d.sum(d.mul(r.carry as Node, withProduct ? 1 : W)) };
    };
    const moved = hoistStepProducts(traceModel(model(true)));
    expect(moved.changes).toBe(1);
    const outside = forwardScan(moved.graph).inputs[1]!;
    expect([outside.op, outside.inputs[0]!.op]).toEqual(["sigmoid", "matmul"]);
    checkGradients(model(true), { inputs: { xs: values.inputs.xs }, params: { W: [0.3, -0.6, 0.8, 0.2] } }, { differentiate: withPass });
    const traced = traceModel(model(false));
    expect(hoistStepProducts(traced)).toEqual({ graph: traced, changes: 0 });
  });
  it("leaves in the loop what reads a carry, a value with batch rows captured from outside, or a product with xₜ transposed", () => {
    const ctxModel = () => {
      const xs = d.input("xs", [2, 3, 2]);
      const c = d.input("c", [2, 2]); // different for each sequence of the batch
      const W = d.param("W", [2, 2], { init: "zeros" });
      const r = scan((h: Node, x: Node) => ({ carry: d.tanh(d.add(d.add(d.matmul(x, W), c), h)) }), d.zeros([2, 2]), xs);
      return { loss: d.sum(r.carry as Node) };
    };
    // xₜ·W moves; + c (batch rows) does not.
    const loop = forwardScan(hoistStepProducts(traceModel(ctxModel)).graph);
    expect(loop.inputs[1]!.op).toBe("matmul");
    expect(body(loop).graph.nodes.some((n) => n.op === "add" && n.inputs.some((i) => i.attrs.name === "capture0" || i.attrs.name === "capture1"))).toBe(true);
    checkGradients(ctxModel, { inputs: { xs: values.inputs.xs, c: [0.2, -0.4, 0.6, 0.1] }, params: { W: [0.3, -0.6, 0.8, 0.2] } }, { differentiate: withPass });

    const carryOnly = () => {
      const xs = d.input("xs", [2, 3, 2]);
      const W = d.param("W", [2, 2], { init: "zeros" });
      const r = scan((h: Node, x: Node) => ({ carry: d.tanh(d.add(d.matmul(h, W), x)) }), d.zeros([2, 2]), xs);
      return { loss: d.sum(r.carry as Node) };
    };
    const transposed = () => {
      const xs = d.input("xs", [2, 3, 2]);
      const W = d.param("W", [2, 2], { init: "zeros" });
      const r = scan((S: Node, x: Node) => ({ carry: d.add(S, d.matmul(x, x, { transA: true })) }), d.zeros([2, 2]), xs);
      return { loss: d.sum(d.mul(r.carry as Node, W)) };
    };
    for (const m of [carryOnly, transposed]) {
      const traced = traceModel(m);
      expect(hoistStepProducts(traced).changes, m.name).toBe(0);
    }
  });
  it("runs in the pipeline: an LSTM layer's forward body has no product of a step input, and gates_x is computed before it", () => {
    const model = () => {
      const xs = d.input("xs", ["batch", 4, 3]);
      const { h } = lstm(xs, { name: "lstm", hidden: 5 });
      return { loss: d.sum(h) };
    };
    const { graph, report } = optimize(traceModel(model));
    expect(report.find((p) => p.pass === "hoistStepProducts")!.changes).toBe(1);
    const scan = forwardScan(graph);
    expect(stepProducts(scan)).toEqual([]);
    expect(stepInputs(scan).map((ph) => ph.name)).toEqual(["gates_x_t"]);
    const gatesX = scan.inputs[body(scan).carries]!;
    expect([gatesX.name, gatesX.shape]).toEqual(["gates_x", ["batch", 4, 20]]);
  });
});
