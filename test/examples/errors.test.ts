// A user's error in an example program or `npm start` — a bad option, a checkpoint that is not one, a
// run that would replace a checkpoint, a missing file — prints as the CLI prints it,
// `gradc: error GCnnnn: …`, and exits 1, with no stack trace (runtime/userErrors.ts, which every
// examples/*/main.ts installs with exitOnUserError()). Run through the real entry points as child processes.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { exampleNames, root } from "./util.js";

const dir = mkdtempSync(path.join(tmpdir(), "gradc-main-errors-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: readonly string[]) {
  return spawnSync(process.execPath, args, { cwd: root, encoding: "utf8", timeout: 120_000, env: { ...process.env, GRADC_DEBUG: "" } });
}
const main = (name: string, args: readonly string[]) => run(["--import", "./scripts/register-ts.js", `examples/${name}/main.ts`, ...args]);

/** Exit 1, stderr exactly one `gradc: error CODE: …` line (and nothing that looks like a stack). */
function expectUserError(r: ReturnType<typeof run>, code: string, message: RegExp): void {
  expect(r.status, r.stderr).toBe(1);
  expect(r.stderr).toMatch(new RegExp(`^gradc: error ${code}: `));
  expect(r.stderr).toMatch(message);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stderr.trim().split("\n")).toHaveLength(1);
}

describe("example programs print a user's error as gradc: error GCnnnn, exit 1, no stack", () => {
  it("every examples/*/main.ts installs the handler", () => {
    const mains = exampleNames().filter((n) => readdirSync(path.join(root, "examples", n)).includes("main.ts"));
    expect(mains.length).toBeGreaterThanOrEqual(6);
    for (const n of mains) expect(readFileSync(path.join(root, "examples", n, "main.ts"), "utf8"), n).toMatch(/^exitOnUserError\(\);/m);
  });

  it("a mistyped option (examples/simple)", () => {
    expectUserError(main("simple", ["--sed", "3"]), "GC3002", /Unknown option '--sed'/);
  });

  it("--resume of a file that is not a checkpoint (examples/mnist-mlp)", () => {
    const bad = path.join(dir, "bad.ckpt");
    writeFileSync(bad, "not a checkpoint\n");
    expectUserError(main("mnist-mlp", ["--resume", bad, "--out", path.join(dir, "out1")]), "GC3004", /bad\.ckpt is not a gradc checkpoint/);
  });

  it("--resume of a missing file (examples/mnist-cnn)", () => {
    expectUserError(main("mnist-cnn", ["--resume", path.join(dir, "missing.ckpt"), "--out", path.join(dir, "out2")]), "GC3001", /missing\.ckpt does not exist/);
  });

  it("a run that would replace a checkpoint is refused (examples/mnist-mlp)", () => {
    const out = path.join(dir, "out3");
    mkdirSync(out, { recursive: true });
    writeFileSync(path.join(out, "mnistMlp.ckpt"), "an earlier run's checkpoint\n");
    expectUserError(main("mnist-mlp", ["--epochs", "1", "--out", out]), "GC3007", /already holds a checkpoint of model "mnistMlp".*--overwrite/);
    expect(readFileSync(path.join(out, "mnistMlp.ckpt"), "utf8")).toBe("an earlier run's checkpoint\n");
  });

  it("npm start passes the example's error on: gradc: error, exit 1, no stack", () => {
    const bad = path.join(dir, "start.ckpt");
    writeFileSync(bad, "GRADCKPT but nothing else");
    const r = run(["scripts/start.js", "--resume", bad, "--out", path.join(dir, "out4")]);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toContain("gradc compile examples/mnist-mlp/model.ts");
    expect(r.stderr).toMatch(/^gradc: error GC3004: .*start\.ckpt/m);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });
});

