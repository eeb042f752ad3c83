// A whole training run in Node, as `npm start`, the examples' mains and `gradc train` do it: create or
// resume the trainer, fit with progress and a checkpoint after every epoch, then report the test
// metrics (accuracy for a classifier, MSE, MAE and R² for a regression) and write the pictures
// (loss/accuracy curves, misclassified test digits).
import { existsSync, mkdirSync, realpathSync } from "node:fs";
import path from "node:path";
import type { Dataset } from "./data.js";
import type { FloatArray } from "./init.js";
import type { OptimizerSpec } from "./optim.js";
import { digitGridSvg, trainingCurvesSvg, type DigitImage } from "./plot.js";
import { formatMetric, type ProgressStream } from "./progress.js";
import { loadCheckpoint } from "./checkpoint.js";
import { firstNonFiniteParam, isDivergedError, withNote, type CheckFinite } from "./divergence.js";
import { codes, GradcError, isGradcError } from "./errors.js";
import { removeStaleTemporaries, writeFileAtomic } from "./fsAtomic.js";
import { displayPath } from "./userErrors.js";
import { describeEpoch, evaluate, fit, type FitResult, type Metrics, type RegressionFields, type Schedule } from "./train.js";
import type { ParamGroup } from "./paramGroups.js";
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
  createTrainer(params: never, options: { optimizer: OptimizerSpec; seed?: number; groups?: readonly ParamGroup[]; clipGradNorm?: number; clipGradValue?: number }): unknown;
}

export interface RunOptions {
  readonly module: TrainableModule;
  readonly train: Dataset;
  readonly test?: Dataset;
  /** Output with class scores and the label field, for accuracy (default: a [batch, C] output and "y"). */
  readonly scores?: string;
  readonly labels?: string;
  /** A regression: the output that predicts the target field, for MSE, MAE and R² (no accuracy then). */
  readonly regression?: RegressionFields;
  readonly epochs: number;
  readonly batchSize: number;
  readonly optimizer: OptimizerSpec;
  readonly schedule?: Schedule;
  /** createTrainer's parameter groups and gradient clipping. */
  readonly groups?: readonly ParamGroup[];
  readonly clipGradNorm?: number;
  readonly clipGradValue?: number;
  /**
   * A trainer made by the caller instead of module.createTrainer (e.g. createParallelTrainer's), from
   * initParams(seed) with this run's optimizer, seed, groups and clipping.
   */
  readonly trainer?: CheckpointTrainer;
  /** Seed of the initial parameters and of the shuffling (default 0). */
  readonly seed?: number;
  /** Where the checkpoint and pictures go (created if missing). */
  readonly outDir: string;
  /** A checkpoint to continue from (params, optimizer, dropout generator and the loop's position). */
  readonly resume?: string;
  /**
   * Replace a checkpoint of this model already in outDir (default false: a run that would replace one
   * it did not resume from is refused with GC3007, so a finished run is never lost to a new one).
   */
  readonly overwrite?: boolean;
  /** fit's divergence checks (default "epoch"); whatever it is, no checkpoint with non-finite parameters is written. */
  readonly checkFinite?: CheckFinite;
  readonly log?: (line: string) => void;
  readonly progress?: ProgressStream | false;
}

export interface RunResult {
  readonly fit: FitResult;
  readonly test?: Metrics;
  /** The run's files in outDir (whether or not this call wrote them). */
  readonly files: { readonly checkpoint: string; readonly curves: string; readonly misclassified?: string };
  /** The files this call wrote (none when a resumed run had nothing left to do). */
  readonly written: readonly string[];
}

export function runTraining(o: RunOptions): RunResult {
  const log = o.log ?? ((line: string) => console.log(line));
  const name = o.module.spec.name;
  const labels = o.regression ? undefined : (o.labels ?? (o.train.fields["y"] ? "y" : undefined));
  const scores = o.regression ? undefined : (o.scores ?? (labels ? o.module.spec.outputs.find((out) => out.shape.length === 2)?.name : undefined));
  const files = { checkpoint: path.join(o.outDir, `${name}.ckpt`), curves: path.join(o.outDir, `${name}-curves.svg`) };
  const pictures = [files.curves, path.join(o.outDir, `${name}-misclassified.svg`)];
  const seed = o.seed ?? 0;
  if (o.resume && !existsSync(o.resume)) throw new GradcError(codes.io, `cannot resume: ${displayPath(o.resume)} does not exist`);
  if (!o.overwrite && existsSync(files.checkpoint) && !(o.resume && sameFile(o.resume, files.checkpoint))) {
    const shown = displayPath(files.checkpoint);
    throw new GradcError(
      codes.outputExists,
      `${displayPath(o.outDir)} already holds a checkpoint of model "${name}" (${shown}${describeSaved(files.checkpoint, o.module.spec)}); ` +
        `this run would replace it. To continue that run, resume from it (--resume ${shown}); to start over and replace it, pass --overwrite; ` +
        "or choose another output folder (-o)",
    );
  }
  try {
    mkdirSync(o.outDir, { recursive: true });
  } catch (e) {
    throw new GradcError(codes.io, `cannot create the output folder ${displayPath(o.outDir)}: ${(e as Error).message}`);
  }
  // Temporaries of this run's files left by a killed run (fsAtomic.ts) go, even if nothing is written.
  for (const f of [files.checkpoint, ...pictures]) removeStaleTemporaries(f);

  // One seed for everything random: the initial parameters, the data order and the dropout masks.
  const trainer =
    o.trainer ??
    (o.module.createTrainer(o.module.initParams(seed) as never, {
      optimizer: o.optimizer,
      seed,
      ...(o.groups ? { groups: o.groups } : {}),
      ...(o.clipGradNorm !== undefined ? { clipGradNorm: o.clipGradNorm } : {}),
      ...(o.clipGradValue !== undefined ? { clipGradValue: o.clipGradValue } : {}),
    }) as CheckpointTrainer);
  let resume;
  if (o.resume) {
    const warnings: string[] = [];
    resume = loadTrainingCheckpoint(o.resume, trainer, { warn: (message) => warnings.push(message), run: { samples: o.train.size, batchSize: o.batchSize, seed, shuffle: true } });
    log(`resuming ${displayPath(o.resume)}: epoch ${resume.epoch}, batch ${resume.batch}, step ${resume.step}`);
    for (const w of warnings) log(`warning: ${w}`);
    if (resume.epoch >= o.epochs) {
      log(
        `${displayPath(o.resume)} has already trained ${resume.epoch} epoch${resume.epoch === 1 ? "" : "s"}, and this run asks for ${o.epochs}: nothing to do, nothing written. ` +
          "To train further, ask for more epochs.",
      );
      const state = resume;
      return { fit: { history: state.history, state, stoppedEarly: false, losses: new Float64Array(0) }, files, written: [] };
    }
  }
  const written: string[] = [];
  let saved: number | undefined; // the epoch of the last checkpoint this run wrote
  let result: FitResult;
  try {
    result = fit(trainer, o.train, {
      epochs: o.epochs,
      batchSize: o.batchSize,
      seed,
      ...(o.test ? { test: o.test } : {}),
      ...(scores ? { scores } : {}),
      ...(labels ? { labels } : {}),
      ...(o.regression ? { regression: o.regression } : {}),
      ...(o.schedule ? { schedule: o.schedule } : {}),
      ...(resume ? { resume } : {}),
      ...(o.progress !== undefined ? { progress: o.progress } : {}),
      ...(o.checkFinite ? { checkFinite: o.checkFinite } : {}),
      onCheckpoint: (state) => {
        // fit checks the parameters before a checkpoint unless told not to; a checkpoint is checked regardless.
        const bad = firstNonFiniteParam(trainer.params, Object.keys(trainer.params));
        if (bad) {
          throw new GradcError(
            codes.diverged,
            `training diverged by epoch ${state.epoch}, step ${state.step}: parameter "${bad.name}" is not finite (${bad.name}[${bad.index}] = ${bad.value}), ` +
              `so the checkpoint ${files.checkpoint} is not written${o.checkFinite === "off" ? " (the run's finite checks were off)" : ""}\nhint: lower the learning rate, or clip the gradients`,
          );
        }
        saveTrainingCheckpoint(files.checkpoint, trainer, state);
        saved = state.epoch;
        if (!written.includes(files.checkpoint)) written.push(files.checkpoint);
      },
      // Without a progress display nothing else reports the epochs.
      onEpoch: (r) => void (o.progress === false && log(`epoch ${r.epoch}/${o.epochs}: ${describeEpoch(r)}`)),
    });
  } catch (e) {
    if (!isDivergedError(e)) throw e;
    const kept =
      saved !== undefined ? `${displayPath(files.checkpoint)} holds epoch ${saved}, whose parameters are finite` : resume ? `${displayPath(o.resume!)} still holds epoch ${resume.epoch}` : undefined;
    throw withNote(e, kept ? `no checkpoint was written for the failing epoch; ${kept}` : "no checkpoint was written");
  }

  const misclassified: DigitImage[] = [];
  const perClass: number[] = [];
  const test = o.test
    ? evaluate(trainer, o.test, {
        ...(scores ? { scores } : {}),
        ...(labels ? { labels } : {}),
        ...(o.regression ? { regression: o.regression } : {}),
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
  written.push(files.curves);
  const all: RunResult["files"] = { ...files, ...(misclassified.length ? { misclassified: pictures[1]! } : {}) };
  if (all.misclassified) {
    writeFileAtomic(all.misclassified, digitGridSvg(misclassified));
    written.push(all.misclassified);
  }
  if (test) {
    const accuracy = test.accuracy !== undefined ? ` · accuracy ${(100 * test.accuracy).toFixed(2)}% (${Math.round(test.accuracy * test.count)}/${test.count})` : "";
    const regression = test.mse !== undefined ? ` · MSE ${test.mse.toPrecision(4)} · MAE ${test.mae!.toPrecision(4)} · R² ${test.r2!.toFixed(4)} (${test.count} samples)` : "";
    log(`test: loss ${formatMetric(test.loss)}${accuracy}${regression}`);
  }
  log(`wrote ${written.map((f) => displayPath(f)).join(", ")}`);
  return { fit: result, ...(test ? { test } : {}), files: all, written };
}

/** Whether two paths name one file (through symlinks and relative paths). */
function sameFile(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return path.resolve(a) === path.resolve(b);
  }
}

/** ", epoch 3, step 90" for a readable checkpoint of the model; "" when it cannot be read as one. */
function describeSaved(file: string, spec: TrainableModule["spec"]): string {
  try {
    const c = loadCheckpoint(file, spec);
    return c.epoch !== undefined ? `, epoch ${c.epoch}, step ${c.step}` : `, step ${c.step}`;
  } catch (e) {
    if (isGradcError(e)) return "";
    throw e;
  }
}
