// Numbers a model writes out — a parameter's explicit init values, a constant tensor — reach the generated
// module inline while short, and as one module-level constant when longer than 1,024 values
// (compiler/emit/module.ts, INLINE_VALUES): packed into lines of at most 120 columns under
// `// prettier-ignore`, named after the parameter or the model variable in capitals (INIT_W, C_SCALE).
// Checked on the emitted text, and on the values the module then uses.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { compileAndImport } from "../helpers/compiled.js";

const dir = mkdtempSync(path.join(tmpdir(), "gradc-constants-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** k ↦ a value with a varying number of digits, so that lines break at different items. */
const value = (k: number, scale: number) => Math.round(Math.sin(k + scale) * 10 ** (1 + (k % 7))) / 1000 + 0; // + 0: no −0, which JSON writes as 0
const values = (count: number, scale: number) => Array.from({ length: count }, (_, k) => value(k, scale));

// W: 1,025 init values (a module constant); V: exactly 1,024 (inline); scale: a 1,025-value constant tensor;
// a 1,024-value constant without a variable of its own (inline).
const W = values(41 * 25, 1), V = values(32 * 32, 2), SCALE = values(41 * 25, 3), SHIFT = values(32 * 32, 4);
const source = `import { model, input, param, constant, matmul, mul, add, sum, reshape } from "gradc";
export default model("constants", () => {
  const x = input("x", ["batch", 41]);
  const W = param("W", [41, 25], { init: ${JSON.stringify(W)} });
  const V = param("V", [32, 32], { init: ${JSON.stringify(V)} });
  const scale = constant(${JSON.stringify(SCALE)}, [41, 25]);
  const h = matmul(x, mul(W, scale));
  const loss = add(sum(mul(h, h)), sum(mul(V, reshape(constant(${JSON.stringify(SHIFT)}, [1024]), [32, 32]))));
  return { loss, outputs: { h } };
});
`;
const file = path.join(dir, "model.ts");
writeFileSync(file, source);

/** The lines of the module-level statement that starts with `head`, up to its closing `]`. */
function statement(code: string, head: string): string[] {
  const lines = code.split("\n");
  const start = lines.findIndex((l) => l.startsWith(head));
  expect(start, `no line starts with ${head}`).toBeGreaterThan(0);
  const end = lines.findIndex((l, k) => k > start && l.startsWith("]"));
  return lines.slice(start - 1, end + 1);
}

/** The numbers of a packed statement's body lines, in order. */
const numbersOf = (body: readonly string[]) => body.flatMap((l) => l.trim().replace(/,$/, "").split(", ").map(Number));

describe("numbers written out in the model", () => {
  it("become module constants past 1,024 values: INIT_ and C_ names in capitals, under prettier-ignore, 120 columns a line", async () => {
    const { code, module } = await compileAndImport(file);
    const init = statement(code, "const INIT_W: readonly number[] = [");
    expect(init[0]).toBe("// prettier-ignore");
    expect(code).toContain('/** The initial values of "W" given in the model, row-major. */\n// prettier-ignore\nconst INIT_W: readonly number[] = [');
    expect(init.at(-1)).toBe("];");
    const body = init.slice(2, -1);
    for (const line of body) {
      expect(line.length, line).toBeLessThanOrEqual(120);
      expect(line.startsWith("  ") && !line.startsWith("   "), line).toBe(true);
      expect(line.endsWith(","), line).toBe(true);
    }
    // Every line but the last is full: one more value would have passed 120 columns.
    body.slice(0, -1).forEach((line, k) => expect(line.length + ` ${body[k + 1]!.trim().split(" ")[0]}`.length, line).toBeGreaterThan(120));
    expect(numbersOf(body)).toEqual(W);
    expect(code).toContain('{ kind: "values", values: INIT_W }');

    const scale = statement(code, "const C_SCALE = Float64Array.from([");
    expect(scale[0]).toBe("// prettier-ignore");
    expect(scale.at(-1)).toBe("]);");
    expect(numbersOf(scale.slice(2, -1))).toEqual(SCALE);

    // Exactly 1,024 values stay inline: V's init in the spec, the unnamed constant as C_CONST.
    expect(code).not.toContain("INIT_V");
    const shift = statement(code, "const C_CONST = Float64Array.from([");
    expect(shift[0]).not.toBe("// prettier-ignore"); // prettier lays it out (its own lines, 120 columns too)
    expect(numbersOf(shift.slice(2, -1))).toEqual(SHIFT);
    expect(code).toMatch(/\{\n\s+name: "V",\n\s+shape: \[32, 32\],\n\s+init: \{\n\s+kind: "values",\n\s+values: \[/);

    const params = module.initParams(0);
    expect(Array.from(params["W"]!)).toEqual(W);
    expect(Array.from(params["V"]!)).toEqual(V);
    // The constants reach the computation: loss = Σ (x·(W ⊙ scale))² + Σ V ⊙ shift.
    const x = Array.from({ length: 2 * 41 }, (_, k) => Math.cos(k));
    let want = 0;
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 25; j++) {
        let h = 0;
        for (let k = 0; k < 41; k++) h += x[i * 41 + k]! * (W[k * 25 + j]! * SCALE[k * 25 + j]!);
        want += h * h;
      }
    }
    for (let k = 0; k < 1024; k++) want += V[k]! * SHIFT[k]!;
    const loss = module.evaluate(params, { x }).loss;
    expect(Math.abs(loss - want) / Math.abs(want)).toBeLessThan(1e-12);
  });

  // module.ts names its constants C_… and INIT_… without reserving the module's other names: that is
  // safe only while no other module-level name has these prefixes.
  it("no module-level name of a golden module but a constant's starts with C_ or INIT_", () => {
    const dir = fileURLToPath(new URL("../golden/", import.meta.url));
    const goldens = readdirSync(dir).filter((f) => f.endsWith(".gen.ts"));
    expect(goldens.length).toBeGreaterThan(5);
    const prefixed: string[] = [];
    for (const file of goldens) {
      for (const line of readFileSync(dir + file, "utf8").split("\n")) {
        const m = /^(?:export )?(?:const|let|var|function|class|interface|type|enum) ([A-Za-z_$][\w$]*)/.exec(line);
        if (!m || !/^(C|INIT)_/.test(m[1]!)) continue;
        prefixed.push(m[1]!);
        expect(line, file).toMatch(/^const (C_\w+) = Float(32|64)Array\.from\(|^const (INIT_\w+): readonly number\[\] = \[/);
      }
    }
    expect(prefixed.length).toBeGreaterThan(0); // modulePaths has C_SCALE and C_CONST
  });
});
