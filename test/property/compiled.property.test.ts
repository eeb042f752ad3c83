// Property: random small MLPs compiled all the way (passes, lowering, emitted TypeScript) give the
// loss and gradients of central finite differences, and their forward() agrees with the reference
// interpreter. This exercises every emitter path the MLP shapes reach (unrolled and looped matmuls,
// fused epilogues, batch-loop fusion, rowwise losses).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { model } from "../../compiler/dsl/model.js";
import { checkGradients } from "../helpers/gradcheck.js";
import { compileAndImport } from "../helpers/compiled.js";
import { describeMlp, mlpBuild, mlpCaseArbitrary, mlpSource, mlpValuesArbitrary, type MlpCase, type MlpSpec } from "../helpers/mlp.js";
import { nonEmpty } from "../helpers/nonEmpty.js";

const SEED = 20261128;

const toF64 = (r: Readonly<Record<string, ArrayLike<number>>>) =>
  Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Float64Array.from(v)]));

async function check(c: MlpCase): Promise<void> {
  const { module } = await compileAndImport(model("mlp", c.build));
  const params = toF64(c.values.params);
  try {
    checkGradients(c.build, c.values, {
      analytic: () => module.lossAndGrad(params, c.values.inputs),
    });
  } catch (e) {
    throw new Error(`compiled MLP ${describeMlp(c.spec)}:\n${(e as Error).message}`);
  }
  // evaluate() is the loss of lossAndGrad and the outputs of forward(), computed by its own pass.
  const evaluated = module.evaluate(params, c.values.inputs);
  expect(evaluated.loss).toBe(module.lossAndGrad(params, c.values.inputs).loss);
  const outputs = module.forward(params, c.values.inputs);
  for (const [name, v] of nonEmpty(Object.entries(outputs), "outputs")) expect(Array.from(evaluated.outputs[name]!)).toEqual(Array.from(v));
}

describe("random MLPs, compiled", () => {
  it("emitted lossAndGrad matches finite differences", async () => {
    await fc.assert(fc.asyncProperty(mlpCaseArbitrary(), check), { seed: SEED, numRuns: 40 });
  });
});

// Wider layers take the looped emitter paths (row accumulation, dot products, batch contractions)
// and the blocked GEMM (all three transpose forms: x·W, δ·Wᵀ, xᵀ·δ).
const WIDE: MlpSpec[] = [
  { inWidth: 20, hidden: [{ width: 13, activation: "relu" }], outWidth: 10, loss: "softmaxCrossEntropy", batch: 5 },
  { inWidth: 9, hidden: [{ width: 17, activation: "tanh" }, { width: 11, activation: "sigmoid" }], outWidth: 3, loss: "mse", batch: 6 },
  { inWidth: 3, hidden: [{ width: 30, activation: "softplus" }], outWidth: 12, loss: "crossEntropy", batch: 7 },
  { inWidth: 12, hidden: [{ width: 9, activation: "leakyRelu" }], outWidth: 9, loss: "binaryCrossEntropy", batch: 3 },
  // large enough for the blocked GEMM, with row and column remainders (7 rows, 23 and 37 columns)
  { inWidth: 37, hidden: [{ width: 23, activation: "relu" }], outWidth: 6, loss: "softmaxCrossEntropy", batch: 7 },
  { inWidth: 10, hidden: [{ width: 64, activation: "tanh" }], outWidth: 12, loss: "mse", batch: 9 },
  { inWidth: 8, hidden: [{ width: 16, activation: "sigmoid" }, { width: 40, activation: "softplus" }], outWidth: 16, loss: "crossEntropy", batch: 4 },
];

describe("wide MLPs, compiled", () => {
  for (const spec of WIDE) {
    it(describeMlp(spec), async () => {
      const [values] = fc.sample(mlpValuesArbitrary(spec), { seed: SEED, numRuns: 1 });
      await check({ spec, build: mlpBuild(spec), source: mlpSource(spec), values: values! });
    });
  }
});
