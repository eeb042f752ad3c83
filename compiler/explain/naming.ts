// Symbols for the values `gradc explain` names, in text and LaTeX.
//
// The naming scheme (documented in docs/reading-your-gradients.md):
//  - parameters, inputs and values the model.ts code names keep their names; a trailing number becomes
//    a subscript (W1 → W₁, h1 → h₁, z2 → z₂);
//  - layer ℓ (see ./layers.ts) names what the model leaves unnamed: its pre-activation zℓ and its
//    activation hℓ (aℓ when the model already uses hℓ for something else);
//  - δℓ = ∂L/∂zℓ for every layer whose δ the gradient graph computes;
//  - an adjoint the autodiff named after a forward value (dh1) is ∂L/∂h₁; a parameter's gradient ∂L/∂W₁;
//  - other stored intermediates are v₁, v₂, … (forward) and g₁, g₂, … (backward), numbered in
//    computation order, skipping any name the model uses;
//  - L is the loss.
// Tensors are bold in LaTeX (\mathbf{W}_{1}, \boldsymbol{\delta}_{1}: \mathbf has no bold Greek), scalars are not.
import { escapeText } from "./texTranslate.js";
import { math, type MathText } from "./math.js";

export type SymbolStyle = "tensor" | "scalar" | "delta";

export interface Symbol {
  readonly base: string;
  readonly sub?: string;
  readonly style: SymbolStyle;
}

const SUBSCRIPT_DIGITS = "₀₁₂₃₄₅₆₇₈₉";

/** "W1" → W with subscript 1; "logits" → logits; "x" → x. */
export function symbolOf(name: string, style: SymbolStyle): Symbol {
  const m = /^(.*[^\d])(\d+)$/.exec(name);
  return m && !/[_\d]$/.test(m[1]!) ? { base: m[1]!, sub: m[2]!, style } : { base: name, style };
}

export const subscriptDigits = (s: string): string => s.replace(/\d/g, (d) => SUBSCRIPT_DIGITS[Number(d)]!);

/** A plain name for collision checks: "h1" for h₁. */
export const plainName = (s: Symbol): string => `${s.base}${s.sub ?? ""}`;

export function renderSymbol(s: Symbol): MathText {
  const text = `${s.base}${s.sub ? subscriptDigits(s.sub) : ""}`;
  const sub = s.sub ? `_{${s.sub}}` : "";
  if (s.style === "delta") return math(text, `\\boldsymbol{${s.base === "δ" ? "\\delta" : texName(s.base)}}${sub}`);
  const name = texName(s.base);
  // A one-letter scalar is italic (L); longer scalar names are upright words.
  if (s.style === "scalar") return math(text, `${/^[A-Za-z]$/.test(s.base) ? s.base : `\\mathrm{${name}}`}${sub}`);
  return math(text, `\\mathbf{${name}}${sub}`);
}

/** ∂L/∂s. */
export function gradientSymbol(of: MathText): MathText {
  return math(`∂L/∂${of.text}`, `\\frac{\\partial L}{\\partial ${of.tex}}`);
}

/** A name as LaTeX inside \mathbf / \mathrm: letters and digits as they are, anything else as text. */
function texName(name: string): string {
  return name.replace(/[^A-Za-z0-9]+/g, (run) => `\\text{${escapeText(run)}}`);
}

/** Fresh names v₁, v₂, … that no model name uses. */
export class NameAllocator {
  private readonly counters = new Map<string, number>();
  constructor(private readonly taken: Set<string>) {}

  /** The first free candidate, or base with the next free number. */
  pick(candidates: readonly string[]): string {
    const free = candidates.find((c) => !this.taken.has(c));
    if (free !== undefined) {
      this.taken.add(free);
      return free;
    }
    return this.next(candidates[0]!.replace(/\d+$/, ""));
  }

  next(base: string): string {
    for (let k = (this.counters.get(base) ?? 0) + 1; ; k++) {
      if (!this.taken.has(`${base}${k}`)) {
        this.counters.set(base, k);
        this.taken.add(`${base}${k}`);
        return `${base}${k}`;
      }
    }
  }
}
