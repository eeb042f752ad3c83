// `gradc init [dir]` through the real command line: the scaffold's files and what they say, the refusal
// to replace any existing file (nothing written, every such file named), --force, and the scaffold
// working: its build command compiles model.ts and train.ts trains the generated module, with this
// checkout's gradc linked in as the project's dependency (test/package/install.test.ts does the same
// from the packed tarball with npm install and npm run train).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, test } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BIN = path.join(ROOT, "bin/gradc.js");
const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string; devDependencies: Record<string, string> };
const FILES = ["package.json", "tsconfig.json", "model.ts", "train.ts", ".gitignore"];

const work = mkdtempSync(path.join(os.tmpdir(), "gradc-init-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let n = 0;
const fresh = () => path.join(work, `p${++n}`);

function run(command: string, args: readonly string[], cwd: string) {
  const r = spawnSync(command, args, { cwd, encoding: "utf8", timeout: 180_000 });
  return { code: r.status, status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const gradc = (args: readonly string[], cwd = work) => run(process.execPath, [BIN, ...args], cwd);
const read = (dir: string, f: string) => readFileSync(path.join(dir, f), "utf8");

describe("gradc init", () => {
  test("creates the folder and writes the project's five files, then says what to run", () => {
    const dir = path.join(fresh(), "nested", "My Model");
    const r = gradc(["init", path.relative(work, dir)]);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(dir).sort()).toEqual([...FILES].sort());
    expect(r.stdout).toContain(`Created a gradc project in ${path.relative(work, dir)}: ${FILES.join(", ")}`);
    expect(r.stdout).toContain(`cd "${path.relative(work, dir)}"\n  npm install\n  npm run train`);

    const json = JSON.parse(read(dir, "package.json")) as Record<string, any>;
    expect(json).toMatchObject({ name: "my-model", private: true, type: "module", dependencies: { gradc: `^${pkg.version}` } });
    expect(json.scripts).toEqual({ build: "gradc compile model.ts", train: "npm run build && tsx train.ts", typecheck: "npm run build && tsc" });
    expect(json.devDependencies).toMatchObject({ typescript: pkg.devDependencies.typescript, "@types/node": pkg.devDependencies["@types/node"] });
    expect(json.devDependencies.tsx).toMatch(/^\d+\.\d+\.\d+$/);
    const tsconfig = JSON.parse(read(dir, "tsconfig.json")) as { compilerOptions: Record<string, unknown> };
    expect(tsconfig.compilerOptions).toMatchObject({ strict: true, noUncheckedIndexedAccess: true, exactOptionalPropertyTypes: true, module: "NodeNext" });
    expect(read(dir, "model.ts")).toContain(`import { mlp } from "gradc/layers";`);
    expect(read(dir, "train.ts")).toContain(`from "./model.gen.js";`);
    expect(read(dir, ".gitignore").split("\n")).toEqual(expect.arrayContaining(["node_modules/", "*.gen.ts"]));
  });

  test("with no folder named, the current one", () => {
    const dir = fresh();
    mkdirSync(dir);
    writeFileSync(path.join(dir, "notes.txt"), "mine");
    const r = gradc(["init"], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("Created a gradc project in this folder");
    expect(r.stdout).not.toContain("cd ");
    expect(readdirSync(dir).sort()).toEqual([...FILES, "notes.txt"].sort());
    expect(read(dir, "notes.txt")).toBe("mine");
  });

  test("never replaces a file: names every one that exists, writes nothing, exit 1; --force replaces them", () => {
    const dir = fresh();
    mkdirSync(dir);
    writeFileSync(path.join(dir, "model.ts"), "// my model\n");
    writeFileSync(path.join(dir, ".gitignore"), "dist/\n");
    const r = gradc(["init", path.basename(dir)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `gradc: error GC3007: gradc init would replace model.ts, .gitignore in ${path.basename(dir)}; nothing was written. Run it in an empty folder (gradc init my-model), or pass --force to replace them\n`,
    );
    expect(r.stdout).toBe("");
    expect(readdirSync(dir).sort()).toEqual([".gitignore", "model.ts"]);
    expect(read(dir, "model.ts")).toBe("// my model\n");

    const forced = gradc(["init", path.basename(dir), "--force"]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(readdirSync(dir).sort()).toEqual([...FILES].sort());
    expect(read(dir, "model.ts")).toContain(`model("spirals"`);
  });

  test("a file where the folder should be, and a second argument, are errors", () => {
    const file = fresh();
    writeFileSync(file, "x");
    const r = gradc(["init", path.basename(file)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`gradc: error GC3001: cannot create a project in ${path.basename(file)}: it is a file, not a folder\n`);
    const two = gradc(["init", "a", "b"]);
    expect(two.code).toBe(2);
    expect(two.stderr.split("\n")[0]).toBe("gradc: error GC3002: init: unexpected argument 'b' (gradc init [dir])");
    expect(existsSync(path.join(work, "a"))).toBe(false);
  });

  test("the scaffold works: its build compiles model.ts, train.ts trains it with progress, the project passes strict tsc", () => {
    const dir = fresh();
    expect(gradc(["init", path.basename(dir)]).code).toBe(0);
    // this checkout as the project's gradc (npm install would put the published one there)
    mkdirSync(path.join(dir, "node_modules"));
    symlinkSync(ROOT, path.join(dir, "node_modules/gradc"), "dir");
    symlinkSync(path.join(ROOT, "node_modules/@types"), path.join(dir, "node_modules/@types"), "dir");

    const scripts = (JSON.parse(read(dir, "package.json")) as { scripts: { build: string } }).scripts;
    const build = gradc(scripts.build.replace(/^gradc /, "").split(" "), dir);
    expect(build.code, build.stderr).toBe(0);
    expect(read(dir, "model.gen.ts")).toMatch(/^import \{[^}]*\} from "gradc\/runtime";$/m);

    // tsx is not among this repository's dependencies: its own TypeScript loader runs train.ts instead
    const train = run(process.execPath, ["--import", path.join(ROOT, "scripts/register-ts.js"), "train.ts"], dir);
    expect(train.code, train.stderr).toBe(0);
    const lines = train.stdout.trim().split("\n");
    expect(lines[0]).toBe(`model "spirals": 1600 training and 400 test points, Adam(lr = 0.01), batches of 32`);
    expect(lines.filter((l) => /^epoch \d+\/20: 50 steps/.test(l))).toHaveLength(20);
    const accuracy = Number(/^test loss [\d.]+, test accuracy ([\d.]+)%$/.exec(lines.at(-1)!)?.[1]);
    expect(accuracy).toBeGreaterThan(90);

    const tsc = run(process.execPath, [path.join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], dir);
    // the whole project, model.gen.ts included: what `npm run typecheck` checks
    expect(tsc.status, tsc.stdout).toBe(0);
    expect(tsc.stdout.split("\n").filter((l) => /error TS\d+/.test(l))).toEqual([]);
  });
});
