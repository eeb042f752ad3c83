// eraseGradientMarkers: stopGradient(x) → x and customGradient(y, …) → y, after grad; the emitter lowers
// from graphs without them (so no copy), while the optimized joint graph keeps them for explain.
import { describe, expect, it } from "vitest";
import * as d from "../../compiler/dsl/core.js";
import { customGradient, stopGradient } from "../../compiler/dsl/gradients.js";
import { scan } from "../../compiler/dsl/scan.js";
import { evaluate } from "../../compiler/ir/interpret.js";
import type { Graph } from "../../compiler/ir/graph.js";
import type { Node } from "../../compiler/ir/node.js";
import { verify } from "../../compiler/ir/verify.js";
import { inferenceGraph, trainingGraph } from "../../compiler/pipeline.js";
import { grad } from "../../compiler/autodiff/grad.js";
import { eraseGradientMarkers } from "../../compiler/passes/eraseGradientMarkers.js";
import type { ScanAttrs } from "../../compiler/ops/scan.js";
import { optimize } from "../../compiler/pipeline.js";
import { traced } from "./util.js";

const markers = (g: Graph): string[] => g.nodes.filter((n) => n.op === "stopGradient" || n.op === "customGradient").map((n) => n.op);
const bodyOps = (g: Graph): string[] => g.nodes.flatMap((n) => (n.op === "scan" ? (n.attrs as unknown as ScanAttrs).body : null)).flatMap((b) => (b ? [...b.graph.nodes, ...(b.backward?.body.graph.nodes ?? [])].map((n) => n.op) : []));

const net = () => {
  const x = d.input("x", ["batch", 2]);
  const W = d.param("W", [2, 3]);
  const h = d.tanh(d.matmul(x, W));
  const cube = customGradient((a: Node) => d.mul(a, d.square(a)), (g: Node, _y: Node, a: Node) => [d.mul(g, d.mul(3, d.square(a)))]);
  return { loss: d.sum(d.mul(cube(h), stopGradient(h))), outputs: { h } };
};
const values = { inputs: { x: [0.5, -1, 2, 0.25] }, params: { W: [0.1, -0.2, 0.3, 0.4, -0.5, 0.6] } };

describe("eraseGradientMarkers", () => {
  it("replaces each marker by its value, and counts them", () => {
    const joint = grad(traced(net));
    expect(markers(joint).sort()).toEqual(["customGradient", "stopGradient"]);
    const r = eraseGradientMarkers(joint);
    verify(r.graph, "eraseGradientMarkers");
    expect(markers(r.graph)).toEqual([]);
    expect(r.changes).toBe(2);
    // the same loss and gradient values: a marker's value is its first input
    const before = evaluate(joint, values), after = evaluate(r.graph, values);
    expect(after.get(r.graph.loss!)!.data).toEqual(before.get(joint.loss!)!.data);
    expect(after.get(r.graph.grads[0]![1])!.data).toEqual(before.get(joint.grads[0]![1])!.data);
  });

  it("optimize() keeps the markers (explain shows them); the graphs the emitter lowers have none", () => {
    const { graph } = optimize(traced(net), { verify: true });
    expect(markers(graph).sort()).toEqual(["customGradient", "stopGradient"]);
    expect(markers(trainingGraph(graph))).toEqual([]);
    expect(markers(inferenceGraph(graph))).toEqual([]);
  });

  it("inside a scan: the forward body keeps them until it is differentiated, then loses them; the reverse body never lowers one", () => {
    const rnn = () => {
      const xs = d.input("xs", ["batch", 3, 2]);
      const W = d.param("W", [2, 2]);
      const U = d.param("U", [2, 2]);
      const f = customGradient((a: Node) => d.tanh(a), (g: Node, y: Node) => [d.mul(g, d.sub(1, d.square(y)))]);
      const { carry } = scan((h: Node, x: Node) => ({ carry: f(d.add(d.matmul(x, W), d.matmul(stopGradient(h), U))) }), d.zeros(["batch", 2]), xs);
      return { loss: d.sum(carry) };
    };
    const t = traced(rnn);
    expect(bodyOps(t)).toEqual(expect.arrayContaining(["customGradient", "stopGradient"]));
    const { graph } = optimize(t, { verify: true });
    expect(bodyOps(graph).filter((op) => op === "customGradient" || op === "stopGradient")).toEqual([]);
  });
});
