// The messages between the CLI and its box process (over Node's IPC channel, `advanced` serialization,
// so typed arrays and Maps cross as they are). The CLI sends one Request; the box answers with phase
// messages and one final Reply. Every message carries the request's nonce, which the box keeps where
// model code cannot reach it, so a message the model forged is recognized as such.
import type { ErrorLoc, Code } from "../../runtime/errors.js";
import type { JobArgs, JobName, JobResult } from "./jobs.js";

export interface Request<J extends JobName = JobName> {
  readonly nonce: string;
  readonly job: J;
  readonly args: JobArgs<J>;
  readonly trustModel: boolean;
  /** The model's project folder (for the messages of refused reads). */
  readonly project: string;
}

/** Where the box is: before model code runs, while it runs, after it returned (compiling). */
export type Phase = "model" | "compiler";

export type Message =
  | { readonly nonce: string; readonly kind: "phase"; readonly phase: Phase }
  | { readonly nonce: string; readonly kind: "done"; readonly value: JobResult<JobName> }
  | { readonly nonce: string; readonly kind: "error"; readonly code: Code; readonly message: string; readonly loc?: ErrorLoc; readonly stack?: string }
  | { readonly nonce: string; readonly kind: "internal"; readonly message: string; readonly stack?: string };
