// The formatter's fast path (compiler/emit/format.ts with ./plainLines.ts) must give prettier's output
// byte for byte: line by line on random statements of the kind kernels are made of, and on whole
// generated modules (the goldens check the examples' modules too).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { emitModule } from "../../compiler/emit/module.js";
import { formatAround, formatTypeScript, ignoredNumbers, plainRuns, prettier } from "../../compiler/emit/format.js";
import { linesAt, plainLine, PRINT_WIDTH } from "../../compiler/emit/plainLines.js";
import { loadModelSource } from "../../compiler/frontend/load.js";
import { optimize } from "../../compiler/pipeline.js";
import { denseChain, elementwiseChain, initLiteral } from "../../bench/scalingModels.js";

const SEED = 20261206;

// ── random statements ────────────────────────────────────────────────────────────────────────────────

const name = fc.constantFrom("a", "b", "acc", "h1_0", "W1", "x", "$t", "Math", "n", "i", "k");
const number = fc.constantFrom("0", "1", "2.5", "0.001", "1e-7", "1e21", "1e+21", "1.50", "1.0", "4", ".5", "0x10", "1E5", "123456789");
const binaryOps = ["+", "-", "*", "/", "%", "<", ">", "<=", ">=", "===", "!==", "==", "!=", "&&", "||"];

/** Expression source text, with random spaces and redundant parentheses (prettier removes both). */
const expr: fc.Memo<string> = fc.memo((depth) => {
  const leaf = fc.oneof(name, number, fc.constantFrom('"W1"', '"a b"', "'single'", '"it\'s"'));
  if (depth <= 1) return leaf;
  const sub = expr(depth - 1);
  return fc.oneof(
    { weight: 3, arbitrary: leaf },
    { weight: 4, arbitrary: fc.tuple(sub, fc.constantFrom(...binaryOps), sub, fc.constantFrom(" ", "")).map(([l, op, r, s]) => `${l}${s}${op}${s}${r}`) },
    { weight: 2, arbitrary: sub.map((e) => `(${e})`) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom("-", "+", "!"), sub).map(([op, e]) => `${op}${e}`) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom("-", "+"), sub).map(([op, e]) => `${op} ${e}`) },
    { weight: 2, arbitrary: fc.tuple(sub, sub, sub).map(([t, a, b]) => `${t} ? ${a} : ${b}`) },
    { weight: 2, arbitrary: fc.tuple(name, sub).map(([o, i]) => `${o}[${i}]`) },
    { weight: 2, arbitrary: fc.tuple(name, sub).map(([o, i]) => `${o}[${i}]!`) }, // an element read, as kernels write it
    { weight: 1, arbitrary: fc.tuple(sub, name).map(([o, p]) => `${o}.${p}`) },
    { weight: 1, arbitrary: fc.tuple(sub, sub).map(([o, i]) => `${o}[${i}]`) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom("Math.exp", "Math.max", "f", "GEMM.product", 'grads["b1"].set', "a.b.c", "a[0].f", "f(a).g"), fc.array(sub, { maxLength: 3 })).map(([f, args]) => `${f}(${args.join(", ")})`) },
  );
});

/** A long sum of products, as a small matmul's scalar code is (broken by prettier past 120 columns). */
const longSum = fc
  .tuple(fc.integer({ min: 2, max: 12 }), fc.constantFrom("tanh_1234", "h", "relu_0_12345678"), fc.constantFrom("+", "-"))
  .map(([k, x, op]) => Array.from({ length: k }, (_, j) => `${x}_${j} * W1234[${j * 4}]`).join(` ${op} `));

const statement = fc.oneof(
  fc.tuple(fc.constantFrom("const matmul_1234_0", "let acc", "W1[i * 4 + 1]", "dW_0"), fc.constantFrom("=", "+="), longSum).map(([v, op, e]) => `${v.startsWith("const") || v.startsWith("let") ? v : v} ${v.startsWith("const") || v.startsWith("let") ? "=" : op} ${e};`),
  fc.tuple(longSum, longSum).map(([a, b]) => `const h_1234_5678 = ${a} > 0 ? ${b} : 0;`),
  fc.tuple(fc.constantFrom("const", "let"), name, expr(4)).map(([k, v, e]) => `${k} ${v} = ${e};`),
  fc.tuple(name, fc.constantFrom("=", "+=", "-=", "*=", "/="), expr(4)).map(([v, op, e]) => `${v} ${op} ${e};`),
  fc.tuple(name, expr(3), expr(4)).map(([v, i, e]) => `${v}[${i}] = ${e};`),
  fc.tuple(expr(3), name).map(([c, v]) => `if (${c}) ${v} = ${v} + 1;`),
  fc.tuple(name, expr(2), expr(3)).map(([v, b, e]) => `for (let ${v} = 0; ${v} < ${b}; ${v}++) acc += ${e};`),
  fc.tuple(name, expr(2)).map(([v, b]) => `for (let ${v} = 0; ${v} < ${b}; ${v} += 4) {`),
  fc.tuple(expr(3)).map(([c]) => `if (${c}) {`),
  fc.array(fc.tuple(name, expr(2)), { minLength: 2, maxLength: 4 }).map((ds) => `let ${ds.map(([v, e]) => `${v} = ${e}`).join(", ")};`),
  expr(4).map((e) => `return ${e};`),
  fc.tuple(fc.constantFrom("x.fill", "f", "GEMM.product", 'params["W1"].set', "a.b().c"), fc.array(expr(2), { maxLength: 3 })).map(([f, args]) => `${f}(${args.join(", ")});`),
  fc.constantFrom("// x = σ(W·h + b)   (model.ts:3:7)", "//no space", "{", "break;", "x++;", "for (;;) {"),
);

/** Prettier's output for one statement line inside a function body, without the body's indentation. */
async function prettierLine(line: string): Promise<string> {
  const open = line.endsWith("{");
  const out = await prettier(`function f() {\n${line}\n${open ? "x;\n}\n" : ""}}\n`);
  // `function f() {`, the statement's lines, (for an opening line: its body and `}`), `}`, ""
  const body = out.split("\n").slice(1, open ? 2 : -2);
  return body.map((l) => l.slice(2)).join("\n");
}

/** plainRuns finds runs starting at these lines, at these depths, and formatAround then gives prettier's output for the whole text. */
async function expectRunsThenPrettier(text: string, runs: [string, number][]): Promise<void> {
  const lines = text.split("\n");
  expect(plainRuns(lines).map((r) => [lines[r.start], r.depth])).toEqual(runs);
  expect(await formatAround(text)).toBe(await prettier(text));
}

describe("plainLine prints a statement as prettier does", () => {
  it("on random statements (or leaves them to prettier)", async () => {
    let accepted = 0;
    let total = 0;
    await fc.assert(
      fc.asyncProperty(statement, async (line) => {
        total++;
        const p = plainLine(line);
        const lines = p && linesAt(p, 1); // inside the function: one level in
        if (!lines) return;
        let expected: string;
        try {
          expected = await prettierLine(line);
        } catch {
          throw new Error(`plainLine accepted ${JSON.stringify(line)}, which prettier cannot parse`);
        }
        accepted++;
        expect(lines.join("\n"), line).toBe(expected);
      }),
      { seed: SEED, numRuns: 600 },
    );
    // Most generated statements are plain: the property is not vacuous.
    expect(accepted).toBeGreaterThan(total / 3);
  }, 60_000);

  // A fault that makes plainLine refuse a line is invisible in the output (prettier takes the line), so
  // the lines kernels are made of, and each of prettier's parenthesis rules, must be accepted and match.
  it.each([
    "if (a > 0) {",
    "if (v > acc) acc = v;",
    "for (let i = 0; i < n; i++) {",
    "for (let j = 0; j + 3 < n; j += 4) {",
    "for (;;) {",
    "const h1_0 = add_0 > 0 ? add_0 : 0;",
    "dW[k] += x[i * 3 + k]! * d;",
    "h[cRow + j]! += aik * W[bRow + j]!;",
    "const v = -x[i]!;",
    "y = f(a[0]!, b.c!);",
    "x = -(a + b);",
    "x = (a + b)[i];",
    "x = (a + b).c;",
    "x = (a && b) || c;",
    "x = a && b && c;",
    "x = (a + b) * c;",
    "x = a - (b - c);",
    "x = (a * b) % c;",
    "x = a + (b % c);",
    "x = a * (b / c);",
    "x = (a == b) == c;",
    "x = (a < b) > c;",
    "x = -(a ? b : c);",
    "x = (a ? b : c) + 1;",
    "x = (a ? b : c)[0];",
    "x = (a ? b : c).d;",
    "x = (a ? b : c) ? d : e;",
    "x = a ? (b ? c : d) : e;",
    "x = a ? b : c ? d : e;",
    "x = -(-a);",
    "x = -+a;",
    "x = (-a)[0];",
    "x = (-a).b;",
    "x = f(i++);",
    "return a - b;",
    // (added after emit-lines' complete mutation run, 2026-12-07: each is a rule no line above exercised)
    "x = (a % b) * c;",
    "x = (a % b) % c;",
    "x =\ta\t+ b;",
    "x = a * b * c;",
    "x = a / b / c;",
    "x = a > b > c;",
    "x = a < b < c;",
    "x = !!a;",
    "x = +(+a);",
    "x = -(-a) + +(+b);",
    "let acc = 0;",
    "let a = 1, b = 2;",
    "break;",
    "continue;",
    "return;",
    "{",
    "x = a! + f(a)!;",
    "i--;",
    "x.y = a;",
    "x = Math.exp(a) + f();",
    'grads["W1"].set(a);',
    "w[k].fill(0);",
    // too wide for one line: broken after the `=` (a conditional testing a comparison), or one operand per line
    `const relu_1234_5678 = ${"matmul_1234_0 * W1234[0] + matmul_1234_1 * W1234[4]"} > 0 ? ${"matmul_1234_0 * W1234[0] + b1234[0]"} : 0;`,
    `h_1234[i * 64 + j] = ${"tanh_1234_0 * W1234[0] + tanh_1234_1 * W1234[4] + tanh_1234_2 * W1234[8] + tanh_1234_3 * W1234[12]"};`,
    `dW_12345678 -= ${"tanh_1234_0 * W1234[0] * 2 * h_12345[i] - tanh_1234_1 * W1234[4] / 3 - tanh_1234_2 * W1234[8] + 0.5 * x"};`,
    "acc = tanh_1234_0 * W1234[0] + tanh_1234_1 * W1234[4] + tanh_1234_2 * W1234[8] + tanh_1234_3 * W1234[12] - tanh_1234_4 * W1234[16];",
  ])("accepts %s as prettier prints it", async (line) => {
    const p = plainLine(line);
    expect(p, "refused").not.toBeNull();
    expect(linesAt(p!, 1)!.join("\n")).toBe(await prettierLine(line));
  });

  it("refuses what it does not know (left to prettier)", () => {
    for (const line of [
      "const s = 'text';",
      'const e = "a\\"b";',
      "const t: number = 1;",
      "x = y; // trailing comment",
      "} else {",
      "const o = { a: 1 };",
      "const f = (a) => a;",
      "const b = a | 0;",
      "const c = 1.50;",
      "const d = 0x10;",
      "let e;",
      "for (const v of list) {",
      "for (let i = 0; ; i++) {",
      "new Float32Array(4);",
      "a.b().c();",
      "x = (a + b)!;",
      "x = (a + b)(c);", // a call of anything but a name or a path: prettier's rules for call chains
      "x = (1).y;", // a number as an object: prettier's own business
      "let if = 1;", // not a name
      "const 2 = 1;",
      "++i;", // a prefix update: never emitted
      "for (let i = 0; i < n; ) {", // a header with a part missing: only `for (;;)` is emitted
      "for (; i < n; ) {",
      "if (a) { x = 1; }", // a block opened and more on its line
      "{ x = 1; }",
    ]) {
      expect(plainLine(line), line).toBeNull();
    }
  });

  it("has no layout of its own for a call or a conditional too wide for one line (prettier breaks those its own way)", () => {
    // Each is too wide for one line by a few columns, and would fit broken after the `=`: not prettier's layout for them.
    for (const line of [`dW_123456789 = f(${"a".repeat(50)}, ${"b".repeat(50)});`, `dW_123456789 = ${"a".repeat(60)} ? ${"b".repeat(20)} : ${"c".repeat(20)};`, `dW_123456789 = ${"a".repeat(110)};`]) {
      expect(line.length, line).toBeGreaterThan(PRINT_WIDTH);
      const p = plainLine(line);
      expect(p, line).not.toBeNull();
      expect(linesAt(p!, 0), line).toBeNull();
    }
  });

  it("takes a line with its indentation, and knows a block's braces alone", () => {
    expect(plainLine("      x = a + b;")).toEqual(plainLine("x = a + b;"));
    expect(plainLine("    }")).toEqual({ kind: "close", text: "}" });
    expect(plainLine("  {")).toEqual({ kind: "open", text: "{" });
  });

  it("lays a statement out within the print width at its depth; a comment on one line, however long", () => {
    // A statement of exactly the width fits at depth 0 and not one level in, where it is broken after `=`.
    const value = `${"a".repeat(60)} + ${"b".repeat(60 - "x = ".length - " + ".length - 1)}`;
    const line = `x = ${value};`;
    expect(line).toHaveLength(PRINT_WIDTH);
    const p = plainLine(line)!;
    expect(linesAt(p, 0)).toEqual([line]);
    expect(linesAt(p, 1)).toEqual(["x =", `  ${value};`]);
    expect(linesAt({ kind: "open", text: `if (${"c".repeat(PRINT_WIDTH - 7)}) {` }, 0)).toHaveLength(1); // 120 columns
    expect(linesAt({ kind: "open", text: `if (${"c".repeat(PRINT_WIDTH - 6)}) {` }, 0)).toBeNull();
    const comment = `// ${"long ".repeat(40)}`;
    expect(linesAt(plainLine(comment)!, 3)).toEqual([comment.trim()]);
  });
});

// ── whole modules ────────────────────────────────────────────────────────────────────────────────────

function emitted(source: string, dtype: "f32" | "f64"): string {
  const g = loadModelSource("/virtual/model.ts", source, { typecheck: false });
  return emitModule(optimize(g), { dtype, source: "model.ts" });
}

describe("formatTypeScript", () => {
  const cases: [string, string, "f32" | "f64"][] = [
    ["a dense chain (f64: register-blocked declarations)", denseChain(6, 12).source, "f64"],
    ["a dense chain (f32)", denseChain(5).source, "f32"],
    ["an element-wise chain", elementwiseChain(40).source, "f32"],
    ["explicit init values, inline and as a module constant", initLiteral(30_000).source, "f64"],
  ];
  for (const [what, source, dtype] of cases) {
    it(`gives prettier's output for a whole module: ${what}`, async () => {
      const text = emitted(source, dtype);
      const expected = await prettier(text);
      expect(await formatTypeScript(text)).toBe(expected);
      // …by the fast path: a fault there falls back to prettier unseen, and compiles get slow.
      expect(await formatAround(text)).toBe(expected);
    }, 60_000);
  }

  // --runtime inline formats the module with gradc/runtime's source in it (compile.ts), so the fast path
  // meets what kernels never write: switch statements, whose case labels indent what follows them.
  it("gives prettier's output for a switch, its labels with and without a block, by the fast path", async () => {
    const text = [
      "function f(k: string, a: number): number {",
      "let x = 0;",
      "switch (k) {",
      'case "a":',
      "x = a + 1;",
      "break;",
      'case "b": {',
      "const y = a * 2;",
      "x = y;",
      "break;",
      "}",
      'case "c":',
      'case "d":',
      "x = a - 1;",
      "break;",
      "default: {",
      "x = 0;",
      "}",
      "}",
      "switch (a) {",
      "case 1:",
      "x += 1;",
      "}",
      "return x;",
      "}",
      "",
    ].join("\n");
    // The statements under each label are runs of their own, at the label's depth plus one.
    await expectRunsThenPrettier(text, [
      ["let x = 0;", 1],
      ["x = a + 1;", 3],
      ["const y = a * 2;", 3],
      ["x = a - 1;", 3],
      ["x = 0;", 3],
      ["x += 1;", 3],
      ["return x;", 1],
    ]);
  });

  it("gives prettier's output around what only prettier lays out", async () => {
    const text = [
      "function f(a: number): number {",
      "const o = {",
      "// a comment inside an object literal",
      "a: 1,",
      "};",
      "for (let i = 0; i < n; i++) {",
      "}",
      "{",
      "}",
      "if (a > 0) x = 1;",
      "else x = 2;",
      "// prettier-ignore",
      "const   spaced = ( 1 );",
      "",
      "",
      "const long = aaaaaaaaaaaaaaaaaaaa + bbbbbbbbbbbbbbbbbbbbbbbbbbbbb * cccccccccccccccccccccccccc + dddddddddddddddddddddd * eeeeeeeeeeeeeeeeeee;",
      "for (let i = 0; i < n; i++) {",
      "const t = (a > 0 ? a : 0);",
      'const s = "x";',
      "}",
      "return (a);",
      "}",
      "",
    ].join("\n");
    expect(await formatTypeScript(text)).toBe(await prettier(text));
    expect(await formatAround(text)).toBe(await prettier(text));
  });

  // Inlined runtime source comes indented, with comments before statements and braces inside lines.
  it("gives prettier's output for indented source: a comment before a statement, prettier-ignore and else indented, a brace inside a line", async () => {
    const text = [
      "function f(a: number, o: { u: number }): number {",
      "  // a comment, then a statement",
      "  let x = a + 1;",
      "  const { u } = o;",
      "  x = x * u;",
      "  if (a > 0) x = 1;",
      "  else x = 2;",
      "  // prettier-ignore",
      "  const   spaced = ( 1 );",
      "  const g = [1].map((v) => {",
      "    return v + 1;",
      "  });",
      "  return x + spaced + g[0]!;",
      "}",
      "",
    ].join("\n");
    await expectRunsThenPrettier(text, [
      ["  // a comment, then a statement", 1],
      ["  x = x * u;", 1],
      ["    return v + 1;", 2],
      ["  return x + spaced + g[0]!;", 1],
    ]);
  });

  it("falls back to prettier when it joins a run to another line (a statement under an if without braces)", async () => {
    const text = "function f(a: number): number {\nlet x = 0;\nif (a > 0)\nx = a + 1;\nreturn x;\n}\n";
    expect(await formatAround(text)).toBeNull();
    expect(await formatTypeScript(text)).toBe(await prettier(text));
  });

  it("leaves a text that already holds its placeholder, or has no plain run, to prettier", async () => {
    for (const text of ["const GRADC_PLAIN_LINES_0 = 1;\nconst a = b + c;\n", "export interface A {\n  readonly x: number;\n}\n"]) {
      expect(await formatAround(text)).toBeNull();
      expect(await formatTypeScript(text)).toBe(await prettier(text));
    }
  });
});

// ── the runs set aside ───────────────────────────────────────────────────────────────────────────────

describe("plainRuns and ignoredNumbers (which lines prettier never sees)", () => {
  // A parameter's explicit init values as emit/module.ts writes them: prettier prints such a statement as
  // written, so it is kept unread — a 5 MB literal would otherwise cost prettier most of a compile.
  const literal = ["// prettier-ignore", "const W1 = Float32Array.from([", "  1, -2.5, 3e-7,", "  4,", "]);"];

  it("finds a number literal under // prettier-ignore at the top level, in each form it is written", () => {
    expect(ignoredNumbers([...literal, "x = 1;"], 0)).toBe(5);
    expect(ignoredNumbers(["// prettier-ignore", "const b = [", "  0.5, 1,", "];"], 0)).toBe(4);
    expect(ignoredNumbers(["// prettier-ignore", "const b = [", "];"], 0)).toBe(3); // no numbers at all
    for (const [what, lines, at] of [
      ["not at its comment", literal, 1],
      ["a literal with no comment before it", ["x = 1;", "const W = [", "  1,", "];"], 0],
      ["a comment with nothing after it", ["// prettier-ignore"], 0],
      ["a head that does not start with a letter", ["// prettier-ignore", " const W = [", "  1,", "];"], 0],
      ["a head that does not end with [", ["// prettier-ignore", "const W = f(", "  1,", ");"], 0],
      ["a head with a comment", ["// prettier-ignore", "const W = [ // weights [", "  1,", "];"], 0],
      ["an item that is not a number", ["// prettier-ignore", "const W = [", "  1,", "  a,", "];"], 0],
      ["numbers not indented as written", ["// prettier-ignore", "const W = [", "1,", "];"], 0],
      ["no end", ["// prettier-ignore", "const W = [", "  1,"], 0],
      ["an end with more after it", ["// prettier-ignore", "const W = [", "  1,", "]; x = 1;"], 0],
      ["an end indented", ["// prettier-ignore", "const W = [", "  1,", "  ];"], 0],
    ] as const) {
      expect(ignoredNumbers(lines, at), what).toBeNull();
    }
  });

  it("sets the literal aside as one run as written, and the plain statements around it as runs of their own", () => {
    const lines = ["x = a + b;", "y = 2;", ...literal, "z = 3;", "function f() {", "  const t = z;", "  if (t) {", "    u = t;", "  }", "}"];
    const runs = plainRuns(lines).map((r) => ({ start: r.start, end: r.end, depth: r.depth, lines: r.lines }));
    expect(runs).toEqual([
      { start: 0, end: 2, depth: 0, lines: ["x = a + b;", "y = 2;"] },
      { start: 2, end: 7, depth: 0, lines: literal },
      { start: 7, end: 8, depth: 0, lines: ["z = 3;"] },
      // inside the function (its header is prettier's): a statement and a whole block, at depth 1
      { start: 9, end: 13, depth: 1, lines: ["const t = z;", "if (t) {", "  u = t;", "}"] },
    ]);
  });

  it("leaves to prettier a block that does not close in the run, an empty block, an if with an else, and comments alone", () => {
    const lines = ["if (a) {", "  x = 1;", "} else {", "  x = 2;", "}", "{", "}", "// just a note", "const o = {", "  // inside a literal", "  a: 1,", "};"];
    const runs = plainRuns(lines).map((r) => [r.start, r.end]);
    // Only the two statements inside the if/else are plain (each alone in its block).
    expect(runs).toEqual([
      [1, 2],
      [3, 4],
    ]);
    // An empty block between two statements splits them; a literal inside a block is prettier's to read.
    expect(plainRuns(["x = 1;", "{", "}", "y = 2;"]).map((r) => [r.start, r.end])).toEqual([
      [0, 1],
      [3, 4],
    ]);
    expect(plainRuns(["{", ...literal, "}"]).some((r) => r.start === 1)).toBe(false);
  });

  it("leaves the whole text to prettier when a run's predicted indentation is not where prettier puts it", async () => {
    // The brace at the end of `const o = {` makes the next lines look one level deeper than prettier prints
    // them (the object closes mid-line), so a statement of exactly the width would be broken for nothing.
    const wide = `x = ${"a".repeat(60)} + ${"b".repeat(52)};`; // 120 columns
    const text = ["const o = {", "a: 1 };", wide, ""].join("\n");
    expect(wide.length).toBeGreaterThan(PRINT_WIDTH - 2);
    expect(wide.length).toBeLessThanOrEqual(PRINT_WIDTH);
    const fast = await formatAround(text);
    expect(fast === null || fast === (await prettier(text))).toBe(true);
    expect(await formatTypeScript(text)).toBe(await prettier(text));
  });
});
