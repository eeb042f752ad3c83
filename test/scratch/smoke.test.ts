import { test, expect } from "vitest";
import { createContext } from "../../compiler/dsl/context.js";
import { model, trace } from "../../compiler/dsl/model.js";
import * as d from "../../compiler/dsl/core.js";
import { grad } from "../../compiler/autodiff/grad.js";
import { evaluate } from "../../compiler/ir/interpret.js";

test("smoke", () => {
  const m = model("simple", () => {
    const x = d.input("x", ["batch", 1]);
    const y = d.input("y", ["batch", 1]);
    const W1 = d.param("W1", [1, 2], { init: "he" });
    const b1 = d.param("b1", [2], { init: "zeros" });
    const W2 = d.param("W2", [2, 1], { init: "xavier" });
    const b2 = d.param("b2", [1], { init: "zeros" });
    const out = d.add(d.matmul(d.sigmoid(d.add(d.matmul(x, W1), b1)), W2), b2);
    return { loss: d.mse(out, y), outputs: { out } };
  });
  const g = grad(trace(m, createContext()));
  console.log(g.nodes.map((n) => `${n.id} ${n.op}(${n.inputs.map((i) => i.id)}) ${JSON.stringify(n.shape)} ${n.name ?? ""}`).join("\n"));
  const params = { W1: [0.3, -0.2], b1: [0.1, 0.2], W2: [0.5, 0.7], b2: [0.1] };
  const inputs = { x: [1, 2, 3], y: [0.5, 1, 1.5] };
  const v = evaluate(g, { inputs, params });
  const lossAt = (p: typeof params) => evaluate(g, { inputs, params: p }).get(g.loss!)!.data[0]!;
  for (const [name, gn] of g.grads) {
    const an = v.get(gn)!.data;
    const arr = params[name as keyof typeof params];
    arr.forEach((_, k) => {
      const h = 1e-6;
      const pp = structuredClone(params); (pp as any)[name][k] += h;
      const pm = structuredClone(params); (pm as any)[name][k] -= h;
      const fd = (lossAt(pp) - lossAt(pm)) / (2 * h);
      expect(an[k]).toBeCloseTo(fd, 7);
    });
  }
});
