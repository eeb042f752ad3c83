// The before/after examples of docs/passes/<pass>.md are produced by running the pass: each page has
// a ```ts model block; this script traces it, prepares the graph the pass receives (RECIPES), runs the
// pass and writes the printed IR (compiler/ir/print.ts) into the page's ```ir before / ```ir after
// blocks. test/docs/passes.test.ts checks that the pages still say what the passes do.
//   node --import ./scripts/register-ts.js scripts/docs-passes.ts        rewrite the blocks
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { grad } from "../compiler/autodiff/grad.js";
import { loadModelSource } from "../compiler/frontend/load.js";
import type { Graph } from "../compiler/ir/graph.js";
import { printGraph } from "../compiler/ir/print.js";
import { constFold } from "../compiler/passes/constFold.js";
import { cse } from "../compiler/passes/cse.js";
import { dce } from "../compiler/passes/dce.js";
import { eraseGradientMarkers } from "../compiler/passes/eraseGradientMarkers.js";
import { foldTranspose } from "../compiler/passes/foldTranspose.js";
import { joinSlices } from "../compiler/passes/joinSlices.js";
import type { Pass } from "../compiler/passes/pass.js";
import { hoistStepProducts } from "../compiler/passes/hoistStepProducts.js";
import { hoistStepSums } from "../compiler/passes/hoistStepSums.js";
import { reuseForward } from "../compiler/passes/reuseForward.js";
import { scanBodies } from "../compiler/passes/scanBodies.js";
import { finishForwardBody, optimizeForwardBody, optimizeReverseBody } from "../compiler/pipeline.js";
import { simplify } from "../compiler/passes/simplify.js";
import { specialize } from "../compiler/passes/specialize.js";
import { stabilize } from "../compiler/passes/stabilize.js";

export const DOCS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../docs/passes");

/** Each documented pass, and the graph it is shown on: the traced model, or the model after grad. */
export const RECIPES: Record<string, { readonly pass: Pass; readonly prepare: (traced: Graph) => Graph }> = {
  stabilize: { pass: stabilize, prepare: (g) => g },
  simplify: { pass: simplify, prepare: (g) => g },
  constFold: { pass: constFold, prepare: (g) => g },
  foldTranspose: { pass: foldTranspose, prepare: (g) => g },
  joinSlices: { pass: joinSlices, prepare: (g) => grad(g) },
  reuseForward: { pass: reuseForward, prepare: (g) => grad(g) },
  cse: { pass: cse, prepare: (g) => grad(g) },
  dce: { pass: dce, prepare: (g) => grad(g) },
  specialize: { pass: specialize("infer"), prepare: (g) => g },
  scanBodies: { pass: scanBodies({ forward: optimizeForwardBody, reverse: optimizeReverseBody, differentiated: finishForwardBody }), prepare: (g) => g },
  eraseGradientMarkers: { pass: eraseGradientMarkers, prepare: (g) => grad(g) },
  // On the traced model, as the pipeline runs it (before scanBodies).
  hoistStepProducts: { pass: hoistStepProducts, prepare: (g) => g },
  // After grad, with the scan's bodies optimized as the pipeline does first (the reverse body then adds
  // xₜᵀ·δₜ to its running sum, the form this pass looks for).
  hoistStepSums: { pass: hoistStepSums, prepare: (g) => grad(scanBodies({ forward: optimizeForwardBody, reverse: optimizeReverseBody, differentiated: finishForwardBody })(g).graph) },
};

const block = (page: string, info: string): RegExpExecArray | null => new RegExp("```" + info + "\\n([^]*?)```", "m").exec(page);

/** The before/after IR of a page's example, computed by running its pass. */
export function runExample(pass: string, page: string): { before: string; after: string; changes: number } {
  const model = block(page, "ts model")?.[1];
  if (!model) throw new Error(`docs/passes/${pass}.md has no \`\`\`ts model block`);
  const before = RECIPES[pass]!.prepare(loadModelSource(path.join(DOCS, "model.ts"), model));
  const r = RECIPES[pass]!.pass(before);
  return { before: printGraph(before), after: printGraph(r.graph), changes: r.changes };
}

export function pageBlocks(page: string): { before?: string; after?: string } {
  const before = block(page, "ir before")?.[1];
  const after = block(page, "ir after")?.[1];
  return { ...(before !== undefined ? { before } : {}), ...(after !== undefined ? { after } : {}) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  for (const file of readdirSync(DOCS).filter((f) => f.endsWith(".md") && f !== "README.md")) {
    const pass = file.replace(/\.md$/, "");
    const page = readFileSync(path.join(DOCS, file), "utf8");
    const { before, after, changes } = runExample(pass, page);
    const updated = page.replace(/```ir before\n[^]*?```/m, "```ir before\n" + before + "```").replace(/```ir after\n[^]*?```/m, "```ir after\n" + after + "```");
    writeFileSync(path.join(DOCS, file), updated);
    console.log(`${file}: ${changes} change${changes === 1 ? "" : "s"}`);
  }
}
