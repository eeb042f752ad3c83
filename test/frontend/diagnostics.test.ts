// Every diagnostic the frontend gives, as the user sees it: the exact first line and the code frame.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { GradcError } from "../../compiler/diagnostics.js";
import { formatDiagnostic } from "../../compiler/frontend/format.js";
import { loadModel, type LoadOptions } from "../../compiler/frontend/load.js";

const fixtures = fileURLToPath(new URL("../fixtures/models/", import.meta.url));

async function diagnose(name: string, options: LoadOptions = {}): Promise<{ err: GradcError; lines: string[] }> {
  const err = await loadModel(path.join(fixtures, name), options).then(
    () => {
      throw new Error(`${name} loaded without an error`);
    },
    (e: unknown) => e,
  );
  if (!(err instanceof GradcError)) throw err;
  return { err, lines: formatDiagnostic(err, undefined, fixtures).split("\n") };
}

/** First line exact; then a blank line, the source line under its number, and `~` from the column on. */
async function expectDiagnostic(name: string, first: string, source: string, underline: string, options?: LoadOptions) {
  const { lines } = await diagnose(name, options);
  expect(lines[0]).toBe(first);
  expect(lines[1]).toBe("");
  const [, line, col] = /:(\d+):(\d+) - /.exec(first)!.map(Number);
  const gutter = `${line} `;
  expect(lines[2]).toBe(`${gutter}${source}`);
  expect(lines[3]).toBe(`${" ".repeat(gutter.length)}${" ".repeat(col! - 1)}${underline}`);
}

describe("frontend diagnostics", () => {
  test("GC2001 shape mismatch names both shapes", async () => {
    await expectDiagnostic(
      "shapeMismatch.ts",
      "shapeMismatch.ts:7:15 - error GC2001: matmul: inner dimensions differ: [batch, 3] · [2, 1] (3 vs 2)",
      "  const out = matmul(x, W);",
      "~~~~~~~~~~~~",
    );
  });

  test("GC2002 unknown op: an import gradc does not export, with close names", async () => {
    await expectDiagnostic(
      "unknownOp.ts",
      `unknownOp.ts:1:39 - error GC2002: unknown op 'sigmod': "gradc" has no export of that name; did you mean 'sigmoid'?`,
      `import { model, input, param, matmul, sigmod, mse } from "gradc";`,
      "~~~~~~",
    );
  });

  test("GC2002 unknown op without the type-checker", async () => {
    const { lines } = await diagnose("unknownOp.ts", { typecheck: false });
    expect(lines[0]).toBe(`unknownOp.ts:1:39 - error GC2002: unknown op 'sigmod': "gradc" has no export of that name; did you mean 'sigmoid'?`);
  });

  test("GC2003 unknown init", async () => {
    await expectDiagnostic(
      "unknownInit.ts",
      `unknownInit.ts:8:13 - error GC2003: param "W": unknown init "gaussian"; expected one of default, zeros, ones, constant, uniform, normal, xavier, xavierUniform, xavierNormal, he, heUniform, heNormal, or an array of values`,
      `  const W = param("W", [2, 1], { init: config.init });`,
      "~".repeat(`param("W", [2, 1], { init: config.init })`.length),
    );
  });

  test("GC2004 two parameters named W", async () => {
    await expectDiagnostic(
      "duplicate.ts",
      `duplicate.ts:7:13 - error GC2004: duplicate name "W": already declared at 6:13`,
      `  const V = param("W", [2, 1]);`,
      "~~~~~~~~~~~~~~~~~~",
    );
  });

  test("GC2005 no loss: at the model's return", async () => {
    await expectDiagnostic(
      "noLoss.ts",
      "noLoss.ts:7:3 - error GC2005: the model returns no loss: return { loss: ..., outputs: { ... } }",
      "  return { outputs: { out } };",
      "~~~~~~~~~~~~~~~~~~~~~~~~~~~~",
    );
  });

  test("GC2006 a loss that is not a scalar", async () => {
    await expectDiagnostic(
      "lossNotScalar.ts",
      "lossNotScalar.ts:8:16 - error GC2006: the loss must be a scalar, got shape [batch, 1] (take mean(...) or sum(...))",
      "  const loss = square(sub(out, y));",
      "~~~~~~~~~~~~~~~~~~~",
    );
  });

  test("GC1001 a file that does not parse", async () => {
    await expectDiagnostic("parseError.ts", "parseError.ts:6:26 - error GC1001: ')' expected.", "  const out = matmul(x, W;", "~");
  });

  test("GC1001 is reported without the type-checker too", async () => {
    const { lines } = await diagnose("parseError.ts", { typecheck: false });
    expect(lines[0]).toBe("parseError.ts:6:26 - error GC1001: ')' expected.");
  });

  test("GC1002 a file that does not type-check", async () => {
    await expectDiagnostic(
      "typeError.ts",
      "typeError.ts:7:25 - error GC1002: Argument of type 'string' is not assignable to parameter of type 'Operand'.",
      `  const out = matmul(x, "W");`,
      "~~~",
    );
  });

  test("GC1002 importing a local file that does not exist: at the import", async () => {
    await expectDiagnostic(
      "localImport.ts",
      `localImport.ts:2:23 - error GC1002: cannot find "./noSuchHelper.js": there is no noSuchHelper.ts next to localImport.ts`,
      `import { units } from "./noSuchHelper.js";`,
      "~~~~~~~~~~~~~~~~~~~",
    );
  });

  test("GC1003 a model whose build throws: at the innermost model.ts frame", async () => {
    await expectDiagnostic(
      "throws.ts",
      "throws.ts:4:9 - error GC1003: uncaught Error: no hidden units configured",
      `  throw new Error("no hidden units configured");`,
      `new Error("no hidden units configured")`.replace(/./g, "~"),
    );
  });

  test("GC1004 a default export that is not a model", async () => {
    await expectDiagnostic(
      "notModel.ts",
      "notModel.ts:3:1 - error GC1004: the default export of notModel.ts is a function, not a model: write `export default model(\"name\", () => { ... return { loss, outputs }; })`",
      "export default function build() {",
      "~".repeat("export default function build() {".length),
    );
  });

  test("GC2008 a bad --batch has no location", async () => {
    const { err, lines } = await diagnose("simple.ts", { batch: 0 });
    expect(err.loc).toBeUndefined();
    expect(lines).toEqual(["error GC2008: --batch must be a positive integer, got 0"]);
  });
});
