// Paths in the CLI's diagnostics are ones a user can open from where they ran gradc: relative to the
// working directory when the file is under it (however it was named on the command line), absolute
// when it is not. They once were relative always, and a model outside the working directory printed
// as `../../../tmp/…/model.ts:5:18`. Through the real CLI (node bin/gradc.js) as a child process.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const gradc = fileURLToPath(new URL("../../bin/gradc.js", import.meta.url));
const dir = realpathSync(mkdtempSync(path.join(tmpdir(), "gradc-paths-")));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const project = path.join(dir, "project");
const elsewhere = path.join(dir, "elsewhere");
mkdirSync(path.join(project, "src"), { recursive: true });
mkdirSync(elsewhere, { recursive: true });
const bad = ['import { model, input, param, matmul } from "gradc";', 'export default model("bad", () => {', '  const x = input("x", ["batch", 3]);', "  const W = param(\"W\", [2, 1]);", "  return { loss: matmul(x, W) };", "});", ""].join("\n");
const inside = path.join(project, "src", "model.ts");
const outside = path.join(elsewhere, "model.ts");
writeFileSync(inside, bad);
writeFileSync(outside, bad);

const compile = (file: string) => spawnSync(process.execPath, [gradc, "compile", file], { cwd: project, encoding: "utf8", timeout: 60_000 });

describe("the model's path in a diagnostic", () => {
  it("outside the working directory, given absolute: the absolute path", () => {
    const r = compile(outside);
    expect(r.status).toBe(1);
    expect(r.stderr.split("\n")[0]).toBe(`${outside}:5:18 - error GC2001: matmul: inner dimensions differ: [batch, 3] · [2, 1] (3 vs 2)`);
  });

  it("outside the working directory, given relative (../elsewhere/model.ts): the absolute path", () => {
    const r = compile("../elsewhere/model.ts");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^${outside.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:5:18 - error GC2001: `));
  });

  it("under the working directory, given absolute: relative to it", () => {
    const r = compile(inside);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^src\/model\.ts:5:18 - error GC2001: /);
    expect(r.stderr).not.toContain(dir);
  });
});
