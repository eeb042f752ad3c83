// Measuring a trainer on a data set: the mean loss over its samples and, where the model has them,
// accuracy and a confusion matrix (scores and integer labels) or MSE, MAE and R² (a regression output
// and its target). fit (train.ts) calls it after each epoch; users call it on a test set.
import { batches, sampleLoc, type Column, type Dataset } from "./data.js";
import { codes, GradcError } from "./errors.js";
import type { FloatArray } from "./init.js";

/** What evaluate needs of a trainer (a generated module's createTrainer result has it). */
export interface EvaluatingTrainer {
  evaluate(inputs: never): { loss: number; outputs: Readonly<Record<string, FloatArray>> };
}

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
export function evaluate(trainer: EvaluatingTrainer, ds: Dataset, options: EvaluateOptions = {}): Metrics {
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
