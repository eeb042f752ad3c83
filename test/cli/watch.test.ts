// `gradc compile --watch` and `gradc explain --watch` as a user runs them: a real child process
// (`node bin/gradc.js … --watch`) on a model in three files (test/fixtures/multiFile/), edited while it
// runs. Each save of model.ts or of a file it imports rebuilds once, with one status line; an error
// prints its diagnostic and keeps the last good output byte for byte; a file the model imports after a
// failed build is picked up when it appears; SIGINT ends it with exit 0 and nothing left behind.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, describe, expect, test } from "vitest";

const BIN = fileURLToPath(new URL("../../bin/gradc.js", import.meta.url));
const FIXTURE = fileURLToPath(new URL("../fixtures/multiFile/", import.meta.url));
const WAIT = 120_000; // each build starts a box process: seconds on a busy machine

const root = mkdtempSync(path.join(os.tmpdir(), "gradc-watch-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Watching {
  readonly child: ChildProcess;
  readonly dir: string;
  stdout: string;
  stderr: string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}
let current: Watching | null = null;
afterEach(() => {
  if (current && current.child.exitCode === null && current.child.signalCode === null) current.child.kill("SIGKILL");
  current = null;
});

function start(name: string, args: readonly string[]): Watching {
  const dir = path.join(root, name);
  cpSync(FIXTURE, dir, { recursive: true });
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name, private: true, type: "module" }));
  const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  const w: Watching = { child, dir, stdout: "", stderr: "", exit: new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal }))) };
  child.stdout!.setEncoding("utf8").on("data", (s: string) => (w.stdout += s));
  child.stderr!.setEncoding("utf8").on("data", (s: string) => (w.stderr += s));
  return (current = w);
}

/** The status lines printed so far. */
const statusLines = (w: Watching) => w.stderr.split("\n").filter((l) => /^\[\d\d:\d\d:\d\d\] /.test(l));

/** Waits until the watcher has printed `n` status lines; returns the last one. */
async function line(w: Watching, n: number): Promise<string> {
  const deadline = Date.now() + WAIT;
  while (statusLines(w).length < n) {
    if (w.child.exitCode !== null) throw new Error(`gradc --watch exited (${w.child.exitCode}):\n${w.stderr}`);
    if (Date.now() > deadline) throw new Error(`no status line ${n} in time; stderr so far:\n${w.stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return statusLines(w)[n - 1]!;
}

/** The pid of the box process a build of `w` started (waits for it). */
async function boxOf(w: Watching): Promise<number> {
  const deadline = Date.now() + WAIT;
  for (;;) {
    const r = spawnSync("ps", ["-o", "pid=", "--ppid", String(w.child.pid)], { encoding: "utf8" });
    const pid = Number(r.stdout.trim().split("\n")[0]);
    if (pid) return pid;
    if (w.child.exitCode !== null || Date.now() > deadline) throw new Error(`no box process; stderr:\n${w.stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function edit(w: Watching, file: string, from: string, to: string): void {
  const p = path.join(w.dir, file);
  const text = readFileSync(p, "utf8");
  expect(text).toContain(from);
  writeFileSync(p, text.replace(from, to));
}

describe("gradc compile --watch", () => {
  test("rebuilds on a change to any of the model's files, keeps the last good output on an error, stops on SIGINT", async () => {
    const w = start("compile", ["compile", "model.ts", "--watch"]);
    const gen = () => readFileSync(path.join(w.dir, "model.gen.ts"), "utf8");

    expect(await line(w, 1)).toMatch(/^\[\d\d:\d\d:\d\d\] wrote model\.gen\.ts in \d+\.\d s; watching 3 files \(Ctrl-C stops\)$/);
    expect(gen()).toContain(`{ name: "fc1.W", shape: [2, 4]`);

    // config.ts is imported by layers.ts, which model.ts imports
    edit(w, "config.ts", "hidden = 4", "hidden = 5");
    expect(await line(w, 2)).toMatch(/^\[\d\d:\d\d:\d\d\] config\.ts changed: wrote model\.gen\.ts in \d+\.\d s; watching 3 files/);
    expect(gen()).toContain(`{ name: "fc1.W", shape: [2, 5]`);
    const good = gen();

    // an error: the diagnostic, the old output kept as it was
    edit(w, "layers.ts", "[outputs], {", "[outputs + 1], {");
    expect(await line(w, 3)).toMatch(/^\[\d\d:\d\d:\d\d\] layers\.ts changed: error after \d+\.\d s; model\.gen\.ts left as it was; watching 3 files/);
    expect(w.stderr).toContain("layers.ts:8:13 - error GC2001: add: shapes [batch, 5] and [6] do not broadcast (dimension 1: 5 vs 6)");
    expect(gen()).toBe(good);

    // fixed again
    edit(w, "layers.ts", "[outputs + 1], {", "[outputs], {");
    expect(await line(w, 4)).toMatch(/layers\.ts changed: wrote model\.gen\.ts/);
    expect(gen()).toBe(good);

    // an import of a file not written yet fails; writing the file rebuilds
    edit(w, "model.ts", `import { tanhLayer } from "./layers.js";`, `import { tanhLayer } from "./layers.js";\nimport { outputs } from "./sizes.js";`);
    edit(w, "model.ts", "dense(h, hidden, 1,", "dense(h, hidden, outputs,");
    expect(await line(w, 5)).toMatch(/model\.ts changed: error after/);
    expect(w.stderr).toContain(`model.ts:5:25 - error GC1002: cannot find "./sizes.js": there is no sizes.ts next to model.ts`);
    writeFileSync(path.join(w.dir, "sizes.ts"), "export const outputs = 1;\n");
    expect(await line(w, 6)).toMatch(/sizes\.ts changed: wrote model\.gen\.ts in \d+\.\d s; watching 4 files/);
    expect(gen()).not.toBe(good); // model.ts's lines moved: the comments say so
    expect(gen()).toContain(`(model.ts:11:15)`);

    // one line per build; gradc's own writes of model.gen.ts are no change (a line would say "model.gen.ts changed")
    edit(w, "config.ts", "hidden = 5", "hidden = 6");
    expect(await line(w, 7)).toMatch(/config\.ts changed: wrote/);
    expect(statusLines(w).filter((l) => l.includes("model.gen.ts changed"))).toEqual([]);

    w.child.kill("SIGINT");
    expect(await w.exit).toEqual({ code: 0, signal: null });
    expect(w.stderr).not.toMatch(/\n\s+at |internal compiler error/);
    expect(statusLines(w)).toHaveLength(7);
    expect(readdirSync(w.dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    expect(gen()).toContain(`{ name: "fc1.W", shape: [2, 6]`);
  }, 6 * WAIT);

  test("SIGINT during a build ends the build's box process and exits 0, writing nothing", async () => {
    const w = start("interrupt", ["compile", "model.ts", "-o", "out.gen.ts", "--watch"]);
    const box = await boxOf(w); // the first build is under way
    w.child.kill("SIGINT");
    expect(await w.exit).toEqual({ code: 0, signal: null });
    expect(alive(box)).toBe(false);
    expect(statusLines(w)).toEqual([]);
    expect(readdirSync(w.dir).filter((f) => f.startsWith("out.gen.ts") || f.startsWith(".out.gen.ts"))).toEqual([]);
  }, WAIT);
});

describe("gradc explain --watch", () => {
  test("prints the derivation again after each change", async () => {
    const w = start("explain", ["explain", "model.ts", "--watch"]);
    expect(await line(w, 1)).toMatch(/^\[\d\d:\d\d:\d\d\] explained model\.ts in \d+\.\d s; watching 3 files/);
    expect(w.stdout).toContain("(layers.ts:9:10)");
    edit(w, "layers.ts", "return tanh(z);", "return tanh(tanh(z));");
    expect(await line(w, 2)).toMatch(/layers\.ts changed: explained model\.ts/);
    const derivations = w.stdout.split(/^Gradients of model /m).slice(1);
    expect(derivations).toHaveLength(2);
    expect(derivations[0]).not.toContain("tanh(tanh(");
    expect(derivations[1]).toMatch(/tanh\(h₁\)|tanh\(tanh\(/);
    w.child.kill("SIGINT");
    expect(await w.exit).toEqual({ code: 0, signal: null });
  }, 3 * WAIT);
});
