// What every implementation in the benchmark provides: the harness (bench/run.ts) only talks to this.

export type ParamArrays = Record<string, Float32Array | Float64Array>;

/** A repetition timed by the implementation itself, in its own process (see Impl.timed). */
export interface SelfTimed {
  readonly done: number;
  /** Wall-clock ms of the steps. */
  readonly wallMs: number;
  /** CPU time of the process's main thread over the steps (Linux schedstat), ns. */
  readonly cpuNs: number;
  /** Run-queue wait of that thread over the steps, ns (0 where unknown). */
  readonly waitNs: number;
  /** CPU time of all the process's threads over the steps, ns (to show whether work left the main thread). */
  readonly processCpuNs: number;
}

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
  stepWithLoss(): number | Promise<number>;
  /** `steps` training steps, cycling through the batches; returns how many steps ran. */
  run(steps: number): number | Promise<number>;
  /**
   * `steps` steps timed where they run, for an implementation in another process (PyTorch): the harness
   * uses these times instead of its own clocks, which would only see it waiting.
   */
  timed?(steps: number): Promise<SelfTimed>;
  /** The current parameters in gradc's layout and order (for the after-first-step check), if comparable. */
  params?(): ParamArrays | Promise<ParamArrays>;
  /** Parameters params() leaves out of the after-first-step comparison, and why (said in the table). */
  readonly uncheckedParams?: { readonly names: readonly string[]; readonly why: string };
  /** Peak RSS of the process it runs in, when that is not the harness's (kB). */
  peakRssKb?(): Promise<number>;
  /** Threads a step runs on, when more than the main thread (gradc's parallel trainer): timed differently, see run.ts. */
  readonly threads?: number;
  /** Releases what the implementation holds (the parallel trainer's workers, a child process). */
  close?(): Promise<void>;
}
