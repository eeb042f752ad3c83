// How the `gradc` command reports a failure: a user's error as a diagnostic (`model.ts:L:C - error
// GCnnnn` with a code frame, or `gradc: error GCnnnn: message`), anything else as an internal compiler
// error that says where to report it. GRADC_DEBUG=1 adds the stack.
import { codes, isGradcError } from "./diagnostics.js";
import type { CliIO } from "./cliIO.js";
import { ownPackage } from "./version.js";

/**
 * A user's error as a diagnostic (exit 1; a usage error 2), anything else as an internal compiler
 * error that asks to be reported (exit 1). GRADC_DEBUG=1 adds the stack to either.
 */
export async function reportError(e: unknown, cio: CliIO): Promise<number> {
  const debug = /^(1|true|yes)$/i.test(process.env.GRADC_DEBUG ?? "");
  const stack = debug && e instanceof Error && e.stack ? `\n${e.stack}\n` : "";
  if (isGradcError(e)) {
    if (e.loc && e.loc.line) {
      const { formatDiagnostic } = await import("./frontend/format.js"); // loads the TypeScript parser: not for --help
      cio.stderr.write(`${formatDiagnostic(e, undefined, cio.cwd)}\n${stack}`);
    } else {
      cio.stderr.write(`gradc: error ${e.code}: ${e.message}\n${stack}`);
    }
    return e.code === codes.usage ? 2 : 1;
  }
  const what = e instanceof Error ? `${e.name === "BoxInternalError" ? "" : `${e.name}: `}${e.message}` : String(e);
  cio.stderr.write(
    `gradc: internal compiler error: ${what}\n` +
      `This is a bug in gradc, not in your model. Please report it ${issuesUrl()}, with the command you ran and your model.ts` +
      (debug ? `.\n${stack}` : ` (GRADC_DEBUG=1 gradc … shows the stack).\n`),
  );
  return 1;
}

/** Where gradc's bugs are reported: "at" package.json's bugs (or repository) URL, else its GitHub issues. */
function issuesUrl(): string {
  const pkg = ownPackage();
  const bugs = pkg?.bugs;
  if (typeof bugs === "string") return `at ${bugs}`;
  if (bugs && typeof bugs === "object" && typeof bugs.url === "string") return `at ${bugs.url}`;
  const repo = typeof pkg?.repository === "string" ? pkg.repository : pkg?.repository?.url;
  if (typeof repo === "string") return `at ${repo.replace(/^git\+/, "").replace(/\.git$/, "")}/issues`;
  return "as an issue of gradc's GitHub repository";
}
