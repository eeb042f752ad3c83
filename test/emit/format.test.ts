// The formatter's fast path (compiler/emit/format.ts with ./plainLines.ts) must give prettier's output
// byte for byte: line by line on random statements of the kind kernels are made of, and on whole
// generated modules (the goldens check the examples' modules too).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { emitModule } from "../../compiler/emit/module.js";
import { formatAround, formatTypeScript, prettier } from "../../compiler/emit/format.js";
import { linesAt, plainLine } from "../../compiler/emit/plainLines.js";
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
    ]) {
      expect(plainLine(line), line).toBeNull();
    }
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

  it("leaves a text that already holds its placeholder, or has no plain run, to prettier", async () => {
    for (const text of ["const GRADC_PLAIN_LINES_0 = 1;\nconst a = b + c;\n", "export interface A {\n  readonly x: number;\n}\n"]) {
      expect(await formatAround(text)).toBeNull();
      expect(await formatTypeScript(text)).toBe(await prettier(text));
    }
  });
});
