// docs/reading-your-gradients.md cannot go stale: every ```ts excerpt block occurs verbatim in the
// generated module of examples/worked, the `gradc explain` and `--report` output it quotes is what the
// commands print, and its math renders with KaTeX.
import { readFileSync } from "node:fs";
import katex from "katex";
import { describe, expect, it } from "vitest";
import { explainFile } from "../../compiler/explain.js";
import { compileFile } from "../../compiler/compile.js";
import { formatReport } from "../../compiler/report.js";

const guide = readFileSync("docs/reading-your-gradients.md", "utf8");
const fenced = (info: string) => [...guide.matchAll(new RegExp("^```" + info + "\\n([^]*?)^```$", "gm"))].map((m) => m[1]!);

describe("docs/reading-your-gradients.md", () => {
  it("quotes the generated module of examples/worked verbatim", () => {
    const module = readFileSync("examples/worked/model.gen.ts", "utf8");
    const excerpts = fenced("ts excerpt");
    expect(excerpts.length).toBeGreaterThanOrEqual(7);
    for (const excerpt of excerpts) expect(module, excerpt).toContain(excerpt);
  });

  it("quotes gradc explain and compile --report as they print", async () => {
    const [explained, reported] = fenced("text");
    expect((await explainFile("examples/worked/model.ts")).split("\n")).toEqual(expect.arrayContaining(explained!.trimEnd().split("\n")));
    const report = formatReport((await compileFile("examples/worked/model.ts")).report);
    const lines = reported!.trimEnd().split("\n");
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(report.split("\n")).toContain(line);
  });

  it("its math renders with KaTeX", () => {
    const blocks = [...guide.matchAll(/^\$\$\n([^]*?)\n\$\$$/gm)].map((m) => m[1]!);
    expect(blocks.length).toBe(3);
    for (const tex of blocks) expect(() => katex.renderToString(tex, { throwOnError: true, displayMode: true })).not.toThrow();
  });
});
