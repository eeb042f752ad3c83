// runtime/fsAtomic.ts: temporaries of interrupted atomic writes are named after their target and
// writer, and the next successful write to the same target removes those of writers that are gone;
// a failed write (a full disk) is a GradcError GC3001 naming the file. compiler/cli.ts's writeAtomic
// follows the same rule.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeAtomic } from "../../compiler/cli.js";
import { codes, isGradcError } from "../../runtime/errors.js";
import { removeStaleTemporaries, temporaryName, writeFileAtomic, type AtomicFs } from "../../runtime/fsAtomic.js";

const root = mkdtempSync(path.join(tmpdir(), "gradc-atomic-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The id of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(r.stdout);
}

/** A directory with leftovers of `target`'s writers (dead, alive, this process) and of another target. */
function withLeftovers(name: string) {
  const dir = mkdtempSync(path.join(root, `${name}-`));
  const dead = deadPid();
  const files = {
    dead: `.m.ckpt.${dead}.0123456789ab.tmp`,
    dead2: `.m.ckpt.${dead}.ba9876543210.tmp`,
    alive: `.m.ckpt.${process.ppid}.0123456789ab.tmp`, // the test runner's parent: running
    own: `.m.ckpt.${process.pid}.0123456789ab.tmp`,
    otherTarget: `.m.ckpt.old.${dead}.0123456789ab.tmp`,
    notOurs: `.m.ckpt.${dead}.tmp`,
  };
  for (const f of Object.values(files)) writeFileSync(path.join(dir, f), "partial");
  return { dir, target: path.join(dir, "m.ckpt"), files };
}

describe("temporaries of interrupted writes", () => {
  it("are named after the target and the writing process", () => {
    const t = temporaryName("/some/dir/model.ckpt");
    expect(path.dirname(t)).toBe("/some/dir");
    expect(path.basename(t)).toMatch(new RegExp(`^\\.model\\.ckpt\\.${process.pid}\\.[0-9a-f]{12}\\.tmp$`));
  });

  it("the next successful write to the target removes those of writers that are gone, and nothing else", () => {
    const { dir, target, files } = withLeftovers("runtime");
    writeFileAtomic(target, "new");
    expect(fs.readFileSync(target, "utf8")).toBe("new");
    expect(readdirSync(dir).sort()).toEqual(["m.ckpt", files.alive, files.own, files.otherTarget, files.notOurs].sort());
  });

  it("a write that fails removes nothing (and leaves no temporary of its own)", () => {
    const { dir, target } = withLeftovers("failing");
    const before = readdirSync(dir).sort();
    const failing: AtomicFs = { ...fs, renameSync: () => { throw new Error("EIO: i/o error"); } };
    expect(() => writeFileAtomic(target, "new", { fs: failing })).toThrow(/^cannot write .*m\.ckpt: EIO/);
    expect(readdirSync(dir).sort()).toEqual(before);
  });

  it("removeStaleTemporaries lists what it removed; a missing directory is no error", () => {
    const { target, files } = withLeftovers("explicit");
    expect(removeStaleTemporaries(target).map((f) => path.basename(f)).sort()).toEqual([files.dead, files.dead2].sort());
    expect(removeStaleTemporaries(path.join(root, "no", "such", "m.ckpt"))).toEqual([]);
  });

  it("the CLI's writeAtomic removes them too", async () => {
    const { dir, target, files } = withLeftovers("cli");
    await writeAtomic(target, "text");
    expect(readdirSync(dir).sort()).toEqual(["m.ckpt", files.alive, files.own, files.otherTarget, files.notOurs].sort());
  });
});

describe("a full disk", () => {
  it("is a GradcError GC3001 naming the file; the old contents and no temporary remain", () => {
    const dir = mkdtempSync(path.join(root, "full-"));
    const target = path.join(dir, "m.ckpt");
    writeFileAtomic(target, "old");
    const full: AtomicFs = {
      ...fs,
      writeSync: (fd, b, o, l) => {
        fs.writeSync(fd, b, o, Math.min(l, 1));
        throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
      },
    };
    let error: unknown;
    try {
      writeFileAtomic(target, "a longer new text", { fs: full });
    } catch (e) {
      error = e;
    }
    expect(isGradcError(error) && error.code).toBe(codes.io);
    expect((error as Error).message).toBe(`cannot write ${target}: ENOSPC: no space left on device, write`);
    expect(fs.readFileSync(target, "utf8")).toBe("old");
    expect(readdirSync(dir)).toEqual(["m.ckpt"]);
  });
});
