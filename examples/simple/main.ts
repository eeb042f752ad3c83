// Trains examples/simple — Linear(1, 2) → ReLU → Linear(2, 1), MSELoss, Adam(lr = 0.001) — on three
// points of y = x/2, printing the loss as it falls and the final predictions.
//
//   npm run build                                                  (once: the module imports gradc/runtime)
//   node --import ./scripts/register-ts.js examples/simple/main.ts [--seed 0] [--steps 5000] [--every 500]
//
// `--module FILE` trains another compilation of the same model instead of the committed model.gen.ts
// (`npm start` uses it for the module it has just compiled).
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { exitOnUserError } from "gradc/runtime/node";
import * as committed from "./model.gen.js";

exitOnUserError(); // a user's error (a bad option or file, a refused resume, a divergence) prints as `gradc: error GCnnnn: …` and exits 1

const { values: args } = parseArgs({
  options: {
    seed: { type: "string", default: "0" },
    steps: { type: "string", default: "5000" },
    every: { type: "string", default: "500" },
    module: { type: "string" },
  },
});
const seed = Number(args.seed);
const steps = Number(args.steps);
const every = Number(args.every);
const gen: typeof committed = args.module ? await import(pathToFileURL(resolve(args.module)).href) : committed;

// The data: the PyTorch snippet's x = [[1], [2], [3]], y = [[0.5], [1], [1.5]] as flat row-major arrays
// (typed arrays of the module's dtype are used as they are; plain arrays would be copied every step).
const data = { x: Float64Array.of(1, 2, 3), y: Float64Array.of(0.5, 1, 1.5) };

const params = gen.initParams(seed); // W1, W2 drawn from the seeded generator; biases zero
const trainer = gen.createTrainer(params, { optimizer: { kind: "adam", lr: 0.001 } });

console.log(`${args.module ?? "examples/simple/model.gen.ts"}: model "${gen.spec.name}" (${gen.spec.dtype}), seed ${seed}`);
console.log(`Adam(lr = 0.001), ${steps} steps on the full batch of 3`);
const start = performance.now();
for (let step = 1; step <= steps; step++) {
  const loss = trainer.step(data); // forward, backward and the Adam update; the loss before the update
  if (step === 1 || step % every === 0) console.log(`step ${String(step).padStart(6)}   loss ${loss.toExponential(4)}`);
}
const ms = performance.now() - start;

const { loss } = gen.lossAndGrad(params, data);
const { out } = gen.forward(params, { x: data.x });
console.log(`trained in ${ms.toFixed(1)} ms (${((ms * 1000) / steps).toFixed(2)} µs per step); final loss ${loss.toExponential(4)}`);
console.log("predictions:");
data.x.forEach((x, i) => console.log(`  x = ${x}   prediction ${out[i]!.toFixed(6)}   target ${data.y[i]}`));
if (!(loss < 1e-6)) {
  console.log("the loss did not get tiny: with this seed both ReLU units can end up inactive for x > 0 (a \"dead\" ReLU); try another --seed");
}
