// The jobs gradc's box runs. Each loads model.ts (watched by the box's guard when it runs in the box)
// and returns plain data — text, the compile report, a source map, typed arrays — for the CLI to print
// or write: the box never writes a file, and the graph never crosses the process boundary. A command
// that loads a model adds one entry here and calls it with runJob (compiler/box/run.ts).
// Imports are lazy so each job loads only what it needs.
import path, { basename } from "node:path";
import type { Anomaly, StepValues } from "../anomaly.js";
import type { CheckOptions, CheckResult } from "../check.js";
import type { ModelGuard } from "../frontend/load.js";
import type { CompileReport } from "../report.js";

export interface ModelJob {
  /** The model file, an absolute path. */
  readonly file: string;
  /** `--batch N`. */
  readonly batch?: number;
}

async function load(a: ModelJob, guard: ModelGuard | undefined, onFiles?: (files: readonly string[]) => void) {
  const { loadModel } = await import("../frontend/load.js");
  return loadModel(a.file, { ...(a.batch !== undefined ? { batch: a.batch } : {}), ...(guard ? { guard } : {}), ...(onFiles ? { onFiles } : {}) });
}

/**
 * The files model.ts imports, as a source map next to the output names them: kernel comments name a
 * file by its base name, and `source` is model.ts's path relative to the map.
 */
function importedSources(model: string, source: string, files: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of files) {
    if (f === model) continue;
    const fromModel = path.relative(path.dirname(model), f).split(path.sep).join("/");
    out[path.basename(f)] ??= path.posix.normalize(path.posix.join(path.posix.dirname(source), fromModel));
  }
  return out;
}

export const jobs = {
  /** `gradc compile`: the module's text, its source map (when asked), its declarations (JavaScript output) and the report. */
  async compile(
    a: ModelJob & { readonly dtype: "f32" | "f64"; readonly runtime?: string; readonly inlineRuntime?: boolean; readonly javascript?: boolean; readonly sourceMap?: { readonly file: string; readonly source: string } },
    guard?: ModelGuard,
  ): Promise<{ code: string; map?: string; declarations?: string; report: CompileReport; files: readonly string[] }> {
    let files: readonly string[] = [a.file];
    const traced = await load(a, guard, (f) => (files = f));
    const { compileGraph } = await import("../compile.js");
    const imported = a.sourceMap ? importedSources(a.file, a.sourceMap.source, files) : {};
    const { code, map, declarations, report } = await compileGraph(traced, basename(a.file), {
      dtype: a.dtype,
      ...(a.batch !== undefined ? { batch: a.batch } : {}),
      ...(a.runtime ? { runtime: a.runtime } : {}),
      ...(a.inlineRuntime ? { inlineRuntime: true } : {}),
      ...(a.javascript ? { javascript: true } : {}),
      ...(a.sourceMap ? { sourceMap: { ...a.sourceMap, ...(Object.keys(imported).length ? { imported } : {}) } } : {}),
    });
    return { code, report, files, ...(map !== undefined ? { map } : {}), ...(declarations !== undefined ? { declarations } : {}) };
  },

  /** `gradc explain`: the text, and the model's files (for --watch). */
  async explain(a: ModelJob & { readonly param?: string; readonly format?: "text" | "latex" | "markdown" }, guard?: ModelGuard): Promise<{ text: string; files: readonly string[] }> {
    const { explainGraph } = await import("../explain.js");
    const { optimize } = await import("../pipeline.js");
    let files: readonly string[] = [a.file];
    const traced = await load(a, guard, (f) => (files = f));
    return { text: explainGraph(optimize(traced).graph, basename(a.file), { ...(a.param !== undefined ? { param: a.param } : {}), ...(a.format ? { format: a.format } : {}) }), files };
  },

  /** `gradc summary`: the table (or its JSON). */
  async summary(a: ModelJob & { readonly format?: "text" | "json" }, guard?: ModelGuard): Promise<string> {
    const traced = await load(a, guard);
    const { summaryText } = await import("../summary.js");
    return summaryText(traced, basename(a.file), a.format ?? "text");
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

  /** `gradc train`, when a step diverged: that step replayed on the model's graph (compiler/anomaly.ts). */
  async diagnoseStep(a: ModelJob & { readonly dtype: "f32" | "f64"; readonly step: StepValues }, guard?: ModelGuard): Promise<Anomaly | null> {
    const traced = await load(a, guard);
    const { optimize } = await import("../pipeline.js");
    const { firstNonFinite } = await import("../anomaly.js");
    return firstNonFinite(optimize(traced).graph, a.step, a.dtype);
  },

  /** `gradc check`: every gradient against finite differences (the generated module runs here, in the box). */
  async check(a: ModelJob & CheckOptions, guard?: ModelGuard): Promise<CheckResult> {
    const traced = await load(a, guard);
    const { checkGraph } = await import("../check.js");
    const { file: _file, batch: _batch, ...options } = a;
    return checkGraph(traced, basename(a.file), options);
  },

  /**
   * `gradc export --onnx`: the file's bytes. The checkpoint's bytes come from the CLI, which may read
   * where the box may not (a run folder outside the project).
   */
  async exportOnnx(
    a: ModelJob & { readonly checkpoint?: { readonly file: string; readonly bytes: Uint8Array }; readonly seed?: number; readonly opset?: number },
    guard?: ModelGuard,
  ): Promise<Uint8Array> {
    const traced = await load(a, guard);
    const { checkpointParamsFromBytes, exportOnnxGraph, initialParams } = await import("../export/onnx.js");
    const params = a.checkpoint ? checkpointParamsFromBytes(traced, a.checkpoint.bytes, a.checkpoint.file) : initialParams(traced, a.seed ?? 0);
    return exportOnnxGraph(traced, params, {
      source: basename(a.file),
      ...(a.checkpoint ? { checkpoint: a.checkpoint.file } : {}),
      ...(a.seed !== undefined ? { seed: a.seed } : {}),
      ...(a.opset !== undefined ? { opset: a.opset } : {}),
    });
  },
};

export type Jobs = typeof jobs;
export type JobName = keyof Jobs;
export type JobArgs<J extends JobName> = Parameters<Jobs[J]>[0];
export type JobResult<J extends JobName> = Awaited<ReturnType<Jobs[J]>>;
