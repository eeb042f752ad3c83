// The generated module, run in a worker: the compiler worker's CommonJS transpile of it, evaluated
// against gradc's runtime (the only module it imports).
import * as runtime from "../../runtime/index.js";
import type { CheckpointSpec, Optimizer } from "../../runtime/index.js";
import type { ModelSpec } from "./data.js";

export interface GeneratedTrainer {
  readonly params: Record<string, Float32Array | Float64Array>;
  readonly optimizer: Optimizer;
  step(inputs: Record<string, ArrayLike<number>>): number;
}

export interface GeneratedModule {
  readonly spec: ModelSpec & CheckpointSpec;
  initParams(seed?: number): unknown;
  createTrainer(params: unknown, options: { optimizer: { kind: "adam"; lr: number } }): GeneratedTrainer;
}

/** Evaluates the generated module's CommonJS text; it imports only "gradc/runtime". */
export function loadGenerated(javascript: string): GeneratedModule {
  const fn = (0, eval)(`(function (exports, require, module) {${javascript}\n})\n//# sourceURL=model.gen.js`) as (e: object, r: (s: string) => unknown, m: { exports: object }) => void;
  const module = { exports: {} };
  fn(module.exports, (spec) => {
    if (spec === "gradc/runtime") return runtime;
    throw new Error(`the generated module imports "${spec}"`);
  }, module);
  return module.exports as GeneratedModule;
}
