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
