// How a program shows a user's error: a GradcError (or a command-line typo) that escapes a program is
// printed the way the gradc CLI prints it, and the program exits 1 — never with a stack trace.
//
//   gradc: error GC3007: .gradc-out already holds a checkpoint of model "mnistMlp" …
//   data.csv:12 - error GC3005: label "cat" is not a class …      (and the line of the data file)
//   model.ts:9:15 - error GC4001: …                                 (and the line of model.ts)
//
// A program opts in with one line after its imports, `exitOnUserError()` (every examples/*/main.ts
// does); it handles what the program throws, synchronously or at a top-level await. Anything else is a
// bug of the program or of gradc: it prints as Node prints it, stack included, and exits 1.
// GRADC_DEBUG=1 adds the stack to a user's error too. Paths are printed as a user can open them:
// relative to the working directory when the file is under it, else absolute.
// The CLI (compiler/cli.ts) prints its diagnostics with displayPath and dataDiagnostic from here.
// Tested in test/runtime/userErrors.test.ts and, through the real programs, test/examples/errors.test.ts.
import { readFileSync } from "node:fs";
import path from "node:path";
import { inspect } from "node:util";
import { codes, isGradcError, type GradcError } from "./errors.js";

/** `file` as a user can open it from `cwd`: relative when it is under cwd, else absolute; forward slashes. */
export function displayPath(file: string, cwd: string = process.cwd()): string {
  const absolute = path.resolve(cwd, file);
  const rel = path.relative(cwd, absolute);
  const inside = rel !== "" && rel !== ".." && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel); // another drive: absolute
  return (rel === "" ? "." : inside ? rel : absolute).split(path.sep).join("/");
}

/**
 * A line of a data file (a CSV row: the location has no column): `data.csv:12 - error …` and the line
 * as it is, cut at 120 characters, never parsed (a data file may be large and is not code).
 */
export function dataDiagnostic(file: string, line: number, head: string, text: string | undefined): string {
  const first = `${file}:${line} - ${head}`;
  const shown = text === undefined ? undefined : lineOf(text, line);
  if (shown === undefined) return first;
  return `${first}\n\n${line} ${shown.length > 120 ? `${shown.slice(0, 120)}…` : shown}\n`;
}

/** The 1-based line `line` of text, tabs as spaces, or undefined past the end. */
function lineOf(text: string, line: number): string | undefined {
  let start = 0;
  for (let l = 1; l < line; l++) {
    const end = text.indexOf("\n", start);
    if (end < 0) return undefined;
    start = end + 1;
  }
  const end = text.indexOf("\n", start);
  return text.slice(start, end < 0 ? text.length : end).replace(/\r$/, "").replace(/\t/g, " ");
}

function tryRead(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

/**
 * A GradcError as the CLI prints it: `gradc: error GCnnnn: message` without a place; with one,
 * `file:line - error …` or `file:line:col - error …` and that line of the file (a `~` under the
 * column). The CLI underlines a model's whole call with the TypeScript parser, which the runtime lacks.
 */
export function formatUserError(e: GradcError, cwd: string = process.cwd()): string {
  const head = `error ${e.code}: ${e.message}`;
  const loc = e.loc;
  if (!loc || !loc.line || !loc.file) return `gradc: ${head}\n`;
  const file = displayPath(loc.file, cwd);
  const text = tryRead(path.resolve(cwd, loc.file));
  if (!loc.col) return `${dataDiagnostic(file, loc.line, head, text).replace(/\n*$/, "")}\n`;
  const first = `${file}:${loc.line}:${loc.col} - ${head}`;
  const shown = text === undefined ? undefined : lineOf(text, loc.line);
  if (shown === undefined) return `${first}\n`;
  const gutter = String(loc.line);
  return `${first}\n\n${gutter} ${shown.trimEnd()}\n${" ".repeat(gutter.length + loc.col)}~\n`;
}

/** A mistyped or missing command-line option of node:util's parseArgs, as a usage error. */
function isParseArgsError(e: unknown): e is Error {
  const code = (e as { code?: unknown } | null)?.code;
  return e instanceof Error && typeof code === "string" && code.startsWith("ERR_PARSE_ARGS_");
}

let installed = false;

/**
 * From now on, a GradcError (or a parseArgs error) that the program does not catch prints as the CLI
 * prints it and exits 1; anything else prints as Node prints it (with its stack) and exits 1.
 * Calling it twice installs one handler.
 */
export function exitOnUserError(): void {
  if (installed) return;
  installed = true;
  process.on("uncaughtException", (e: unknown) => {
    const debug = /^(1|true|yes)$/i.test(process.env.GRADC_DEBUG ?? "");
    let text: string;
    if (isGradcError(e)) text = formatUserError(e);
    else if (isParseArgsError(e)) text = `gradc: error ${codes.usage}: ${e.message.split("\n")[0]}\n`;
    else text = `${inspect(e)}\n`;
    if (debug && (isGradcError(e) || isParseArgsError(e)) && e.stack) text += `${e.stack}\n`;
    process.stderr.write(text);
    process.exit(1);
  });
}
