// Data-parallel training on several cores (Node only): worker_threads, parameters in SharedArrayBuffer,
// and a reduction whose result does not depend on thread timing.
//
//   const trainer = await createParallelTrainer(new URL("./model.gen.js", import.meta.url), initParams(0), {
//     optimizer: { kind: "sgd", lr: 0.1 },
//   });
//   const loss = trainer.step({ x, y }); // synchronous, like createTrainer's
//   await trainer.close();
//
// The trainer has the generated createTrainer's API (params, step, setLearningRate, learningRate,
// optimizer, evaluate, spec), so fit(), runTraining() and the checkpoint helpers accept it, plus
// `threads` and `close()`. Each step:
//   1. checks the whole batch as the single-thread trainer does (resolveBatch on all inputs);
//   2. splits its n rows into `threads` contiguous shards, shard s = rows [⌈s·n/T⌉, ⌈(s+1)·n/T⌉)
//      (sizes differ by at most one; when n < T the last T − n shards are empty and skipped);
//      the main thread computes shard 0 itself (as fast as a coordinator-only main thread on 2 cores,
//      one worker fewer, and no cross-thread hop for T = 1), worker s−1 computes shard s (its rows are
//      copied into that worker's shared input buffers, which only grow);
//   3. each shard's `gradInto(sharedParams, shard, ownGradBuffers)` gives the shard's mean loss and
//      mean gradient; the main thread sleeps in Atomics.wait until every worker is done (no spinning);
//   4. the main thread reduces in a fixed order, g = Σ_s (n_s/n)·g_s (each element summed in double
//      over s = 0, 1, …, rounded once into the parameter dtype), likewise the loss, and runs the
//      optimizer on the shared parameters, which the workers read at the next step.
// The result is a function of the inputs and the thread count only: the same bits on every run,
// whatever the timing. It is not bit-identical to the single-thread trainer for T > 1 (summing shard
// means is another order of additions than the kernel's one sum over the batch: last-bit differences
// per step, which training then carries along); with T = 1, or a one-row batch, it is exactly the
// single-thread trainer. The reduction and the optimizer run on the main thread: for W4 (670k
// parameters, SGD) they take ~3.5 ms of a ~190 ms step at batch 512 on 2 cores, too little to split.
//
// Only a loss that is the mean over the batch of per-row terms splits this way: the compiler records
// in the spec whether it is (spec.rowIndependent, from compiler/ir/rows.ts), and a model that mixes rows
// (batchNorm in training mode, a [batch, batch] value, a sum over the batch) is refused for threads > 1
// with GC4002 and the reason (spec.rowMixing); modules compiled before the flag existed are trusted.
// Differences from createTrainer: the given params are copied into shared memory (unless every array
// already lives in a SharedArrayBuffer), so read `trainer.params`, not the arrays passed in; a model
// compiled with a fixed batch (--batch N) cannot be split and needs threads = 1; `evaluate` runs on
// the main thread. Dropout: with threads = 1 the masks come from the inner trainer's generator; with
// threads > 1 each step draws one word from the trainer's own generator (seeded by `seed`) and shard s
// draws its masks from splitmix32Mix(word + s), so masks change from step to step and from shard to
// shard, and a run is the same whatever the thread timing. rngState()/setRngState() save and restore
// whichever generator is in use.
//
// Parameter groups and gradient clipping (`groups`, `clipGradNorm`, `clipGradValue`, as createTrainer
// takes them) go to the inner trainer's optimizer, whose `step` clips the reduced gradients — the
// gradient of the whole batch — before the update, as torch's clip_grad_norm_ after a DDP all-reduce.
//
// Starting the workers is parallelPool.ts; what the threads share and say is parallelProtocol.ts; a
// worker's own loop is parallelWorker.ts; the shared parameters and the fixed-order reduction are
// parallelReduce.ts.
import { availableParallelism } from "node:os";
import { isAbsolute, resolve as resolvePath } from "node:path";
import { pathToFileURL } from "node:url";
import { receiveMessageOnPort } from "node:worker_threads";
import type { FloatArray } from "./init.js";
import { resolveBatch, toArray, type InputSpec } from "./inputs.js";
import type { Optimizer, OptimizerSpec, TrainerOptions } from "./optim.js";
import { codes, GradcError } from "./errors.js";
import { withFastMath } from "./fastMath.js";
import { checkParams } from "./params.js";
import { applyUpdate, type SimdUpdate } from "./update.js";
import { createRng, createRngFromState, splitmix32Mix, type Rng } from "./rng.js";
import {
  CMD,
  CMD_STEP,
  CMD_STOP,
  DONE,
  GEN,
  REBIND,
  ROWS,
  SEED,
  STATUS,
  STATUS_EXITED,
  STATUS_FAILED,
  type RebindMessage,
  type WorkerReport,
  sharedArray,
} from "./parallelProtocol.js";
import { reportedError, startWorkers, staticSize, type WorkerHandle } from "./parallelPool.js";
import { reduceInto, toShared } from "./parallelReduce.js";

type InputArray = Float32Array | Float64Array | Int32Array;

type Arrays = Record<string, FloatArray>;
type InputArrays = Record<string, ArrayLike<number>>;

/** The trainer a generated module's createTrainer returns (its Trainer type), as this file uses it. */
export interface SingleThreadTrainer {
  readonly params: Readonly<Arrays>;
  step(inputs: InputArrays): number;
  setLearningRate(lr: number): void;
  readonly learningRate: number;
  readonly optimizer: Optimizer;
  evaluate(inputs: InputArrays): { loss: number; outputs: Readonly<Arrays> };
  readonly spec: unknown;
  /** Absent in modules generated before the dropout generator could be saved. */
  rngState?(): number[] | null;
  setRngState?(state: ArrayLike<number> | null): void;
}

/**
 * What a generated module must export to be trained in parallel (every module this gradc emits does).
 * Pass the module's own type for exact types: `createParallelTrainer<typeof import("./model.gen.js")>(...)`.
 */
export interface ParallelModule {
  readonly spec: {
    readonly name: string;
    readonly dtype: "f32" | "f64";
    readonly batch?: string | number;
    readonly inputs: readonly InputSpec[];
    readonly params: readonly { readonly name: string; readonly shape: readonly number[] }[];
    /** false when the loss mixes rows of the batch (absent in modules compiled before gradc said). */
    readonly rowIndependent?: boolean;
    /** Why the loss mixes rows, when it does. */
    readonly rowMixing?: string;
  };
  createTrainer(params: Arrays, options: TrainerOptions): SingleThreadTrainer;
  /** `seed` seeds the dropout masks of this call (modules without dropout ignore it). */
  gradInto(params: Arrays, inputs: InputArrays, grads: Arrays, seed?: number): number;
  /** A float32 module's WebAssembly engine (`passes.simd`), where the main thread's plain SGD update runs. */
  readonly passes?: { readonly simd?: SimdUpdate };
}

export interface ParallelTrainerOptions {
  readonly optimizer: OptimizerSpec;
  /** Seeds the dropout masks, as createTrainer's `seed` (default 0). */
  readonly seed?: number;
  /** Parameter groups and gradient clipping, as createTrainer's (applied to the reduced gradients). */
  readonly groups?: TrainerOptions["groups"];
  readonly clipGradNorm?: number;
  readonly clipGradValue?: number;
  /** Shards per step, the main thread included (default os.availableParallelism()). */
  readonly threads?: number;
  /**
   * Node options for the workers (default: the parent's, plus this repository's TypeScript hook when
   * gradc runs from its .ts sources). Workers import the module themselves, so a .ts module needs a
   * TypeScript loader here, e.g. ["--import", "tsx"].
   */
  readonly execArgv?: readonly string[];
  /** As createTrainer's: the f32 products of every shard (main thread and workers) on the fused kernel. */
  readonly fastMath?: boolean;
}

const PARALLEL_OPTIONS = ["optimizer", "seed", "groups", "clipGradNorm", "clipGradValue", "threads", "execArgv", "fastMath"];

/** createTrainer's trainer for module M, plus the thread count and `close`. */
export type ParallelTrainer<M extends ParallelModule = ParallelModule> = ReturnType<M["createTrainer"]> & {
  /** Shards per step (the main thread computes one of them). */
  readonly threads: number;
  /** Ends the workers; the trainer cannot step afterwards. Safe to call twice. */
  close(): Promise<void>;
};

type ParamsOf<M extends ParallelModule> = Parameters<M["createTrainer"]>[0];

/**
 * A data-parallel trainer for the generated module at `moduleUrl` (a file: URL, or a file path), with
 * the same API as the module's `createTrainer(params, { optimizer })`. `step` stays synchronous: the
 * main thread computes one shard, then sleeps in Atomics.wait until the workers finish theirs.
 * Call `close()` when done (the workers are unref'd, so a forgotten close does not keep Node alive).
 */
export async function createParallelTrainer<M extends ParallelModule = ParallelModule>(
  moduleUrl: string | URL,
  params: ParamsOf<M>,
  options: ParallelTrainerOptions,
): Promise<ParallelTrainer<M>> {
  if (typeof options !== "object" || options === null) throw new Error("createParallelTrainer: expected options { optimizer, threads? }");
  // A misspelt option must not train without it (createTrainer refuses its unknown options the same way).
  for (const key of Object.keys(options)) {
    if (!PARALLEL_OPTIONS.includes(key)) throw new Error(`createParallelTrainer: unknown option ${JSON.stringify(key)}; expected ${PARALLEL_OPTIONS.join(", ")}`);
  }
  const threads = options.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`createParallelTrainer: threads must be an integer >= 1, got ${String(threads)}`);
  const url = moduleHref(moduleUrl);
  const mod = (await import(/* @vite-ignore */ url)) as M;
  if (typeof mod.createTrainer !== "function" || typeof mod.gradInto !== "function" || typeof mod.spec !== "object") {
    throw new Error(`createParallelTrainer: ${url} is not a gradc module with createTrainer and gradInto (compile it again with this gradc)`);
  }
  const spec = mod.spec;
  const dtype = spec.dtype;
  const batched = spec.inputs.some((s) => s.shape.some((d) => typeof d === "string"));
  if (threads > 1 && (!batched || typeof spec.batch === "number")) {
    throw new GradcError(
      codes.unsplittable,
      `createParallelTrainer: model "${spec.name}" was compiled with a fixed batch size, so a batch cannot be split across threads; ` +
        `compile it without --batch, or use threads: 1`,
    );
  }
  // Shards give the whole batch's loss and gradient only when the loss is a mean of per-row terms
  // (compiler/ir/rows.ts decides at compile time; modules compiled before it say nothing and are trusted).
  if (threads > 1 && spec.rowIndependent === false) {
    throw new GradcError(
      codes.unsplittable,
      `createParallelTrainer: model "${spec.name}" mixes rows of the batch: ${spec.rowMixing ?? "its loss is not a mean of per-row terms"}. ` +
        `Split into ${threads} shards, each shard would see only its own rows (batchNorm would normalize with a shard's statistics, ` +
        `a [batch, batch] value would lose the pairs across shards, a sum over the batch would be averaged), so the result would differ ` +
        `from the single-thread trainer's; train this model on one thread (threads: 1, or gradc train without --threads)`,
    );
  }
  checkParams(spec.params, params, dtype);
  const shared = toShared(spec.params, params as Record<string, FloatArray>, dtype);
  // The main thread's own single-thread trainer: its optimizer (created exactly as createTrainer
  // creates it), evaluate, and the whole step when threads = 1.
  const inner = mod.createTrainer(shared, {
    optimizer: options.optimizer,
    seed: options.seed ?? 0,
    ...(options.groups !== undefined ? { groups: options.groups } : {}),
    ...(options.clipGradNorm !== undefined ? { clipGradNorm: options.clipGradNorm } : {}),
    ...(options.clipGradValue !== undefined ? { clipGradValue: options.clipGradValue } : {}),
    ...(options.fastMath !== undefined ? { fastMath: options.fastMath } : {}),
  });
  const fastMath = options.fastMath === true;
  const pool = threads > 1 ? await startWorkers(url, spec, shared, threads - 1, options.execArgv, fastMath) : [];
  return makeTrainer(mod, inner, shared, pool, threads, options.seed ?? 0, fastMath) as ParallelTrainer<M>;
}

// ── main thread ──────────────────────────────────────────────────────────────────────────────────────

function makeTrainer(
  mod: ParallelModule,
  inner: SingleThreadTrainer,
  shared: Record<string, FloatArray>,
  pool: WorkerHandle[],
  threads: number,
  seed: number,
  fastMath: boolean,
): object {
  const spec = mod.spec;
  const dtype = spec.dtype;
  const inputSpecs = spec.inputs;
  const rowSizes = inputSpecs.map(staticSize);
  const isBatched = inputSpecs.map((s) => s.shape.some((d) => typeof d === "string"));
  const paramList = spec.params.map((p) => shared[p.name]);
  const sizes = paramList.map((p) => p.length);
  const FloatCtor = dtype === "f32" ? Float32Array : Float64Array;
  const simd = mod.passes?.simd;
  // Shard 0's gradients (main thread), the reduced gradients the optimizer reads, and one double
  // accumulator per parameter (summing more than two shards without rounding in between).
  const mainGrads: Record<string, FloatArray> = {};
  spec.params.forEach((p, k) => (mainGrads[p.name] = new FloatCtor(sizes[k])));
  const mainGradList = spec.params.map((p) => mainGrads[p.name]);
  const reduced = sizes.map((n) => new FloatCtor(n));
  let accumulators: Float64Array[] | null = null;
  // Shard 0's inputs: views of the caller's arrays, remade only when the arrays or row count change.
  const arrays: InputArray[] = inputSpecs.map(() => new Float64Array(0));
  const mainSources: (InputArray | null)[] = inputSpecs.map(() => null);
  const mainViews: Record<string, InputArray> = {};
  let mainRows = -1;
  const shardGrads: (readonly FloatArray[])[] = [];
  const shardWeights: number[] = [];
  let closed = false;
  let broken: Error | null = null;
  /** With threads > 1: one word per step, from which each shard's dropout seed is mixed. */
  let masks: Rng = createRng(seed);
  const shardSeed = (word: number, shard: number) => splitmix32Mix((word + shard) >>> 0);

  function step(inputs: InputArrays): number {
    if (closed) throw new Error("parallel trainer: step after close()");
    if (broken) throw broken;
    if (pool.length === 0) return inner.step(inputs);
    const n = resolveBatch(inputSpecs, inputs, undefined);
    const T = pool.length + 1;
    const word = masks.nextUint32();
    for (let k = 0; k < inputSpecs.length; k++) arrays[k] = toArray(inputs[inputSpecs[k].name]!, inputSpecs[k].dtype);
    // Hand out the workers' shards first, so they run while the main thread computes shard 0.
    // Shard s = rows [⌈s·n/T⌉, ⌈(s+1)·n/T⌉): sizes differ by at most one, the larger ones first, so
    // shard 0 (this thread's) is never empty and the last ones are when n < T.
    for (let w = 0; w < pool.length; w++) {
      const h = pool[w];
      const start = Math.ceil(((w + 1) * n) / T);
      const rows = Math.ceil(((w + 2) * n) / T) - start;
      h.rows = rows;
      if (rows === 0) continue;
      let rebind = 0;
      if (rows > h.capacity) {
        h.buffers = inputSpecs.map((s, k) => sharedArray(s.dtype, isBatched[k] ? rows * rowSizes[k] : rowSizes[k]));
        h.capacity = rows;
        h.port.postMessage({ buffers: h.buffers.map((b) => b.buffer as SharedArrayBuffer) } satisfies RebindMessage);
        rebind = 1;
      }
      for (let k = 0; k < inputSpecs.length; k++) {
        const a = arrays[k];
        if (isBatched[k]) h.buffers[k].set(a.subarray(start * rowSizes[k], (start + rows) * rowSizes[k]));
        else h.buffers[k].set(a);
      }
      const c = h.control;
      c[CMD] = CMD_STEP;
      c[ROWS] = rows;
      c[REBIND] = rebind;
      c[SEED] = shardSeed(word, w + 1) | 0;
      h.gen = (h.gen + 1) & 0x3fffffff; // stays a non-negative int32 (DONE = -1 means "exited")
      Atomics.store(c, GEN, h.gen);
      Atomics.notify(c, GEN);
    }
    // Shard 0 on this thread (never empty: n >= 1).
    const rows0 = Math.ceil(n / T);
    let mainError: unknown = null;
    let loss0 = 0;
    try {
      let same = rows0 === mainRows;
      for (let k = 0; k < arrays.length && same; k++) same = arrays[k] === mainSources[k];
      if (!same) {
        for (let k = 0; k < arrays.length; k++) {
          const a = arrays[k];
          mainSources[k] = a;
          mainViews[inputSpecs[k].name] = isBatched[k] ? a.subarray(0, rows0 * rowSizes[k]) : a;
        }
        mainRows = rows0;
      }
      const shard0 = (): number => mod.gradInto(shared, mainViews, mainGrads, shardSeed(word, 0));
      loss0 = fastMath ? withFastMath(shard0, undefined) : shard0();
    } catch (e) {
      mainError = e;
    }
    // Wait for every worker even when shard 0 failed: none may still be reading the inputs or
    // parameters when this step returns.
    let workerError: Error | null = null;
    for (let w = 0; w < pool.length; w++) {
      const h = pool[w];
      if (h.rows === 0) continue;
      const c = h.control;
      for (let d = Atomics.load(c, DONE); d !== h.gen; d = Atomics.load(c, DONE)) {
        if (Atomics.load(c, STATUS) === STATUS_EXITED) break;
        Atomics.wait(c, DONE, d);
      }
      const status = Atomics.load(c, STATUS);
      if (status === STATUS_EXITED) {
        broken = new Error(`parallel trainer: worker ${w + 1} exited; create a new trainer`);
        workerError ??= broken;
      } else if (status === STATUS_FAILED) {
        workerError ??= reportedError(w + 1, receiveMessageOnPort(h.port)?.message as WorkerReport | undefined);
      }
    }
    if (mainError !== null) throw mainError;
    if (workerError !== null) throw workerError;
    // The fixed-order reduction: shards in index order, each weighted by its share of the rows.
    shardGrads.length = 0;
    shardWeights.length = 0;
    shardGrads.push(mainGradList);
    shardWeights.push(rows0 / n);
    let loss = (rows0 / n) * loss0;
    for (const h of pool) {
      if (h.rows === 0) continue;
      shardGrads.push(h.grads);
      shardWeights.push(h.rows / n);
      loss += (h.rows / n) * h.loss[0];
    }
    if (shardGrads.length > 2 && accumulators === null) accumulators = sizes.map((size) => new Float64Array(size));
    for (let k = 0; k < paramList.length; k++) reduceInto(reduced[k], shardGrads, shardWeights, k, accumulators?.[k]);
    // The optimizer's `step` without its argument checks (these arrays are the trainer's own), on the
    // module's engine when it has one (update.ts: plain SGD of large float32 parameters there).
    applyUpdate(paramList, reduced, inner.optimizer.beginFusedStep(), dtype, simd);
    return loss;
  }

  const trainer = {
    params: shared,
    spec,
    threads,
    optimizer: inner.optimizer,
    step,
    setLearningRate(lr: number): void {
      inner.setLearningRate(lr);
    },
    get learningRate(): number {
      return inner.learningRate;
    },
    evaluate(inputs: InputArrays): { loss: number; outputs: Readonly<Arrays> } {
      if (closed) throw new Error("parallel trainer: evaluate after close()");
      return inner.evaluate(inputs);
    },
    // The dropout generator in use (see the note at the top): the inner trainer's with threads = 1,
    // the per-step one with more; null for a model without dropout.
    rngState(): number[] | null {
      const own = inner.rngState?.() ?? null;
      return own === null || pool.length === 0 ? own : masks.state();
    },
    setRngState(state: ArrayLike<number> | null): void {
      if (pool.length === 0 || state === null) inner.setRngState?.(state);
      else masks = createRngFromState(state);
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      for (const h of pool) {
        h.control[CMD] = CMD_STOP;
        h.gen = (h.gen + 1) & 0x3fffffff;
        Atomics.store(h.control, GEN, h.gen);
        Atomics.notify(h.control, GEN);
      }
      await Promise.all(pool.map((h) => h.worker.terminate()));
      for (const h of pool) h.port.close();
    },
  };
  return trainer;
}

function moduleHref(m: string | URL): string {
  if (m instanceof URL) return m.href;
  if (typeof m !== "string") throw new Error(`createParallelTrainer: moduleUrl must be a URL or a path, got ${typeof m}`);
  if (/^[a-z][a-z0-9+.-]*:/i.test(m) && !/^[a-z]:[\\/]/i.test(m)) return m; // a URL (but not C:\ on Windows)
  return pathToFileURL(isAbsolute(m) ? m : resolvePath(m)).href;
}
