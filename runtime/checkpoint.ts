// Checkpoints in files (Node): saveCheckpoint writes one atomically, loadCheckpoint reads and checks
// one. The format itself — what a checkpoint holds, its byte layout, encoding, decoding and restoring
// into a trainer — is checkpointFormat.ts (with checkpointBytes.ts, checkpointChecks.ts and
// checkpointRestore.ts), re-exported here so one import has both.
import { readFileSync } from "node:fs";
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint, type CheckpointData, type CheckpointSpec } from "./checkpointFormat.js";
import { codes, GradcError } from "./errors.js";
import { writeFileAtomic, type WriteFileAtomicOptions } from "./fsAtomic.js";
import { displayPath } from "./userErrors.js";

export * from "./checkpointFormat.js";
export * from "./checkpointRestore.js";

/**
 * Validates `data`, encodes it and writes it to `path` atomically (temporary file in the same directory,
 * fsync, rename). If validation or writing fails, an existing file at `path` is left as it was.
 */
export function saveCheckpoint(path: string, data: CheckpointData, options: WriteFileAtomicOptions = {}): void {
  let bytes: Uint8Array;
  try {
    bytes = encodeCheckpoint(data);
  } catch (e) {
    throw new Error(`cannot save checkpoint ${path}: ${(e as Error).message}`, { cause: e });
  }
  writeFileAtomic(path, bytes, options);
}

/**
 * Reads and verifies a checkpoint (signature, format version, size, checksum) and checks it against the
 * model: name, dtype, and every parameter's name and shape. Throws a GradcError saying what is wrong:
 * GC3001 when the file cannot be read, GC3004 when it is not a checkpoint, is corrupt or is another model's.
 */
export function loadCheckpoint(path: string, spec: CheckpointSpec): Checkpoint {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new GradcError(codes.io, `cannot read checkpoint ${displayPath(path)}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`);
  }
  return decodeCheckpoint(bytes, spec, displayPath(path));
}
