// specialize(mode): select keeps its training or inference branch; a dropout mask stays for training
// and becomes 1 for inference (after simplify, x·1 leaves no trace of it).
import { describe, expect, it } from "vitest";
import * as d from "../../compiler/dsl/core.js";
import { batchNorm, dropout } from "../../compiler/dsl/training.js";
import { model } from "../../compiler/dsl/model.js";
import { verify } from "../../compiler/ir/verify.js";
import { simplify } from "../../compiler/passes/simplify.js";
import { specialize } from "../../compiler/passes/specialize.js";
import { optimize } from "../../compiler/pipeline.js";
import { traceModel } from "../helpers/gradcheck.js";

const net = model("modes", () => {
  const x = d.input("x", ["batch", 3]);
  const y = d.input("y", ["batch", 2]);
  const W = d.param("W", [3, 2], { init: "xavier" });
  const h = dropout(batchNorm(d.matmul(x, W), "bn"), 0.2);
  return { loss: d.mse(h, y), outputs: { h } };
});

describe("specialize", () => {
  const joint = optimize(traceModel(net)).graph;
  const ops = (g: typeof joint) => new Set(g.nodes.map((n) => n.op));

  it("train keeps the mask and the training branch", () => {
    const r = specialize("train")(joint);
    verify(r.graph, "specialize(train)");
    expect(ops(r.graph).has("select")).toBe(false);
    expect(ops(r.graph).has("dropoutMask")).toBe(true);
    expect(r.changes).toBeGreaterThan(0);
    // the running statistics are not read while training, only updated
    const readers = r.graph.nodes.filter((n) => n.inputs.some((i) => i.attrs.name === "bn.runningMean"));
    expect(readers.every((n) => r.graph.updates!.some(([, u]) => reaches(u, n)))).toBe(true);
    // the updates themselves survive the rewrite (rebuild maps them), one per running statistic
    expect(r.graph.updates!.map(([k]) => k).sort()).toEqual(joint.updates!.map(([k]) => k).sort());
    expect(r.graph.updates!.length).toBeGreaterThan(0);
  });

  it("infer drops the mask and reads the running statistics", () => {
    const r = simplify(specialize("infer")(joint).graph);
    verify(r.graph, "specialize(infer)");
    expect(ops(r.graph).has("select")).toBe(false);
    expect(ops(r.graph).has("dropoutMask")).toBe(false);
    const out = r.graph.outputs[0]![1];
    expect(reachesName(out, "bn.runningVar")).toBe(true);
  });

  it("a graph without modes is unchanged", () => {
    const plain = traceModel(model("plain", () => {
      const x = d.input("x", [2, 2]);
      const W = d.param("W", [2, 2]);
      return { loss: d.sum(d.matmul(x, W)) };
    }));
    expect(specialize("train")(plain).changes).toBe(0);
    expect(specialize("infer")(plain).changes).toBe(0);
  });
});

function reaches(from: { inputs: readonly unknown[] }, target: unknown): boolean {
  const stack = [from];
  const seen = new Set<unknown>();
  while (stack.length) {
    const n = stack.pop()!;
    if (n === target) return true;
    if (seen.has(n)) continue;
    seen.add(n);
    stack.push(...(n.inputs as { inputs: readonly unknown[] }[]));
  }
  return false;
}

function reachesName(from: { inputs: readonly unknown[]; attrs?: Record<string, unknown> }, name: string): boolean {
  const stack = [from];
  while (stack.length) {
    const n = stack.pop()! as { inputs: readonly unknown[]; attrs: Record<string, unknown> };
    if (n.attrs?.name === name) return true;
    stack.push(...(n.inputs as never[]));
  }
  return false;
}
