// The training loop a user expects from a library: epochs of shuffled mini-batches through a generated
// trainer, evaluation (loss, accuracy, confusion matrix), learning-rate schedules, early stopping,
// progress, and a state that a checkpoint can carry so a resumed run continues bit for bit.
//
// Determinism: epoch k visits the batches in the order epochPermutation(size, seed, k) gives, and the
// learning rate is a function of the global step; neither depends on anything else, so a run resumed
// from (params, optimizer state, dropout generator state, epoch, batch) computes exactly what the
// uninterrupted run computed.
//
// Trust: fit refuses an empty training set and evaluate an empty data set (GC3006) instead of reporting
// a NaN loss; a resumed state is checked field by field (resume.ts); and every step's loss and, at each
// check point, the parameters are checked for non-finite values, so a diverged run stops with GC4001 at
// the step that went wrong instead of training on NaN (divergence.ts).
import { batchCount, batches, sampleLoc, type Column, type Dataset } from "./data.js";
import { divergedError, firstNonFiniteParam, largestParam, replayToFailure, takeSnapshot, type CheckFinite, type NonFinite, type ReplayStep, type Snapshot } from "./divergence.js";
import { codes, GradcError } from "./errors.js";
import type { FloatArray } from "./init.js";
import type { Optimizer } from "./optim.js";
import { createProgress, formatMetric, type ProgressStream } from "./progress.js";
import { checkFitState, type RunConfig } from "./resume.js";
import { plateauStart, plateauStep, type PlateauState, type Schedule } from "./schedules.js";

/** What fit needs of a generated module's trainer (createTrainer's result has all of it). */
export interface FitTrainer {
  step(inputs: never): number;
  evaluate(inputs: never): { loss: number; outputs: Readonly<Record<string, FloatArray>> };
  setLearningRate(lr: number): void;
  readonly learningRate: number;
  readonly params: Readonly<Record<string, FloatArray>>;
  readonly optimizer: Optimizer;
  /**
   * The dropout generator's state (null without dropout) and its restore, for checkpoints. Optional so
   * that modules generated before they existed still train; their dropout runs do not resume exactly.
   */
  rngState?(): number[] | null;
  setRngState?(state: ArrayLike<number> | null): void;
}

// ── evaluation ──────────────────────────────────────────────────────────────────────────────────────

export interface Metrics {
  /** Mean loss over the samples (each batch's mean loss weighted by its size). */
  readonly loss: number;
  /** Fraction of samples whose largest output equals the label (when labels and scores are known). */
  readonly accuracy?: number;
  /** confusion[label][predicted] = count. */
  readonly confusion?: number[][];
  /** Regression (EvaluateOptions.regression): mean squared and mean absolute error over all target values. */
  readonly mse?: number;
  readonly mae?: number;
  /** The coefficient of determination 1 − SS_res / SS_tot, per target column, averaged over the columns (sklearn's r2_score). */
  readonly r2?: number;
  readonly count: number;
}

/** The output that predicts a numeric target and the field holding the target (e.g. { output: "out", target: "y" }). */
export interface RegressionFields {
  readonly output: string;
  readonly target: string;
}

export interface EvaluateOptions {
  readonly batchSize?: number;
  /** The output whose largest entry per row is the predicted class (e.g. "logits"). */
  readonly scores?: string;
  /** The integer label field (e.g. "y"). */
  readonly labels?: string;
  /** Measure MSE, MAE and R² of this output against this target field. */
  readonly regression?: RegressionFields;
  /** Called with each batch's rows, predictions and labels (e.g. to collect misclassified samples). */
  readonly onPredictions?: (rows: Int32Array, predicted: Int32Array, labels: ArrayLike<number>) => void;
}

/** Loss (and accuracy, confusion matrix) of the trainer's current parameters over a data set. */
export function evaluate(trainer: FitTrainer, ds: Dataset, options: EvaluateOptions = {}): Metrics {
  if (ds.size === 0) throw new GradcError(codes.emptyData, "evaluate: the data set is empty (0 samples); there is nothing to measure");
  const batchSize = options.batchSize ?? 256;
  let loss = 0;
  let correct = 0;
  let confusion: number[][] | undefined;
  const regression = options.regression ? new RegressionSums() : undefined;
  for (const batch of batches(ds, { batchSize })) {
    const r = trainer.evaluate(batch.inputs as never);
    loss += r.loss * batch.size;
    if (regression) {
      const { output, target } = options.regression!;
      const predicted = r.outputs[output];
      const truth = batch.inputs[target] as Column | undefined;
      if (!predicted) throw new GradcError(codes.usage, `evaluate: the model has no output "${output}"`);
      if (!truth) throw new GradcError(codes.usage, `evaluate: the data set has no field "${target}"`);
      if (predicted.length !== truth.length) {
        throw new GradcError(codes.usage, `evaluate: the output "${output}" has ${predicted.length / batch.size} values per sample, the target "${target}" ${truth.length / batch.size}`);
      }
      regression.add(predicted, truth, truth.length / batch.size);
    }
    if (!options.scores || !options.labels) continue;
    const scores = r.outputs[options.scores];
    const labels = batch.inputs[options.labels] as Column | undefined;
    if (!scores) throw new GradcError(codes.usage, `evaluate: the model has no output "${options.scores}"`);
    if (!labels) throw new GradcError(codes.usage, `evaluate: the data set has no field "${options.labels}"`);
    const classes = scores.length / batch.size;
    confusion ??= Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
    const predicted = argmaxRows(scores, batch.size, classes);
    for (let i = 0; i < batch.size; i++) {
      const label = labels[i]!;
      if (!(Number.isInteger(label) && label >= 0 && label < classes)) {
        throw new GradcError(
          codes.data,
          `label ${label} is not a class of the output "${options.scores}" (${classes} class${classes === 1 ? "" : "es"}: 0 … ${classes - 1})`,
          sampleLoc(ds, batch.rows[i]!),
        );
      }
      if (predicted[i] === label) correct++;
      confusion[label]![predicted[i]!]!++;
    }
    options.onPredictions?.(batch.rows, predicted, labels);
  }
  return {
    loss: loss / ds.size,
    count: ds.size,
    ...(confusion ? { accuracy: correct / ds.size, confusion } : {}),
    ...(regression ? regression.metrics() : {}),
  };
}

/** Running sums for MSE, MAE and R² (each target column's mean and spread by Welford's update, so no cancellation). */
class RegressionSums {
  private count = 0;
  private absolute = 0;
  private columns = 0;
  private squared: Float64Array = new Float64Array(0);
  private mean: Float64Array = new Float64Array(0);
  private spread: Float64Array = new Float64Array(0);

  add(predicted: ArrayLike<number>, truth: ArrayLike<number>, columns: number): void {
    if (this.columns === 0) {
      this.columns = columns;
      this.squared = new Float64Array(columns);
      this.mean = new Float64Array(columns);
      this.spread = new Float64Array(columns);
    }
    const rows = truth.length / columns;
    for (let i = 0; i < rows; i++) {
      this.count++;
      for (let c = 0; c < columns; c++) {
        const y = truth[i * columns + c]!;
        const e = y - predicted[i * columns + c]!;
        this.squared[c] += e * e;
        this.absolute += Math.abs(e);
        const delta = y - this.mean[c]!;
        this.mean[c] += delta / this.count;
        this.spread[c] += delta * (y - this.mean[c]!);
      }
    }
  }

  metrics(): { mse: number; mae: number; r2: number } {
    const values = this.count * this.columns;
    let sse = 0;
    let r2 = 0;
    for (let c = 0; c < this.columns; c++) {
      sse += this.squared[c]!;
      // A constant target: 1 when predicted exactly, else 0 (sklearn's force_finite).
      r2 += this.spread[c] === 0 ? (this.squared[c] === 0 ? 1 : 0) : 1 - this.squared[c]! / this.spread[c]!;
    }
    return { mse: sse / values, mae: this.absolute / values, r2: r2 / this.columns };
  }
}

/** The index of each row's largest value (the first one on ties). */
export function argmaxRows(values: ArrayLike<number>, rows: number, columns: number): Int32Array {
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < columns; c++) if (values[r * columns + c]! > values[r * columns + best]!) best = c;
    out[r] = best;
  }
  return out;
}

// ── learning-rate schedules: schedules.ts ───────────────────────────────────────────────────────────

export { schedules, type Schedule } from "./schedules.js";

// ── fit ─────────────────────────────────────────────────────────────────────────────────────────────

export interface EpochRecord {
  /** 1-based. */
  readonly epoch: number;
  /** Mean of the step losses over the epoch's samples (the parameters move during the epoch). */
  readonly trainLoss: number;
  /** Accuracy on the training set after the epoch (when evaluateTrain and labels are set). */
  readonly trainAccuracy?: number;
  readonly testLoss?: number;
  readonly testAccuracy?: number;
  /** Regression metrics on the test set (FitOptions.regression). */
  readonly testMse?: number;
  readonly testMae?: number;
  readonly testR2?: number;
  readonly learningRate: number;
  readonly steps: number;
  readonly seconds: number;
}

/** Where a run is: enough, with the params and optimizer state, to resume it exactly. */
export interface FitState {
  /** Completed epochs (0-based index of the epoch in progress). */
  readonly epoch: number;
  /** Completed batches of the epoch in progress. */
  readonly batch: number;
  /** Completed steps in all. */
  readonly step: number;
  /** Loss sum and samples so far in the epoch in progress (for its mean). */
  readonly epochLossSum: number;
  readonly epochSamples: number;
  readonly history: readonly EpochRecord[];
  /** reduceOnPlateau's state (the rate, the best metric, bad and cooldown epochs), when the schedule is one. */
  readonly plateau?: PlateauState;
  /** Early stopping: the best metric so far, its epoch, and epochs since. */
  readonly best?: { readonly value: number; readonly epoch: number; readonly waited: number };
  /** The run's settings (absent in states saved before they were recorded); see resume.ts. */
  readonly config?: RunConfig;
}

export interface EarlyStopping {
  readonly metric: "testLoss" | "testAccuracy";
  /** Epochs without improvement before stopping. */
  readonly patience: number;
  /** The improvement that counts (default 0). */
  readonly minDelta?: number;
}

export interface FitOptions {
  readonly epochs: number;
  readonly batchSize: number;
  /** Shuffle seed (default 0); shuffle: false keeps the data set order. */
  readonly seed?: number;
  readonly shuffle?: boolean;
  readonly test?: Dataset;
  /** Output holding class scores and field holding labels, for accuracy. */
  readonly scores?: string;
  readonly labels?: string;
  /** Output and target field of a regression, for MSE, MAE and R² on the test set. */
  readonly regression?: RegressionFields;
  /** Also evaluate the training set after each epoch (default: when scores and labels are given). */
  readonly evaluateTrain?: boolean;
  /** The learning rate per step (schedules.ts); reduceOnPlateau's changes at epoch ends with the metric it watches. */
  readonly schedule?: Schedule;
  readonly earlyStopping?: EarlyStopping;
  /** After each epoch; return false to stop. */
  readonly onEpoch?: (record: EpochRecord, state: FitState) => void | boolean;
  /** Every `checkpointEvery` steps and at the end of each epoch: save the state (see trainCheckpoint.ts). */
  readonly onCheckpoint?: (state: FitState) => void;
  readonly checkpointEvery?: number;
  /** Continue a run from this state (params, optimizer and dropout generator already restored into the trainer). */
  readonly resume?: FitState;
  /** Stop after this many steps in all (for tests and interrupted runs); the state says where. */
  readonly maxSteps?: number;
  /**
   * Divergence checks (see divergence.ts): "epoch" (default) checks every step's loss and the parameters
   * at each epoch's end and before every checkpoint; "step" checks the parameters after every step too;
   * "off" checks nothing. On a non-finite value fit throws a GradcError GC4001 naming the step and the
   * value, with the trainer back before the failing step; onCheckpoint never sees non-finite parameters.
   */
  readonly checkFinite?: CheckFinite;
  /** Progress output: a stream, or false for none (default process.stdout / console). */
  readonly progress?: ProgressStream | false;
  readonly now?: () => number;
}

export interface FitResult {
  readonly history: readonly EpochRecord[];
  readonly state: FitState;
  readonly stoppedEarly: boolean;
  /** Every step's loss, in order (for loss curves and bit-exact comparisons). */
  readonly losses: Float64Array;
}

export function fit(trainer: FitTrainer, train: Dataset, options: FitOptions): FitResult {
  const { epochs, batchSize } = options;
  if (!Number.isInteger(epochs) || epochs < 0) throw new GradcError(codes.usage, `fit: epochs must be a non-negative integer, got ${epochs}`);
  if (train.size === 0) throw new GradcError(codes.emptyData, "fit: the training set is empty (0 samples)");
  const perEpoch = batchCount(train.size, batchSize);
  const now = options.now ?? (() => performance.now());
  const evaluateTrain = options.evaluateTrain ?? !!(options.scores && options.labels);
  const metricOptions = { ...(options.scores ? { scores: options.scores } : {}), ...(options.labels ? { labels: options.labels } : {}) };
  const testOptions = { ...metricOptions, ...(options.regression ? { regression: options.regression } : {}) };
  const seed = options.seed ?? 0;
  const shuffle = options.shuffle ?? true;
  const checkFinite = options.checkFinite ?? "epoch";
  if (checkFinite !== "off" && checkFinite !== "epoch" && checkFinite !== "step") throw new GradcError(codes.usage, `fit: checkFinite must be "off", "epoch" or "step", got ${String(checkFinite)}`);
  const paramNames = Object.keys(trainer.params);
  // The run's settings go into every state, so a resume can say what it changes (resume.ts).
  const config = runConfig(trainer, { batchSize, seed, shuffle, samples: train.size });
  const plateau = options.schedule?.plateau;
  let state: FitState = options.resume
    ? { ...startPosition(checkFitState(options.resume, "fit: options.resume", { samples: train.size, batchSize }), batchSize), config }
    : { epoch: 0, batch: 0, step: 0, epochLossSum: 0, epochSamples: 0, history: [], config };
  // A plateau schedule continues the saved state; a run that had none starts the rule afresh.
  if (plateau) state = { ...state, plateau: state.plateau ?? plateauStart(plateau) };
  else if (state.plateau) {
    const { plateau: _dropped, ...rest } = state;
    state = rest;
  }
  /** The learning rate of a step: the schedule's, or the plateau rule's current rate. */
  const rate = (step: number): number | undefined => (plateau ? state.plateau!.lr : options.schedule?.(step, perEpoch));
  const losses: number[] = [];
  let stoppedEarly = false;

  while (state.epoch < epochs) {
    const started = now();
    const progress =
      options.progress === false
        ? null
        : createProgress({ total: perEpoch - state.batch, label: `epoch ${state.epoch + 1}/${epochs}`, ...(options.progress ? { stream: options.progress } : {}), now });
    let { step, epochLossSum, epochSamples } = state;
    let batch = state.batch;
    const current = (): FitState => ({ ...state, step, batch, epochLossSum, epochSamples });
    // Where a failure is looked for: the state at the epoch's start (see divergence.ts).
    const start = checkFinite === "off" ? undefined : { snapshot: takeSnapshot(trainer), batch, step };
    const order = { batchSize, shuffle, seed, epoch: state.epoch };
    const diverged = (cause: NonFinite): never => {
      progress?.done("(diverged)");
      if (cause.kind === "evaluation") throw divergedError({ epoch: state.epoch + 1, step, batch, batchesPerEpoch: perEpoch, cause, notes: [] });
      throw divergence(trainer, train, rate, { ...start!, order, perEpoch, paramNames }, { cause, epoch: state.epoch + 1, step, batch });
    };
    /** The parameters must be finite before anyone sees them (a checkpoint, the next epoch). */
    const checkParams = (loss: number) => {
      const bad = checkFinite === "off" ? undefined : firstNonFiniteParam(trainer.params, paramNames);
      if (bad) diverged({ kind: "param", ...bad, loss });
    };
    let loss = NaN;
    for (const b of batches(train, { ...order, startBatch: batch })) {
      if (options.maxSteps !== undefined && step >= options.maxSteps) break;
      const lr = rate(step);
      if (lr !== undefined) trainer.setLearningRate(lr);
      loss = trainer.step(b.inputs as never);
      losses.push(loss);
      epochLossSum += loss * b.size;
      epochSamples += b.size;
      step++;
      batch++;
      progress?.tick(loss);
      if (checkFinite !== "off" && loss - loss !== 0) diverged({ kind: "loss", value: loss });
      if (checkFinite === "step") checkParams(loss);
      if (options.checkpointEvery && step % options.checkpointEvery === 0 && batch < perEpoch && options.onCheckpoint) {
        checkParams(loss);
        options.onCheckpoint(current());
      }
    }
    checkParams(loss);
    state = current();
    if (batch < perEpoch) {
      progress?.done("(interrupted)");
      break; // maxSteps reached mid-epoch: the state says where to resume
    }
    const test = options.test ? evaluate(trainer, options.test, testOptions) : undefined;
    const trainMetrics = evaluateTrain ? evaluate(trainer, train, metricOptions) : undefined;
    if (checkFinite !== "off") {
      // The steps' losses and the parameters were finite, but the parameters may be so large that the
      // forward pass overflows on other samples: stop here, before the epoch is recorded or saved.
      if (test && test.loss - test.loss !== 0) diverged(evaluationCause(trainer, options.test!, "test", test.loss, paramNames));
      if (trainMetrics && trainMetrics.loss - trainMetrics.loss !== 0) diverged(evaluationCause(trainer, train, "train", trainMetrics.loss, paramNames));
    }
    const record: EpochRecord = {
      epoch: state.epoch + 1,
      trainLoss: epochLossSum / epochSamples,
      ...(trainMetrics?.accuracy !== undefined ? { trainAccuracy: trainMetrics.accuracy } : {}),
      ...(test ? { testLoss: test.loss } : {}),
      ...(test?.accuracy !== undefined ? { testAccuracy: test.accuracy } : {}),
      ...(test?.mse !== undefined ? { testMse: test.mse, testMae: test.mae!, testR2: test.r2! } : {}),
      learningRate: trainer.learningRate,
      steps: batch,
      seconds: (now() - started) / 1000,
    };
    progress?.done(describeEpoch(record, false)); // the progress line already shows the mean step loss
    const best = nextBest(state.best, record, options.earlyStopping);
    const plateauState = plateau ? plateauStep(plateau, state.plateau!, metricOf(record, plateau.metric, "reduceOnPlateau")) : undefined;
    state = {
      epoch: state.epoch + 1,
      batch: 0,
      step,
      epochLossSum: 0,
      epochSamples: 0,
      history: [...state.history, record],
      ...(plateauState ? { plateau: plateauState } : {}),
      ...(best ? { best } : {}),
      config,
    };
    options.onCheckpoint?.(state);
    if (options.onEpoch?.(record, state) === false) break;
    if (options.earlyStopping && best && best.waited >= options.earlyStopping.patience) {
      stoppedEarly = true;
      break;
    }
  }
  return { history: state.history, state, stoppedEarly, losses: Float64Array.from(losses) };
}

/** The run's settings as a state records them: the data order, the optimizer, its groups and clipping. */
export function runConfig(trainer: FitTrainer, run: { batchSize: number; seed: number; shuffle: boolean; samples: number }): RunConfig {
  const o = trainer.optimizer;
  // Optimizers of modules generated before groups and clipping existed have neither property.
  const groups = o.groups ?? [];
  return {
    ...run,
    optimizer: { ...o.spec },
    ...(groups.length ? { groups: groups.map((g) => ({ params: [...g.params], lrScale: g.lrScale, weightDecay: g.weightDecay })) } : {}),
    ...(o.clip?.norm ? { clipGradNorm: o.clip.norm } : {}),
    ...(o.clip?.value ? { clipGradValue: o.clip.value } : {}),
  };
}

/**
 * A resumed state's position in batches of `batchSize`: the saved one, or, when the saved run used
 * another batch size mid-epoch, the batch holding the first sample not yet seen (so no sample is
 * skipped; up to batchSize − 1 are seen twice).
 */
function startPosition(s: FitState, batchSize: number): FitState {
  const saved = s.config?.batchSize ?? batchSize;
  if (saved === batchSize || s.batch === 0) return s;
  return { ...s, batch: Math.floor(s.epochSamples / batchSize) };
}

/** Where an epoch started: what replaying it needs. */
interface EpochStart {
  readonly snapshot: Snapshot;
  readonly batch: number;
  readonly step: number;
  readonly order: { readonly batchSize: number; readonly shuffle: boolean; readonly seed: number; readonly epoch: number };
  readonly perEpoch: number;
  readonly paramNames: readonly string[];
}

/**
 * The error for a failure seen after step `seen.step`: the epoch's steps are replayed from its start to
 * find the first that went wrong (see divergence.ts); if none does, the failure as it was seen.
 */
function divergence(trainer: FitTrainer, train: Dataset, rate: (step: number) => number | undefined, start: EpochStart, seen: { cause: NonFinite; epoch: number; step: number; batch: number }): GradcError {
  function* steps(): Generator<ReplayStep> {
    let step = start.step;
    for (const b of batches(train, { ...start.order, startBatch: start.batch })) {
      if (step >= seen.step) return;
      const lr = rate(step);
      yield { inputs: b.inputs, rows: b.rows, prepare: () => lr !== undefined && trainer.setLearningRate(lr) };
      step++;
    }
  }
  const found = replayToFailure(trainer, start.snapshot, steps(), start.paramNames, train.source);
  const where = found ? { step: start.step + found.index + 1, batch: start.batch + found.index + 1 } : { step: seen.step, batch: seen.batch };
  return divergedError({
    epoch: seen.epoch,
    ...where,
    batchesPerEpoch: start.perEpoch,
    cause: found?.cause ?? seen.cause,
    ...(found ? { failing: found.failing } : {}),
    notes: [],
  });
}

/** Why an evaluation's loss is not finite: the first sample whose loss is not, and the largest parameter. */
function evaluationCause(trainer: FitTrainer, ds: Dataset, set: "test" | "train", value: number, names: readonly string[]): NonFinite {
  let sample: { row: number; place?: string } | undefined;
  // One sample at a time (in evaluation mode no sample depends on another): only on a failure.
  for (const b of batches(ds, { batchSize: 1 })) {
    const loss = trainer.evaluate(b.inputs as never).loss;
    if (loss - loss === 0) continue;
    const row = b.rows[0]!;
    const at = sampleLoc(ds, row);
    sample = at ? { row, place: `${at.file.split(/[\\/]/).pop()}:${at.line}` } : { row };
    break;
  }
  return { kind: "evaluation", set, value, ...(sample ? { sample } : {}), largest: largestParam(trainer.params, names) };
}

/** An epoch record's metric, which a rule (early stopping, reduceOnPlateau) watches: a usage error when the run does not measure it. */
function metricOf(record: EpochRecord, metric: keyof EpochRecord, who: string): number {
  const value = record[metric];
  if (value === undefined) {
    const needs = metric === "testAccuracy" ? " with scores and labels" : metric === "testMse" || metric === "testMae" || metric === "testR2" ? " with a regression output and target" : "";
    throw new GradcError(codes.usage, `${who} on ${metric}, but fit has no test set${needs}`);
  }
  return value;
}

function nextBest(best: FitState["best"], record: EpochRecord, rule: EarlyStopping | undefined): FitState["best"] {
  if (!rule) return best;
  const value = metricOf(record, rule.metric, "early stopping");
  const higherIsBetter = rule.metric === "testAccuracy";
  const delta = rule.minDelta ?? 0;
  const improved = !best || (higherIsBetter ? value > best.value + delta : value < best.value - delta);
  return improved ? { value, epoch: record.epoch, waited: 0 } : { ...best, waited: best.waited + 1 };
}

/** "train loss 0.3412 · test loss 0.2980 · test accuracy 91.62%" */
export function describeEpoch(r: EpochRecord, withTrainLoss = true): string {
  const parts = withTrainLoss ? [`train loss ${formatMetric(r.trainLoss)}`] : [];
  if (r.trainAccuracy !== undefined) parts.push(`train accuracy ${(100 * r.trainAccuracy).toFixed(2)}%`);
  if (r.testLoss !== undefined) parts.push(`test loss ${formatMetric(r.testLoss)}`);
  if (r.testAccuracy !== undefined) parts.push(`test accuracy ${(100 * r.testAccuracy).toFixed(2)}%`);
  if (r.testMse !== undefined) parts.push(`test MSE ${r.testMse.toPrecision(4)} · MAE ${r.testMae!.toPrecision(4)} · R² ${r.testR2!.toFixed(4)}`);
  return parts.join(" · ");
}
