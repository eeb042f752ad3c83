// What every implementation in the benchmark provides: the harness (bench/run.ts) only talks to this.

export type ParamArrays = Record<string, Float32Array | Float64Array>;

export interface Impl {
  /** Stable id used in the results ("gradc-f32", "tfjs-cpu", …). */
  readonly id: string;
  /** What it is, for the table. */
  readonly label: string;
  /** Said in the table when the comparison is not like for like (brain.js). */
  readonly note?: string;
  /** Runs before each timed repetition, outside the timing (TF.js: select its backend). */
  before?(): Promise<void>;
  /** One training step on the next batch, returning the loss before the update (used for the first-step check). */
  stepWithLoss(): number;
  /** `steps` training steps, cycling through the batches; returns how many steps ran. */
  run(steps: number): number;
  /** The current parameters in gradc's layout and order (for the after-first-step check), if comparable. */
  params?(): ParamArrays;
  /** Threads a step runs on, when more than the main thread (gradc's parallel trainer): timed differently, see run.ts. */
  readonly threads?: number;
  /** Releases what the implementation holds (the parallel trainer's workers). */
  close?(): Promise<void>;
}
