// Models in several files, through the real command line (`node bin/gradc.js …`, so the files load in
// gradc's box): model.ts imports ./layers.js, which imports ./config.js (test/fixtures/multiFile/).
// Kernels, explain and the source map point into the file that made each node; an error in an imported
// file is located in that file; a missing file, a cycle, a file outside the project and a refused
// package are located at the import, with nothing written.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeEach, describe, expect, test } from "vitest";
import { SourceMap } from "../../compiler/frontend/sourceMap.js";

const BIN = fileURLToPath(new URL("../../bin/gradc.js", import.meta.url));
const FIXTURE = fileURLToPath(new URL("../fixtures/multiFile/", import.meta.url));

const root = mkdtempSync(path.join(os.tmpdir(), "gradc-multi-"));
const proj = path.join(root, "proj");
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeEach(() => {
  rmSync(proj, { recursive: true, force: true });
  cpSync(FIXTURE, proj, { recursive: true });
  writeFileSync(path.join(proj, "package.json"), JSON.stringify({ name: "proj", private: true, type: "module" }));
});

function gradc(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: proj, encoding: "utf8", timeout: 180_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, first: r.stderr.split("\n")[0] };
}

/** The 1-based line and column of the first `needle` in a project file. */
function where(file: string, needle: string): string {
  const lines = readFileSync(path.join(proj, file), "utf8").split("\n");
  const i = lines.findIndex((l) => l.includes(needle));
  expect(i, `${needle} in ${file}`).toBeGreaterThanOrEqual(0);
  return `${file}:${i + 1}:${lines[i]!.indexOf(needle) + 1}`;
}

const edit = (file: string, from: string, to: string) => {
  const p = path.join(proj, file);
  const text = readFileSync(p, "utf8");
  expect(text).toContain(from);
  writeFileSync(p, text.replace(from, to));
};

const listing = () => readdirSync(proj).sort();

describe("a model in three files", () => {
  test("compiles; kernels, explain and the source map name the file each expression is in", () => {
    const r = gradc("compile", "model.ts", "--source-map");
    expect(r.code, r.stderr).toBe(0);
    const code = readFileSync(path.join(proj, "model.gen.ts"), "utf8");
    const tanhAt = where("layers.ts", "tanh(z)");
    const denseAt = where("model.ts", "dense(h, hidden");
    expect(code).toContain(`(${tanhAt})`);
    expect(code).toContain(`(add', ${where("layers.ts", "add(matmul(x, W), b)")})`);
    expect(code).toContain(`(tanh', ${tanhAt})`);
    expect(code).toContain(denseAt);
    // the sizes come from config.ts through layers.ts: fc1 is 2×4, fc2 4×1
    expect(code).toContain(`{ name: "fc1.W", shape: [2, 4]`);
    expect(code).toContain(`{ name: "fc2.weight", shape: [4, 1]`);

    const raw = JSON.parse(readFileSync(path.join(proj, "model.gen.ts.map"), "utf8")) as { sources: string[] };
    expect([...raw.sources].sort()).toEqual(["layers.ts", "model.ts"]);
    const map = SourceMap.parse(JSON.stringify(raw));
    const genLines = code.split("\n");
    const tanhLine = genLines.findIndex((l) => l.includes("Math.tanh("));
    expect(tanhLine).toBeGreaterThan(0);
    const origin = map.originalPosition(tanhLine, genLines[tanhLine]!.search(/\S/))!;
    expect(origin.source).toBe("layers.ts");
    expect(`layers.ts:${origin.line + 1}:${origin.col + 1}`).toBe(tanhAt);

    const explained = gradc("explain", "model.ts");
    expect(explained.code, explained.stderr).toBe(0);
    expect(explained.stdout).toMatch(new RegExp(`= tanh\\(z\\)\\s+\\(${tanhAt}\\)`));
    expect(explained.stdout).toContain(`(tanh', ${tanhAt}`);
    expect(explained.stdout).toContain(denseAt);
  });

  test("a model file in a subfolder: the map names the imported file by its path from the map", () => {
    mkdirSync(path.join(proj, "net"));
    for (const f of ["model.ts", "layers.ts", "config.ts"]) cpSync(path.join(proj, f), path.join(proj, "net", f));
    const r = gradc("compile", "net/model.ts", "-o", "gen/model.gen.ts", "--source-map");
    expect(r.code, r.stderr).toBe(0);
    const raw = JSON.parse(readFileSync(path.join(proj, "gen/model.gen.ts.map"), "utf8")) as { sources: string[] };
    expect([...raw.sources].sort()).toEqual(["../net/layers.ts", "../net/model.ts"]);
  });
});

describe("errors in the model's other files", () => {
  const before = ["config.ts", "layers.ts", "model.ts", "package.json"];

  test("a shape error inside layers.ts is located in layers.ts", () => {
    edit("layers.ts", "[outputs], {", "[outputs + 1], {");
    const r = gradc("compile", "model.ts");
    expect(r.code).toBe(1);
    expect(r.first).toBe(`${where("layers.ts", "add(matmul(x, W), b)")} - error GC2001: add: shapes [batch, 4] and [5] do not broadcast (dimension 1: 4 vs 5)`);
    expect(r.stderr).toContain("  const z = add(matmul(x, W), b);");
    expect(listing()).toEqual(before);
  });

  test("a type error in config.ts is located in config.ts", () => {
    edit("config.ts", "export const hidden = 4;", 'export const hidden: number = "4";');
    const r = gradc("compile", "model.ts");
    expect(r.code).toBe(1);
    expect(r.first).toBe(`${where("config.ts", "hidden: number")} - error GC1002: Type 'string' is not assignable to type 'number'.`);
    expect(listing()).toEqual(before);
  });

  test("an exception thrown in layers.ts is located at its throw", () => {
    edit("layers.ts", "  const z =", '  if (inputs === 2) throw new Error("two inputs");\n  const z =');
    const r = gradc("explain", "model.ts");
    expect(r.code).toBe(1);
    expect(r.first).toBe(`${where("layers.ts", 'new Error("two inputs")')} - error GC1003: uncaught Error: two inputs`);
  });

  test("a file that does not exist: at the import that names it", () => {
    edit("layers.ts", '"./config.js"', '"./sizes.js"');
    const r = gradc("compile", "model.ts");
    expect(r.code).toBe(1);
    expect(r.first).toBe(`${where("layers.ts", '"./sizes.js"')} - error GC1002: cannot find "./sizes.js": there is no sizes.ts next to layers.ts`);
    expect(listing()).toEqual(before);
  });

  test("an import cycle: at the import that closes it, naming the cycle", () => {
    edit("config.ts", "export const hidden", 'import { tanhLayer } from "./layers.js";\nexport const unused = tanhLayer;\nexport const hidden');
    const r = gradc("compile", "model.ts");
    expect(r.code).toBe(1);
    expect(r.first).toBe(
      `${where("layers.ts", '"./config.js"')} - error GC1002: import cycle: config.ts → layers.ts → config.ts; gradc runs the model's files in order, so one of them would see the other half-loaded: move what both need into a file of its own`,
    );
    expect(listing()).toEqual(before);
  });

  test("a cycle of type-only imports is harmless", () => {
    edit("config.ts", "export const hidden", 'import type { tanhLayer } from "./layers.js";\nexport type Layer = typeof tanhLayer;\nexport const hidden');
    const r = gradc("compile", "model.ts");
    expect(r.code, r.stderr).toBe(0);
  });

  test("a file outside the project folder is refused by the box, at the import", () => {
    writeFileSync(path.join(root, "shared.ts"), "export const hidden = 4;\n");
    edit("layers.ts", '"./config.js"', '"../shared.js"');
    const r = gradc("compile", "model.ts");
    expect(r.code).toBe(1);
    expect(r.first).toBe(
      `${where("layers.ts", '"../shared.js"')} - error GC1003: the model tried to read ${path.join(root, "shared.js")}; gradc's box lets model code read only under ${proj} and gradc's installation (--trust-model runs it with your rights)`,
    );
    // with --trust-model the same file is read
    const trusted = gradc("compile", "model.ts", "--trust-model");
    expect(trusted.code, trusted.stderr).toBe(0);
  });

  test("an imported file's packages pass the same checks as model.ts's own", () => {
    edit("layers.ts", 'import { hidden } from "./config.js";', 'import { hidden } from "./config.js";\nimport { execSync } from "node:child_process";\nexport const run = execSync;');
    const r = gradc("compile", "model.ts");
    expect(r.code).toBe(1);
    expect(r.first).toMatch(/^layers\.ts:\d+:\d+ - error GC1003: the model tried to import node:child_process, which would let it start processes; gradc's box does not let model code do that/);
    expect(existsSync(path.join(proj, "model.gen.ts"))).toBe(false);
  });
});
