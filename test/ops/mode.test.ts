// dropout and batchNorm: training behaviour in the training pass (masks, batch statistics, running
// statistics updated by a step), inference behaviour in forward()/evaluate(), and gradients checked
// against finite differences (the interpreter draws the same masks as the generated code).
import { describe, expect, it } from "vitest";
import * as d from "../../compiler/dsl/index.js";
import { model } from "../../compiler/dsl/model.js";
import { batchNorm, dropout } from "../../compiler/dsl/training.js";
import { evaluate as interpret } from "../../compiler/ir/interpret.js";
import { specialize } from "../../compiler/passes/specialize.js";
import { checkGradients, traceModel } from "../helpers/gradcheck.js";
import { compileAndImport } from "../helpers/compiled.js";

const dropoutNet = (p: number) =>
  model("drop", () => {
    const x = d.input("x", ["batch", 6]);
    const y = d.input("y", ["batch", 2]);
    const W1 = d.param("W1", [6, 20], { init: "xavier" });
    const W2 = d.param("W2", [20, 2], { init: "xavier" });
    const h = dropout(d.tanh(d.matmul(x, W1)), p);
    const out = d.matmul(h, W2);
    return { loss: d.mse(out, y), outputs: { out } };
  });

const values = (batch: number) => ({
  x: Array.from({ length: batch * 6 }, (_, k) => Math.sin(k * 1.3)),
  y: Array.from({ length: batch * 2 }, (_, k) => Math.cos(k * 0.7)),
});

describe("dropout", () => {
  it("the training pass matches the interpreter (same masks) and finite differences", async () => {
    const def = dropoutNet(0.3);
    const { module } = await compileAndImport(def);
    const params = module.initParams(2);
    const inputs = values(5);
    const compiled = module.lossAndGrad(params, inputs);
    const g = traceModel(def);
    const reference = interpret(g, { inputs, params }).get(g.loss!)!.data[0]!;
    expect(compiled.loss).toBeCloseTo(reference, 12);
    checkGradients(def, { inputs, params }, { analytic: () => module.lossAndGrad(params, inputs) });
  });

  it("the training pass draws the mask in row-major order, one rng.uniform() per element, in loops named i0, i1", async () => {
    const { code } = await compileAndImport(dropoutNet(0.3));
    const lines = code.split("\n").map((l) => l.trim());
    const draw = lines.findIndex((l) => l.includes("rng.uniform()"));
    expect(lines.slice(draw - 3, draw + 1)).toEqual([
      "// v1 = mask_p=0.3", // its notation, as the comment above the kernel shows it
      "{",
      "for (let i0 = 0; i0 < n; i0++)",
      "for (let i1 = 0; i1 < 20; i1++) v1[i0 * 20 + i1] = rng.uniform() < 0.7 ? 1.4285714285714286 : 0;",
    ]);
  });

  it("forward() and evaluate() pass through; a trainer draws a new mask every step", async () => {
    const { module } = await compileAndImport(dropoutNet(0.5));
    const { module: plain } = await compileAndImport(dropoutNet(0));
    const params = module.initParams(3);
    const inputs = values(4);
    expect(Array.from(module.forward(params, inputs).out!)).toEqual(Array.from(plain.forward(params, inputs).out!));
    expect(module.evaluate(params, inputs).loss).toBe(plain.evaluate(params, inputs).loss);
    const trainer = module.createTrainer(module.initParams(3), { optimizer: { kind: "sgd", lr: 0 } });
    const losses = [trainer.step(inputs), trainer.step(inputs), trainer.step(inputs)];
    expect(new Set(losses).size).toBe(3); // lr 0: only the masks differ
  });

  it("keeps about 1 − p of the elements, scaled by 1/(1 − p)", () => {
    const def = model("mask", () => {
      const x = d.input("x", [100, 100]);
      const W = d.param("W", [1], { init: "ones" });
      const masked = dropout(d.mul(x, W), 0.25);
      return { loss: d.sum(masked), outputs: { masked } };
    });
    const g = specialize("train")(traceModel(def)).graph;
    const out = interpret(g, { inputs: { x: new Float64Array(10_000).fill(1) }, params: { W: [1] } }).get(g.outputs[0]![1])!.data;
    const kept = out.filter((v) => v !== 0);
    expect(kept.length / 10_000).toBeGreaterThan(0.73);
    expect(kept.length / 10_000).toBeLessThan(0.77);
    expect(new Set(kept)).toEqual(new Set([1 / 0.75]));
  });
});

const bnNet = model("bn", () => {
  const x = d.input("x", ["batch", 3]);
  const y = d.input("y", ["batch", 1]);
  const W1 = d.param("W1", [3, 4], { init: "xavier" });
  const W2 = d.param("W2", [4, 1], { init: "xavier" });
  const h = d.relu(batchNorm(d.matmul(x, W1), "bn1"));
  const out = d.matmul(h, W2);
  return { loss: d.mse(out, y), outputs: { out, normalized: batchNorm(d.matmul(x, W1), "bn2") } };
});

describe("batchNorm", () => {
  const inputs = { x: [0.5, -1, 2, 1, 0.3, -0.2, -1.5, 0.8, 0.1, 2, 2, -0.7, 0.4, -0.3, 1.1], y: [1, -1, 0.5, 0.2, -0.4] };

  it("gradients of the training pass match finite differences", async () => {
    const { module } = await compileAndImport(bnNet);
    const params = module.initParams(5);
    params["bn1.weight"]!.set([1.2, 0.8, -0.5, 1]);
    params["bn1.bias"]!.set([0.1, -0.2, 0.3, 0.05]);
    const trainable = ["W1", "W2", "bn1.bias", "bn1.weight", "bn2.bias", "bn2.weight"];
    checkGradients(bnNet, { inputs, params }, { analytic: () => module.lossAndGrad(params, inputs), params: trainable });
    expect(Object.keys(module.lossAndGrad(params, inputs).grads).sort()).toEqual(["W1", "W2", "bn1.bias", "bn1.weight", "bn2.bias", "bn2.weight"]);
  });

  it("a training step updates the running statistics (momentum 0.1, unbiased variance); forward() uses them", async () => {
    const { module } = await compileAndImport(bnNet);
    const params = module.initParams(5);
    const W1 = Array.from(params.W1!);
    const z = Array.from({ length: 5 }, (_, r) => Array.from({ length: 4 }, (_, j) => inputs.x[r * 3]! * W1[j]! + inputs.x[r * 3 + 1]! * W1[4 + j]! + inputs.x[r * 3 + 2]! * W1[8 + j]!));
    const trainer = module.createTrainer(params, { optimizer: { kind: "sgd", lr: 0 } });
    trainer.step(inputs);
    for (let j = 0; j < 4; j++) {
      const col = z.map((row) => row[j]!);
      const m = col.reduce((a, b) => a + b, 0) / 5;
      const unbiased = col.reduce((a, b) => a + (b - m) ** 2, 0) / 4;
      expect(params["bn1.runningMean"]![j]).toBeCloseTo(0.1 * m, 12);
      expect(params["bn1.runningVar"]![j]).toBeCloseTo(0.9 + 0.1 * unbiased, 12);
    }
    // forward: (z − runningMean)/√(runningVar + eps)·γ + β with γ = 1, β = 0
    const normalized = module.forward(params, { x: inputs.x }).normalized!;
    for (let r = 0; r < 5; r++)
      for (let j = 0; j < 4; j++) {
        const want = (z[r]![j]! - params["bn2.runningMean"]![j]!) / Math.sqrt(params["bn2.runningVar"]![j]! + 1e-5);
        expect(normalized[r * 4 + j]).toBeCloseTo(want, 12);
      }
    expect(module.spec.params.filter((p) => (p as { trainable?: boolean }).trainable === false).map((p) => p.name)).toEqual([
      "bn1.runningMean", "bn1.runningVar", "bn2.runningMean", "bn2.runningVar",
    ]);
  });
});
