// What gradc writes is never the model it read: an output path that names the model file — by the
// same path, through a symbolic link to it or to a folder above it, or as a hard link — is refused
// before anything runs (GC3002), so `-o` cannot destroy the model under any of its names.
// Tested through the real CLI in test/cli/box.test.ts and in-process in test/cli/cli.test.ts.
import { realpathSync, statSync } from "node:fs";
import path from "node:path";
import { codes, GradcError, isGradcError } from "./diagnostics.js";
import { displayPath } from "../runtime/userErrors.js";

/**
 * Refuses an output that is the model file under another name: the same path, a symbolic link to it
 * or a path through a linked folder (the same real path), or a hard link (the same device and inode).
 */
export function refuseModelAsOutput(modelPath: string, shown: string, out: string, cwd: string): void {
  const plain = `the output ${shown} is the model file itself; choose another -o`;
  if (path.resolve(out) === path.resolve(modelPath)) throw new GradcError(codes.usage, plain);
  let model: string;
  try {
    model = realpathSync(modelPath);
  } catch {
    return; // no model, nothing to lose (loading it will say so)
  }
  const shownModel = displayPath(modelPath, cwd);
  if (realOutput(out) === model) throw new GradcError(codes.usage, `the output ${shown} is the model file ${shownModel} itself (through a symbolic link); choose another -o`);
  try {
    const a = statSync(out);
    const b = statSync(model);
    if (a.dev === b.dev && a.ino === b.ino) throw new GradcError(codes.usage, `the output ${shown} is the model file ${shownModel} itself (a hard link to it); choose another -o`);
  } catch (e) {
    if (isGradcError(e)) throw e; // else: no output yet
  }
}

/** The real path `out` would be written at: its own when it exists, else its nearest existing folder's. */
function realOutput(out: string): string {
  const rest: string[] = [];
  for (let p = path.resolve(out); ; ) {
    try {
      return path.join(realpathSync(p), ...rest);
    } catch {
      const up = path.dirname(p);
      if (up === p) return path.resolve(out);
      rest.unshift(path.basename(p));
      p = up;
    }
  }
}
