// Source maps: with --source-map, a stack trace through generated code resolves (through the map)
// to the model.ts expression the failing statement implements: decoded by hand for the TypeScript
// module, and by Node itself (`node --enable-source-maps`, real child processes) for the JavaScript
// gradc writes, alone and inside a tsc project that builds next to it (README: "Source maps").
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import { main } from "../../compiler/cli.js";
import { SourceMap } from "../../compiler/frontend/sourceMap.js";
import { buildSourceMap, encodeVlq } from "../../compiler/emit/sourceMap.js";
import { decodeVlq } from "../../compiler/frontend/sourceMap.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), "gradc-map-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("buildSourceMap, line by line (in process: the CLI's compile runs in its box)", () => {
  const code = [
    'import { tanh } from "gradc/runtime";', // 0: not model code
    "",
    "export function lossAndGrad() {",
    "  // z1 = x·W1   (model.ts:9:14)", // 3: a kernel's comment: unmapped itself, maps what follows
    "  const a = 1;", // 4: model.ts 9:14 at column 2
    "    const b = 2;", // 5: same place, column 4
    "  // h1 = relu(z1)   (relu', layers.ts:3:5)", // 6: a file model.ts imports: a second source
    "  const c = 3;",
    "  // v = … (elsewhere.ts:1:1)", // 8: a file the map does not know: ends the kernel before it (its lines once mapped to relu's)
    "  const d = 4;",
    "}", // 10: a top-level line ends the kernel
    "const after = 5;",
  ].join("\n");
  // Built inside each test, not when the describe is collected: a mutation run activates its mutant per
  // test, so a map built at collection time was never the mutated code's (every mutant of it survived).
  const build = () => buildSourceMap(code, { file: "model.gen.ts", source: "../src/model.ts", sourceName: "model.ts", imported: { "layers.ts": "../src/layers.ts" } });

  it("one entry per line: kernel lines map to their comment's place, as deltas; others unmapped from column 0", () => {
    const map = build();
    // [column, source, line, column] deltas: 2,0,8,13 (model.ts:9:14 is 0-based 8,13); then 4,0,0,0 and
    // 2,+1,−6,−9 (layers.ts:3:5); the rest "A" (column 0, no source) or "" (an empty line).
    expect(map.mappings).toBe(["A", "", "A", "A", "EAQa", "IAAA", "A", "ECNT", "A", "A", "A", "A"].join(";"));
    expect(map.mappings.split(";")[4]).toBe(encodeVlq(2) + encodeVlq(0) + encodeVlq(8) + encodeVlq(13));
  });

  it("names model.ts's path and each imported file once, in the order the code first cites them", () => {
    const map = build();
    expect(map).toEqual({ version: 3, file: "model.gen.ts", sources: ["../src/model.ts", "../src/layers.ts"], names: [], mappings: map.mappings });
    const decoded = new SourceMap(map);
    expect(decoded.originalPosition(4, 2)).toEqual({ source: "../src/model.ts", line: 8, col: 13 }); // 0-based: model.ts:9:14
    expect(decoded.originalPosition(7, 2)).toEqual({ source: "../src/layers.ts", line: 2, col: 4 });
    expect(decoded.originalPosition(9, 2)).toBeNull(); // after the comment citing an unknown file
  });

  // Kernels of an imported file one after another, an empty line inside a kernel, and a top-level line
  // that ends a kernel with indented lines after it.
  const imported = [
    "export function a() {",
    "  // y = tanh(x)   (layers.ts:2:3)", // 1
    "  const y = 1;", // 2: layers.ts 2:3, the map's second source
    "", // 3: an empty line inside the kernel: no segment
    "  const z = 2;", // 4: the same place, again from the second source (a zero source delta)
    "  // w = relu(y)   (layers.ts:4:1)", // 5: the same file cited again
    "  const w = 3;", // 6
    "}", // 7: top-level: ends the kernel
    "export function b() {",
    "  const v = 4;", // 9: indented, but after a top-level line: not the kernel's
  ].join("\n");
  const seg = (...deltas: number[]) => deltas.map(encodeVlq).join("");

  it("a file cited by several kernels is one source; lines from it after the first carry a zero source delta", () => {
    const map = buildSourceMap(imported, { file: "model.gen.ts", source: "model.ts", sourceName: "model.ts", imported: { "layers.ts": "layers.ts" } });
    expect(map.sources).toEqual(["model.ts", "layers.ts"]);
    // [column, source, line, column], deltas from the segment before: layers.ts is source 1, 2:3 is (1, 2) 0-based, 4:1 is (3, 0).
    expect(map.mappings.split(";")).toEqual(["A", "A", seg(2, 1, 1, 2), "", seg(2, 0, 0, 0), "A", seg(2, 0, 2, -2), "A", "A", "A"]);
    const decoded = new SourceMap(map);
    expect(decoded.originalPosition(4, 2)).toEqual({ source: "layers.ts", line: 1, col: 2 });
    expect(decoded.originalPosition(6, 2)).toEqual({ source: "layers.ts", line: 3, col: 0 });
    expect(decoded.originalPosition(9, 2)).toBeNull();
  });
});

describe("source maps", () => {
  it("VLQ encoding round-trips", () => {
    for (const v of [0, 1, -1, 15, 16, -16, 31, 32, 1000, -12345, 2 ** 20]) expect(decodeVlq(encodeVlq(v))).toEqual([v]);
  });

  it("the TypeScript module under the repo's loader (scripts/register-ts.js): the map, composed with the loader's own, names model.ts:LINE:COL inside a kernel and model.gen.ts outside", async () => {
    const ts = mkdtempSync(path.join(dir, "ts-"));
    copyFileSync("examples/xor/model.ts", path.join(ts, "model.ts"));
    const io = { stdout: { write: () => true }, stderr: { write: (s: string) => void process.stderr.write(s) }, cwd: ts };
    expect(await main(["compile", "model.ts", "-o", "model.gen.ts", "--dtype", "f64", "--source-map"], io)).toBe(0);
    const code = readFileSync(path.join(ts, "model.gen.ts"), "utf8");
    expect(code.trimEnd().endsWith("//# sourceMappingURL=model.gen.ts.map")).toBe(true);
    const map = SourceMap.parse(readFileSync(path.join(ts, "model.gen.ts.map"), "utf8"));
    expect(map.raw.sources).toEqual(["model.ts"]);
    const tanh = code.split("\n").findIndex((l) => l.includes("Math.tanh("));
    const origin = map.originalPosition(tanh, code.split("\n")[tanh]!.indexOf("Math.tanh"))!;
    expect(origin).toEqual({ source: "model.ts", line: 11, col: 12 }); // 0-based: model.ts:12:13

    writeFileSync(path.join(ts, "run.ts"), THROWS("./model.gen.js"));
    const r = spawnSync(process.execPath, ["--import", path.resolve("scripts/register-ts.js"), "run.ts"], { cwd: ts, encoding: "utf8" });
    expect(r.status).toBe(1);
    // The training pass calls the forward pass, whose kernel threw; the call itself is outside the kernels (model.gen.ts).
    const [, kernel, pass, caller] = frames(r.stderr);
    expect(kernel).toBe(`at forwardPass (${path.join(ts, "model.ts")}:12:13)`);
    expect(pass).toMatch(/^at trainPass \(.*\/model\.gen\.ts:\d+:\d+\)$/);
    // The pass is called by gradc/runtime's bindModule (lossAndGrad's wrapper), whose frame the module's map does not touch.
    expect(caller).toMatch(/^at trainShared \(.*\/runtime\/bindModule\.(js|ts):\d+:\d+\)$/);
  });

  // The throwing program: Math.tanh throws, so the innermost generated frame is inside the kernel
  // h = tanh(x·W1 + b1) of examples/xor/model.ts (line 12, column 13), in the forward pass the training
  // pass calls, called from lossAndGrad.
  const THROWS = (module: string) => `import { initParams, lossAndGrad } from "${module}";
Math.tanh = () => { throw new Error("boom"); };
lossAndGrad(initParams(0), { x: [0, 1], y: [1] });
`;
  const frames = (stderr: string) => stderr.split("\n").filter((l) => /^\s+at /.test(l)).map((l) => l.trim());
  const gradc = (cwd: string, ...args: string[]) => spawnSync(process.execPath, [path.join(root, "bin/gradc.js"), ...args], { cwd, encoding: "utf8" });

  it("node --enable-source-maps on gradc's JavaScript names model.ts:LINE:COL for a throw inside a kernel, and the .js line outside kernels", () => {
    const js = mkdtempSync(path.join(dir, "js-"));
    copyFileSync(path.join(root, "examples/xor/model.ts"), path.join(js, "model.ts"));
    const c = gradc(js, "compile", "model.ts", "-o", "model.gen.js", "--source-map");
    expect(c.status, c.stderr).toBe(0);
    writeFileSync(path.join(js, "run.mjs"), THROWS("./model.gen.js"));
    const r = spawnSync(process.execPath, ["--enable-source-maps", "run.mjs"], { cwd: js, encoding: "utf8" });
    expect(r.status).toBe(1);
    const [, kernel, pass, caller] = frames(r.stderr);
    expect(kernel).toBe(`at forwardPass (${path.join(js, "model.ts")}:12:13)`);
    expect(pass).toMatch(/^at trainPass \(.*\/model\.gen\.js:\d+:\d+\)$/);
    // The wrapper that calls the pass is gradc/runtime's (bindModule), not model code: its frame is the runtime's file.
    // (dist/'s own source map names runtime/bindModule.ts under --enable-source-maps.)
    expect(caller).toMatch(/^at trainShared \(.*\/runtime\/bindModule\.(js|ts):\d+:\d+\)$/);
    // A line of the module outside the kernels stays in model.gen.js (explicitly unmapped, not the model.ts
    // line of the last kernel above it): the passes table, say.
    const jsLines = readFileSync(path.join(js, "model.gen.js"), "utf8").split("\n");
    const table = jsLines.findIndex((l) => l.startsWith("export const passes"));
    expect(table).toBeGreaterThan(0);
    const jsMap = SourceMap.parse(readFileSync(path.join(js, "model.gen.js.map"), "utf8"));
    expect(jsMap.originalPosition(table, 0)).toBeNull();
    // Without the flag, Node names the JavaScript.
    const plain = spawnSync(process.execPath, ["run.mjs"], { cwd: js, encoding: "utf8" });
    expect(frames(plain.stderr)[1]).toMatch(/^at forwardPass \(file:\/\/.*\/model\.gen\.js:\d+:\d+\)$/);
  });

  it("a tsc project with gradc's JavaScript in its outDir (rootDirs): node --enable-source-maps names model.ts and main.ts", () => {
    const project = mkdtempSync(path.join(dir, "tsc-"));
    copyFileSync(path.join(root, "examples/xor/model.ts"), path.join(project, "model.ts"));
    writeFileSync(path.join(project, "package.json"), `${JSON.stringify({ type: "module" })}\n`);
    writeFileSync(
      path.join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, noUncheckedIndexedAccess: true, exactOptionalPropertyTypes: true, lib: ["ES2022"], types: [], rootDir: "src", outDir: "out", rootDirs: ["src", "out"], sourceMap: true },
        include: ["src"],
      }),
    );
    mkdirSync(path.join(project, "src"));
    writeFileSync(path.join(project, "src/main.ts"), THROWS("./model.gen.js"));
    const c = gradc(project, "compile", "model.ts", "-o", "out/model.gen.js", "--source-map");
    expect(c.status, c.stderr).toBe(0);
    const tsc = spawnSync(process.execPath, [path.join(root, "node_modules/typescript/bin/tsc"), "-p", "."], { cwd: project, encoding: "utf8" });
    expect(tsc.status, tsc.stdout).toBe(0);
    const r = spawnSync(process.execPath, ["--enable-source-maps", "out/main.js"], { cwd: project, encoding: "utf8" });
    const f = frames(r.stderr);
    expect(f[1]).toBe(`at forwardPass (${path.join(project, "model.ts")}:12:13)`);
    expect(f.find((l) => l.includes("main.ts:3:"))).toMatch(new RegExp(`^at .*\\(${path.join(project, "src/main.ts").replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:3:1\\)$`));
  });
});
