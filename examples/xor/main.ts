// Trains examples/xor — 2 → 8 tanh → 1 sigmoid, binary cross-entropy — with SGD (lr 0.1, momentum 0.9)
// on the four XOR points as one batch, printing the loss and the accuracy as it learns.
//
//   npm run build                                       (once: the module imports gradc/runtime)
//   node --import ./scripts/register-ts.js examples/xor/main.ts [--seed 0] [--steps 1000] [--every 100]
import { parseArgs } from "node:util";
import { exitOnUserError } from "gradc/runtime/node";
import { createTrainer, forward, initParams, lossAndGrad, spec } from "./model.gen.js";

exitOnUserError(); // a user's error (a bad option or file, a refused resume, a divergence) prints as `gradc: error GCnnnn: …` and exits 1

const { values: args } = parseArgs({
  options: {
    seed: { type: "string", default: "0" },
    steps: { type: "string", default: "1000" },
    every: { type: "string", default: "100" },
  },
});
const seed = Number(args.seed);
const steps = Number(args.steps);
const every = Number(args.every);

// The whole truth table, row-major: x is [4, 2], y is [4, 1].
const data = { x: Float32Array.of(0, 0, 0, 1, 1, 0, 1, 1), y: Float32Array.of(0, 1, 1, 0) };

/** The fraction of the four points whose prediction p > 0.5 matches the label. */
function accuracy(p: ArrayLike<number>): number {
  let right = 0;
  for (let i = 0; i < data.y.length; i++) if ((p[i]! > 0.5 ? 1 : 0) === data.y[i]) right++;
  return right / data.y.length;
}

const params = initParams(seed);
const trainer = createTrainer(params, { optimizer: { kind: "sgd", lr: 0.1, momentum: 0.9 } });
console.log(`model "${spec.name}" (${spec.dtype}), seed ${seed}: SGD(lr = 0.1, momentum = 0.9), batch of 4, ${steps} steps`);
let solvedAt = 0;
const start = performance.now();
for (let step = 1; step <= steps; step++) {
  const loss = trainer.step(data); // the loss before this step's update
  const acc = accuracy(forward(params, { x: data.x }).p); // after the update
  if (acc === 1 && solvedAt === 0) solvedAt = step;
  if (step === 1 || step % every === 0) {
    console.log(`step ${String(step).padStart(5)}   loss ${loss.toFixed(6)}   accuracy ${(acc * 100).toFixed(0).padStart(3)}%`);
  }
}
const ms = performance.now() - start;

const { p } = forward(params, { x: data.x });
console.log(`trained in ${ms.toFixed(1)} ms; final loss ${lossAndGrad(params, data).loss.toFixed(6)}, accuracy ${accuracy(p) * 100}% (first reached 100% at step ${solvedAt || "—"})`);
console.log("predictions:");
for (let i = 0; i < 4; i++) {
  const [a, b] = [data.x[2 * i], data.x[2 * i + 1]];
  console.log(`  ${a} XOR ${b} = ${data.y[i]}   p = ${p[i]!.toFixed(4)}   → ${p[i]! > 0.5 ? 1 : 0}`);
}
