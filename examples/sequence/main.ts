// Trains examples/sequence — an LSTM (16 units) that adds two 8-bit numbers bit by bit — with Adam on
// freshly drawn pairs, and reports how many sums of a fixed test set it gets exactly right.
//
//   npm run build                                       (once: the module imports gradc/runtime)
//   node --import ./scripts/register-ts.js examples/sequence/main.ts [--seed 0] [--steps 1000] [--every 100]
import { parseArgs } from "node:util";
import { createRng, type Rng } from "gradc/runtime";
import { exitOnUserError } from "gradc/runtime/node";
import { createTrainer, forward, initParams, spec } from "./model.gen.js";

exitOnUserError(); // a user's error (a bad option or file, a refused resume, a divergence) prints as `gradc: error GCnnnn: …` and exits 1

const { values: args } = parseArgs({
  options: {
    seed: { type: "string", default: "0" },
    steps: { type: "string", default: "1000" },
    every: { type: "string", default: "100" },
    batch: { type: "string", default: "32" },
    lr: { type: "string", default: "0.01" },
  },
});
const seed = Number(args.seed), steps = Number(args.steps), every = Number(args.every), batch = Number(args.batch), lr = Number(args.lr);
const BITS = 9;

/** `count` pairs of 8-bit numbers as the model's inputs: bits [count, 9, 2] and sums [count, 9, 1], least significant bit first. */
function draw(rng: Rng, count: number) {
  const a = new Int32Array(count), b = new Int32Array(count);
  const bits = new Float64Array(count * BITS * 2), sums = new Float64Array(count * BITS);
  for (let i = 0; i < count; i++) {
    a[i] = Math.floor(rng.uniform() * 256);
    b[i] = Math.floor(rng.uniform() * 256);
    const s = a[i]! + b[i]!;
    for (let t = 0; t < BITS; t++) {
      bits[(i * BITS + t) * 2] = (a[i]! >> t) & 1;
      bits[(i * BITS + t) * 2 + 1] = (b[i]! >> t) & 1;
      sums[i * BITS + t] = (s >> t) & 1;
    }
  }
  return { a, b, inputs: { bits, sums } };
}

/** Bits right, and sums with every bit right, of predictions p against the targets. */
function score(p: ArrayLike<number>, sums: ArrayLike<number>) {
  let bitsRight = 0, sumsRight = 0;
  for (let i = 0; i < sums.length / BITS; i++) {
    let all = true;
    for (let t = 0; t < BITS; t++) {
      const k = i * BITS + t;
      if ((p[k]! > 0.5 ? 1 : 0) === sums[k]) bitsRight++;
      else all = false;
    }
    if (all) sumsRight++;
  }
  return { bits: bitsRight / sums.length, sums: sumsRight / (sums.length / BITS) };
}

/** The number a row of predicted bits spells. */
const decode = (p: ArrayLike<number>, row: number) => Array.from({ length: BITS }, (_, t) => (p[row * BITS + t]! > 0.5 ? 1 << t : 0)).reduce((x, y) => x + y, 0);

const test = draw(createRng(1_000_000 + seed), 1000);
const rng = createRng(seed);
const params = initParams(seed);
const trainer = createTrainer(params, { optimizer: { kind: "adam", lr } });
console.log(`model "${spec.name}" (${spec.dtype}), seed ${seed}: LSTM(16) adding 8-bit numbers, Adam(lr = ${lr}), batch ${batch}, ${steps} steps`);
const start = performance.now();
let solvedAt = 0;
for (let step = 1; step <= steps; step++) {
  const loss = trainer.step(draw(rng, batch).inputs);
  if (step === 1 || step % every === 0 || step === steps) {
    const s = score(forward(params, { bits: test.inputs.bits }).p, test.inputs.sums);
    if (s.sums === 1 && !solvedAt) solvedAt = step;
    console.log(`step ${String(step).padStart(5)}   loss ${loss.toFixed(5)}   test: bits ${(s.bits * 100).toFixed(1).padStart(5)}%   sums ${(s.sums * 100).toFixed(1).padStart(5)}%`);
  }
}
const seconds = (performance.now() - start) / 1000;
const { p } = forward(params, { bits: test.inputs.bits });
const final = score(p, test.inputs.sums);
console.log(`trained in ${seconds.toFixed(1)} s; ${(final.sums * 100).toFixed(1)}% of 1000 test sums exactly right (${(final.bits * 100).toFixed(2)}% of bits)`);
for (let i = 0; i < 4; i++) console.log(`  ${test.a[i]} + ${test.b[i]} = ${test.a[i]! + test.b[i]!}   predicted ${decode(p, i)}`);
