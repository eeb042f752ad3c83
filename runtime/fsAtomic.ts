// Node-only: writing a file so that readers see either the old contents or the new, never a mix.
//
// The data goes to a uniquely named temporary file in the same directory (so the rename stays on one
// file system), is flushed to disk with fsync, and is renamed over the target; the directory is then
// fsynced so the rename itself survives a crash (best effort: not every platform can fsync a directory).
// If anything fails before the rename, the temporary file is removed and the target is left untouched.

import * as nodeFs from "node:fs";
import { randomBytes } from "node:crypto";
import * as path from "node:path";

/** The file-system calls writeFileAtomic makes; tests inject failures through it. */
export interface AtomicFs {
  openSync(path: string, flags: string, mode?: number): number;
  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number): number;
  fsyncSync(fd: number): void;
  closeSync(fd: number): void;
  renameSync(from: string, to: string): void;
  unlinkSync(path: string): void;
}

export interface WriteFileAtomicOptions {
  /** Replaces node:fs (for tests). */
  readonly fs?: AtomicFs;
}

/**
 * Writes `data` (a string is written as UTF-8) to `file` atomically: write a temporary file next to it,
 * fsync, rename. On failure the error names the file, the temporary file is removed, and an existing
 * `file` keeps its old contents. The directory must exist.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, options: WriteFileAtomicOptions = {}): void {
  const fs: AtomicFs = options.fs ?? nodeFs;
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  let fd: number | undefined;
  let created = false;
  try {
    fd = fs.openSync(tmp, "wx", 0o666); // "wx": fail rather than reuse an existing file
    created = true;
    let written = 0;
    while (written < bytes.length) {
      const n = fs.writeSync(fd, bytes, written, bytes.length - written);
      if (!(n > 0)) throw new Error(`short write (${written} of ${bytes.length} bytes)`);
      written += n;
    }
    fs.fsyncSync(fd);
    const f = fd;
    fd = undefined;
    fs.closeSync(f);
    fs.renameSync(tmp, file);
    created = false;
  } catch (e) {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        // already failing: the original error is the one to report
      }
    }
    if (created) {
      try {
        fs.unlinkSync(tmp);
      } catch {
        // nothing more we can do; the original error is the one to report
      }
    }
    throw new Error(`cannot write ${file}: ${(e as Error).message}`, { cause: e });
  }
  syncDirectory(dir);
}

/** fsync a directory so a rename in it is durable; silently skipped where unsupported (e.g. Windows). */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = nodeFs.openSync(dir, "r");
    nodeFs.fsyncSync(fd);
  } catch {
    // The data itself is already safe; only the durability of the rename across a power cut is at stake.
  } finally {
    if (fd !== undefined) {
      try {
        nodeFs.closeSync(fd);
      } catch {
        // ignore
      }
    }
  }
}
