// `gradc explain` (default format): the derivation as Unicode text for a terminal.
import type { Derivation, Equation } from "./derivation.js";
import { reusedValues } from "./reuse.js";

export function formatText(d: Derivation, backward: readonly Equation[], recurrences: readonly string[][] = []): string {
  const where = (e: Equation, extra: string[] = []) => {
    const parts = [[e.origin, e.loc].filter(Boolean).join(", "), ...extra].filter(Boolean);
    return parts.length ? `    (${parts.join("; ")})` : "";
  };
  const reuses = (e: Equation) => (e.reuses.length ? [`reuses ${e.reuses.map((r) => d.symbolOf(r).text).join(", ")} from the forward pass`] : []);
  const line = (e: Equation): string[] => {
    const head = [e.lhs.text, ...(e.meaning ? [e.meaning.text] : []), ...(e.rule ? [e.rule.text] : [])].join(" = ");
    if (!e.rule) return [`  ${head} = ${e.rhs.text}${where(e, reuses(e))}`];
    // The textbook form, then what the code computes on a line of its own, aligned under the first "=".
    return [`  ${head}`, `  ${" ".repeat(e.lhs.text.length)} = ${e.rhs.text}${where(e, reuses(e))}`];
  };
  const reused = reusedValues(d, backward);
  const width = Math.max(0, ...reused.map((r) => r.value.lhs.text.length));
  return [
    `Gradients of model ${JSON.stringify(d.model)} (${d.source}), after simplification.`,
    "N is the batch size; ⊙ multiplies elementwise; Σ_rows sums over the batch rows; ᵀ transposes.",
    "Layer ℓ computes zℓ = hℓ₋₁·Wℓ + bℓ and hℓ = f(zℓ); δℓ = ∂L/∂zℓ. vₖ, gₖ are other stored forward and backward values.",
    "",
    "forward:",
    ...d.forward.flatMap(line),
    "",
    "backward (reverse mode, from L back to the parameters):",
    ...backward.flatMap(line),
    "",
    reused.length ? "forward values reused by the backward pass:" : "forward values reused by the backward pass: none",
    ...reused.map((r) => `  ${r.value.lhs.text.padEnd(width)}  in ${r.readBy.map((e) => e.lhs.text).join(", ")}`),
    "",
    ...recurrences.flatMap((section) => ["recurrence:", ...section.map((l) => `  ${l}`), ""]),
  ].join("\n");
}
