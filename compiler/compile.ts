// model.ts → generated module text: load and trace, optimize, emit, format.
import path, { basename } from "node:path";
import { buildSourceMap } from "./emit/sourceMap.js";
import { formatTypeScript } from "./emit/format.js";
import { emitModuleWithPlan } from "./emit/module.js";
import { inlineRuntime } from "./emit/inlineRuntime.js";
import { toJavaScript } from "./emit/javascript.js";
import { buildReport, type CompileReport } from "./report.js";
import { loadModel } from "./frontend/load.js";
import type { Graph } from "./ir/graph.js";
import { optimize, REPORT_BATCH, type Optimized } from "./pipeline.js";

export interface CompileOptions {
  readonly dtype?: "f32" | "f64";
  readonly batch?: number;
  /** Module specifier generated code imports the runtime from (default "gradc/runtime"). */
  readonly runtime?: string;
  /** `--runtime inline`: write the runtime declarations the module uses into it, so it imports nothing. */
  readonly inlineRuntime?: boolean;
  /**
   * Also build a source map: `file` is the generated module's name, `source` the model's path as the map
   * should name it (relative to the map). The module then ends with a sourceMappingURL comment.
   */
  readonly sourceMap?: {
    readonly file: string;
    readonly source: string;
    /** The files model.ts imports: the name its comments give each (layers.ts) → its path relative to the map. */
    readonly imported?: Readonly<Record<string, string>>;
  };
  /**
   * `-o model.gen.js`: the module as JavaScript (an ES module), with its declarations (the `.d.ts`
   * text) in `Compiled.declarations`; the source map, when asked, maps the JavaScript.
   */
  readonly javascript?: boolean;
  /** The blocked GEMM's register block (measurement only: bench/gemmBlocks.ts). */
  readonly gemmBlock?: { readonly rows: number; readonly cols: number };
}

export interface Compiled {
  readonly code: string;
  readonly optimized: Optimized;
  /** What the passes did, the memory plan and the code size (`gradc compile --report`). */
  readonly report: CompileReport;
  /** The source map's JSON text, when asked for. */
  readonly map?: string;
  /** With `javascript`: the module's declarations (`model.gen.d.ts`). */
  readonly declarations?: string;
}

/** Optimizes and emits an already traced graph (tests and tools that build graphs directly use this). */
export async function compileGraph(traced: Graph, source: string, options: CompileOptions = {}): Promise<Compiled> {
  const optimized = optimize(traced);
  const { text, memory } = emitModuleWithPlan(optimized, {
    dtype: options.dtype ?? "f32",
    source,
    ...(options.batch !== undefined ? { batch: options.batch } : {}),
    ...(options.runtime ? { runtime: options.runtime } : {}),
    ...(options.gemmBlock ? { gemmBlock: options.gemmBlock } : {}),
  });
  const typescript = await formatTypeScript(options.inlineRuntime ? inlineRuntime(text, options.runtime ?? "gradc/runtime") : text);
  const { code, declarations } = options.javascript ? await toJavaScript(typescript, "model.gen.ts") : { code: typescript, declarations: undefined };
  const report = buildReport(optimized, traced, memory, code, options.dtype ?? "f32", REPORT_BATCH);
  const out = { optimized, report, ...(declarations !== undefined ? { declarations } : {}) };
  if (!options.sourceMap) return { code, ...out };
  // Read off the text as written (TypeScript or JavaScript): its kernel comments say where each kernel comes from.
  const map = buildSourceMap(code, { ...options.sourceMap, sourceName: source });
  return { code: `${code}//# sourceMappingURL=${encodeURI(path.basename(options.sourceMap.file))}.map\n`, ...out, map: JSON.stringify(map) };
}

export async function compileFile(file: string, options: CompileOptions = {}): Promise<Compiled> {
  const traced = await loadModel(file, options.batch !== undefined ? { batch: options.batch } : {});
  return compileGraph(traced, basename(file), options);
}
