// What fit (./train.ts) needs of a generated module's trainer, in a file of its own: the divergence
// check (./divergence.ts) snapshots the same trainer, and train.ts imports divergence.ts, so the type
// cannot live in train.ts without tying the two into an import circle.
import type { EvaluatingTrainer } from "./evaluate.js";
import type { FloatArray } from "./init.js";
import type { Optimizer } from "./optim.js";

/** What fit needs of a generated module's trainer (createTrainer's result has all of it). */
export interface FitTrainer extends EvaluatingTrainer {
  step(inputs: never): number;
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
