// An output may be the loss itself (`outputs: { ce }` with `loss: ce`): forward, evaluate and the
// training step must all read it, though the passes otherwise keep the loss in a local.
import { describe, expect, test } from "vitest";
import { input, matmul, model, param, softmaxCrossEntropy } from "gradc";
import { compileAndImport } from "../helpers/compiled.js";

const lossAsOutput = model("lossAsOutput", () => {
  const x = input("x", ["batch", 3]);
  const y = input("y", ["batch"], { dtype: "int" });
  const W = param("W", [3, 4]);
  const logits = matmul(x, W);
  const ce = softmaxCrossEntropy(logits, y);
  return { loss: ce, outputs: { ce, logits } };
});

describe("an output that is the loss", () => {
  for (const dtype of ["f64", "f32"] as const) {
    test(`${dtype}: forward, evaluate, lossAndGrad and step agree on it`, async () => {
      const { module } = await compileAndImport(lossAsOutput, { dtype });
      const params = module.initParams(0);
      const inputs = { x: [1, 2, 3, -4, 5, -6], y: [1, 2] };
      const { loss, outputs } = module.evaluate(params, inputs);
      expect(Number.isFinite(loss) && loss > 0).toBe(true);
      expect(Array.from(outputs.ce!)).toEqual([loss]);
      expect(Array.from(module.forward(params, inputs).ce!)).toEqual([loss]);
      expect(module.lossAndGrad(params, inputs).loss).toBe(loss);
      const trainer = module.createTrainer(params, { optimizer: { kind: "sgd", lr: 0.1 } });
      expect(trainer.step(inputs)).toBe(loss);
      expect(module.evaluate(trainer.params, inputs).loss).toBeLessThan(loss);
    });
  }
});
