// examples/worked: the compiled module (compileAndImport, float64) computes the tutorial's derivation by
// hand (workedByHand.ts, formulas) to 1e-12. mains.test.ts checks the numbers main.ts prints likewise.
import { beforeAll, describe, expect, it } from "vitest";
import { compileAndImport, type GeneratedModule } from "../helpers/compiled.js";
import { checkAgainstFiniteDifferences, exampleModel } from "./util.js";
import { after, b1n, b2n, db1, db2, dW2, expected, f, lr, t, W1n, W2n, x, δ2 } from "./workedByHand.js";

const TOL = 1e-12;
const close = (actual: number | undefined, want: number, what: string) =>
  expect(Math.abs(actual! - want), `${what} = ${actual}, by hand ${want}`).toBeLessThanOrEqual(TOL);

let mod: GeneratedModule;
beforeAll(async () => {
  mod = (await compileAndImport(exampleModel("worked"), { dtype: "f64" })).module;
});

describe("examples/worked", () => {
  it("the formulas reproduce the rounded numbers README.md works out", () => {
    expect(f.z1).toEqual([0.8, 0.8].map((v) => expect.closeTo(v, 15))); // 0.1·1 + 0.2·2 + 0.3
    expect(f.h1[0]).toBeCloseTo(0.6899744811, 10);
    expect(f.z2).toBeCloseTo(1.220977033, 9); // 0.9·h + 0.6
    expect(f.y).toBeCloseTo(0.7722354434, 10); // not 0.77221: that figure is an arithmetic slip
    expect(δ2).toBeCloseTo(0.0478829105, 10);
    expect(f.loss).toBeCloseTo(0.0370560683, 10);
  });

  const inputs = { x, t: [t] };

  it("forward values, loss and gradients of the compiled module equal the hand derivation", () => {
    const params = mod.initParams();
    const out = mod.forward(params, inputs);
    for (const name of ["z1", "h1", "z2", "y"]) out[name]!.forEach((v, j) => close(v, expected.get(`${name}[${j}]`)!, `${name}[${j}]`));
    const { loss, grads } = mod.lossAndGrad(params, inputs);
    close(loss, f.loss, "loss");
    grads.W1!.forEach((v, k) => close(v, expected.get(`dW1[${k >> 1}][${k & 1}]`)!, `dW1[${k >> 1}][${k & 1}]`));
    grads.b1!.forEach((v, j) => close(v, db1[j]!, `db1[${j}]`));
    grads.W2!.forEach((v, j) => close(v, dW2[j]!, `dW2[${j}][0]`));
    close(grads.b2![0], db2, "db2[0]");
  });

  it("one SGD step (lr 0.5) of the compiled trainer gives the hand-updated weights", () => {
    const trainer = mod.createTrainer(mod.initParams(), { optimizer: { kind: "sgd", lr } });
    close(trainer.step(inputs), f.loss, "loss returned by step");
    const p = trainer.params;
    p.W1!.forEach((v, k) => close(v, W1n[k >> 1]![k & 1]!, `W1[${k >> 1}][${k & 1}]`));
    p.b1!.forEach((v, j) => close(v, b1n[j]!, `b1[${j}]`));
    p.W2!.forEach((v, j) => close(v, W2n[j]!, `W2[${j}][0]`));
    close(p.b2![0], b2n, "b2[0]");
    close(mod.forward(p, inputs).y![0], after.y, "y after the step");
    expect(after.loss).toBeLessThan(f.loss);
  });

  it("gradients equal central finite differences of the generated loss (also on a random batch)", () => {
    expect(checkAgainstFiniteDifferences(mod, mod.initParams(), inputs).mismatches).toEqual([]);
    const batch = { x: [0.3, -1.2, 2.5, 0.7, -0.4, -2], t: [0.1, 0.9, 0.45] };
    const params = mod.initParams();
    params.W1!.set([0.7, -0.3, 0.25, 1.1]);
    params.W2!.set([-0.8, 1.3]);
    expect(checkAgainstFiniteDifferences(mod, params, batch).mismatches).toEqual([]);
  });
});
