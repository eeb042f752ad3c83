// The tutorial's hand-worked example, computed by the generated module: one forward pass, every
// gradient, and one SGD step with learning rate 0.5. README.md works the same numbers out by hand.
//
//   npm run build                                         (once: the module imports gradc/runtime)
//   node --import ./scripts/register-ts.js examples/worked/main.ts
//
// Every value is printed in full float64 precision as `name = value`; test/examples/worked.test.ts
// checks each printed number against the hand derivation.
import { exitOnUserError } from "gradc/runtime/node";
import { createTrainer, forward, initParams, lossAndGrad, spec } from "./model.gen.js";

exitOnUserError(); // a user's error (a bad option or file, a refused resume, a divergence) prints as `gradc: error GCnnnn: …` and exits 1

const inputs = { x: [1, 2], t: [0.5] }; // one example: x = [1, 2], target t = 0.5
const params = initParams(); // the explicit values in model.ts: W1 = [[0.1, 0.1], [0.2, 0.2]], b1 = [0.3, 0.3], W2 = [[0.4], [0.5]], b2 = [0.6]

/** One line: what is computed, then `name[i][j] = value` for each element of a row-major array. */
function show(what: string, name: string, values: ArrayLike<number>, shape: readonly number[]): void {
  const cells: string[] = [];
  for (let k = 0; k < values.length; k++) {
    let index = "";
    for (let d = shape.length - 1, rest = k; d >= 0; d--) {
      index = `[${rest % shape[d]!}]` + index;
      rest = Math.floor(rest / shape[d]!);
    }
    cells.push(`${name}${index} = ${values[k]}`);
  }
  console.log(`  ${what.padEnd(22)}${cells.join("   ")}`);
}
const shapeOf = (name: string) => spec.params.find((p) => p.name === name)!.shape;

console.log("── forward (x = [1, 2], t = 0.5) ──");
const out = forward(params, inputs); // one example, so each output is one row: drop the batch index
show("z1 = x·W1 + b1", "z1", out.z1, [2]);
show("h1 = σ(z1)", "h1", out.h1, [2]);
show("z2 = h1·W2 + b2", "z2", out.z2, [1]);
show("y = σ(z2)", "y", out.y, [1]);
const { loss, grads } = lossAndGrad(params, inputs);
show("loss = ½(y − t)²", "loss", [loss], []);

console.log("── gradients ──");
for (const name of ["W2", "b2", "W1", "b1"] as const) show(`∂loss/∂${name}`, `d${name}`, grads[name], shapeOf(name));

console.log("── after one SGD step (lr = 0.5) ──");
const trainer = createTrainer(params, { optimizer: { kind: "sgd", lr: 0.5 } });
trainer.step(inputs); // recomputes the same gradients and updates params in place
for (const name of ["W2", "b2", "W1", "b1"] as const) show(`${name} ← ${name} − 0.5·d${name}`, name, params[name], shapeOf(name));
show("y, again", "y_after", forward(params, inputs).y, [1]);
show("loss, again", "loss_after", [lossAndGrad(params, inputs).loss], []);
