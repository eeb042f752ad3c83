// The page's side of the compiler worker (compileWorker.ts): the worker, the id of the latest request
// (a reply to an older one is stale: an edit came after it) and the last model that compiled, which
// Step, Train, the graph, the exercise and the downloads all work from. main.ts receives the replies.
import { $ } from "./page.js";
import { encodeCode } from "./share.js";
import type { CompileReply, CompileRequest } from "./protocol.js";

/** A model that compiled: its module, explain, graph, exercises. */
export type Compiled = Extract<CompileReply, { ok: true }>;

export const compiler = new Worker(new URL("./compileWorker.js", import.meta.url), { type: "module" });
/** The id of the latest compile request; every other request names the model it is about by it. */
export let sent = 0;
export let last: Compiled | null = null;

export function compile(text: string): void {
  history.replaceState(null, "", encodeCode(text));
  $("status").textContent = "compiling…";
  const request: CompileRequest = { kind: "compile", id: ++sent, text };
  compiler.postMessage(request);
}

/** Keeps `r` as the model the page works from (until the next one compiles). */
export function remember(r: Compiled): void {
  last = r;
}
