// The jobs gradc's box runs. Each loads model.ts (watched by the box's guard when it runs in the box)
// and returns plain data — text, the compile report, a source map, typed arrays — for the CLI to print
// or write: the box never writes a file, and the graph never crosses the process boundary. A command
// that loads a model adds one entry here and calls it with runJob (compiler/box/run.ts).
// Imports are lazy so each job loads only what it needs.
import { basename } from "node:path";
import type { ModelGuard } from "../frontend/load.js";
import type { CompileReport } from "../report.js";

export interface ModelJob {
  /** The model file, an absolute path. */
  readonly file: string;
  /** `--batch N`. */
  readonly batch?: number;
}

async function load(a: ModelJob, guard: ModelGuard | undefined) {
  const { loadModel } = await import("../frontend/load.js");
  return loadModel(a.file, { ...(a.batch !== undefined ? { batch: a.batch } : {}), ...(guard ? { guard } : {}) });
}

export const jobs = {
  /** `gradc compile`: the module's text, its source map (when asked) and the report. */
  async compile(
    a: ModelJob & { readonly dtype: "f32" | "f64"; readonly runtime?: string; readonly sourceMap?: { readonly file: string; readonly source: string } },
    guard?: ModelGuard,
  ): Promise<{ code: string; map?: string; report: CompileReport }> {
    const traced = await load(a, guard);
    const { compileGraph } = await import("../compile.js");
    const { code, map, report } = await compileGraph(traced, basename(a.file), {
      dtype: a.dtype,
      ...(a.batch !== undefined ? { batch: a.batch } : {}),
      ...(a.runtime ? { runtime: a.runtime } : {}),
      ...(a.sourceMap ? { sourceMap: a.sourceMap } : {}),
    });
    return { code, report, ...(map !== undefined ? { map } : {}) };
  },

  /** `gradc explain`: the text. */
  async explain(a: ModelJob & { readonly param?: string; readonly format?: "text" | "latex" | "markdown" }, guard?: ModelGuard): Promise<string> {
    const { explainGraph } = await import("../explain.js");
    const { optimize } = await import("../pipeline.js");
    const traced = await load(a, guard);
    return explainGraph(optimize(traced).graph, basename(a.file), { ...(a.param !== undefined ? { param: a.param } : {}), ...(a.format ? { format: a.format } : {}) });
  },

  /** `gradc graph`: Mermaid or DOT text. */
  async graph(a: ModelJob & { readonly format: "mermaid" | "dot"; readonly backward?: boolean; readonly fused?: boolean }, guard?: ModelGuard): Promise<string> {
    const traced = await load(a, guard);
    const { graphText } = await import("../graph/graphFile.js");
    return graphText(traced, basename(a.file), { format: a.format, ...(a.backward ? { backward: true } : {}), ...(a.fused ? { fused: true } : {}) });
  },

  /** `gradc train`: the generated module as TypeScript and as the JavaScript the CLI imports. */
  async trainModule(a: ModelJob & { readonly dtype: "f32" | "f64"; readonly runtime: string }, guard?: ModelGuard): Promise<{ ts: string; js: string }> {
    const code = (await jobs.compile({ file: a.file, dtype: a.dtype, runtime: a.runtime, ...(a.batch !== undefined ? { batch: a.batch } : {}) }, guard)).code;
    const { ts } = await import("ts-morph");
    const js = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
    return { ts: code, js };
  },
};

export type Jobs = typeof jobs;
export type JobName = keyof Jobs;
export type JobArgs<J extends JobName> = Parameters<Jobs[J]>[0];
export type JobResult<J extends JobName> = Awaited<ReturnType<Jobs[J]>>;
