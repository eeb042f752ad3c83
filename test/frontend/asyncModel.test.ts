// A model must be traced synchronously: an async build function, a build function whose result is a
// Promise, or a default export that is a Promise is GC1008 at its place in model.ts, with or without
// the type-checker. (Through the real CLI and its box: test/cli/box.test.ts.)
import { expect, test } from "vitest";
import { loadModelSource } from "../../compiler/frontend/load.js";

const HEAD = `import { model, input, param, matmul, mse } from "gradc";\n`;
const BODY = `const x = input("x", ["batch", 1]); return { loss: mse(matmul(x, param("W", [1, 1])), input("y", ["batch", 1])) };`;

function diagnostic(text: string, typecheck = true) {
  try {
    loadModelSource("/virtual/model.ts", HEAD + text, { typecheck });
  } catch (e) {
    const err = e as { code: string; message: string; loc?: { line: number; col: number } };
    return { code: err.code, line: err.loc?.line, col: err.loc?.col, message: err.message };
  }
  throw new Error("the model loaded");
}

test.each([true, false])("an async build function is GC1008 at the function (typecheck %s)", (typecheck) => {
  const d = diagnostic(`export default model("m", async () => { ${BODY} });\n`, typecheck);
  expect(d).toMatchObject({ code: "GC1008", line: 2, col: 27 });
  expect(d.message).toMatch(/^the build function is async \(it returns a Promise\): gradc traces it synchronously/);
});

test("a build function returning an async helper's Promise: GC1008 from the type-checker", () => {
  const d = diagnostic(`async function helper() { ${BODY} }\nexport default model("m", () => helper());\n`);
  expect(d).toMatchObject({ code: "GC1008", line: 3 });
});

test("the same without the type-checker: GC1008 when tracing finds the Promise", () => {
  const d = diagnostic(`async function helper() { ${BODY} }\nexport default model("m", () => helper() as any);\n`, false);
  expect(d).toMatchObject({ code: "GC1008", line: 3, col: 16 });
  expect(d.message).toMatch(/^the build function returned a Promise \(is it async\?\)/);
});

test("a default export that is a Promise of a model: GC1008", () => {
  const d = diagnostic(`export default (async () => model("m", () => { ${BODY} }))();\n`, false);
  expect(d).toMatchObject({ code: "GC1008", line: 2, col: 16 });
  expect(d.message).toMatch(/^the default export of model\.ts is a Promise/);
});
