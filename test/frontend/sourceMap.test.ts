import fc from "fast-check";
import { ts } from "ts-morph";
import { describe, expect, test } from "vitest";
import { decodeMappings, decodeVlq, SourceMap } from "../../compiler/frontend/sourceMap.js";

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** The reference encoder, written from the spec: sign in the low bit, 5-bit groups, low group first. */
function encodeVlq(values: readonly number[]): string {
  let out = "";
  for (const v of values) {
    let x = v < 0 ? (-v << 1) | 1 : v << 1;
    do {
      let digit = x & 31;
      x >>>= 5;
      if (x > 0) digit |= 32;
      out += B64[digit];
    } while (x > 0);
  }
  return out;
}

describe("decodeVlq", () => {
  test("known values", () => {
    expect(decodeVlq("A")).toEqual([0]);
    expect(decodeVlq("C")).toEqual([1]);
    expect(decodeVlq("D")).toEqual([-1]);
    expect(decodeVlq("gB")).toEqual([16]);
    expect(decodeVlq("2H")).toEqual([123]);
    expect(decodeVlq("AAgBC")).toEqual([0, 0, 16, 1]);
    expect(decodeVlq("+/////D")).toEqual([2 ** 31 - 1]); // 32 bits of magnitude, no overflow
  });

  test("round-trips the reference encoder", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -(2 ** 30), max: 2 ** 30 }).filter((v) => v !== -(2 ** 30))), (values) => {
        expect(decodeVlq(encodeVlq(values))).toEqual(values);
      }),
    );
  });

  test("rejects bad input", () => {
    expect(() => decodeVlq("A!")).toThrow(/invalid base64/);
    expect(() => decodeVlq("g")).toThrow(/truncated/);
  });
});

describe("decodeMappings", () => {
  test("relative fields accumulate across segments and lines; columns restart per line", () => {
    // line 0: [col 0 → src 0:0], [col 4 → src 0:2]; line 1: nothing; line 2: [col 2 → src 3:1], [col 9 → src 3:5]
    const mappings = [
      [encodeVlq([0, 0, 0, 0]), encodeVlq([4, 0, 0, 2])].join(","),
      "",
      [encodeVlq([2, 0, 3, -1]), encodeVlq([7, 0, 0, 4])].join(","),
    ].join(";");
    const lines = decodeMappings(mappings);
    expect(lines.map((l) => l.map((s) => [s.genCol, s.line, s.col]))).toEqual([
      [[0, 0, 0], [4, 0, 2]],
      [],
      [[2, 3, 1], [9, 3, 5]],
    ]);
  });

  test("segments without a source position are skipped", () => {
    expect(decodeMappings(`${encodeVlq([3])},${encodeVlq([2, 0, 1, 1])}`)[0]).toEqual([{ genCol: 5, source: 0, line: 1, col: 1 }]);
  });
});

describe("SourceMap.originalPosition", () => {
  const map = new SourceMap({
    version: 3,
    sources: ["model.ts"],
    mappings: [[encodeVlq([0, 0, 0, 0]), encodeVlq([4, 0, 0, 2])].join(","), "", encodeVlq([2, 0, 3, 1])].join(";"),
  });

  test("greatest lower bound on the line", () => {
    expect(map.originalPosition(0, 0)).toEqual({ source: "model.ts", line: 0, col: 0 });
    expect(map.originalPosition(0, 3)).toEqual({ source: "model.ts", line: 0, col: 0 });
    expect(map.originalPosition(0, 4)).toEqual({ source: "model.ts", line: 0, col: 2 });
    expect(map.originalPosition(0, 100)).toEqual({ source: "model.ts", line: 0, col: 2 });
    expect(map.originalPosition(2, 2)).toEqual({ source: "model.ts", line: 3, col: 3 }); // source col is relative to the previous segment (2)
  });

  test("null before the first segment, on empty lines and past the end", () => {
    expect(map.originalPosition(2, 1)).toBeNull();
    expect(map.originalPosition(1, 0)).toBeNull();
    expect(map.originalPosition(7, 0)).toBeNull();
  });

  test("maps TypeScript's own output back to the source", () => {
    const source = ["import { add } from \"gradc\";", "", "export const f = (a: number, b: number): number =>", "  add(a, b) as number;", ""].join("\n");
    const out = ts.transpileModule(source, {
      fileName: "model.ts",
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, sourceMap: true },
    });
    const m = SourceMap.parse(out.sourceMapText!);
    const lines = out.outputText.split("\n");
    const genLine = lines.findIndex((l) => l.includes("gradc_1.add"));
    const genCol = lines[genLine]!.indexOf("(0, gradc_1.add)");
    expect(m.originalPosition(genLine, genCol)).toMatchObject({ line: 3, col: 2 });
  });
});
