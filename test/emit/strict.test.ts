// Generated modules type-check in a user's strict project (DESIGN.md: strict, noUncheckedIndexedAccess,
// exactOptionalPropertyTypes; also noImplicitOverride, noPropertyAccessFromIndexSignature and the
// rest of ../helpers/strictTypeCheck.ts). Checked here: every committed generated module (the
// examples' and test/golden's, which golden.test.ts proves are what the compiler emits today, f32 and
// f64, with and without --batch), each also as `--runtime inline` makes it. Every op's lowering is
// checked under the same settings in test/ops/compiled.test.ts; the packed tarball in a fresh
// project in test/package/install.test.ts.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { inlineRuntime } from "../../compiler/emit/inlineRuntime.js";
import { goldenTargets } from "../../scripts/golden-targets.js";
import { strictTypeErrors } from "../helpers/strictTypeCheck.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const targets = goldenTargets();

describe("generated modules under a strict tsconfig", () => {
  it("every committed generated module, as emitted and with the runtime inlined, has no type error", () => {
    const files = targets.flatMap((t) => {
      const code = readFileSync(path.join(root, t.out), "utf8");
      // --runtime inline is this same text with the runtime import replaced (compile.ts formats it after).
      return [{ name: t.out, code }, { name: t.out.replace(/\.ts$/, ".inline.ts"), code: inlineRuntime(code, "gradc/runtime") }];
    });
    expect(files.length).toBeGreaterThanOrEqual(2 * 13);
    expect(new Set(targets.map((t) => t.dtype))).toEqual(new Set(["f32", "f64"]));
    expect(strictTypeErrors(files)).toEqual([]);
  });

  it("the check is not vacuous: an unchecked typed-array read, an optional property given undefined, and a missing import are errors", () => {
    const errors = strictTypeErrors([
      { name: "read.ts", code: "export function f(a: Float64Array, i: number): number {\n  return a[i] * 2;\n}\n" },
      { name: "optional.ts", code: "export const o: { x?: number } = { x: undefined };\n" },
      { name: "runtime.ts", code: 'import { createRng, noSuchExport } from "gradc/runtime";\nexport const r = [createRng, noSuchExport];\n' },
    ]);
    expect(errors).toEqual([
      expect.stringMatching(/^read\.ts\(2,10\): error TS2532: Object is possibly 'undefined'/),
      expect.stringMatching(/^optional\.ts\(1,14\): error TS2375: /),
      expect.stringMatching(/^runtime\.ts\(1,21\): error TS2305: Module '"gradc\/runtime"' has no exported member 'noSuchExport'/),
    ]);
  });
});

// The passes' small arrows (`outputs`, `grads`) take the runtime's arguments up to the last one they
// read; one they do not read before it is named with a leading underscore, as a pass's parameters are.
describe("the outputs' and gradients' arrows under noUnusedParameters", () => {
  it("models whose outputs or gradients read only some of (ws, n, inputs, params) type-check", async () => {
    const { compileAndImport } = await import("../helpers/compiled.js");
    const d = await import("../../compiler/dsl/index.js");
    const { model } = await import("../../compiler/dsl/model.js");
    const models = [
      // outputs: a parameter (reads params only) and a constant (reads nothing)
      model("paramOut", () => {
        const x = d.input("x", ["batch", 2]);
        const W = d.param("W", [2, 1]);
        return { loss: d.mean(d.square(d.matmul(x, W))), outputs: { weights: W } };
      }),
      model("constOut", () => {
        const x = d.input("x", ["batch", 2]);
        const W = d.param("W", [2, 1]);
        return { loss: d.mean(d.square(d.matmul(x, W))), outputs: { c: d.constant([1, 2, 3]) } };
      }),
      // names in strings are not reads: an output named `inputs` and a parameter named `ws` read neither
      model("namesInStrings", () => {
        const x = d.input("x", ["batch", 2]);
        const W = d.param("ws", [2, 1]);
        return { loss: d.mean(d.square(d.matmul(x, W))), outputs: { inputs: W, n: d.constant([1]) } };
      }),
      // a gradient that is a parameter's own array (∂(½‖W‖²)/∂W = W) beside one in the workspace
      model("gradParam", () => {
        const x = d.input("x", ["batch", 2]);
        const W = d.param("W", [2, 1]);
        const V = d.param("V", [2, 1]);
        return { loss: d.add(d.mean(d.square(d.matmul(x, W))), d.mul(0.5, d.sum(d.square(V)))) };
      }),
    ];
    const files = [];
    for (const m of models) for (const dtype of ["f32", "f64"] as const) files.push({ name: `${m.name}.${dtype}.gen.ts`, code: (await compileAndImport(m, { dtype })).code });
    expect(strictTypeErrors(files)).toEqual([]);
  });
});
