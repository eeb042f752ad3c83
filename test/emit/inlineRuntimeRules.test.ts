// The rules `--runtime inline` copies the runtime's declarations by (compiler/emit/inlineRuntime.ts),
// each on a small piece of TypeScript: which names a statement declares, which identifiers refer to
// declarations (never a property name), how an import specifier names a runtime file, and how a
// statement is written out — its comment, no `export`, renamed identifiers (a shorthand property keeps
// its key). test/emit/inlineRuntime.test.ts checks whole modules; these rules are what its examples
// never exercise (no runtime name they copy is renamed, and no property shares a declaration's name).
import { describe, expect, it } from "vitest";
import { ts } from "ts-morph";
import { declaredNames, inlineRuntime, referencedNames, relativeFile, statementText } from "../../compiler/emit/inlineRuntime.js";

const parse = (text: string) => ts.createSourceFile("x.ts", text, ts.ScriptTarget.ES2022, true);
const statement = (text: string) => parse(text).statements[0]!;
const referenced = (text: string) => referencedNames(statement(text)).map((id) => id.text);

describe("declaredNames", () => {
  it.each([
    ["function f(a: number) { return a; }", ["f"]],
    ["export class C {}", ["C"]],
    ["interface I { x: number }", ["I"]],
    ["type T = number;", ["T"]],
    ["enum E { A }", ["E"]],
    ["const a = 1, b = 2;", ["a", "b"]],
    ["const { p, q: [r, s] } = obj;", ["p", "r", "s"]],
    ["const [x, , y] = list;", ["x", "y"]],
    ["export default function () {}", []],
    ["f();", []],
    ['import { a } from "./a.js";', []],
  ] as const)("%s declares %j", (text, names) => {
    expect(declaredNames(statement(text))).toEqual(names);
  });
});

describe("referencedNames", () => {
  it("keeps identifiers that refer to declarations and leaves every kind of property name out", () => {
    expect(referenced("const r = obj.name + f(x);")).toEqual(["r", "obj", "f", "x"]);
    expect(referenced("const o = { name: value, other };")).toEqual(["o", "value", "other"]);
    expect(referenced("interface I { name: T; m(a: U): V; }")).toEqual(["I", "T", "a", "U", "V"]);
    expect(referenced("class C { name = init; m() { return g; } get v() { return h; } set v(a) { k(a); } }")).toEqual(["C", "init", "g", "h", "a", "k", "a"]);
    expect(referenced("const { name: local } = source;")).toEqual(["local", "source"]);
    expect(referenced("let t: NS.Inner;")).toEqual(["t", "NS"]);
  });
});

describe("relativeFile", () => {
  const spec = (text: string) => (statement(`import { a } from ${JSON.stringify(text)};`) as ts.ImportDeclaration).moduleSpecifier;
  it("names the runtime file of a relative import, and nothing for a package", () => {
    expect(relativeFile(spec("./rng.js"))).toBe("rng.ts");
    expect(relativeFile(spec("./a.jsdoc.js"))).toBe("a.jsdoc.ts"); // only the final .js
    expect(relativeFile(spec("node:fs"))).toBeNull();
    expect(relativeFile(spec("gradc/runtime"))).toBeNull();
    expect(relativeFile(undefined)).toBeNull();
  });
});

describe("statementText", () => {
  const text = (source: string, renames: Record<string, string> = {}, index = 0) => {
    const sf = parse(source);
    return statementText(sf.statements[index]!, sf, (id) => renames[id.text]);
  };

  it("keeps the comment right above a statement, not a file header a blank line splits off, and drops `export`", () => {
    const source = "// the file's header\n\n/** What f does. */\nexport function f(): number {\n  return 1;\n}\n";
    expect(text(source)).toBe("/** What f does. */\nfunction f(): number {\n  return 1;\n}\n");
    expect(text("// header\n  \t\n// two lines\n// of comment\nconst a = 1;\n")).toBe("// two lines\n// of comment\nconst a = 1;\n");
    expect(text("const a = 1;\n")).toBe("const a = 1;\n");
    // Only `export` goes: other modifiers stay, exported or not.
    expect(text("async function g() {\n  await h;\n}\n")).toBe("async function g() {\n  await h;\n}\n");
    expect(text("export declare const v: number;\n")).toBe("declare const v: number;\n");
  });

  it("renames the identifiers it is told to, keeping a shorthand property's and a binding's key", () => {
    const source = "export function f(x: number) {\n  const { sgdUpdate } = table;\n  return { sgdUpdate, y: sgdUpdate(x), sgdUpdate2: obj.sgdUpdate };\n}\n";
    expect(text(source, { sgdUpdate: "sgdUpdate_runtime" })).toBe(
      "function f(x: number) {\n  const { sgdUpdate: sgdUpdate_runtime } = table;\n  return { sgdUpdate: sgdUpdate_runtime, y: sgdUpdate_runtime(x), sgdUpdate2: obj.sgdUpdate };\n}\n",
    );
  });
});

describe("inlineRuntime on a module's text", () => {
  const TAIL = "// ── end of the inlined gradc/runtime ──\n";
  it("puts the declarations where the import was, and the module's own code after them unchanged", () => {
    const out = inlineRuntime('// head\nimport { toArray } from "gradc/runtime";\nconst a = toArray([1], "f64");\nconst b = 2;\n', "gradc/runtime");
    expect(out.startsWith("// head\n// ── gradc/runtime ")).toBe(true);
    expect(out).toContain("function toArray(");
    expect(out.endsWith(`${TAIL}const a = toArray([1], "f64");\nconst b = 2;\n`)).toBe(true);
    // Code on the import's own line stays on its line (only an empty rest of the line goes).
    const same = inlineRuntime('import { toArray } from "gradc/runtime"; const a = 1;\nconst b = 2;\n', "gradc/runtime");
    expect(same.endsWith(`${TAIL} const a = 1;\nconst b = 2;\n`)).toBe(true);
  });

  it("refuses an import it cannot inline: none from the runtime, no names, aliases", () => {
    expect(() => inlineRuntime('import { a } from "other";\n', "gradc/runtime")).toThrow("internal: the generated module has no import from gradc/runtime to inline");
    expect(() => inlineRuntime('import "gradc/runtime";\n', "gradc/runtime")).toThrow("internal: the runtime import must be a list of names without aliases to inline it");
    expect(() => inlineRuntime('import * as rt from "gradc/runtime";\n', "gradc/runtime")).toThrow("must be a list of names without aliases");
    expect(() => inlineRuntime('import { toArray, createRng as rng } from "gradc/runtime";\n', "gradc/runtime")).toThrow("must be a list of names without aliases");
  });

  it("renames a runtime declaration the module also declares, and every reference to it in the copy", () => {
    const out = inlineRuntime('import { toArray } from "gradc/runtime";\nfunction typedArrayTag() {}\nconst x = toArray([1], "f64");\n', "gradc/runtime");
    const copy = out.slice(0, out.indexOf("── end of the inlined"));
    expect(copy).toMatch(/function typedArrayTag_runtime\(/);
    expect(copy).not.toMatch(/function typedArrayTag\(/);
    expect(copy.slice(copy.indexOf("function toArray("))).toContain("typedArrayTag_runtime(x)");
  });
});
