// Checkpoints of a training run: the trainer's parameters, optimizer state and dropout generator plus
// fit's state, in one checkpoint file (./checkpoint.ts), so `fit(..., { resume })` continues exactly
// where it stopped.
//
// The dropout generator (the trainer's `rngState()`: four xoshiro128** words, null for a model without
// dropout) is kept in the checkpoint's JSON extra as `rng`, next to `fit`; the file format stays
// version 1 and a reader that predates the key ignores it. A checkpoint without it (written before
// gradc saved the generator) still loads; for a model with dropout the masks then continue from the
// trainer's own generator (createTrainer's seed) instead of where the saved run was, so the resumed
// run is not the uninterrupted one, and `warn` says so.
import { loadCheckpoint, restoreInto, saveCheckpoint, type CheckpointSpec } from "./checkpoint.js";
import { codes, GradcError } from "./errors.js";
import { checkFitState, describeResumeChanges, type RunConfig } from "./resume.js";
import { createRngFromState } from "./rng.js";
import { runConfig, type FitState, type FitTrainer } from "./train.js";

export type CheckpointTrainer = FitTrainer & { readonly spec: CheckpointSpec };

export interface LoadTrainingCheckpointOptions {
  /** Told when the resumed run cannot reproduce the saved one exactly (default console.warn). */
  readonly warn?: (message: string) => void;
  /**
   * What the resumed run will train with: its position is checked against this data, and settings that
   * differ from the saved run's are named through `warn` (the optimizer is compared in any case).
   */
  readonly run?: { readonly samples: number; readonly batchSize: number; readonly seed: number; readonly shuffle?: boolean };
}

export function saveTrainingCheckpoint(path: string, trainer: CheckpointTrainer, state: FitState): void {
  const rng = trainer.rngState?.() ?? null;
  saveCheckpoint(path, {
    spec: trainer.spec,
    params: trainer.params,
    optimizer: trainer.optimizer.state(),
    step: state.step,
    epoch: state.epoch,
    // As JSON: a NaN loss (fit with checkFinite: "off") becomes null instead of making the checkpoint unsavable.
    extra: { fit: JSON.parse(JSON.stringify(state)) as FitState, ...(rng ? { rng } : {}) },
  });
}

/**
 * Restores params, optimizer state and the dropout generator into the trainer (all or nothing) and
 * returns fit's state, every field of it checked (GC3004 naming the file and the field). A trainer
 * with another optimizer kind than the checkpoint's gets the parameters only (its optimizer starts
 * fresh), and `warn` says so, as it says any other setting that differs from the saved run's.
 */
export function loadTrainingCheckpoint(path: string, trainer: CheckpointTrainer, options: LoadTrainingCheckpointOptions = {}): FitState {
  const checkpoint = loadCheckpoint(path, trainer.spec);
  const where = `checkpoint ${path}`;
  if (checkpoint.extra?.fit === undefined) {
    throw new GradcError(codes.checkpoint, `${where} has no training state to resume (it was saved without fit's state)`);
  }
  const run = options.run;
  const fit = checkFitState(checkpoint.extra.fit, where, run ? { samples: run.samples, batchSize: run.batchSize } : undefined);
  if (fit.step !== checkpoint.step) throw new GradcError(codes.checkpoint, `${where} is inconsistent: step ${checkpoint.step}, training state at step ${fit.step}`);
  if (checkpoint.epoch !== undefined && fit.epoch !== checkpoint.epoch) {
    throw new GradcError(codes.checkpoint, `${where} is inconsistent: epoch ${checkpoint.epoch}, training state at epoch ${fit.epoch}`);
  }
  const rng = checkpoint.extra.rng;
  if (rng !== undefined) {
    try {
      if (!Array.isArray(rng)) throw new Error("not a list of words");
      createRngFromState(rng as number[]); // validates: four words in [0, 2^32), not all zero
    } catch (e) {
      throw new GradcError(codes.checkpoint, `${where} has a bad dropout generator state: ${(e as Error).message}`);
    }
  }
  // Optimizer state that does not fit the trainer's optimizer (another kind, or SGD that gained
  // momentum) is not restored: the parameters are, and the optimizer starts fresh, as fine-tuning does.
  const state = checkpoint.optimizer;
  const spec = trainer.optimizer.spec;
  const kindDiffers = state !== undefined && state.kind !== spec.kind;
  const momentumMissing = state?.kind === "sgd" && spec.kind === "sgd" && spec.momentum !== 0 && state.stepCount > 0 && state.momentumBuffer === undefined;
  restoreInto(checkpoint, trainer.params, kindDiffers || momentumMissing ? undefined : trainer.optimizer);
  const warn = options.warn ?? ((message: string) => console.warn(message));
  if (momentumMissing) warn(`${where} holds SGD state without momentum buffers, so SGD with momentum ${String(spec.momentum)} starts its momentum from zero`);
  const saved = fit.config;
  const now: RunConfig = runConfig(trainer, {
    batchSize: run?.batchSize ?? saved?.batchSize ?? 1,
    seed: run?.seed ?? saved?.seed ?? 0,
    shuffle: run?.shuffle ?? saved?.shuffle ?? true,
    samples: run?.samples ?? saved?.samples ?? 0,
  });
  const changes = describeResumeChanges(saved, now, checkpoint.optimizer?.kind);
  if (changes) warn(`${where}: ${changes}`);
  if (rng !== undefined) {
    if (trainer.setRngState) trainer.setRngState(rng as number[]);
    else {
      warn(
        `checkpoint ${path} holds the dropout generator's state, but this trainer cannot restore it (its module was ` +
          "generated by an older gradc; compile it again): the dropout masks will differ from the saved run's",
      );
    }
  } else if ((trainer.rngState?.() ?? null) !== null) {
    warn(
      `checkpoint ${path} holds no dropout generator state (written by an older gradc): the dropout masks continue from ` +
        "the trainer's own generator (createTrainer's seed), so the resumed run will not reproduce the uninterrupted one bit for bit",
    );
  }
  return fit;
}
