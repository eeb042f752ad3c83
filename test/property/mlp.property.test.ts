// Property: for random small MLPs (1–3 layers, widths 1–5, mixed activations, every loss), the symbolic
// gradients (grad() + reference interpreter) match central finite differences of the loss.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as dsl from "../../compiler/dsl/index.js";
import { isModel } from "../../compiler/dsl/model.js";
import { checkGradients, interpretedGradients, lossAt, traceModel } from "../helpers/gradcheck.js";
import { describeMlp, kinkMargin, mlpCaseArbitrary, mlpSpecArbitrary, type MlpCase } from "../helpers/mlp.js";

const SEED = 20240611;

/** Runs a generated model.ts text with the public DSL in place of its `import ... from "gradc"`. */
function modelFromSource(source: string) {
  const names = Object.keys(dsl).filter((k) => typeof (dsl as Record<string, unknown>)[k] === "function");
  const body = source.replace(/^import .* from "gradc";$/m, "").replace("export default ", "return ");
  const def = new Function(...names, body)(...names.map((k) => (dsl as Record<string, unknown>)[k]));
  if (!isModel(def)) throw new Error("the source does not produce a model");
  return def;
}

const check = (c: MlpCase) => {
  try {
    checkGradients(c.build, c.values);
  } catch (e) {
    throw new Error(`MLP ${describeMlp(c.spec)}:\n${(e as Error).message}\nvalues: ${JSON.stringify(c.values)}`);
  }
};

describe("random MLPs", () => {
  it("symbolic gradients match finite differences", () => {
    fc.assert(fc.property(mlpCaseArbitrary(), check), { seed: SEED, numRuns: 50 });
  });

  it("the same property fails when the gradients are slightly wrong (it has teeth)", () => {
    const wrongW1 = (c: MlpCase) => {
      checkGradients(c.build, c.values, {
        analytic: (forward, values) => {
          const r = interpretedGradients(forward, values);
          return { ...r, grads: { ...r.grads, W1: Array.from(r.grads.W1!, (v) => v * 1.001 + 1e-4) } };
        },
      });
    };
    const r = fc.check(fc.property(mlpCaseArbitrary(), wrongW1), { seed: SEED, numRuns: 50 });
    expect(r.failed).toBe(true);
    expect(String(r.errorInstance)).toMatch(/∂L\/∂W1\[/);
  });

  it("the generator covers every activation and every loss, and keeps kinks away from 0", () => {
    const cases = fc.sample(mlpCaseArbitrary(), { seed: SEED, numRuns: 50 });
    const activations = new Set(cases.flatMap((c) => c.spec.hidden.map((h) => h.activation)));
    const losses = new Set(cases.map((c) => c.spec.loss));
    expect([...activations].sort()).toEqual(["leakyRelu", "relu", "sigmoid", "softplus", "tanh"]);
    expect([...losses].sort()).toEqual(["binaryCrossEntropy", "crossEntropy", "mse", "softmaxCrossEntropy"]);
    expect(new Set(cases.map((c) => c.spec.hidden.length)).size).toBe(3);
    for (const c of cases) expect(kinkMargin(c.build, c.values)).toBeGreaterThanOrEqual(1e-3);
  });

  it("the generated model.ts source traces to the same model (same loss at the same values)", () => {
    fc.assert(
      fc.property(mlpCaseArbitrary(), (c) => {
        const fromSource = traceModel(modelFromSource(c.source));
        const direct = traceModel(c.build);
        expect(fromSource.params.map((p) => [p.attrs.name, p.shape])).toEqual(direct.params.map((p) => [p.attrs.name, p.shape]));
        expect(lossAt(fromSource, c.values)).toBe(lossAt(direct, c.values));
      }),
      { seed: SEED, numRuns: 20 },
    );
  });

  it("specs shrink toward small models (the arbitrary is usable for minimal counterexamples)", () => {
    const r = fc.check(fc.property(mlpSpecArbitrary, (s) => s.hidden.length === 0), { seed: SEED });
    expect(r.failed).toBe(true);
    const shrunk = r.counterexample![0];
    expect(shrunk.hidden).toHaveLength(1);
    expect(shrunk.hidden[0]!.width).toBe(1);
  });
});
