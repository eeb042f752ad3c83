// Node-only: writing a file so that readers see either the old contents or the new, never a mix.
//
// The data goes to a temporary file in the same directory (so the rename stays on one file system),
// is flushed to disk with fsync, and is renamed over the target; the directory is then fsynced so the
// rename itself survives a crash (best effort: not every platform can fsync a directory). If anything
// fails before the rename, the temporary file is removed and the target is left untouched.
//
// A process killed between creating the temporary file and the rename cannot remove it. Temporaries
// are therefore named after their target and their writer, `.<target name>.<pid>.<12 hex digits>.tmp`,
// and every successful write removes the ones of its target whose writer is no longer running: they
// never accumulate, and a live writer's temporary (another process writing the same target) is left
// alone. compiler/cli.ts's asynchronous writeAtomic uses the same names and the same clean-up.

import * as nodeFs from "node:fs";
import { randomBytes } from "node:crypto";
import * as path from "node:path";
import { codes, GradcError } from "./errors.js";

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

/** A fresh temporary name for a write of `file`, in its directory: `.<name>.<pid>.<hex>.tmp`. */
export function temporaryName(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
}

/** The process id of `entry` (a name in the target's directory) when it is a temporary of `file`. */
function temporaryWriter(entry: string, file: string): number | undefined {
  const prefix = `.${path.basename(file)}.`;
  if (!entry.startsWith(prefix)) return undefined;
  const m = /^(\d+)\.[0-9a-f]{12}\.tmp$/.exec(entry.slice(prefix.length));
  return m ? Number(m[1]) : undefined;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"; // alive, but another user's
  }
}

/**
 * Removes the temporaries of `file` left by writers that are no longer running (a process killed
 * mid-write); returns their paths. This process's own are left alone (a write of it may be under way).
 * Best effort: a temporary that cannot be listed or removed stays, and nothing is thrown.
 */
export function removeStaleTemporaries(file: string): string[] {
  const dir = path.dirname(file);
  let entries: string[];
  try {
    entries = nodeFs.readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const entry of entries) {
    const pid = temporaryWriter(entry, file);
    if (pid === undefined || pid === process.pid || isRunning(pid)) continue;
    try {
      nodeFs.unlinkSync(path.join(dir, entry));
      removed.push(path.join(dir, entry));
    } catch {
      // gone already, or not ours to remove: leave it
    }
  }
  return removed;
}

/**
 * Writes `data` (a string is written as UTF-8) to `file` atomically: write a temporary file next to it,
 * fsync, rename. On failure it throws a GradcError (GC3001) naming the file, the temporary file is
 * removed, and an existing `file` keeps its old contents. The directory must exist. After a successful
 * write, temporaries of `file` left by killed writers are removed.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, options: WriteFileAtomicOptions = {}): void {
  const fs: AtomicFs = options.fs ?? nodeFs;
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const dir = path.dirname(file);
  const tmp = temporaryName(file);
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
    throw Object.assign(new GradcError(codes.io, `cannot write ${file}: ${(e as Error).message}`), { cause: e });
  }
  syncDirectory(dir);
  removeStaleTemporaries(file);
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
