// composeSourceMaps: a transpile's map (JavaScript → TypeScript) followed by the TypeScript's own map
// (→ model.ts) as one map, checked position by position against looking the two up in a row.
import { ts } from "ts-morph";
import { describe, expect, it } from "vitest";
import { composeSourceMaps } from "../../compiler/frontend/composeSourceMaps.js";
import { encodeVlq, SourceMap, type RawSourceMap } from "../../compiler/frontend/sourceMap.js";

// A generated TypeScript file: line 2 (0-based 1) and 3 came from model.ts lines 10 and 20; the rest
// is explicitly unmapped (a generated column alone), as gradc writes it.
const TS = ["interface P { a: number }", "export function f(p: P): number {", "  const q: number = p.a * 2;", "  return q;", "}", ""].join("\n");
const inner: RawSourceMap = {
  version: 3,
  sources: ["model.ts"],
  mappings: [encodeVlq(0), encodeVlq(0) + encodeVlq(0) + encodeVlq(9) + encodeVlq(4), encodeVlq(2) + encodeVlq(0) + encodeVlq(10) + encodeVlq(-2), encodeVlq(0), encodeVlq(0)].join(";"),
};

describe("composeSourceMaps", () => {
  it("every position of the JavaScript maps as the two maps looked up in a row, the TypeScript's own position where its map says nothing", () => {
    const out = ts.transpileModule(TS, { fileName: "model.gen.ts", compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, sourceMap: true } });
    const outer = JSON.parse(out.sourceMapText!) as RawSourceMap;
    const composed = new SourceMap(composeSourceMaps(outer, inner));
    const first = new SourceMap(outer), second = new SourceMap(inner);
    const js = out.outputText.split("\n");
    let checked = 0;
    js.forEach((text, line) => {
      for (let col = 0; col < text.length; col++) {
        const mid = first.originalPosition(line, col);
        if (!mid) {
          expect(composed.originalPosition(line, col)).toBeNull();
          continue;
        }
        const expected = second.originalPosition(mid.line, mid.col) ?? { source: "model.gen.ts", line: mid.line, col: mid.col };
        expect(composed.originalPosition(line, col), `${line}:${col}`).toEqual(expected);
        checked++;
      }
    });
    expect(checked).toBeGreaterThan(20);
    expect(composed.raw.sources).toEqual(["model.ts", "model.gen.ts"]);
    // the multiplication's line (JavaScript line 1: `const q = p.a * 2;`) is model.ts line 20 (0-based 19)
    expect(composed.originalPosition(1, js[1]!.indexOf("p.a"))).toMatchObject({ source: "model.ts", line: 19 });
    // `return q` is not model code: the TypeScript's own line 3
    expect(composed.originalPosition(2, js[2]!.indexOf("return"))).toEqual({ source: "model.gen.ts", line: 3, col: 2 });
  });
});
