// Megabyte literals of numbers stand aside while TypeScript parses, type-checks and transpiles the
// model (compiler/frontend/bulkLiterals.ts): the model's values, locations and diagnostics are what
// they are without that, and anything that is not plainly such a literal stays where it is.
import { describe, expect, it } from "vitest";
import { isGradcError } from "../../compiler/diagnostics.js";
import { MIN_LENGTH, setAsideBulkLiterals } from "../../compiler/frontend/bulkLiterals.js";
import { loadModelSource } from "../../compiler/frontend/load.js";
import type { Graph } from "../../compiler/ir/graph.js";
import { initLiteral } from "../../bench/scalingModels.js";

const file = "/virtual/project/model.ts";

/** Rows of four numbers as a nested literal of at least MIN_LENGTH characters, and the values in order. */
function rows(): { text: string; values: number[] } {
  const values: number[] = [];
  const lines: string[] = [];
  for (let r = 0, length = 0; length < MIN_LENGTH + 100; r++) {
    const row = [0, 1, 2, 3].map((c) => Math.round(Math.sin(r * 4 + c) * 1e6) / 1e6 - (c === 3 ? 2 : 0));
    values.push(...row);
    lines.push(`  [${row.join(", ")}],`);
    length += lines[lines.length - 1]!.length + 1;
  }
  return { text: `[\n${lines.join("\n")}\n]`, values };
}

/** A model whose W [rows, 4] takes `literal` as its init; `extra` goes after the model (a type error, say). */
const modelWith = (literal: string, count: number, extra = "") => `import { model, input, param, matmul, mse } from "gradc";

const VALUES = ${literal};

export default model("m", () => {
  const x = input("x", ["batch", ${count}]);
  const y = input("y", ["batch", 4]);
  const W = param("W", [${count}, 4], { init: VALUES });
  return { loss: mse(matmul(x, W), y), outputs: {} };
});
${extra}`;

const initValues = (g: Graph) => (g.params[0]!.attrs.init as { values: number[] }).values;

function diagnostic(text: string): { code: string; line: number; col: number; message: string } {
  try {
    loadModelSource(file, text);
  } catch (e) {
    if (isGradcError(e)) return { code: e.code, line: e.loc!.line, col: e.loc!.col, message: e.message };
    throw e;
  }
  throw new Error("expected a diagnostic");
}

describe("setAsideBulkLiterals", () => {
  it("replaces a large literal by a call in parentheses, as long, with the same line breaks", () => {
    const { text: literal } = rows();
    const source = modelWith(literal, 4);
    const aside = setAsideBulkLiterals(source)!;
    expect(aside).not.toBeNull();
    expect(aside.text.length).toBe(source.length);
    expect(aside.text.split("\n").length).toBe(source.split("\n").length);
    expect(aside.text).toContain("const VALUES = (\n__gradc_values_0__()   ");
    expect(aside.text).toMatch(/ +\n\);\n\nexport default model/);
    expect(aside.text).not.toContain("0.841471"); // sin(1): the numbers are gone from what TypeScript sees
    expect(aside.declarations).toBe("\ndeclare function __gradc_values_0__(): number[][];");
    expect(aside.definitions).toBe(`\nfunction __gradc_values_0__() { return ${literal}; }`);
  });

  it("leaves small literals, and anything that is not plainly numbers in brackets", () => {
    const big = rows().text;
    const cases = [
      modelWith("[[1, 2, 3, 4]]", 1), // small
      modelWith(`"${big.replace(/\n/g, " ")}".length as unknown as number[][]`, 4), // in a string
      modelWith(`[[1, 2, 3, 4]]; /* ${big} */`, 1), // in a comment
      modelWith(`${big} as const`, 4), // its own type matters
      modelWith(big.replace("[\n  [", "[\n  [0x10, "), 4), // hex
      modelWith(big.replace("[\n  [", "[\n  [1_000, "), 4), // numeric separator
      modelWith(big.replace("[\n  [", "[\n  [], ["), 4), // an empty array
      modelWith(big.replace("[\n  [", "[\n  1, ["), 4), // numbers at two depths
      modelWith(big.replace("[\n  [", "[\n  [x, "), 4), // a name
    ];
    for (const source of cases) expect(setAsideBulkLiterals(source)).toBeNull();
  });
});

describe("a model with a large init literal", () => {
  it("gets the literal's values, and diagnostics after it where they are", () => {
    const { text, values } = rows();
    const count = values.length / 4;
    const g = loadModelSource(file, modelWith(text, count));
    expect(initValues(g)).toEqual(values);
    // The parameter's node is located at its param(...) call, past the literal.
    const source = modelWith(text, count);
    const line = source.split("\n").findIndex((l) => l.includes('param("W"')) + 1;
    expect(g.params[0]!.loc).toMatchObject({ line, col: 13 });

    // A type error after the literal: located exactly (GC1002), as without the literal.
    const bad = modelWith(text, count, 'const n: number = "not a number";\n');
    const d = diagnostic(bad);
    expect(d.code).toBe("GC1002");
    expect(d.line).toBe(bad.split("\n").length - 1);
    expect(d.col).toBe(7);
  });

  it("a literal used by the model twice gives fresh arrays, as the literal itself does", () => {
    const { text, values } = rows();
    const source = `import { model, input, param, matmul, add, mse } from "gradc";
const make = () => ${text};
export default model("m", () => {
  const a = make();
  a[0]![0] = 42; // changes this copy only
  const b = make();
  const x = input("x", ["batch", ${values.length / 4}]);
  const W = param("W", [${values.length / 4}, 4], { init: a });
  const V = param("V", [${values.length / 4}, 4], { init: b });
  return { loss: mse(add(matmul(x, W), matmul(x, V)), 0), outputs: {} };
});
`;
    expect(setAsideBulkLiterals(source)).not.toBeNull();
    const g = loadModelSource(file, source);
    expect(initValues(g)[0]).toBe(42);
    expect((g.params[1]!.attrs.init as { values: number[] }).values).toEqual(values);
  });

  it("a syntax error inside a large literal is still a located parse error", () => {
    const { text, values } = rows();
    const at = text.indexOf(", ", text.length / 2);
    const broken = `${text.slice(0, at)}; ${text.slice(at + 2)}`; // `;` for `,` halfway through
    const source = modelWith(broken, values.length / 4);
    expect(setAsideBulkLiterals(source)).toBeNull();
    const d = diagnostic(source);
    expect(d.code).toBe("GC1001");
    const before = source.slice(0, source.indexOf(";", source.indexOf("const VALUES"))).split("\n");
    expect([d.line, d.col]).toEqual([before.length, before[before.length - 1]!.length + 1]);
  });

  it("the generator's 1 MB model loads with every value", () => {
    const m = initLiteral(1e6);
    const g = loadModelSource(file, m.source);
    const values = initValues(g);
    expect(values.length).toBe((g.params[0]!.shape as number[]).reduce((a, b) => a * b, 1));
    expect(values.length).toBeGreaterThan(80_000);
    expect(values.every(Number.isFinite)).toBe(true);
  });
});
