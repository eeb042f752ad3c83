// The compiler in a Web Worker: model.ts's text in, the generated module, its explanation and its
// graph out — the CLI's own pipeline (load, optimize, emit, prettier), with the browser host
// (./browserHost.ts) in place of node's. Errors come back as the CLI prints them.
import { ts } from "ts-morph";
import { compileGraph } from "../../compiler/compile.js";
import { explainGraph } from "../../compiler/explain.js";
import { loadModelSource } from "../../compiler/frontend/load.js";
import { formatDiagnostic } from "../../compiler/frontend/format.js";
import { drawing } from "../../compiler/graph/model.js";
import { toMermaid } from "../../compiler/graph/mermaid.js";
import { isGradcError } from "../../runtime/errors.js";
import type { Graph } from "../../compiler/ir/graph.js";
import { batchOf, chooseData, type Data } from "./data.js";
import { loadGenerated } from "./generated.js";
import type { CompileReply, CompileRequest, StepReply } from "./protocol.js";
import { stepValues } from "./step.js";

/** The model's path in the browser host: the cwd is "/", so diagnostics name it model.ts. */
export const MODEL_FILE = "/model.ts";

/** What the page shows for one text of model.ts. */
/** The last model compiled without error: its optimized graph and generated module, for Step. */
let last: { graph: Graph; javascript: string } | null = null;
/** Step's trainer, made on the first Step after a compile. */
let session: { trainer: ReturnType<ReturnType<typeof loadGenerated>["createTrainer"]>; data: Data; size: number; step: number } | null = null;

export async function compileText(text: string): Promise<Omit<Extract<CompileReply, { ok: true }>, "id" | "ms" | "kind"> | Omit<Extract<CompileReply, { ok: false }>, "id" | "kind">> {
  try {
    const traced = loadModelSource(MODEL_FILE, text);
    const { code, optimized } = await compileGraph(traced, "model.ts", { dtype: "f32" });
    const latex = explainGraph(optimized.graph, "model.ts", { format: "latex" });
    const mermaid = toMermaid(drawing(optimized.graph, { source: "model.ts" }));
    const javascript = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
    last = { graph: optimized.graph, javascript };
    session = null;
    return { ok: true, code, javascript, latex, mermaid, params: optimized.graph.grads.map(([name]) => name) };
  } catch (e) {
    if (!isGradcError(e)) return { ok: false, diagnostic: `internal compiler error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`, line: null };
    return { ok: false, diagnostic: formatDiagnostic(e, text, "/"), line: e.loc?.line || null };
  }
}

async function step(id: number): Promise<StepReply> {
  try {
    if (!last) return { kind: "step", id, ok: false, message: "no model compiled yet" };
    if (!session) {
      const m = loadGenerated(last.javascript);
      const data = await chooseData(m.spec, async (url) => new Uint8Array(await (await fetch(url)).arrayBuffer()));
      session = { trainer: m.createTrainer(m.initParams(0), { optimizer: { kind: "adam", lr: data.lr } }), data, size: typeof m.spec.batch === "number" ? m.spec.batch : Math.min(64, data.rows), step: 0 };
    }
    const s = session;
    const batch = batchOf(s.data, s.step * s.size, s.size);
    const values = stepValues(last.graph, batch, s.trainer.params);
    const loss = s.trainer.step(batch);
    return { kind: "step", id, ok: true, step: ++s.step, loss, data: s.data.name, values };
  } catch (e) {
    return { kind: "step", id, ok: false, message: e instanceof Error ? e.message : String(e) };
  }
}

// Only when run as a worker (self is a WorkerGlobalScope: no window).
if (typeof window === "undefined") {
  self.onmessage = async (event: MessageEvent<CompileRequest>) => {
    const r = event.data;
    if (r.kind === "step") {
      self.postMessage(await step(r.id));
      return;
    }
    const start = performance.now();
    const result = await compileText(r.text);
    const reply: CompileReply = result.ok ? { kind: "compile", id: r.id, ...result, ms: performance.now() - start } : { kind: "compile", id: r.id, ...result };
    self.postMessage(reply);
  };
}
