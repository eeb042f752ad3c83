// model.ts → generated module text: load and trace, optimize, emit, format.
import { basename } from "node:path";
import { formatTypeScript } from "./emit/format.js";
import { emitModule } from "./emit/module.js";
import { loadModel } from "./frontend/load.js";
import type { Graph } from "./ir/graph.js";
import { optimize, type Optimized } from "./pipeline.js";

export interface CompileOptions {
  readonly dtype?: "f32" | "f64";
  readonly batch?: number;
  /** Module specifier generated code imports the runtime from (default "gradc/runtime"). */
  readonly runtime?: string;
}

export interface Compiled {
  readonly code: string;
  readonly optimized: Optimized;
}

/** Optimizes and emits an already traced graph (tests and tools that build graphs directly use this). */
export async function compileGraph(traced: Graph, source: string, options: CompileOptions = {}): Promise<Compiled> {
  const optimized = optimize(traced);
  const text = emitModule(optimized, {
    dtype: options.dtype ?? "f32",
    source,
    ...(options.batch !== undefined ? { batch: options.batch } : {}),
    ...(options.runtime ? { runtime: options.runtime } : {}),
  });
  return { code: await formatTypeScript(text), optimized };
}

export async function compileFile(file: string, options: CompileOptions = {}): Promise<Compiled> {
  const traced = await loadModel(file, options.batch !== undefined ? { batch: options.batch } : {});
  return compileGraph(traced, basename(file), options);
}
