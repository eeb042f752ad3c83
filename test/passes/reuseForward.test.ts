// reuseForward: relu' = [z > 0] reads the forward activation instead, [relu(z) > 0], so the backward
// pass needs h = relu(z) and not the pre-activation z.

import { describe, expect, it } from "vitest";
import { grad } from "../../compiler/autodiff/grad.js";
import * as d from "../../compiler/dsl/core.js";
import { consumers, type Graph } from "../../compiler/ir/graph.js";
import { optimize } from "../../compiler/pipeline.js";
import { reuseForward } from "../../compiler/passes/reuseForward.js";
import { countOp, expectPreserved, expectSameSemantics, randomValues, runPass, show, traced } from "./util.js";

/** x → relu layers (or leakyRelu) → linear → mse. */
const mlp = (layers: number, act: "relu" | "leakyRelu" = "relu") =>
  traced(() => {
    const x = d.input("x", ["batch", 2]);
    let h = x;
    for (let k = 1; k <= layers; k++) {
      const z = d.add(d.matmul(h, d.param(`W${k}`, [2, 2])), d.param(`b${k}`, [2]));
      h = act === "relu" ? d.relu(z) : d.leakyRelu(z, 0.1);
    }
    const out = d.matmul(h, d.param("V", [2, 1]));
    return { loss: d.mse(out, d.input("y", ["batch", 1])), outputs: { out } };
  });

const steps = (g: Graph) => g.nodes.filter((n) => n.op === "step");

describe("reuseForward", () => {
  it("rewrites step(z) to step(relu(z)), one change per relu layer", () => {
    for (const layers of [1, 2, 3]) {
      const joint = grad(mlp(layers));
      expect(steps(joint).every((s) => s.inputs[0]!.op === "add")).toBe(true);
      const r = runPass(reuseForward, joint, "reuseForward");
      expect(r.changes).toBe(layers);
      expect(steps(r.graph)).toHaveLength(layers);
      for (const s of steps(r.graph)) {
        expect(s.inputs[0]!.op).toBe("relu");
        expect(s.attrs).toEqual({ below: 0 });
      }
      expectPreserved(joint, r.graph);
    }
  });

  it("is exact where z = 0 (relu(0) = 0 is not > 0 either)", () => {
    const g = mlp(1);
    const joint = grad(g);
    const r = runPass(reuseForward, joint);
    // b1 = −(x·W1) row by row for x = [1, 1]: z = 0 exactly.
    const v = randomValues(g, 3, { batch: 2, overrides: { x: [1, 1, 1, 1], W1: [0.5, -0.25, 0.5, 1], b1: [-1, -0.75] } });
    expectSameSemantics(joint, r.graph, v);
  });

  it("after optimize(), the backward pass reads h = relu(z), never z", () => {
    const { graph } = optimize(mlp(2), { verify: true });
    const relus = graph.nodes.filter((n) => n.op === "relu");
    expect(relus).toHaveLength(2);
    const uses = consumers(graph);
    for (const h of relus) {
      const z = h.inputs[0]!;
      expect(uses.get(z)).toEqual([h]); // z feeds only its activation
      expect(uses.get(h)!.some((n) => n.op === "step")).toBe(true);
    }
    expect(steps(graph)).toHaveLength(2);
    for (const s of steps(graph)) expect(relus).toContain(s.inputs[0]);
  });

  it("leaves leakyRelu' = [z > 0 | α] alone", () => {
    const joint = grad(mlp(2, "leakyRelu"));
    const r = runPass(reuseForward, joint);
    expect(r.changes).toBe(0);
    expect(steps(r.graph).every((s) => s.inputs[0]!.op === "add" && s.attrs.below === 0.1)).toBe(true);
  });

  it("leaves a step alone when there is no relu of the same value", () => {
    const g = traced(() => {
      const W = d.param("W", [3]);
      const out = d.mul(d.step(W), d.relu(d.neg(W)));
      return { loss: d.sum(out), outputs: { out } };
    });
    const r = runPass(reuseForward, g);
    expect(r.changes).toBe(0);
    expect(countOp(r.graph, "step")).toBe(1);
    expect(show(steps(r.graph)[0]!)).toBe("step{below=0}(W)");
  });
});
