// The LaTeX `gradc explain` writes renders with real KaTeX: every equation on its own, every align*
// block whole (latex format), every $$…$$ block and inline $…$ (markdown format), on every example,
// on a model using most ops, and on a parameter with a hostile name. A broken formula must throw
// (negative control: the harness would otherwise pass on anything).
import katex from "katex";
import { describe, expect, it } from "vitest";
import { explainFile } from "../../compiler/explain.js";
import { EXAMPLES } from "./examples.js";

const render = (tex: string) => katex.renderToString(tex, { throwOnError: true, displayMode: true, strict: "error" });

/** The align* blocks of the latex format, and their rows without alignment marks and comments. */
function latexPieces(doc: string): { blocks: string[]; rows: string[] } {
  const blocks = [...doc.matchAll(/\\begin\{align\*\}\n([^]*?)\n\\end\{align\*\}/g)].map((m) => m[0]);
  const rows = blocks.flatMap((b) =>
    b.split("\n").slice(1, -1).map((row) => row.replace(/%.*$/, "").replace(/\\\\\s*$/, "").replace("&=", "=").trim()),
  );
  return { blocks, rows };
}

function markdownPieces(doc: string): string[] {
  const display = [...doc.matchAll(/^\$\$\n([^]*?)\n\$\$$/gm)].map((m) => m[1]!);
  const rest = doc.replace(/^\$\$\n[^]*?\n\$\$$/gm, "");
  const inline = [...rest.matchAll(/\$([^$\n]+)\$/g)].map((m) => m[1]!.replace(/\\\|/g, "|"));
  return [...display, ...inline];
}

const MODELS = [...EXAMPLES.map((e) => `examples/${e}/model.ts`), "test/explain/manyOps.model.ts", "test/explain/newOps.model.ts", "test/fixtures/models/hostile.ts"];

describe("KaTeX renders gradc explain's LaTeX", () => {
  it("negative control: a broken formula throws", () => {
    expect(() => render("\\frac{\\partial L}{")).toThrow(katex.ParseError);
    expect(() => render("\\mathbf{x}^{2}^{\\top}")).toThrow(/Double superscript/);
    expect(() => render("\\begin{align*} a &= \\odotx \\end{align*}")).toThrow(katex.ParseError);
  });

  for (const file of MODELS) {
    it(`${file}: --format latex, each equation and each align* block`, async () => {
      const { blocks, rows } = latexPieces(await explainFile(file, { format: "latex" }));
      expect(blocks).toHaveLength(2);
      expect(rows.length).toBeGreaterThan(3);
      for (const row of rows) expect(() => render(row), row).not.toThrow();
      // KaTeX also renders a command that lost its backslash (a `\r` in a template literal is a carriage
      // return, `\o` an o: scan's LaTeX read "operatorname{scan}…left(…ight)"), so look for that too.
      for (const row of rows) {
        expect(row, row).not.toMatch(/[\u0000-\u001f]/);
        expect(row, row).not.toMatch(/(^|[^\\])\b(operatorname\{|left[([]|right[)\]]|dots\b)/);
      }
      for (const block of blocks) expect(render(block)).toContain('class="katex-display"');
    });

    it(`${file}: --format markdown, each math block and inline formula`, async () => {
      const pieces = markdownPieces(await explainFile(file, { format: "markdown" }));
      expect(pieces.length).toBeGreaterThan(5);
      for (const tex of pieces) expect(() => render(tex), tex).not.toThrow();
    });
  }

  it("the textbook form of worked's δ₁ renders as written", async () => {
    const { rows } = latexPieces(await explainFile("examples/worked/model.ts", { format: "latex" }));
    const delta1 = rows.find((r) => r.startsWith("\\boldsymbol{\\delta}_{1} ="))!;
    expect(delta1).toBe(
      "\\boldsymbol{\\delta}_{1} = \\frac{\\partial L}{\\partial \\mathbf{z}_{1}} = \\boldsymbol{\\delta}_{2} {\\mathbf{W}_{2}}^{\\top} \\odot  \\sigma'(\\mathbf{z}_{1}) = \\boldsymbol{\\delta}_{2} {\\mathbf{W}_{2}}^{\\top} \\odot  (\\mathbf{h}_{1} \\odot  (1 - \\mathbf{h}_{1}))",
    );
    expect(render(delta1)).toContain("δ");
  });
});
