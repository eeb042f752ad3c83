// A pass learns the batch size from the lengths of the inputs it reads (the module's `sizing` lists). A
// pass that reads no input with the batch dimension although its values have it — an output that is a
// parameter broadcast to [batch, k] — is sized by every input that has it (compiler/emit/module.ts,
// sizing), so forward() still returns one row per example.
import { describe, expect, it } from "vitest";
import * as d from "../../compiler/dsl/index.js";
import { model } from "../../compiler/dsl/model.js";
import { compileAndImport } from "../helpers/compiled.js";

describe("a pass's batch size", () => {
  it("comes from every input with the batch dimension when the pass reads none of them", async () => {
    const def = model("prior", () => {
      const x = d.input("x", ["batch", 4]);
      const y = d.input("y", ["batch", 3]);
      const W = d.param("W", [4, 3]);
      const t = d.input("t", [3]); // no batch dimension: it says nothing of the batch size
      const b = d.param("b", [3], { init: [0.5, -1, 2] });
      const prior = d.add(d.zeros(["batch", 3]), b); // [batch, 3], from no input
      return { loss: d.add(d.mse(d.matmul(x, W), y), d.sum(d.mul(b, t))), outputs: { prior } };
    });
    const { module, code } = await compileAndImport(def);
    expect(code).toMatch(/forward: \{\n\s+sizing: \["x", "y"\],/);
    expect(code).toContain("export type ForwardInputs = { x: ArrayLike<number>; y: ArrayLike<number>; t?: ArrayLike<number> };");
    const params = module.initParams(0);
    const rows = 5;
    const prior = module.forward(params, { x: new Array(rows * 4).fill(1), y: new Array(rows * 3).fill(0) })["prior"]!;
    expect(Array.from(prior)).toEqual(Array.from({ length: rows }, () => [0.5, -1, 2]).flat());
  });

  it("comes from the inputs the pass reads, and forward() needs only those", async () => {
    const def = model("reads", () => {
      const x = d.input("x", ["batch", 4]);
      const y = d.input("y", ["batch", 3]);
      const W = d.param("W", [4, 3]);
      const h = d.matmul(x, W);
      return { loss: d.mse(h, y), outputs: { h } };
    });
    const { module, code } = await compileAndImport(def);
    expect(code).toMatch(/forward: \{\n\s+sizing: \["x"\],/);
    expect(code).toContain("export type ForwardInputs = { x: ArrayLike<number>; y?: ArrayLike<number> };");
    expect(module.forward(module.initParams(0), { x: new Array(2 * 4).fill(1) })["h"]!.length).toBe(2 * 3);
  });

  it("no pass asks for an input nothing reads (declared and kept in the spec, but never checked)", async () => {
    const def = model("spare", () => {
      const x = d.input("x", ["batch", 2]);
      const y = d.input("y", ["batch", 1]);
      d.input("spare", ["batch", 5]);
      const out = d.matmul(x, d.param("W", [2, 1]));
      return { loss: d.mse(out, y), outputs: { out } };
    });
    const { module } = await compileAndImport(def);
    expect(module.spec.inputs.map((i) => i.name)).toEqual(["x", "y", "spare"]);
    const params = module.initParams(0);
    const inputs = { x: [1, 2, 3, 4], y: [1, 0] };
    expect(module.forward(params, inputs)["out"]).toHaveLength(2);
    expect(Number.isFinite(module.evaluate(params, inputs).loss)).toBe(true);
    expect(Number.isFinite(module.lossAndGrad(params, inputs).loss)).toBe(true);
    expect(Number.isFinite(module.createTrainer(params, { optimizer: { kind: "sgd", lr: 0.1 } }).step(inputs))).toBe(true);
  });
});
