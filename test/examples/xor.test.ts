// examples/xor through the compiled module (compileAndImport): gradients against finite differences,
// the fused trainer against lossAndGrad + the runtime's SGD, and XOR learned to 100% accuracy with the
// settings examples/xor/main.ts uses.
import { beforeAll, describe, expect, it } from "vitest";
import { createOptimizer } from "../../runtime/index.js";
import { compileAndImport, type GeneratedModule } from "../helpers/compiled.js";
import { checkAgainstFiniteDifferences, exampleModel } from "./util.js";
import { nonEmpty } from "../helpers/nonEmpty.js";

const data = { x: [0, 0, 0, 1, 1, 0, 1, 1], y: [0, 1, 1, 0] };
const SGD = { kind: "sgd", lr: 0.1, momentum: 0.9 } as const; // main.ts's optimizer
const STEPS = 1000; //                                            and its step count

let f64: GeneratedModule;
beforeAll(async () => {
  f64 = (await compileAndImport(exampleModel("xor"), { dtype: "f64" })).module;
});

/** Trains from initParams(seed) with main.ts's settings; returns the accuracy and the final loss. */
function train(mod: GeneratedModule, seed: number) {
  const trainer = mod.createTrainer(mod.initParams(seed), { optimizer: SGD });
  for (let i = 0; i < STEPS; i++) trainer.step(data);
  const p = mod.forward(trainer.params, { x: data.x }).p!;
  const right = data.y.filter((y, i) => (p[i]! > 0.5 ? 1 : 0) === y).length;
  return { accuracy: right / 4, loss: mod.lossAndGrad(trainer.params, data).loss, p };
}

describe("examples/xor", () => {
  it("gradients equal central finite differences of the generated loss", () => {
    const trainer = f64.createTrainer(f64.initParams(0), { optimizer: SGD });
    expect(checkAgainstFiniteDifferences(f64, f64.initParams(0), data).mismatches).toEqual([]);
    for (let i = 0; i < 100; i++) trainer.step(data);
    const r = checkAgainstFiniteDifferences(f64, trainer.params, data);
    expect(r.mismatches).toEqual([]);
    expect(r.checked).toBe(2 * 8 + 8 + 8 + 1);
  });

  it("trainer.step is bit for bit lossAndGrad + the runtime's SGD with momentum, for 300 steps", () => {
    const trainer = f64.createTrainer(f64.initParams(0), { optimizer: SGD });
    const params = f64.initParams(0);
    const names = f64.spec.params.map((p) => p.name);
    const sgd = createOptimizer(SGD, names.map((n) => params[n]!.length), "f64");
    for (let step = 1; step <= 300; step++) {
      const loss = trainer.step(data);
      const r = f64.lossAndGrad(params, data);
      sgd.step(names.map((n) => params[n]!), names.map((n) => r.grads[n]!));
      if (!Object.is(loss, r.loss)) expect.fail(`step ${step}: trainer.step loss ${loss} ≠ lossAndGrad loss ${r.loss}`);
    }
    for (const n of nonEmpty(names, "parameters")) expect([...trainer.params[n]!], n).toEqual([...params[n]!]);
  });

  it("learns XOR to 100% accuracy (seed 0 as in main.ts, and seeds 1–9)", () => {
    const r = train(f64, 0);
    expect(r.accuracy).toBe(1);
    expect(r.loss).toBeLessThan(0.01);
    for (let seed = 1; seed < 10; seed++) expect(train(f64, seed).accuracy, `seed ${seed}`).toBe(1);
  });

  it("the float32 module (the committed example's dtype) learns it too", async () => {
    const f32 = (await compileAndImport(exampleModel("xor"), { dtype: "f32" })).module;
    const r = train(f32, 0);
    expect(r.p).toBeInstanceOf(Float32Array);
    expect(r.accuracy).toBe(1);
    expect(r.loss).toBeLessThan(0.01);
  });

  it("compiled with --batch 4 (unrolled over the batch) it computes the same loss and gradients", async () => {
    const b4 = (await compileAndImport(exampleModel("xor"), { dtype: "f64", batch: 4 })).module;
    const params = f64.initParams(3);
    const a = f64.lossAndGrad(params, data);
    const b = b4.lossAndGrad(params, data);
    expect(b.loss).toBeCloseTo(a.loss, 14);
    expect(Object.keys(b.grads)).toEqual(Object.keys(a.grads));
    for (const n of nonEmpty(Object.keys(a.grads), "gradients")) {
      expect(b.grads[n]).toHaveLength(a.grads[n]!.length);
      [...b.grads[n]!].forEach((v, k) => expect(v).toBeCloseTo(a.grads[n]![k]!, 14));
    }
  });
});
