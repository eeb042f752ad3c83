// Divergence: a training run whose loss or parameters stop being finite numbers. fit (./train.ts)
// checks the loss of every step (one comparison) and the parameters at every check point (each epoch's
// end, before every checkpoint, or after every step); this file finds and describes the failure.
//
// Finding the step that went wrong. A parameter check sees that the parameters are bad, not which step
// made them so, and a user wants the step (and, from gradc train, the operation inside it). At each
// epoch's start fit keeps a snapshot of everything a step depends on: parameters, optimizer state,
// dropout generator, learning rate (a copy per epoch: cheap next to an epoch's steps). On a failure it
// restores the snapshot and replays the epoch's steps — they are deterministic — checking the loss and
// the parameters after each, up to the first step that produced a non-finite value. The trainer is
// left as it was before that step (the last finite state), and the error carries that step's inputs
// (parameters before it, its batch, its dropout state) so a caller can replay the step itself in a
// checking mode: gradc train hands them to the compiler's reference interpreter
// (compiler/anomaly.ts), which names the first operation that produced a non-finite value.
//
// The replay works on the trainer the run used, so it needs nothing from the compiler (the runtime
// never imports it) and it works for the parallel trainer too.
import type { Column, DataSource } from "./data.js";
import { codes, GradcError, isGradcError, type ErrorLoc } from "./errors.js";
import type { FloatArray } from "./init.js";
import type { OptimizerState } from "./optim.js";
import type { FitTrainer } from "./train.js";

/** How often fit checks the parameters (the loss is checked after every step unless "off"). */
export type CheckFinite = "off" | "epoch" | "step";

/** The first non-finite value a check found. */
export type NonFinite =
  | { readonly kind: "loss"; readonly value: number }
  | { readonly kind: "param"; readonly name: string; readonly index: number; readonly value: number; readonly loss: number }
  /**
   * The loss over a data set measured after an epoch (the test set, or the training set's metrics) is
   * not finite while every parameter is: the forward pass overflows on some sample. `sample` is the
   * first such sample (its data set row, and its place in the data file when known); `largest` the
   * parameter entry of largest magnitude, usually the reason.
   */
  | {
      readonly kind: "evaluation";
      readonly set: "test" | "train";
      readonly value: number;
      readonly sample?: { readonly row: number; readonly place?: string };
      readonly largest: { readonly name: string; readonly index: number; readonly value: number };
    };

/** The failing step, ready to be replayed: the state before it and its batch. */
export interface FailingStep {
  /** Copies of the parameters before the step (all finite). */
  readonly params: Readonly<Record<string, FloatArray>>;
  /** Copies of the batch's input arrays. */
  readonly inputs: Readonly<Record<string, Column>>;
  /** The data set row of each sample of the batch, and each one's file line when the data set has them. */
  readonly rows: Int32Array;
  readonly source?: DataSource;
  /** The dropout generator's state before the step (null without dropout). */
  readonly rngState: number[] | null;
  readonly learningRate: number;
}

export interface Divergence {
  /** 1-based: the epoch, the step of the run, and the batch within the epoch, of the failing step. */
  readonly epoch: number;
  readonly step: number;
  readonly batch: number;
  readonly batchesPerEpoch: number;
  readonly cause: NonFinite;
  /** The failing step's inputs; absent when the replay from the epoch's start did not reproduce the failure. */
  readonly failing?: FailingStep;
  /** The first operation of the step that produced a non-finite value, when a caller found it (gradc train). */
  readonly operation?: string;
  /** Lines added by callers that know more (which checkpoint is still good). */
  readonly notes: readonly string[];
}

/** A GradcError (GC4001) with the divergence it describes. */
export type DivergedError = GradcError & { readonly divergence: Divergence };

export function isDivergedError(e: unknown): e is DivergedError {
  return isGradcError(e) && e.code === codes.diverged && typeof (e as { divergence?: unknown }).divergence === "object";
}

/** The error for `d`; its message is the headline, the notes and the hint. `loc` is a place in model.ts when known. */
export function divergedError(d: Divergence, loc?: ErrorLoc): DivergedError {
  const e = new GradcError(codes.diverged, divergenceMessage(d), loc) as GradcError & { divergence: Divergence };
  e.divergence = d;
  return e;
}

/** `e` with one more note. */
export function withNote(e: DivergedError, note: string): DivergedError {
  return divergedError({ ...e.divergence, notes: [...e.divergence.notes, note] }, e.loc);
}

/** `e` with the failing step's first bad operation, and its place in model.ts when known. */
export function withOperation(e: DivergedError, operation: string, loc?: ErrorLoc): DivergedError {
  return divergedError({ ...e.divergence, operation }, loc ?? e.loc);
}

function divergenceMessage(d: Divergence): string {
  const c = d.cause;
  if (c.kind === "evaluation") {
    // Every step's loss and the parameters were finite: there is no step to replay, only a data set
    // on which the (finite, but huge) parameters overflow.
    const { name, index, value } = c.largest;
    const sample = c.sample ? `; the first ${c.set} sample whose loss is not finite is ${c.sample.place ?? `row ${c.sample.row}`}` : "";
    return [
      `training diverged after epoch ${d.epoch} (step ${d.step}): the ${c.set === "test" ? "test" : "training set's"} loss is ${String(c.value)} though every parameter is finite${sample}`,
      `the parameters have grown until the forward pass overflows (the largest is ${name}[${index}] = ${formatNumber(value)})`,
      ...d.notes,
      "hint: lower the learning rate, or clip the gradients; or look for extreme values in that sample",
    ].join("\n");
  }
  const where = `epoch ${d.epoch}, step ${d.step} (batch ${d.batch} of ${d.batchesPerEpoch} in the epoch)`;
  const what =
    c.kind === "loss"
      ? `the loss is ${String(c.value)}`
      : `it made parameter "${c.name}" non-finite (${c.name}[${c.index}] = ${String(c.value)}; the step's loss was ${formatNumber(c.loss)})`;
  const lr = d.failing ? ` (it is ${formatNumber(d.failing.learningRate)})` : "";
  return [
    `training diverged at ${where}: ${what}`,
    ...(d.failing ? [] : ["replaying the epoch from its start did not reproduce it, so the step's values cannot be examined"]),
    ...(d.operation ? [d.operation] : []),
    ...d.notes,
    `hint: lower the learning rate${lr}, or clip the gradients`,
  ].join("\n");
}

const formatNumber = (x: number): string => (Number.isFinite(x) && x !== 0 && (Math.abs(x) >= 1e5 || Math.abs(x) < 1e-4) ? x.toExponential(3) : String(x));

/** The first non-finite element of the parameters, in the order of `names`. */
export function firstNonFiniteParam(params: Readonly<Record<string, FloatArray>>, names: readonly string[]): { name: string; index: number; value: number } | undefined {
  for (const name of names) {
    const p = params[name]!;
    for (let i = 0; i < p.length; i++) {
      // v - v is 0 for every finite v and NaN for ±Infinity and NaN: one subtraction, no call.
      const v = p[i]!;
      if (v - v !== 0) return { name, index: i, value: v };
    }
  }
  return undefined;
}

/** The parameter entry of largest magnitude (all finite), in the order of `names`. */
export function largestParam(params: Readonly<Record<string, FloatArray>>, names: readonly string[]): { name: string; index: number; value: number } {
  let best = { name: names[0] ?? "", index: 0, value: 0 };
  for (const name of names) {
    const p = params[name]!;
    for (let i = 0; i < p.length; i++) if (Math.abs(p[i]!) > Math.abs(best.value)) best = { name, index: i, value: p[i]! };
  }
  return best;
}

/** Everything a step depends on besides its batch and the learning-rate schedule. */
export interface Snapshot {
  readonly params: Readonly<Record<string, FloatArray>>;
  readonly optimizer: OptimizerState;
  readonly rng: number[] | null;
  readonly learningRate: number;
}

export function takeSnapshot(trainer: FitTrainer): Snapshot {
  const params: Record<string, FloatArray> = {};
  for (const [name, p] of Object.entries(trainer.params)) params[name] = p.slice();
  return { params, optimizer: trainer.optimizer.state(), rng: trainer.rngState?.() ?? null, learningRate: trainer.learningRate };
}

export function restoreSnapshot(trainer: FitTrainer, s: Snapshot): void {
  for (const [name, p] of Object.entries(s.params)) trainer.params[name]!.set(p);
  trainer.optimizer.loadState(s.optimizer);
  if (s.rng !== null) trainer.setRngState?.(s.rng);
  trainer.setLearningRate(s.learningRate);
}

/** One replayed step: set the learning rate for it, then take it. */
export interface ReplayStep {
  readonly inputs: Readonly<Record<string, Column>>;
  readonly rows: Int32Array;
  /** Sets the step's learning rate (the schedule's, or nothing), exactly as the run did. */
  prepare(): void;
}

/**
 * Restores `snapshot` and replays `steps` (the steps taken since it, in order) until one produces a
 * non-finite loss or parameter; returns its index in `steps`, what went wrong and its inputs, with the
 * trainer back in the state before it. Returns undefined when every step stays finite (the failure did
 * not reproduce), with the trainer after the last replayed step.
 */
export function replayToFailure(
  trainer: FitTrainer,
  snapshot: Snapshot,
  steps: Iterable<ReplayStep>,
  names: readonly string[],
  source: DataSource | undefined,
): { index: number; cause: NonFinite; failing: FailingStep } | undefined {
  restoreSnapshot(trainer, snapshot);
  let index = 0;
  for (const s of steps) {
    s.prepare();
    const before = takeSnapshot(trainer);
    const loss = trainer.step(s.inputs as never);
    const bad = loss - loss !== 0 ? undefined : firstNonFiniteParam(trainer.params, names);
    if (loss - loss !== 0 || bad) {
      const inputs: Record<string, Column> = {};
      for (const [name, a] of Object.entries(s.inputs)) inputs[name] = a.slice();
      restoreSnapshot(trainer, before);
      const cause: NonFinite = bad ? { kind: "param", ...bad, loss } : { kind: "loss", value: loss };
      return {
        index,
        cause,
        failing: { params: before.params, inputs, rows: s.rows.slice(), ...(source ? { source } : {}), rngState: before.rng, learningRate: before.learningRate },
      };
    }
    index++;
  }
  return undefined;
}
