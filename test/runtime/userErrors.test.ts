// runtime/userErrors.ts: a GradcError printed as the CLI prints it (plain, a data line, a model.ts
// place), paths a user can open, and exitOnUserError in a real Node process: a user's error thrown
// at a top-level await or synchronously exits 1 with no stack; any other error keeps its stack.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { codes, GradcError } from "../../runtime/errors.js";
import { formatUserError } from "../../runtime/userErrors.js";
import { root } from "../examples/util.js";

const dir = mkdtempSync(path.join(tmpdir(), "gradc-user-errors-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const csv = path.join(dir, "data.csv");
writeFileSync(csv, "x,label\n1,0\n2,cat\n");
const modelFile = path.join(dir, "model.ts");
writeFileSync(modelFile, 'import { model } from "gradc";\n  const h = relu(z);\n');

describe("formatUserError", () => {
  it("without a place: gradc: error GCnnnn: message", () => {
    expect(formatUserError(new GradcError(codes.usage, "bad --epochs"), dir)).toBe("gradc: error GC3002: bad --epochs\n");
  });

  it("a line of a data file, relative under the working directory", () => {
    const e = new GradcError(codes.data, 'label "cat" is not a class', { file: csv, line: 3, col: 0 });
    expect(formatUserError(e, dir)).toBe('data.csv:3 - error GC3005: label "cat" is not a class\n\n3 2,cat\n');
  });

  it("a place in model.ts, absolute outside the working directory, with a ~ under the column", () => {
    const e = new GradcError(codes.diverged, "the loss is NaN", { file: modelFile, line: 2, col: 13 });
    expect(formatUserError(e, root)).toBe(`${modelFile}:2:13 - error GC4001: the loss is NaN\n\n2   const h = relu(z);\n              ~\n`);
  });
});

describe("exitOnUserError in a Node process", () => {
  const runtimeUrl = pathToFileURL(path.join(root, "dist/runtime/node.js")).href;
  function script(name: string, body: string) {
    const file = path.join(dir, name);
    writeFileSync(file, `import * as rt from ${JSON.stringify(runtimeUrl)};\nrt.exitOnUserError();\n${body}\n`);
    return spawnSync(process.execPath, [file], { cwd: dir, encoding: "utf8", env: { ...process.env, GRADC_DEBUG: "" } });
  }

  it("a divergence at a top-level await, located in model.ts (relative: under the working directory)", () => {
    const r = script("diverge.mjs", `await Promise.resolve();\nthrow new rt.GradcError(rt.codes.diverged, "the loss is NaN at epoch 2, step 7", { file: ${JSON.stringify(modelFile)}, line: 2, col: 13 });`);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^model\.ts:2:13 - error GC4001: /);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it("a GradcError thrown synchronously", () => {
    const r = script("sync.mjs", `throw new rt.GradcError(rt.codes.emptyData, "the data set is empty");`);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("gradc: error GC3006: the data set is empty\n");
  });

  it("any other error is a bug: printed with its stack, exit 1", () => {
    const r = script("bug.mjs", `await null;\nthrow new TypeError("x is undefined");`);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("TypeError: x is undefined");
    expect(r.stderr).toMatch(/^\s+at /m);
  });
});
