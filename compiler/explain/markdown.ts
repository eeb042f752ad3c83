// `gradc explain --format markdown`: a readable document — the forward pass, then a section per
// parameter with the chain of equations its gradient needs (from L back to it), then a table of the
// forward values the backward pass reuses. Math is in $$…$$ blocks with `aligned`, which GitHub's
// Markdown renders (and KaTeX: test/explain/katex.test.ts).
import type { Derivation, Equation } from "./derivation.js";
import { backwardFor } from "./derivation.js";
import { equationTex, noteText } from "./latex.js";
import { reusedValues } from "./reuse.js";

function mathBlock(equations: readonly Equation[]): string[] {
  return ["$$", "\\begin{aligned}", ...equations.map((e, k) => `${equationTex(e)}${k < equations.length - 1 ? " \\\\" : ""}`), "\\end{aligned}", "$$"];
}

/** `|` would end a table cell. */
const cell = (s: string) => s.replace(/\|/g, "\\|");

export function formatMarkdown(d: Derivation, backward: readonly Equation[], params: readonly string[], recurrences: readonly string[][] = []): string {
  const out: string[] = [
    `# Gradients of \`${d.model}\``,
    "",
    `From \`${d.source}\`, after simplification (\`gradc explain --format markdown\`). $N$ is the batch size, $\\odot$ multiplies elementwise, $\\sum_{\\text{rows}}$ sums over the batch rows. Layer $\\ell$ computes $\\mathbf{z}_\\ell = \\mathbf{h}_{\\ell-1} \\mathbf{W}_\\ell + \\mathbf{b}_\\ell$ and $\\mathbf{h}_\\ell = f(\\mathbf{z}_\\ell)$; $\\boldsymbol{\\delta}_\\ell = \\partial L / \\partial \\mathbf{z}_\\ell$.`,
    "",
    "## Forward pass",
    "",
    ...mathBlock(d.forward),
    "",
  ];
  const shown = new Set(backward);
  for (const name of params) {
    const chain = backwardFor(d, [name]).filter((e) => shown.has(e));
    const own = chain.find((e) => e.param === name);
    if (!own) continue;
    out.push(`## $${own.lhs.tex}$`, "", ...mathBlock(chain), "");
    for (const e of chain) {
      const note = noteText(d, e);
      if (note) out.push(`- $${e.lhs.tex}$: ${note}`);
    }
    out.push("");
  }
  const reused = reusedValues(d, backward);
  out.push("## Forward values reused by the backward pass", "");
  if (!reused.length) out.push("None: the backward pass reads only inputs and parameters.", "");
  else {
    out.push("| value | computed as | reused in |", "|---|---|---|");
    for (const r of reused) out.push(`| $${cell(r.value.lhs.tex)}$ | $${cell(r.value.rhs.tex)}$ | ${r.readBy.map((e) => `$${cell(e.lhs.tex)}$`).join(", ")} |`);
    out.push("");
  }
  for (const section of recurrences) out.push("## Recurrence", "", "Each step of the loop, and the reverse step of backpropagation through time:", "", "```text", ...section, "```", "");
  return out.join("\n");
}
