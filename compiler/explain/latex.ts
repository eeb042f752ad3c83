// `gradc explain --format latex`: the derivation as LaTeX align* blocks (amsmath), one for the forward
// pass and one for the backward pass; each row is one equation, `&=` aligned. Comments (%) say where
// each equation comes from. Every row renders in KaTeX (test/explain/katex.test.ts).
import type { Derivation, Equation } from "./derivation.js";
import { reusedValues } from "./reuse.js";

/** One equation as LaTeX: lhs &= meaning = rule = rhs. */
export function equationTex(e: Equation): string {
  const parts = [e.lhs.tex, ...(e.meaning ? [e.meaning.tex] : []), ...(e.rule ? [e.rule.tex] : []), e.rhs.tex];
  return `${parts[0]} &= ${parts.slice(1).join(" = ")}`;
}

/** Where an equation comes from and what it reuses, as \text for a \tag-free annotation. */
export function noteText(d: Derivation, e: Equation): string {
  const parts = [[e.origin, e.loc].filter(Boolean).join(", "), e.reuses.length ? `reuses ${e.reuses.map((r) => d.symbolOf(r).text).join(", ")}` : ""].filter(Boolean);
  return parts.join("; ");
}

export function alignBlock(d: Derivation, equations: readonly Equation[]): string[] {
  return [
    "\\begin{align*}",
    ...equations.map((e, k) => `  ${equationTex(e)}${k < equations.length - 1 ? " \\\\" : ""}${noteText(d, e) ? `  % ${noteText(d, e)}` : ""}`),
    "\\end{align*}",
  ];
}

export function formatLatex(d: Derivation, backward: readonly Equation[]): string {
  const reused = reusedValues(d, backward);
  return [
    `% Gradients of model ${JSON.stringify(d.model)} (${d.source}), after simplification: gradc explain --format latex.`,
    "% Needs amsmath (align*). N is the batch size; \\odot multiplies elementwise; layer l computes z_l = h_{l-1} W_l + b_l,",
    "% h_l = f(z_l), and \\delta_l = \\partial L / \\partial z_l.",
    "% Forward pass",
    ...alignBlock(d, d.forward),
    "% Backward pass (reverse mode, from L back to the parameters)",
    ...alignBlock(d, backward),
    `% Forward values reused by the backward pass: ${reused.length ? reused.map((r) => `${r.value.lhs.text} (in ${r.readBy.map((e) => e.lhs.text).join(", ")})`).join("; ") : "none"}`,
    "",
  ].join("\n");
}

