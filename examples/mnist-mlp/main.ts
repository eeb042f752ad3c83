// Trains examples/mnist-mlp — 784 → 128 ReLU → 10, softmax cross-entropy, Adam(lr = 1e-3), batches of
// 64, 5 epochs — on the 10,000 real MNIST digits of the `mnist` package (7,996 train / 2,004 test),
// showing progress and the test accuracy after every epoch; writes the loss/accuracy curves and a
// picture of misclassified test digits as SVG, and a checkpoint after every epoch.
//
//   node --import ./scripts/register-ts.js examples/mnist-mlp/main.ts [--epochs 5] [--seed 0]
//        [--out .gradc-out] [--resume .gradc-out/mnistMlp.ckpt | --overwrite] [--module other.gen.ts]
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { exitOnUserError, loadMnist, runTraining } from "gradc/runtime/node";
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
console.log(`model "${gen.spec.name}" (${gen.spec.dtype}): 784 → 128 ReLU → 10, softmax cross-entropy; Adam(lr = 1e-3), batch 64`);

const run = runTraining({
  module: gen,
  train,
  test,
  scores: "logits",
  labels: "y",
  epochs: Number(args.epochs),
  batchSize: 64,
  optimizer: { kind: "adam", lr: 1e-3 },
  seed: Number(args.seed),
  outDir: args.out,
  ...(args.resume ? { resume: args.resume } : {}),
  ...(args.overwrite ? { overwrite: true } : {}),
});
console.log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s; final test accuracy ${(100 * (run.test?.accuracy ?? NaN)).toFixed(2)}%`);
