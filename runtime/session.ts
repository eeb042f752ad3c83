// A whole training run in Node, as `npm start`, the examples' mains and `gradc train` do it: create or
// resume the trainer, fit with progress and a checkpoint after every epoch, then report the test
// metrics and write the pictures (loss/accuracy curves, misclassified test digits).
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import type { Dataset } from "./data.js";
import type { FloatArray } from "./init.js";
import type { OptimizerSpec } from "./optim.js";
import { digitGridSvg, trainingCurvesSvg, type DigitImage } from "./plot.js";
import type { ProgressStream } from "./progress.js";
import { writeFileAtomic } from "./fsAtomic.js";
import { describeEpoch, evaluate, fit, type FitResult, type Metrics, type Schedule } from "./train.js";
import { loadTrainingCheckpoint, saveTrainingCheckpoint, type CheckpointTrainer } from "./trainCheckpoint.js";

/** The parts of a generated module a run uses. */
export interface TrainableModule {
  readonly spec: {
    readonly name: string;
    readonly dtype: "f32" | "f64";
    readonly params: readonly { readonly name: string; readonly shape: readonly number[] }[];
    readonly outputs: readonly { readonly name: string; readonly shape: readonly (number | string)[] }[];
  };
  initParams(seed?: number): Record<string, FloatArray>;
  createTrainer(params: never, options: { optimizer: OptimizerSpec; seed?: number }): unknown;
}

export interface RunOptions {
  readonly module: TrainableModule;
  readonly train: Dataset;
  readonly test?: Dataset;
  /** Output with class scores and the label field, for accuracy (default: a [batch, C] output and "y"). */
  readonly scores?: string;
  readonly labels?: string;
  readonly epochs: number;
  readonly batchSize: number;
  readonly optimizer: OptimizerSpec;
  readonly schedule?: Schedule;
  /** Seed of the initial parameters and of the shuffling (default 0). */
  readonly seed?: number;
  /** Where the checkpoint and pictures go (created if missing). */
  readonly outDir: string;
  /** A checkpoint to continue from (params, optimizer, dropout generator and the loop's position). */
  readonly resume?: string;
  readonly log?: (line: string) => void;
  readonly progress?: ProgressStream | false;
}

export interface RunResult {
  readonly fit: FitResult;
  readonly test?: Metrics;
  readonly files: { readonly checkpoint: string; readonly curves: string; readonly misclassified?: string };
}

export function runTraining(o: RunOptions): RunResult {
  const log = o.log ?? ((line: string) => console.log(line));
  const name = o.module.spec.name;
  const labels = o.labels ?? (o.train.fields["y"] ? "y" : undefined);
  const scores = o.scores ?? (labels ? o.module.spec.outputs.find((out) => out.shape.length === 2)?.name : undefined);
  mkdirSync(o.outDir, { recursive: true });
  const files = { checkpoint: path.join(o.outDir, `${name}.ckpt`), curves: path.join(o.outDir, `${name}-curves.svg`) };

  // One seed for everything random: the initial parameters, the data order and the dropout masks.
  const trainer = o.module.createTrainer(o.module.initParams(o.seed ?? 0) as never, { optimizer: o.optimizer, seed: o.seed ?? 0 }) as CheckpointTrainer;
  let resume;
  if (o.resume) {
    if (!existsSync(o.resume)) throw new Error(`cannot resume: ${o.resume} does not exist`);
    resume = loadTrainingCheckpoint(o.resume, trainer, { warn: (message) => log(`warning: ${message}`) });
    log(`resuming ${o.resume}: epoch ${resume.epoch}, batch ${resume.batch}, step ${resume.step}`);
  }
  const result = fit(trainer, o.train, {
    epochs: o.epochs,
    batchSize: o.batchSize,
    seed: o.seed ?? 0,
    ...(o.test ? { test: o.test } : {}),
    ...(scores ? { scores } : {}),
    ...(labels ? { labels } : {}),
    ...(o.schedule ? { schedule: o.schedule } : {}),
    ...(resume ? { resume } : {}),
    ...(o.progress !== undefined ? { progress: o.progress } : {}),
    onCheckpoint: (state) => saveTrainingCheckpoint(files.checkpoint, trainer, state),
    // Without a progress display nothing else reports the epochs.
    onEpoch: (r) => void (o.progress === false && log(`epoch ${r.epoch}/${o.epochs}: ${describeEpoch(r)}`)),
  });

  const misclassified: DigitImage[] = [];
  const perClass: number[] = [];
  const test = o.test
    ? evaluate(trainer, o.test, {
        ...(scores ? { scores } : {}),
        ...(labels ? { labels } : {}),
        onPredictions: (rows, predicted, truth) => {
          // Up to four per true class, so the picture shows every digit's mistakes, not the first class's.
          const x = o.test!.columns["x"];
          const width = o.test!.fields["x"]?.shape.reduce((a, b) => a * b, 1) ?? 0;
          if (!x || width !== 784) return;
          for (let i = 0; i < rows.length; i++) {
            if (predicted[i] === truth[i] || (perClass[truth[i]!] ?? 0) >= 4) continue;
            perClass[truth[i]!] = (perClass[truth[i]!] ?? 0) + 1;
            misclassified.push({ pixels: x.slice(rows[i]! * width, (rows[i]! + 1) * width), label: truth[i]!, predicted: predicted[i]! });
          }
        },
      })
    : undefined;

  writeFileAtomic(files.curves, trainingCurvesSvg(result.history, { title: name }));
  const written: RunResult["files"] = { ...files, ...(misclassified.length ? { misclassified: path.join(o.outDir, `${name}-misclassified.svg`) } : {}) };
  if (written.misclassified) writeFileAtomic(written.misclassified, digitGridSvg(misclassified));
  if (test) log(`test: loss ${test.loss.toFixed(4)}${test.accuracy !== undefined ? ` · accuracy ${(100 * test.accuracy).toFixed(2)}% (${Math.round(test.accuracy * test.count)}/${test.count})` : ""}`);
  log(`wrote ${written.curves}${written.misclassified ? `, ${written.misclassified}` : ""} and the checkpoint ${written.checkpoint}`);
  return { fit: result, ...(test ? { test } : {}), files: written };
}
