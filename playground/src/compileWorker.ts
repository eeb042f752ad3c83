// The compiler in a Web Worker: model.ts's text in, the generated module, its explanation and its
// graph out — the CLI's own pipeline (load, optimize, emit, prettier), with the browser host
// (./browserHost.ts) in place of node's. Errors come back as the CLI prints them. It also takes the
// visible steps (./step.ts), checks a dropped CSV against the model, and grades exercise answers
// (./exercise.ts), all on the same data and parameters.
import { ts } from "ts-morph";
import { compileGraph } from "../../compiler/compile.js";
import { explainGraph } from "../../compiler/explain.js";
import { loadModelSource } from "../../compiler/frontend/load.js";
import { formatDiagnostic } from "../../compiler/frontend/format.js";
import { drawing } from "../../compiler/graph/model.js";
import { toMermaid } from "../../compiler/graph/mermaid.js";
import { isGradcError } from "../../runtime/errors.js";
import type { Graph } from "../../compiler/ir/graph.js";
import { dataDiagnostic } from "../../runtime/userErrors.js";
import { batchOf, chooseData, type CsvFile, type Data } from "./data.js";
import { exerciseTargets, grade } from "./exercise.js";
import { loadGenerated } from "./generated.js";
import type { CompileReply, CompileRequest, DataReply, GradeReply, StepReply } from "./protocol.js";
import { stepValues } from "./step.js";

/** The model's path in the browser host: the cwd is "/", so diagnostics name it model.ts. */
export const MODEL_FILE = "/model.ts";

/** The last model compiled without error: its optimized graph and generated module, for Step. */
let last: { graph: Graph; javascript: string } | null = null;
/** Step's trainer, made on the first Step after a compile. */
let session: { trainer: ReturnType<ReturnType<typeof loadGenerated>["createTrainer"]>; data: Data; size: number; step: number } | null = null;
/** The CSV the user dropped on the page, if any: the data set of Step and the exercise. */
let csv: CsvFile | null = null;

/** A data error as the CLI prints it (`data.csv:3 - error GC3005: …` and the line), anything else by its message. */
function describe(e: unknown, text?: string): string {
  if (isGradcError(e) && e.loc?.file && e.loc.line && !e.loc.col) return dataDiagnostic(e.loc.file, e.loc.line, `error ${e.code}: ${e.message}`, text);
  if (isGradcError(e)) return `error ${e.code}: ${e.message}`;
  return e instanceof Error ? e.message : String(e);
}

export async function compileText(text: string): Promise<Omit<Extract<CompileReply, { ok: true }>, "id" | "ms" | "kind"> | Omit<Extract<CompileReply, { ok: false }>, "id" | "kind">> {
  try {
    const traced = loadModelSource(MODEL_FILE, text);
    const { code, optimized } = await compileGraph(traced, "model.ts", { dtype: "f32" });
    const latex = explainGraph(optimized.graph, "model.ts", { format: "latex" });
    const mermaid = toMermaid(drawing(optimized.graph, { source: "model.ts" }));
    const javascript = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
    last = { graph: optimized.graph, javascript };
    session = null;
    const exercises = exerciseTargets(optimized.graph);
    return { ok: true, code, javascript, latex, mermaid, exercises, params: optimized.graph.grads.map(([name]) => name) };
  } catch (e) {
    if (!isGradcError(e)) return { ok: false, diagnostic: `internal compiler error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`, line: null };
    return { ok: false, diagnostic: formatDiagnostic(e, text, "/"), line: e.loc?.line || null };
  }
}

/** Step's trainer on the last model and the data set (made on first use after a compile or a new CSV). */
async function ensureSession(): Promise<NonNullable<typeof session>> {
  if (!last) throw new Error("no model compiled yet");
  if (!session) {
    const m = loadGenerated(last.javascript);
    const data = await chooseData(m.spec, async (url) => new Uint8Array(await (await fetch(url)).arrayBuffer()), csv);
    session = { trainer: m.createTrainer(m.initParams(0), { optimizer: { kind: "adam", lr: data.lr } }), data, size: typeof m.spec.batch === "number" ? m.spec.batch : Math.min(64, data.rows), step: 0 };
  }
  return session;
}

async function step(id: number): Promise<StepReply> {
  try {
    const s = await ensureSession();
    const batch = batchOf(s.data, s.step * s.size, s.size);
    const { values, mermaid } = stepValues(last!.graph, batch, s.trainer.params);
    const loss = s.trainer.step(batch);
    return { kind: "step", id, ok: true, step: ++s.step, loss, data: s.data.name, values, mermaid };
  } catch (e) {
    return { kind: "step", id, ok: false, message: describe(e, csv?.text) };
  }
}

/** A dropped CSV (or null: back to the bundled data) checked against the last model's inputs. */
async function useData(id: number, file: CsvFile | null): Promise<DataReply> {
  const before = csv;
  csv = file;
  session = null;
  try {
    const s = await ensureSession();
    return { kind: "data", id, ok: true, name: s.data.name, rows: s.data.rows };
  } catch (e) {
    csv = before;
    session = null;
    return { kind: "data", id, ok: false, diagnostic: describe(e, file?.text) };
  }
}

/** Grades an exercise answer on the batch the next Step takes, with the current parameters. */
async function gradeAnswer(id: number, target: string, answer: string): Promise<GradeReply> {
  try {
    const s = await ensureSession();
    const inputs = batchOf(s.data, s.step * s.size, s.size);
    return { kind: "grade", id, target, ...grade(last!.graph, { inputs, params: s.trainer.params }, target, answer, (file, text) => loadModelSource(file, text)) };
  } catch (e) {
    return { kind: "grade", id, target, ok: false, diagnostic: describe(e) };
  }
}

// Only when run as a worker (self is a WorkerGlobalScope: no window).
if (typeof window === "undefined") {
  self.onmessage = async (event: MessageEvent<CompileRequest>) => {
    const r = event.data;
    if (r.kind === "step") return self.postMessage(await step(r.id));
    if (r.kind === "data") return self.postMessage(await useData(r.id, r.csv));
    if (r.kind === "grade") return self.postMessage(await gradeAnswer(r.id, r.target, r.answer));
    const start = performance.now();
    const result = await compileText(r.text);
    const reply: CompileReply = result.ok ? { kind: "compile", id: r.id, ...result, ms: performance.now() - start } : { kind: "compile", id: r.id, ...result };
    self.postMessage(reply);
  };
}
