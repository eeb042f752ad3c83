// examples/simple through the compiled module (compileAndImport, float64): its gradients against
// finite differences of its own loss, trainer.step against lossAndGrad + the optimizer run separately,
// and the training run examples/simple/main.ts makes.
import { beforeAll, describe, expect, it } from "vitest";
import { createOptimizer } from "../../runtime/index.js";
import { compileAndImport, type GeneratedModule } from "../helpers/compiled.js";
import { checkAgainstFiniteDifferences, cloneParams, exampleModel } from "./util.js";
import { nonEmpty } from "../helpers/nonEmpty.js";

// The PyTorch snippet's data, x = [[1], [2], [3]], y = [[0.5], [1], [1.5]], row-major.
const data = { x: Float64Array.of(1, 2, 3), y: Float64Array.of(0.5, 1, 1.5) };
const ADAM = { kind: "adam", lr: 0.001 } as const;
type Params = Record<string, Float64Array>;

let mod: GeneratedModule;
beforeAll(async () => {
  mod = (await compileAndImport(exampleModel("simple"), { dtype: "f64" })).module;
});

/** Adam exactly as torch.optim.Adam's documentation writes it (bias-corrected moments, then the step). */
function documentedAdam(lr: number, beta1 = 0.9, beta2 = 0.999, eps = 1e-8) {
  const m = new Map<Float64Array, Float64Array>();
  const v = new Map<Float64Array, Float64Array>();
  let t = 0;
  return (params: Params, grads: Params): void => {
    t++;
    for (const [name, p] of Object.entries(params)) {
      const g = grads[name]!;
      if (!m.has(p)) m.set(p, new Float64Array(p.length)), v.set(p, new Float64Array(p.length));
      const mt = m.get(p)!;
      const vt = v.get(p)!;
      for (let i = 0; i < p.length; i++) {
        mt[i] = beta1 * mt[i]! + (1 - beta1) * g[i]!; //         m_t = β1·m_{t−1} + (1 − β1)·g_t
        vt[i] = beta2 * vt[i]! + (1 - beta2) * g[i]! * g[i]!; // v_t = β2·v_{t−1} + (1 − β2)·g_t²
        const mHat = mt[i]! / (1 - beta1 ** t); //                m̂_t = m_t / (1 − β1^t)
        const vHat = vt[i]! / (1 - beta2 ** t); //                v̂_t = v_t / (1 − β2^t)
        p[i] = p[i]! - (lr * mHat) / (Math.sqrt(vHat) + eps); //  θ_t = θ_{t−1} − γ·m̂_t / (√v̂_t + ε)
      }
    }
  };
}

describe("examples/simple (compiled, f64)", () => {
  it("gradients equal central finite differences of the generated loss", () => {
    const params = mod.initParams(0) as Params;
    const trainer = mod.createTrainer(cloneParams(params), { optimizer: ADAM });
    for (const at of [params, trainer.params]) {
      const r = checkAgainstFiniteDifferences(mod, at, data);
      expect(r.mismatches).toEqual([]);
      expect(r.checked).toBe(7);
      for (let i = 0; i < 300; i++) trainer.step(data); // second round: parameters after 300 steps
    }
    // Off the training data too: a batch of 5 with negative inputs, where ReLU's zero branch is taken.
    const other = { x: [-1.5, -0.25, 0.7, 1.9, 4], y: [0.3, -1, 2, 0.1, 0.8] };
    expect(checkAgainstFiniteDifferences(mod, trainer.params, other).mismatches).toEqual([]);
  });

  it("1000 trainer.step calls are bit for bit lossAndGrad + the runtime's Adam, step by step", () => {
    const fused = mod.createTrainer(mod.initParams(0), { optimizer: ADAM });
    const params = mod.initParams(0) as Params;
    const names = mod.spec.params.map((p) => p.name);
    const adam = createOptimizer(ADAM, names.map((n) => params[n]!.length), "f64");
    for (let step = 1; step <= 1000; step++) {
      const loss = fused.step(data);
      const r = mod.lossAndGrad(params, data);
      adam.step(names.map((n) => params[n]!), names.map((n) => r.grads[n]! as Float64Array));
      if (!Object.is(loss, r.loss)) expect.fail(`step ${step}: trainer.step loss ${loss} ≠ lossAndGrad loss ${r.loss}`);
    }
    for (const n of nonEmpty(names, "parameters")) expect([...fused.params[n]!], n).toEqual([...params[n]!]);
  });

  it("1000 Adam steps stay within 1e-13 of torch's documented Adam algorithm", () => {
    const trainer = mod.createTrainer(mod.initParams(0), { optimizer: ADAM });
    const params = mod.initParams(0) as Params;
    const step = documentedAdam(0.001);
    let worst = 0;
    for (let i = 0; i < 1000; i++) {
      trainer.step(data);
      step(params, mod.lossAndGrad(params, data).grads as Params);
      for (const [n, p] of Object.entries(params)) {
        p.forEach((v, k) => (worst = Math.max(worst, Math.abs(v - trainer.params[n]![k]!))));
      }
    }
    expect(worst).toBeLessThan(1e-13); // measured: 1.4e-16
  });

  it("the loss falls below 1e-6 within main.ts's 5000 steps (seed 0), never rising for long", () => {
    const trainer = mod.createTrainer(mod.initParams(0), { optimizer: ADAM });
    const losses: number[] = [];
    for (let i = 0; i < 5000; i++) losses.push(trainer.step(data));
    const final = mod.lossAndGrad(trainer.params, data).loss;
    expect(losses[0]).toBeGreaterThan(1);
    for (let k = 500; k < 5000; k += 500) expect(losses[k]!, `loss at step ${k + 1}`).toBeLessThan(losses[k - 500]!);
    expect(final).toBeLessThan(1e-6);
    const out = mod.forward(trainer.params, { x: data.x }).out!;
    expect(out).toHaveLength(data.y.length);
    [...out].forEach((v, i) => expect(v).toBeCloseTo(data.y[i]!, 6));
  });
});
