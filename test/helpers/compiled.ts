// Compile a model (a file, or a model(...) defined in the test) and import the generated module.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileFile, compileGraph, type CompileOptions } from "../../compiler/compile.js";
import { createContext } from "../../compiler/ir/context.js";
import { trace, type ModelDef } from "../../compiler/dsl/model.js";
import type { Optimized } from "../../compiler/pipeline.js";
import { differentiateBody } from "../../compiler/autodiff/scanBody.js";

/** The generated module's exports, loosely typed for tests. */
export interface GeneratedModule {
  spec: { name: string; dtype: string; inputs: readonly { name: string; shape: readonly (number | string)[] }[]; params: readonly { name: string; shape: readonly number[] }[] };
  initParams(seed?: number): Record<string, Float64Array | Float32Array>;
  forward(params: Record<string, Float64Array | Float32Array>, inputs: Record<string, ArrayLike<number>>): Record<string, Float64Array | Float32Array>;
  evaluate(params: Record<string, Float64Array | Float32Array>, inputs: Record<string, ArrayLike<number>>): { loss: number; outputs: Record<string, Float64Array | Float32Array> };
  lossAndGrad(params: Record<string, Float64Array | Float32Array>, inputs: Record<string, ArrayLike<number>>): { loss: number; grads: Record<string, Float64Array | Float32Array> };
  createTrainer(params: Record<string, Float64Array | Float32Array>, options: { optimizer: Record<string, unknown> }): {
    step(inputs: Record<string, ArrayLike<number>>): number;
    setLearningRate(lr: number): void;
    params: Record<string, Float64Array | Float32Array>;
  };
}

export interface Loaded {
  readonly module: GeneratedModule;
  readonly code: string;
  readonly optimized: Optimized;
}

/** Writes generated module text to a temporary file and imports it. */
export async function importCode(code: string): Promise<GeneratedModule> {
  const dir = mkdtempSync(join(tmpdir(), "gradc-test-"));
  try {
    const file = join(dir, "model.gen.ts");
    writeFileSync(file, code);
    return (await import(/* @vite-ignore */ file)) as GeneratedModule;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function compileAndImport(source: string | ModelDef, options: CompileOptions = {}): Promise<Loaded> {
  const compiled =
    typeof source === "string"
      ? await compileFile(source, { dtype: "f64", ...options })
      : await compileGraph(trace(source, createContext({ differentiateBody, ...options.batch !== undefined ? { fixedBatch: options.batch } : {} })), "model.ts", { dtype: "f64", ...options });
  return { module: await importCode(compiled.code), code: compiled.code, optimized: compiled.optimized };
}
