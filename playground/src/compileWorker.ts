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
import type { CompileReply, CompileRequest } from "./protocol.js";

/** The model's path in the browser host: the cwd is "/", so diagnostics name it model.ts. */
export const MODEL_FILE = "/model.ts";

/** What the page shows for one text of model.ts. */
export async function compileText(text: string): Promise<Omit<Extract<CompileReply, { ok: true }>, "id" | "ms"> | Omit<Extract<CompileReply, { ok: false }>, "id">> {
  try {
    const traced = loadModelSource(MODEL_FILE, text);
    const { code, optimized } = await compileGraph(traced, "model.ts", { dtype: "f32" });
    const latex = explainGraph(optimized.graph, "model.ts", { format: "latex" });
    const mermaid = toMermaid(drawing(optimized.graph, { source: "model.ts" }));
    const javascript = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
    return { ok: true, code, javascript, latex, mermaid, params: optimized.graph.grads.map(([name]) => name) };
  } catch (e) {
    if (!isGradcError(e)) return { ok: false, diagnostic: `internal compiler error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`, line: null };
    return { ok: false, diagnostic: formatDiagnostic(e, text, "/"), line: e.loc?.line || null };
  }
}

// Only when run as a worker (the Node test imports compileText from the bundle).
if (typeof self !== "undefined" && typeof (self as { postMessage?: unknown }).postMessage === "function" && typeof window === "undefined") {
  self.onmessage = async (event: MessageEvent<CompileRequest>) => {
    const { id, text } = event.data;
    const start = performance.now();
    const result = await compileText(text);
    const reply: CompileReply = result.ok ? { id, ...result, ms: performance.now() - start } : { id, ...result };
    self.postMessage(reply);
  };
}
