// Reading a checkpoint for `gradc export`: the CLI reads the bytes (the file may lie outside the model's
// project, where gradc's box may not read) and the box decodes them against the model.
import { readFileSync } from "node:fs";
import { codes, GradcError } from "../diagnostics.js";
import { displayPath } from "../../runtime/userErrors.js";

/** A checkpoint file's bytes; a missing or unreadable one is GC3001. */
export function readCheckpointBytes(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new GradcError(codes.io, `cannot read checkpoint ${displayPath(file)}: ${err.code === "ENOENT" ? "no such file" : err.code === "EISDIR" ? "it is a directory" : err.message}`);
  }
}
