// Checkpoints of a training run: the trainer's parameters and optimizer state plus fit's state, in
// one checkpoint file (./checkpoint.ts), so `fit(..., { resume })` continues exactly where it stopped.
import { loadCheckpoint, restoreInto, saveCheckpoint, type CheckpointSpec } from "./checkpoint.js";
import type { FitState, FitTrainer } from "./train.js";

export type CheckpointTrainer = FitTrainer & { readonly spec: CheckpointSpec };

export function saveTrainingCheckpoint(path: string, trainer: CheckpointTrainer, state: FitState): void {
  saveCheckpoint(path, {
    spec: trainer.spec,
    params: trainer.params,
    optimizer: trainer.optimizer.state(),
    step: state.step,
    epoch: state.epoch,
    // As JSON: a diverged run's NaN losses become null instead of making the checkpoint unsavable.
    extra: { fit: JSON.parse(JSON.stringify(state)) as FitState },
  });
}

/** Restores params and optimizer state into the trainer (all or nothing) and returns fit's state. */
export function loadTrainingCheckpoint(path: string, trainer: CheckpointTrainer): FitState {
  const checkpoint = loadCheckpoint(path, trainer.spec);
  const fit = checkpoint.extra?.fit as FitState | undefined;
  if (!fit || typeof fit.epoch !== "number" || typeof fit.step !== "number") {
    throw new Error(`checkpoint ${path} has no training state to resume (it was saved without fit's state)`);
  }
  if (fit.step !== checkpoint.step) throw new Error(`checkpoint ${path} is inconsistent: step ${checkpoint.step}, training state at step ${fit.step}`);
  restoreInto(checkpoint, trainer.params, trainer.optimizer);
  return fit;
}
