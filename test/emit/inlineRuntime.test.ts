// `gradc compile --runtime inline`: an example compiled so that it imports nothing is the committed
// module with its runtime import replaced by the runtime's declarations, computes exactly what the
// committed module computes, and type-checks under strict settings without the DOM lib.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../compiler/cli.js";
import { compileFile } from "../../compiler/compile.js";
import { inlineRuntime } from "../../compiler/emit/inlineRuntime.js";
import { compiledWith } from "../../scripts/golden-targets.js";
import type { GeneratedModule } from "../helpers/compiled.js";
import { mulberry32 } from "../helpers/rng.js";
import { strictTypeErrors } from "../helpers/strictTypeCheck.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), "gradc-inline-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TAIL = "// ── end of the inlined gradc/runtime ──\n";
const IMPORT = /^import \{[^}]*\} from "gradc\/runtime";\n/m;

/** Each example compiled with --runtime inline, in the dtype (and batch) of its committed module. */
const compiled = new Map<string, Promise<string>>();
const inlined = (name: string): Promise<string> => {
  let p = compiled.get(name);
  if (!p) {
    const options = compiledWith(`examples/${name}/model.gen.ts`) as { dtype: "f32" | "f64"; batch?: number };
    p = compileFile(path.join(root, "examples", name, "model.ts"), { ...options, inlineRuntime: true }).then((c) => c.code);
    compiled.set(name, p);
  }
  return p;
};
const committed = (name: string) => readFileSync(path.join(root, "examples", name, "model.gen.ts"), "utf8");

async function importText(file: string, text: string): Promise<GeneratedModule> {
  writeFileSync(path.join(dir, file), text);
  return (await import(/* @vite-ignore */ path.join(dir, file))) as GeneratedModule;
}

/** Inputs for a batch of 3 from a module's spec: random floats, integer inputs 0 or 1. */
function inputsFor(m: GeneratedModule, seed: number): Record<string, number[]> {
  const rng = mulberry32(seed);
  const spec = m.spec as unknown as { inputs: { name: string; shape: (number | string)[]; dtype: string }[] };
  return Object.fromEntries(
    spec.inputs.map((i) => {
      const size = i.shape.reduce<number>((a, d) => a * (typeof d === "number" ? d : 3), 1);
      return [i.name, Array.from({ length: size }, (_, k) => (i.dtype === "i32" ? k % 2 : rng()))];
    }),
  );
}

// Three examples cover what modules import: float64 (simple), float32 with the WebAssembly GEMM
// (mnist-mlp), an LSTM over a scan (sequence). Each compile takes a few seconds.
const names = ["simple", "mnist-mlp", "sequence"];

describe("--runtime inline", () => {
  it.each(names)("%s: the committed module, its runtime import replaced by the runtime's declarations", async (name) => {
    const text = await inlined(name);
    const normal = committed(name);
    const imp = IMPORT.exec(normal)!;
    expect(imp, "the committed module imports gradc/runtime").not.toBeNull();
    expect(text.slice(0, imp.index)).toBe(normal.slice(0, imp.index));
    expect(text.slice(imp.index)).toMatch(/^\/\/ ── gradc\/runtime \d+\.\d+\.\d+, inlined by `gradc compile --runtime inline`/);
    expect(text.slice(text.indexOf(TAIL) + TAIL.length).replace(/^\n/, "")).toBe(normal.slice(imp.index + imp[0].length).replace(/^\n/, ""));
    expect(text).not.toMatch(/^\s*import\b|\brequire\(|\bimport\(/m); // imports nothing
    expect(text).not.toMatch(/^export .*\b(createRng|createOptimizer|toArray|initTensor)\b/m); // the runtime's names stay private
  });

  it.each(names)("%s: computes exactly what the committed module computes", async (name) => {
    const inline = await importText(`${name}.inline.gen.ts`, await inlined(name));
    const normal = await importText(`${name}.gen.ts`, committed(name)); // imports gradc/runtime (the sources, through vitest's alias)
    const pi = inline.initParams(5), pn = normal.initParams(5);
    expect(pi).toEqual(pn);
    const inputs = inputsFor(normal, 9);
    expect(inline.lossAndGrad(pi, inputs)).toEqual(normal.lossAndGrad(pn, inputs));
    const ti = inline.createTrainer(pi, { optimizer: { kind: "adam", lr: 0.01 } });
    const tn = normal.createTrainer(pn, { optimizer: { kind: "adam", lr: 0.01 } });
    for (let k = 0; k < 3; k++) expect(ti.step(inputs)).toBe(tn.step(inputs));
    expect(pi).toEqual(pn);
  });

  it("a module whose expressions call gradc/runtime's erf (gelu, erf) imports it, and inlined it computes the same", async () => {
    const model = path.join(root, "test/explain/newOps.model.ts");
    const normal = (await compileFile(model, { dtype: "f64" })).code;
    const text = (await compileFile(model, { dtype: "f64", inlineRuntime: true })).code;
    expect(IMPORT.exec(normal)![0]).toMatch(/\berf\b/);
    expect(normal).toMatch(/\* 0\.5 \* \(1 \+ erf\(/); // gelu's expression calls it
    expect(text).toContain("function erf(x: number): number {");
    expect(text).not.toMatch(/^\s*import\b/m);
    expect(committed("simple")).not.toMatch(/\berf\b/); // imported only where used
    const inline = await importText("newOps.inline.gen.ts", text);
    const imported = await importText("newOps.gen.ts", normal);
    const params = imported.initParams(3);
    const inputs = inputsFor(imported, 4);
    expect(inline.lossAndGrad(params, inputs)).toEqual(imported.lossAndGrad(params, inputs));
  });

  it("renames a runtime declaration that the module also declares (update.ts's private sgdUpdate beside a module's own)", () => {
    // Generated modules no longer declare a name the runtime keeps private, so a module text written here does.
    const text = inlineRuntime('import { applyUpdate } from "gradc/runtime";\nexport function sgdUpdate(): number {\n  return 1;\n}\nexport const apply = applyUpdate;\n', "gradc/runtime");
    expect(text).toContain("export function sgdUpdate(): number {"); // the module's own, untouched
    expect(text).toContain("function sgdUpdate_runtime(list: readonly FloatArray[], grads: readonly FloatArray[], u: FusedUpdate, simd: SimdUpdate | undefined): void {");
    expect(text).toContain("return sgdUpdate_runtime(params, grads, u, simd);");
    expect(text).not.toMatch(/^\s*import\b/m);
    expect(strictTypeErrors([{ name: "renamed.ts", code: text }])).toEqual([]);
  });

  it("a rename that is taken too gets a number (sgdUpdate_runtime2), and the module's text after the import is kept as written", () => {
    const text = inlineRuntime('// head\nimport { applyUpdate } from "gradc/runtime";\n\nexport function sgdUpdate(): number {\n  return 1;\n}\nexport const sgdUpdate_runtime = 2;\nexport const apply = applyUpdate;\n', "gradc/runtime");
    expect(text.startsWith("// head\n// ── gradc/runtime ")).toBe(true);
    expect(text).toContain("function sgdUpdate_runtime2(list: readonly FloatArray[], grads: readonly FloatArray[], u: FusedUpdate, simd: SimdUpdate | undefined): void {");
    expect(text).toContain("return sgdUpdate_runtime2(params, grads, u, simd);");
    // The import's line goes, the module's lines after it stay as written (here a blank one first).
    expect(text).toContain("// ── end of the inlined gradc/runtime ──\n\nexport function sgdUpdate(): number {\n  return 1;\n}\nexport const sgdUpdate_runtime = 2;\nexport const apply = applyUpdate;\n");
    expect(strictTypeErrors([{ name: "renamed2.ts", code: text }])).toEqual([]);
  });

  it("copies exactly the declarations simple's module reaches, in evaluation order", async () => {
    const text = await inlined("simple");
    const runtime = text.slice(text.indexOf("// ── gradc/runtime"), text.indexOf(TAIL));
    const declared = [...runtime.matchAll(/^(?:declare )?(?:function|const|let|class|interface|type|enum) ([A-Za-z_$][\w$]*)/gm)].map((m) => m[1]!);
    // Reviewed 2026-12-07: removing any one of these declarations (other than one overload signature of
    // toArray) makes the module fail the strict type-check, so nothing is copied that is not needed; a
    // change of the runtime that changes this list is reviewed here. (Today no property name of the
    // runtime is also the name of a declaration the module does not reach, so taking property names for
    // references would copy nothing more; this list is what would show it if that changed.)
    expect([...new Set(declared)]).toEqual([
      "Rng", "TWO_POW_26", "TWO_POW_53", "TWO_PI", "createRng", "splitmix32Mix", "createRngFromState", "Dtype", "FloatArray", "InitSpec",
      "shapeSize", "fans", "InitDistribution", "initDistribution", "initTensor", "fillUniform", "fillNormal", "requireFinite", "requireNonNegative", "badDtype",
      "RELU_PICK", "relu", "on", "withFastMath", "clipGradNorm", "clipGradValue", "checkClip", "ParamSelector", "ParamGroup", "ResolvedGroup", "NamedParam", "resolveGroups",
      "select", "nonNegativeFinite", "SgdSpec", "AdamSpec", "OptimizerSpec", "ResolvedOptimizerSpec", "SGD_DEFAULTS", "ADAM_DEFAULTS", "ADAMW_DEFAULTS", "resolveOptimizerSpec",
      "checkLr", "checkBeta", "nonNegative", "finite", "rejectUnknownKeys", "SimdUpdate", "applyUpdate", "ownGradients", "sgdUpdate", "SIMD_SGD_MIN", "sgdLoop", "sgdDecayLoop", "sgdMomentumUpdate", "adamUpdate", "adamLoop",
      "FusedUpdate", "UPDATE", "BiasCorrection", "OptimizerState", "OptimizerOptions", "TrainerOptions", "TRAINER_OPTIONS", "createTrainerOptimizer", "Optimizer", "createOptimizer", "Setup",
      "resolveSetup", "groupLr", "groupDecay", "SgdOptimizer", "AdamOptimizer", "fusedUpdate", "allocate", "checkStepArgs", "checkStateHeader", "copyBuffers",
      "typedArrayTag", "describeValue", "InputDtype", "InputSpec", "InputValue", "values", "resolveBatch", "toArray", "Layout", "layouts", "lastSpecs",
      "lastLayout", "layoutOf", "checkSpecs", "staticRowSize", "hasBatchDim", "checkFloats", "allFinite", "checkIndices", "isAcceptedArray", "acceptedTypes", "expectedCount",
      "describeRows", "lengthError", "elementAt", "ParamSpec", "checkParams", "arrayName", "ModuleSpec", "Workspace", "OutputPass", "TrainPass",
      "ModulePasses", "ModuleTrainer", "BoundModule", "bindModule", "NO_RNG",
    ]);
  });

  it("refuses, as our bug, a module without the runtime import or with an aliased name", () => {
    expect(() => inlineRuntime("export const x = 1;\n", "gradc/runtime")).toThrow("internal: the generated module has no import from gradc/runtime to inline");
    expect(() => inlineRuntime('import { applyUpdate } from "other";\nexport const a = applyUpdate;\n', "gradc/runtime")).toThrow("internal: the generated module has no import from gradc/runtime to inline");
    expect(() => inlineRuntime('import { applyUpdate as u } from "gradc/runtime";\nexport const a = u;\n', "gradc/runtime")).toThrow("internal: the runtime import must be a list of names without aliases to inline it");
    expect(() => inlineRuntime('import * as r from "gradc/runtime";\nexport const a = r;\n', "gradc/runtime")).toThrow("internal: the runtime import must be a list of names without aliases to inline it");
  });

  it("type-checks under strict, noUncheckedIndexedAccess and exactOptionalPropertyTypes without the DOM lib, as compiled by the CLI's own path", async () => {
    const files = await Promise.all(names.map(async (name) => ({ name: `${name}.inline.gen.ts`, code: await inlined(name) })));
    expect(strictTypeErrors(files)).toEqual([]);
  });

  it("the CLI: --runtime inline writes the module; another value is a usage error that writes nothing", async () => {
    const out: string[] = [], err: string[] = [];
    const io = { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, cwd: dir };
    expect(await main(["compile", path.join(root, "examples/simple/model.ts"), "-o", "simple.gen.ts", "--runtime", "inline"], io)).toBe(0);
    expect(readFileSync(path.join(dir, "simple.gen.ts"), "utf8")).toContain(TAIL);
    expect(await main(["compile", path.join(root, "examples/simple/model.ts"), "-o", "other.gen.ts", "--runtime", "bundle"], io)).toBe(2);
    expect(err.join("")).toContain("error GC3002: option '--runtime' must be import or inline, got 'bundle'");
    expect(() => readFileSync(path.join(dir, "other.gen.ts"))).toThrow();
  });
});
