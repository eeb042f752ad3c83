// gradc's generated trainer (a module written by `gradc compile`), driven through its public API:
// initParams(seed) → createTrainer(params, { optimizer }) → step(inputs).

import { pathToFileURL } from "node:url";
import type { Impl, ParamArrays } from "./impl.js";
import type { Batch, Workload } from "../workloads.js";

/** The part of a generated module the benchmark uses. */
export interface GeneratedModule {
  readonly spec: { readonly name: string; readonly dtype: string; readonly params: readonly { readonly name: string; readonly shape: readonly number[] }[] };
  initParams(seed?: number): ParamArrays;
  createTrainer(params: ParamArrays, options: { optimizer: Workload["optimizer"]; fastMath?: boolean }): { step(inputs: Record<string, ArrayLike<number>>): number; readonly params: ParamArrays };
}

export async function loadGenerated(file: string): Promise<GeneratedModule> {
  return (await import(pathToFileURL(file).href)) as GeneratedModule;
}

export const SEED = 7;

export function gradcImpl(mod: GeneratedModule, dtype: "f32" | "f64", w: Workload, batches: readonly Batch[], fastMath = false): Impl {
  // fastMath: the f32 products on the fused multiply-add kernel (relaxed SIMD; runtime/gemm.ts).
  const trainer = mod.createTrainer(mod.initParams(SEED), fastMath ? { optimizer: w.optimizer, fastMath } : { optimizer: w.optimizer });
  // Inputs in the module's dtype, so that no step converts (a Float32Array given to an f64 module would be copied).
  const inputs = batches.map((b) =>
    dtype === "f32"
      ? { x: b.x, y: b.y }
      : { x: Float64Array.from(b.x), y: b.y instanceof Int32Array ? b.y : Float64Array.from(b.y) },
  );
  let next = 0;
  const count = inputs.length;
  return {
    id: `gradc-${dtype}${fastMath ? "-fastmath" : ""}`,
    label: `gradc ${dtype}${fastMath ? " fastMath" : ""}`,
    stepWithLoss(): number {
      const loss = trainer.step(inputs[next]!);
      next = (next + 1) % count;
      return loss;
    },
    run(steps: number): number {
      for (let s = 0; s < steps; s++) {
        trainer.step(inputs[next]!);
        next = next + 1 === count ? 0 : next + 1;
      }
      return steps;
    },
    params: () => trainer.params,
  };
}

/**
 * gradc's data-parallel trainer (runtime/parallel.ts, createParallelTrainer from gradc/runtime/node)
 * over the same module: `threads` shards per step (the main thread computes one, worker_threads the
 * others), parameters in SharedArrayBuffer, a fixed-order gradient reduction. Workers import the .ts
 * module through the TypeScript hook the bench child runs with (inherited execArgv).
 */
export async function gradcParallelImpl(file: string, mod: GeneratedModule, threads: number, w: Workload, batches: readonly Batch[]): Promise<Impl> {
  const { createParallelTrainer } = await import("gradc/runtime/node");
  const trainer = await createParallelTrainer(pathToFileURL(file), mod.initParams(SEED), { optimizer: w.optimizer, threads });
  const inputs = batches.map((b) => ({ x: b.x, y: b.y }));
  let next = 0;
  const count = inputs.length;
  return {
    id: `gradc-f32-t${threads}`,
    label: `gradc f32, ${threads} threads (createParallelTrainer)`,
    threads,
    stepWithLoss(): number {
      const loss = trainer.step(inputs[next]!);
      next = (next + 1) % count;
      return loss;
    },
    run(steps: number): number {
      for (let s = 0; s < steps; s++) {
        trainer.step(inputs[next]!);
        next = next + 1 === count ? 0 : next + 1;
      }
      return steps;
    },
    params: () => trainer.params as ParamArrays,
    close: () => trainer.close(),
  };
}
