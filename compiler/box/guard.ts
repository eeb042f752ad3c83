// Inside gradc's box process: what model code may not do, caught where it does it.
//
// Node's permission model (the flags of compiler/box/policy.ts) refuses file reads outside the allowed
// folders, writes, child processes, workers and addons with a bare "Access to this API has been
// restricted"; `describe` words those as "the model tried to read /etc/passwd; …". Node 20's permission
// model does not cover the network, so the box also refuses model.ts's own imports of Node's network,
// process and module modules and replaces `fetch` with a function that refuses. Independent of rights
// (also with --trust-model): the model may not end the process (GC1007) or schedule work for later
// (timers: GC1009), and a promise of its that rejects unhandled is an error (GC1003). Each is recorded
// with the stack where it happened, so it is reported at the model.ts line even when model code caught
// the exception the guard threw. Tested through the real CLI in test/cli/box.test.ts.

import { createRequire } from "node:module";
import path from "node:path";
import { codes, GradcError, isGradcError, type Code } from "../diagnostics.js";
import type { Loc } from "../ir/loc.js";
import type { ModelGuard } from "../frontend/load.js";

export interface GuardPolicy {
  /** --trust-model: the user's rights (only the exit, timer and rejection checks apply). */
  readonly trustModel: boolean;
  /** The model's project folder, for the messages. */
  readonly project: string;
}

/** Node modules model.ts may not import in the box, and what importing them would let it do. */
const REFUSED_IMPORTS: Readonly<Record<string, string>> = {
  net: "use the network",
  tls: "use the network",
  dgram: "use the network",
  dns: "use the network",
  http: "use the network",
  https: "use the network",
  http2: "use the network",
  undici: "use the network",
  child_process: "start processes",
  cluster: "start processes",
  worker_threads: "start worker threads",
  inspector: "open the inspector",
  module: "load modules around gradc's checks",
};

/** What a permission the box withholds would have let the model do. */
const PERMISSION_WORDS: Readonly<Record<string, string>> = {
  ChildProcess: "start a child process",
  WorkerThreads: "start a worker thread",
  Inspector: "open the inspector",
  WASI: "use WASI (which reaches the file system on its own)",
};

interface Violation {
  readonly code: Code;
  readonly message: string;
  readonly stack: string;
}

export class BoxGuard implements ModelGuard {
  private locate: ((stack: string) => Loc | null) | null = null;
  private first: Violation | null = null;
  /** "gradc" before model code runs, "model" while it does, "compiler" after it returned. */
  phase: "gradc" | "model" | "compiler" = "gradc";
  onPhase: (phase: "model" | "compiler") => void = () => {};

  constructor(private readonly policy: GuardPolicy) {}

  enter(locate: (stack: string) => Loc | null): void {
    this.locate = locate;
    this.phase = "model";
    this.onPhase("model");
  }

  leave(): void {
    this.phase = "compiler";
    this.onPhase("compiler");
  }

  checkImport(spec: string): void {
    if (this.policy.trustModel) return;
    const name = spec.replace(/^node:/, "").split("/")[0]!;
    const what = REFUSED_IMPORTS[name];
    if (what) throw this.refuse(codes.threw, `the model tried to import ${spec}, which would let it ${what}; ${this.rule()}`);
  }

  describe(e: unknown): string | undefined {
    const err = e as { code?: unknown; permission?: unknown; resource?: unknown } | null;
    if (!err || typeof err !== "object") return undefined;
    if (err.code === "ERR_DLOPEN_DISABLED") return `the model tried to load a native addon; ${this.rule()}`;
    if (err.code !== "ERR_ACCESS_DENIED") return undefined;
    const resource = typeof err.resource === "string" && err.resource ? path.resolve(err.resource) : null;
    const permission = typeof err.permission === "string" ? err.permission : "";
    if (permission === "FileSystemRead" || (!permission && resource)) {
      return `the model tried to read ${resource ?? "a file"}; gradc's box lets model code read only under ${this.policy.project} and gradc's installation (--trust-model runs it with your rights)`;
    }
    if (permission === "FileSystemWrite") return `the model tried to write ${resource ?? "a file"}; ${this.rule()}`;
    return `the model tried to ${PERMISSION_WORDS[permission] ?? `use ${permission || "a part of Node"} that the box withholds`}; ${this.rule()}`;
  }

  /** The first thing the model did that it may not, as a located error (or null). */
  violation(): GradcError | null {
    const v = this.first;
    if (!v) return null;
    const loc = this.locate?.(v.stack) ?? undefined;
    return new GradcError(v.code, v.message, loc);
  }

  /**
   * An exception or rejection nothing handled. From model code (a model.ts frame on its stack, or an
   * error the permission model raised) it is the model's GC1003; otherwise null: gradc's own bug.
   */
  unhandled(reason: unknown, what: string): GradcError | null {
    if (isGradcError(reason) && reason.loc) return reason;
    const stack = reason instanceof Error ? (reason.stack ?? "") : "";
    const loc = this.locate?.(stack) ?? undefined;
    const described = this.describe(reason);
    if (!loc && !described) return null;
    const message = described ?? `${what}: ${reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason)}`;
    return new GradcError(codes.threw, message, loc);
  }

  /** Puts the checks in place, process-wide, before the job runs model code. */
  install(): void {
    this.guardExit();
    this.guardTimers();
    if (!this.policy.trustModel) this.removeNetwork();
  }

  private rule(): string {
    return "gradc's box does not let model code do that (--trust-model runs it with your rights)";
  }

  /** Records the violation (the first one wins) and returns the error to throw into model code. */
  private refuse(code: Code, message: string): GradcError {
    const stack = new Error().stack ?? "";
    this.first ??= { code, message, stack };
    return new GradcError(code, message, this.locate?.(stack) ?? undefined);
  }

  private fromModel(): boolean {
    return this.phase !== "gradc" && !!this.locate?.(new Error().stack ?? "");
  }

  private guardExit(): void {
    const ending = (name: string) =>
      (...args: unknown[]): never => {
        const how = `process.${name}(${args.length && name === "exit" ? String(args[0]) : ""})`;
        throw this.refuse(codes.modelExit, `the model called ${how}: gradc would end without writing anything (and a CI step could stay green on a stale module); a model returns { loss, outputs } from its build function and throws to report a problem`);
      };
    process.exit = ending("exit");
    process.abort = ending("abort");
    (process as { reallyExit?: unknown }).reallyExit = ending("reallyExit");
    const kill = process.kill.bind(process);
    process.kill = (pid: number, signal?: string | number): true => {
      const own = pid === process.pid || pid === process.ppid || pid === 0 || pid === -1;
      if (own) throw this.refuse(codes.modelExit, `the model called process.kill(${pid}${signal === undefined ? "" : `, ${JSON.stringify(signal)}`}) on gradc's own processes`);
      if (!this.policy.trustModel) throw this.refuse(codes.threw, `the model tried to send a signal to process ${pid}; ${this.rule()}`);
      return kill(pid, signal);
    };
  }

  /** setTimeout, setInterval and setImmediate, as globals and from node:timers / node:timers/promises. */
  private guardTimers(): void {
    const require = createRequire(import.meta.url);
    const targets = [globalThis as Record<string, unknown>, require("node:timers") as Record<string, unknown>, require("node:timers/promises") as Record<string, unknown>];
    for (const name of ["setTimeout", "setInterval", "setImmediate"]) {
      for (const target of targets) {
        const original = target[name];
        if (typeof original !== "function") continue;
        const guard = this;
        const wrapped = function (this: unknown, ...args: unknown[]): unknown {
          if (guard.fromModel()) {
            throw guard.refuse(codes.leftoverTimers, `the model called ${name}: it would leave work behind that runs after gradc has traced the model (or keeps it waiting for ever); build the model synchronously, without timers`);
          }
          return Reflect.apply(original as (...a: unknown[]) => unknown, this, args);
        };
        Object.defineProperties(wrapped, Object.getOwnPropertyDescriptors(original)); // util.promisify.custom and the like
        target[name] = wrapped;
      }
    }
  }

  /** Node 20's permission model leaves the network open: take fetch and WebSocket out of the globals. */
  private removeNetwork(): void {
    const g = globalThis as Record<string, unknown>;
    for (const name of ["fetch", "WebSocket", "EventSource"]) {
      if (!(name in g)) continue;
      const guard = this;
      g[name] = function refused(): never {
        throw guard.refuse(codes.threw, `the model tried to use the network (${name}); ${guard.rule()}`);
      };
    }
  }
}
