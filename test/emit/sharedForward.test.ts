// The training pass calls the forward pass wherever the mode makes no difference (emit/sharedForward.ts):
// each forward kernel is written once, the training step reads the values the forward pass left, and
// a model with dropout keeps a training pass with its own training-mode forward part.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as d from "../../compiler/dsl/index.js";
import { model } from "../../compiler/dsl/model.js";
import { compileAndImport } from "../helpers/compiled.js";

const passOf = (code: string, name: string): string => {
  const start = code.indexOf(`function ${name}(`);
  expect(start, name).toBeGreaterThanOrEqual(0);
  return code.slice(start, code.indexOf("\n}\n", start));
};
/** The kernels' comments of a pass: `// h1 = relu(x·W1 + b1)   (model.ts:12:14)`. */
const kernelComments = (pass: string): string[] => pass.split("\n").map((l) => l.trim()).filter((l) => /^\/\/ .* = .*\(.*model\.ts:\d+:\d+\)$/.test(l));

describe("the training pass calls the forward pass", () => {
  for (const example of ["mnist-mlp", "mnist-cnn", "sequence", "worked"]) {
    it(`examples/${example}: trainPass starts with forwardPass, and no forward kernel is written twice`, () => {
      const code = readFileSync(`examples/${example}/model.gen.ts`, "utf8");
      const train = passOf(code, "trainPass");
      expect(train.split("\n")[1]).toBe("  forwardPass(params, ws.forward, n, inputs);");
      const forward = kernelComments(passOf(code, "forwardPass"));
      expect(forward.length).toBeGreaterThan(1);
      const inTrain = new Set(kernelComments(train));
      for (const c of forward) expect(inTrain.has(c), c).toBe(false);
      expect(code).toContain("readonly forward: ForwardWorkspace;");
    });
  }

  it("a gradient that is a forward value is read where the forward pass left it (ws.forward)", async () => {
    // With static shapes, ∂(Σ h ⊙ w)/∂w is h itself: the gradient array is the forward pass's h.
    const m = model("gradIsForward", () => {
      const x = d.input("x", [4, 3]);
      const W1 = d.param("W1", [3, 5]);
      const w = d.param("w", [4, 5]);
      const h = d.relu(d.matmul(x, W1));
      return { loss: d.sum(d.mul(h, w)), outputs: { h } };
    });
    const { module, code } = await compileAndImport(m);
    expect(passOf(code, "trainPass")).toContain("forwardPass(params, ws.forward, n, inputs);");
    expect(code).toMatch(/grads: \(ws: TrainWorkspace\): Float64Array\[\] => \[ws\.dW1, ws\.forward\.h1\]/);
    const params = module.initParams(3);
    const x = Array.from({ length: 12 }, (_, k) => Math.sin(k + 1));
    const { grads } = module.lossAndGrad(params, { x });
    const { h } = module.forward(params, { x });
    expect(Array.from(grads.w!)).toEqual(Array.from(h!));
    expect(Array.from(h!).some((v) => v > 0)).toBe(true);
  });

  it("forward() keeps its fused kernels: values the backward pass reads inside a fused chain stay the training pass's own", async () => {
    // tanh' and σ' read the values inside the fused chain; storing them would split forward()'s one loop.
    const m = model("fusedChain", () => {
      const x = d.input("x", ["batch", 3]);
      const y = d.input("y", ["batch", 3]);
      const w = d.param("w", [3]);
      const out = d.tanh(d.sigmoid(d.tanh(d.mul(x, w))));
      return { loss: d.mse(out, y), outputs: { out } };
    });
    const { module, code } = await compileAndImport(m);
    const comments = passOf(code, "forwardPass").split("\n").map((l) => l.trim()).filter((l) => /^\/\/ \w+ = /.test(l));
    expect(comments).toEqual([expect.stringMatching(/^\/\/ \w+ = tanh\(σ\(tanh\(x ⊙ w\)\)\)/)]);
    const train = passOf(code, "trainPass");
    expect(train).not.toContain("forwardPass(");
    expect(train).toContain("// ──── forward ────");
    // Both passes compute the same outputs.
    const params = { w: Float64Array.of(0.5, -1, 2) };
    const x = [0.1, 0.2, 0.3, -0.4, 0.5, -0.6];
    const y = [0, 0, 0, 0, 0, 0];
    const { out } = module.forward(params, { x });
    const { loss } = module.lossAndGrad(params, { x, y });
    expect(loss).toBeCloseTo(Array.from(out!).reduce((s, v) => s + v * v, 0) / 6, 14);
  });

  it("a training pass whose gradients read no forward value does not call the forward pass", async () => {
    // ∂ Σ x·W / ∂W = xᵀ·1: the input alone; the output is nothing the loss reads.
    const def = model("linear", () => {
      const x = d.input("x", ["batch", 3]);
      const W = d.param("W", [3, 2]);
      return { loss: d.sum(d.matmul(x, W)), outputs: { z: d.tanh(x) } };
    });
    const { code, module } = await compileAndImport(def);
    expect(passOf(code, "trainPass")).not.toContain("forwardPass(");
    expect(code).not.toContain("readonly forward: ForwardWorkspace;");
    const { grads } = module.lossAndGrad(module.initParams(0), { x: [1, 2, 3, -1, 0, 4] });
    expect(Array.from(grads["W"]!)).toEqual([0, 0, 2, 2, 7, 7]);
  });

  it("a model with dropout keeps its training-mode forward part in the training pass", async () => {
    const m = model("withDropout", () => {
      const x = d.input("x", ["batch", 3]);
      const y = d.input("y", ["batch", 2]);
      const W1 = d.param("W1", [3, 4]);
      const W2 = d.param("W2", [4, 2]);
      const h = d.dropout(d.relu(d.matmul(x, W1)), 0.5);
      const out = d.matmul(h, W2);
      return { loss: d.mse(out, y), outputs: { out } };
    });
    const { code } = await compileAndImport(m);
    const train = passOf(code, "trainPass");
    expect(train).not.toContain("forwardPass(");
    expect(train).toContain("// ──── forward ────");
    expect(code).not.toContain("readonly forward: ForwardWorkspace;");
  });
});
