// The entry point of gradc's box process (started by compiler/box/run.ts with the flags of policy.ts).
//
// It takes one request over IPC, puts the guard in place, runs the job (compiler/box/jobs.ts) and
// answers with the job's data or the error, then ends itself — whatever the model left running.
// References to the IPC channel and to process exit are taken before any model code runs, and the
// request's nonce lives only in this module's closure.
import { isGradcError } from "../diagnostics.js";
import { BoxGuard } from "./guard.js";
import { jobs, type JobName } from "./jobs.js";
import type { Message, Request } from "./protocol.js";

type Reply = Message extends infer M ? (M extends { nonce: string } ? Omit<M, "nonce"> : never) : never;

const send = process.send?.bind(process);
const reallyExit = (process as unknown as { reallyExit(code: number): never }).reallyExit.bind(process);
const setImmediateOriginal = setImmediate;

if (!send) {
  process.stderr.write("gradc's box process is started by the gradc command, not by hand\n");
  reallyExit(2);
}

process.once("message", (request: Request) => void serve(request));
// The CLI is gone (killed on its own): nobody waits for an answer.
process.once("disconnect", () => reallyExit(1));

async function serve(request: Request): Promise<void> {
  const post = (reply: Reply, then?: () => void) => send!({ ...reply, nonce: request.nonce }, undefined, {}, () => then?.());
  lockChannel();
  const guard = new BoxGuard({ trustModel: request.trustModel, project: request.project });
  guard.onPhase = (phase) => post({ kind: "phase", phase });
  let unhandled: Reply | null = null;
  const onUnhandled = (what: string) => (reason: unknown) => {
    const located = guard.unhandled(reason, what);
    unhandled ??= located ? errorReply(located) : internalReply(reason);
  };
  process.on("unhandledRejection", onUnhandled("a promise was rejected and nothing handled it"));
  process.on("uncaughtException", onUnhandled("uncaught exception"));
  guard.install();

  let reply: Reply;
  try {
    const value = await (jobs[request.job as JobName] as (a: unknown, g: BoxGuard) => Promise<unknown>)(request.args, guard);
    // One turn of the event loop: a rejected promise of the model's is reported by now.
    await new Promise((resolve) => setImmediateOriginal(resolve));
    const violation = guard.violation();
    reply = violation ? errorReply(violation) : (unhandled ?? { kind: "done", value: value as never });
  } catch (e) {
    const violation = guard.violation();
    reply = violation ? errorReply(violation) : isGradcError(e) ? errorReply(e) : internalReply(e);
  }
  post(reply, () => reallyExit(0));
}

function errorReply(e: import("../diagnostics.js").GradcError): Reply {
  return { kind: "error", code: e.code, message: e.message, ...(e.loc ? { loc: { ...e.loc } } : {}), ...(e.stack ? { stack: e.stack } : {}) };
}

function internalReply(e: unknown): Reply {
  return e instanceof Error ? { kind: "internal", message: `${e.name}: ${e.message}`, ...(e.stack ? { stack: e.stack } : {}) } : { kind: "internal", message: String(e) };
}

/** Model code may not replace the functions the reply goes through (Node itself reassigns the others). */
function lockChannel(): void {
  for (const key of ["send", "_send"]) {
    const d = Object.getOwnPropertyDescriptor(process, key);
    if (!d?.configurable) continue;
    Object.defineProperty(process, key, "value" in d ? { ...d, writable: false, configurable: false } : { ...d, configurable: false });
  }
}
