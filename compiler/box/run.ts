// runJob: a job of compiler/box/jobs.ts, in gradc's box (a separate Node process under the permission
// model, with a time and a heap limit) or, without box options, in this process (the programmatic API).
//
// The CLI's side of the box: it starts the process (the built dist/compiler/box/child.js, also when
// the CLI itself runs from the sources), sends the request, passes the model's console output on
// (to stderr: stdout is the commands' own output), and turns the reply into the job's value or a
// GradcError. When the process does not answer, the reason becomes the diagnostic: --timeout passed
// (GC1005), the heap limit was reached (GC1006), or model code ended the process (GC1007).
// This file runs on every CLI start: it imports nothing heavy. Tested in test/cli/box.test.ts.

import { fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { codes, GradcError } from "../diagnostics.js";
import type { JobArgs, JobName, JobResult } from "./jobs.js";
import { boxNodeFlags, readPolicy, type BoxOptions } from "./policy.js";
import type { Message, Phase, Request } from "./protocol.js";
import { displayPath } from "../../runtime/userErrors.js";

export interface BoxRun extends BoxOptions {
  /** Where the model's own console output goes (the CLI's stderr). */
  readonly output: (text: string) => void;
  /** The box's working directory (the user's), and what paths in messages are relative to. */
  readonly cwd: string;
  /** Ends the box process at once when it aborts (--watch stopped mid-build); the job then rejects. */
  readonly signal?: AbortSignal;
}

/** An internal error of gradc's that happened inside the box: its stack is the box process's. */
export class BoxInternalError extends Error {
  constructor(message: string, stack: string | undefined) {
    super(message);
    this.name = "BoxInternalError";
    this.stack = stack ?? message;
  }
}

/** Runs `job` on `args.file` in the box (`box` given) or in this process (no box). */
export async function runJob<J extends JobName>(job: J, args: JobArgs<J>, box: BoxRun | undefined): Promise<JobResult<J>> {
  if (!box) {
    const { jobs } = await import("./jobs.js");
    return (await (jobs[job] as (a: JobArgs<J>) => Promise<JobResult<J>>)(args)) as JobResult<J>;
  }
  return runBoxed(job, args, box);
}

/** The built entry point of the box process. */
function childEntry(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  // dist/compiler/box/run.js → dist/compiler/box/child.js; compiler/box/run.ts (tests, from source) → dist/…
  const candidates = [path.join(here, "child.js"), path.resolve(here, "../../dist/compiler/box/child.js")];
  const found = candidates.find((f) => existsSync(f));
  if (!found) throw new Error(`gradc's box needs the built compiler (${candidates[1]}); run npm run build`);
  return found;
}

function runBoxed<J extends JobName>(job: J, args: JobArgs<J>, box: BoxRun): Promise<JobResult<J>> {
  const model = args.file;
  const shown = displayPath(model, box.cwd);
  const policy = readPolicy(model);
  const nonce = randomBytes(16).toString("hex");
  const env = { ...process.env };
  delete env.NODE_OPTIONS; // the box's flags are gradc's alone (NODE_OPTIONS could widen its permissions)
  const child = fork(childEntry(), [], {
    execArgv: boxNodeFlags(box, policy),
    serialization: "advanced",
    stdio: ["ignore", "pipe", "pipe", "ipc"],
    cwd: box.cwd,
    env,
  });
  const request: Request<J> = { nonce, job, args, trustModel: box.trustModel, project: policy.project };
  child.send(request);

  let phase: Phase | "gradc" = "gradc";
  let reply: Message | null = null;
  let forged = false;
  let timedOut = false;
  const stderr = forwardLines(child.stderr!, box.output);
  forwardLines(child.stdout!, box.output);

  child.on("message", (m: Message) => {
    if (!m || typeof m !== "object" || m.nonce !== nonce || reply) {
      forged = true;
      return;
    }
    if (m.kind === "phase") {
      // --timeout bounds the model's own code; once it has returned, what runs is gradc's (compiling,
      // checking, exporting the traced graph), which a busy machine or a huge model may stretch well
      // past it. That stretch has a limit of its own, so that nothing can keep the box alive for ever.
      if (m.phase === "compiler" && phase !== "compiler") arm(compilerLimitMs(box.timeoutSeconds));
      phase = m.phase;
    } else reply = m;
  });
  let timer: NodeJS.Timeout | undefined;
  const arm = (ms: number) => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, ms);
  };
  arm(box.timeoutSeconds * 1000);
  const abort = () => child.kill("SIGKILL");
  box.signal?.addEventListener("abort", abort, { once: true });
  child.on("close", () => box.signal?.removeEventListener("abort", abort));

  return new Promise<JobResult<J>>((resolve, reject) => {
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (exitCode, signal) => {
      clearTimeout(timer);
      const r = reply as Message | null;
      if (forged) {
        reject(new GradcError(codes.threw, `${shown} sent gradc a message of its own over the box's channel; gradc ignores everything the box answered (--trust-model does not change that)`));
      } else if (r?.kind === "done") {
        resolve(r.value as JobResult<J>);
      } else if (r?.kind === "error") {
        const err = new GradcError(r.code, r.message, r.loc);
        if (r.stack) err.stack = r.stack;
        reject(err);
      } else if (r?.kind === "internal") {
        reject(new BoxInternalError(r.message, r.stack));
      } else if (timedOut) {
        if (phase === "compiler") {
          const limit = compilerLimitMs(box.timeoutSeconds) / 1000;
          reject(new GradcError(codes.timeout, `${shown} did not finish in time: gradc stopped it ${limit} s after the model's code had returned, while ${WHILE[phase]} (that stretch may take 10 times --timeout, at least 10 minutes); a model of that size may need a larger --timeout`));
        } else {
          const advice = phase === "model" ? "look for a loop that never ends, or allow more time with --timeout" : "allow more time with --timeout";
          reject(new GradcError(codes.timeout, `${shown} did not finish in time: gradc stopped it after ${box.timeoutSeconds} s (--timeout ${box.timeoutSeconds}) while ${WHILE[phase]}; ${advice}`));
        }
      } else if (stderr.fatal && /heap out of memory|Reached heap limit|Allocation failed/.test(stderr.fatal)) {
        reject(new GradcError(codes.outOfMemory, `${shown} ran out of memory: gradc's box gives the model and its compilation a ${box.maxMemoryMb} MB heap (--max-memory ${box.maxMemoryMb}), and it was full while ${WHILE[phase]}; look for an allocation that never stops, or raise --max-memory`));
      } else {
        const how = signal ? `killed by ${signal}` : `exit code ${exitCode}`;
        const who = signal === "SIGKILL" ? "model code ended it, or the system did (for lack of memory?)" : "model code ended it (process.exit, process.abort, a signal) or it crashed";
        reject(new GradcError(codes.modelExit, `gradc's box process ended (${how}) before ${shown} was done, while ${WHILE[phase]}: ${who}${stderr.fatal ? ` — ${firstLine(stderr.fatal)}` : ""}`));
      }
    });
  });
}

/** How long gradc's own work on the traced graph may take: 10 × --timeout, at least 10 minutes. */
const compilerLimitMs = (timeoutSeconds: number): number => Math.max(600, 10 * timeoutSeconds) * 1000;

const WHILE: Record<Phase | "gradc", string> = {
  gradc: "gradc was still loading and type-checking it",
  model: "the model's code was still running (its top level or its build function)",
  compiler: "gradc was compiling the traced graph (the model's code had returned)",
};

const firstLine = (text: string) => text.split("\n").find((l) => l.trim() && !l.startsWith("<---"))?.trim() ?? "";

/**
 * Passes a box stream on line by line, except V8's fatal-error dump (out of memory), which is kept for
 * the diagnostic instead, and Node's warning that the permission model is experimental.
 */
function forwardLines(stream: NodeJS.ReadableStream, write: (text: string) => void): { fatal: string } {
  const state = { fatal: "" };
  let pending = "";
  let blank = 0; // empty lines are held back: V8's dump starts with one
  let skipHint = false;
  const line = (text: string, newline: boolean) => {
    if (state.fatal || /^<--- Last few GCs --->|^FATAL ERROR:|^#\s*Fatal (?:error|javascript OOM)/.test(text)) {
      state.fatal += `${text}\n`;
      return;
    }
    if (/ExperimentalWarning: Permission is an experimental feature/.test(text)) {
      skipHint = true;
      return;
    }
    if (skipHint && /^\(Use `node --trace-warnings/.test(text)) return;
    skipHint = false;
    if (newline && text === "") {
      blank++;
      return;
    }
    write(`${"\n".repeat(blank)}${text}${newline ? "\n" : ""}`);
    blank = 0;
  };
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    pending += chunk;
    const lines = pending.split("\n");
    pending = lines.pop()!;
    for (const l of lines) line(l, true);
  });
  stream.on("end", () => {
    if (pending || blank) line(pending, false);
    pending = "";
  });
  return state;
}
