// Restoring a checkpoint (read by ./checkpointFormat.ts's decodeCheckpoint) into a trainer: its
// parameters and optimizer state, everything checked before anything changes.
import { checkpointError, fmtShape, typeName } from "./checkpointChecks.js";
import type { Checkpoint } from "./checkpointFormat.js";
import type { FloatArray } from "./init.js";
import type { Optimizer } from "./optim.js";

/**
 * Copies a checkpoint's parameters into `params` (in place, e.g. `trainer.params`) and, when given, its
 * optimizer state into `optimizer` (e.g. `trainer.optimizer`). Everything is checked first: if anything
 * does not fit (a missing or extra param, a wrong array type or length, a different optimizer kind, a
 * checkpoint saved without optimizer state), it throws (GC3004) and neither the params nor the optimizer change.
 * The optimizer's hyperparameters (lr, betas, ...) are not part of OptimizerState and are not touched.
 */
export function restoreInto(
  checkpoint: Checkpoint,
  params: Readonly<Record<string, FloatArray>>,
  optimizer?: Optimizer,
): void {
  const where = `cannot restore checkpoint ${checkpoint.source}`;
  if (typeof params !== "object" || params === null) throw checkpointError(`${where}: params must be an object`);
  const ArrayType = checkpoint.dtype === "f32" ? Float32Array : Float64Array;
  const names = new Set<string>();
  for (const p of checkpoint.paramSpecs) {
    names.add(p.name);
    const target = Object.hasOwn(params, p.name) ? params[p.name] : undefined;
    const source = checkpoint.params[p.name];
    if (target === undefined) throw checkpointError(`${where}: params has no "${p.name}" to restore into`);
    if (!(target instanceof ArrayType)) {
      throw checkpointError(
        `${where}: param "${p.name}" must be a ${ArrayType.name} (checkpoint dtype ${checkpoint.dtype}), got ${typeName(target)}`,
      );
    }
    if (target.length !== source.length) {
      throw checkpointError(
        `${where}: param "${p.name}" has ${target.length} values, the checkpoint's (shape ${fmtShape(p.shape)}) has ${source.length}`,
      );
    }
  }
  for (const name of Object.keys(params)) {
    if (!names.has(name)) throw checkpointError(`${where}: the checkpoint holds no param "${name}"`);
  }
  if (optimizer !== undefined) {
    const state = checkpoint.optimizer;
    if (state === undefined) throw checkpointError(`${where}: it was saved without optimizer state`);
    if (state.kind !== optimizer.spec.kind) {
      throw checkpointError(`${where}: it holds ${state.kind} optimizer state, but the optimizer is ${optimizer.spec.kind}`);
    }
    // Optimizer.loadState may apply one buffer list before rejecting the next; roll back to be sure.
    const before = optimizer.state();
    try {
      optimizer.loadState(state);
    } catch (e) {
      optimizer.loadState(before);
      throw checkpointError(`${where}: ${(e as Error).message}`);
    }
  }
  for (const p of checkpoint.paramSpecs) params[p.name].set(checkpoint.params[p.name]);
}
