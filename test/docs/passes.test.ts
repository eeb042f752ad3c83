// docs/passes/<pass>.md: a page for every pass in compiler/passes/, and each page's before/after IR is
// what running the pass on the page's model really gives (regenerate with
// `node --import ./scripts/register-ts.js scripts/docs-passes.ts`).
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DOCS, pageBlocks, RECIPES, runExample } from "../../scripts/docs-passes.js";
import { nonEmpty } from "../helpers/nonEmpty.js";

/** Files of compiler/passes/ that are not passes: the Pass type, the rule-table machinery and rebuilding a graph. */
const NOT_PASSES = new Set(["pass", "rules", "rewrite"]);
const passes = nonEmpty(readdirSync("compiler/passes").map((f) => f.replace(/\.ts$/, "")).filter((p) => !NOT_PASSES.has(p)), "passes");

describe("docs/passes", () => {
  it("has a page and an example recipe for every pass", () => {
    expect(passes.filter((p) => !RECIPES[p])).toEqual([]);
    expect(readdirSync(DOCS).filter((f) => f.endsWith(".md") && f !== "README.md").map((f) => f.replace(/\.md$/, "")).sort()).toEqual([...passes].sort());
  });

  for (const pass of passes) {
    it(`${pass}.md: the before/after IR is what the pass produces`, () => {
      const page = readFileSync(path.join(DOCS, `${pass}.md`), "utf8");
      const { before, after } = runExample(pass, page);
      expect(pageBlocks(page)).toEqual({ before, after });
    });
  }
});
