// Row statistics computed once (compiler/emit/rowStatistics.ts): a second softmax-style row op on the
// same row reuses the first's max and Σ exp, only where that is the same computation.
import { describe, expect, it } from "vitest";
import { compileFile } from "../../compiler/compile.js";
import { shareRowStatistics } from "../../compiler/emit/rowStatistics.js";

const stats = (m: string, s: string, j: string, row = "x[i * 10 + J]!") => [
  `let ${m} = -Infinity;`,
  `for (let ${j} = 0; ${j} < 10; ${j}++) if (${row.replace(/J/g, j)} > ${m}) ${m} = ${row.replace(/J/g, j)};`,
  `let ${s} = 0;`,
  `for (let ${j} = 0; ${j} < 10; ${j}++) ${s} += Math.exp(${row.replace(/J/g, j)} - ${m});`,
];

describe("shareRowStatistics", () => {
  it("drops a second block over the same row and reads the first's names", () => {
    const lines = ["for (let i = 0; i < n; i++) {", ...stats("max", "sumExp", "j"), "a[i] = max + sumExp;", ...stats("max_2", "sumExp_2", "j_2"), "b[i] = max_2 / sumExp_2;", "}"];
    expect(shareRowStatistics(lines)).toEqual([
      "for (let i = 0; i < n; i++) {",
      ...stats("max", "sumExp", "j"),
      "a[i] = max + sumExp;",
      "// the row's max and Σ exp: max, sumExp, computed above",
      "b[i] = max / sumExp;",
      "}",
    ]);
  });

  const unchanged: [string, string[]][] = [
    ["another row", [...stats("max", "sumExp", "j"), ...stats("max_2", "sumExp_2", "j_2", "z[i * 10 + J]!")]],
    ["the row's array written in between", [...stats("max", "sumExp", "j"), "x[i * 10 + 3] = 0;", ...stats("max_2", "sumExp_2", "j_2")]],
    ["the row's array, a name with $, written in between", [...stats("max", "sumExp", "j", "x$[i * 10 + J]!"), "x$[i * 10 + 3] = 0;", ...stats("max_2", "sumExp_2", "j_2", "x$[i * 10 + J]!")]],
    ["the row's array filled in between", [...stats("max", "sumExp", "j"), "x.fill(0);", ...stats("max_2", "sumExp_2", "j_2")]],
    ["the first max reassigned", [...stats("max", "sumExp", "j"), "if (max === Infinity) max = 0;", ...stats("max_2", "sumExp_2", "j_2")]],
    ["the first block's scope closed", ["{", ...stats("max", "sumExp", "j"), "}", ...stats("max_2", "sumExp_2", "j_2")]],
  ];
  for (const [title, lines] of unchanged) it(`leaves them alone: ${title}`, () => expect(shareRowStatistics(lines)).toEqual(lines));

  // Blocks that only look like row statistics: each differs from the real thing in one place, so neither
  // it nor the real block after it may be taken for a second copy of the other.
  const like = (edit: (lines: string[]) => string[]): string[] => [...edit(stats("max", "sumExp", "j")), ...stats("max_2", "sumExp_2", "j_2")];
  const lookalikes: [string, string[]][] = [
    ["a max that does not start at −∞", like(([, ...rest]) => ["let max = 0;", ...rest])],
    ["a max loop over another local", like(([a, b, ...rest]) => [a!, b!.replace(/> max\) max =/, "> top) top ="), ...rest])],
    ["a sum into another local", like(([a, b, c, d]) => [a!, b!, c!, d!.replace("sumExp +=", "total +=")])],
    ["a sum of exp(x − another local)", like(([a, b, c, d]) => [a!, b!, c!, d!.replace("- max)", "- shift)")])],
    ["a sum over another row", like(([a, b, c, d]) => [a!, b!, c!, d!.replace("x[i * 10 + j]", "z[i * 10 + j]")])],
    ["a sum over another length", like(([a, b, c, d]) => [a!, b!, c!, d!.replace("j < 10", "j < 9")])],
    ["a row that does not depend on the loop", [...stats("max", "sumExp", "j", "x[i * 10]!"), ...stats("max_2", "sumExp_2", "j_2", "x[i * 10]!")]],
  ];
  for (const [title, lines] of lookalikes) it(`leaves them alone: ${title}`, () => expect(shareRowStatistics(lines)).toEqual(lines));

  it("recognizes indented blocks, names with $, and a row that reads the loop variable twice", () => {
    const indent = (lines: string[]) => lines.map((l) => `    ${l}`);
    const twice = "x[i * 10 + J]! * w[J]!";
    const lines = [...indent(stats("m$", "s$", "j$", twice)), "a[i] = m$ + s$;", ...indent(stats("m$2", "s$2", "j$2", twice)), "b[i] = m$2 / s$2;"];
    expect(shareRowStatistics(lines)).toEqual([...indent(stats("m$", "s$", "j$", twice)), "a[i] = m$ + s$;", "// the row's max and Σ exp: m$, s$, computed above", "b[i] = m$ / s$;"]);
  });

  it("counts only the braces of code: none in a string or a comment closes the first block's scope", () => {
    for (const between of ['const s = "a}";', "const s = `a}`;", "const s = 'a}';", 'const s = "\\"}";', "y = 1; // }"]) {
      const lines = [...stats("max", "sumExp", "j"), between, ...stats("max_2", "sumExp_2", "j_2"), "b = max_2;"];
      expect(shareRowStatistics(lines), between).toContain("b = max;");
    }
  });

  it("a block in an inner scope may reuse one from the enclosing scope", () => {
    const lines = [...stats("max", "sumExp", "j"), "if (n > 0) {", ...stats("max_2", "sumExp_2", "j_2"), "y = max_2;", "}"];
    expect(shareRowStatistics(lines)).toContain("y = max;");
  });

  it("a scope opened and closed between the blocks leaves the first block's scope open", () => {
    const lines = [...stats("max", "sumExp", "j"), "for (let k = 0; k < 3; k++) {", "y += k;", "}", ...stats("max_2", "sumExp_2", "j_2"), "b = max_2;"];
    expect(shareRowStatistics(lines)).toContain("b = max;");
  });

  it("a row that reads two arrays is computed again when either of them is written in between", () => {
    const two = "x[i * 10 + J]! + w[J]!";
    for (const written of ["x[i * 10 + 3] = 0;", "w[3] = 0;"]) {
      const lines = [...stats("max", "sumExp", "j", two), written, ...stats("max_2", "sumExp_2", "j_2", two)];
      expect(shareRowStatistics(lines), written).toEqual(lines);
    }
  });
});

describe("mnist-mlp's softmax and softmax cross-entropy", () => {
  it("compute the row max and Σ exp once per pass, and the training pass reuses the forward pass's softmax", async () => {
    const { code } = await compileFile("examples/mnist-mlp/model.ts");
    const pass = (name: string) => code.slice(code.indexOf(`function ${name}(`), code.indexOf("\n}\n", code.indexOf(`function ${name}(`)));
    expect(pass("forwardPass").match(/= -Infinity;/g)).toHaveLength(1); // softmax alone: nothing to share
    // trainPass and evaluatePass run forwardPass (the softmax) and then the loss, whose cross-entropy
    // reads the logits the forward pass kept: one row max of its own, nothing left to share within the
    // pass (the derivative softmax − onehot reads the forward pass's softmax).
    expect(pass("trainPass")).toContain("forwardPass(params, ws.forward, n, inputs);");
    expect(pass("evaluatePass")).toContain("forwardPass(params, ws, n, inputs);");
    for (const name of ["trainPass", "evaluatePass"]) {
      expect(pass(name).match(/= -Infinity;/g)).toHaveLength(1);
    }
    expect(pass("trainPass")).toContain("const sub_0 = softmax[i * 10]! - (y[i]! === 0 ? 1 : 0);");
  });
});
