// Trains examples/mnist-cnn — 5×5 conv (8) → ReLU → 2×2 max-pool → 5×5 conv (16) → ReLU → 2×2 max-pool
// → 10, softmax cross-entropy, Adam(lr = 5e-3) with the learning rate following a cosine down to 0 over
// the run, batches of 64, 5 epochs — on the 10,000 real MNIST digits of the `mnist` package (7,996
// train / 2,004 test), showing progress and the test accuracy after every epoch; writes the
// loss/accuracy curves and a picture of misclassified test digits as SVG, and a checkpoint after
// every epoch.
//
//   node --import ./scripts/register-ts.js examples/mnist-cnn/main.ts [--epochs 5] [--seed 0]
//        [--out .gradc-out] [--resume .gradc-out/mnistCnn.ckpt | --overwrite] [--module other.gen.ts]
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { exitOnUserError, loadMnist, runTraining, schedules } from "gradc/runtime/node";
import * as committed from "./model.gen.js";

exitOnUserError(); // a user's error (a bad option or file, a refused resume, a divergence) prints as `gradc: error GCnnnn: …` and exits 1

const { values: args } = parseArgs({
  options: {
    epochs: { type: "string", default: "5" },
    seed: { type: "string", default: "0" },
    out: { type: "string", default: ".gradc-out" },
    resume: { type: "string" },
    overwrite: { type: "boolean" },
    module: { type: "string" },
  },
});
const gen: typeof committed = args.module ? await import(pathToFileURL(resolve(args.module)).href) : committed;

const started = performance.now();
const { train, test } = loadMnist({ dtype: gen.spec.dtype });
console.log(`MNIST: ${train.size} training and ${test.size} test digits (the mnist package's 10,000, split 80/20 per class)`);
console.log(
  `model "${gen.spec.name}" (${gen.spec.dtype}): 28×28 → conv 5×5×8 → ReLU → max-pool 2 → conv 5×5×16 → ReLU → max-pool 2 → 10, softmax cross-entropy; Adam(lr = 5e-3, cosine to 0), batch 64`,
);

const epochs = Number(args.epochs);
const batchSize = 64;
const lr = 5e-3;
const run = runTraining({
  module: gen,
  train,
  test,
  scores: "logits",
  labels: "y",
  epochs,
  batchSize,
  optimizer: { kind: "adam", lr },
  schedule: schedules.cosine({ lr, totalSteps: epochs * Math.ceil(train.size / batchSize) }),
  seed: Number(args.seed),
  outDir: args.out,
  ...(args.resume ? { resume: args.resume } : {}),
  ...(args.overwrite ? { overwrite: true } : {}),
});
console.log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s; final test accuracy ${(100 * (run.test?.accuracy ?? NaN)).toFixed(2)}%`);
