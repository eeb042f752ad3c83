// Math as `gradc explain` prints it: every expression is built once in two dialects side by side,
// Unicode text (what the terminal shows and what emitted comments use) and LaTeX (for --format
// latex/markdown). An op's text comes from its `notation`; its LaTeX from its `latex` when it has one,
// otherwise from its text notation translated symbol by symbol (see ./texTranslate.ts), so an op
// added without LaTeX still renders.
import type { Attrs } from "../ir/node.js";
import { getOp } from "../ops/index.js";
import { formatNumber } from "../ops/leaf.js";
import { isCompound, notate } from "../ops/notate.js";
import { texParen } from "../ops/op.js";
import { translateNotation } from "./texTranslate.js";

export interface MathText {
  readonly text: string;
  readonly tex: string;
  /** Whether the text is compound, when known from how it was made (applyOp); otherwise scanned. */
  readonly compound?: boolean;
}

export const math = (text: string, tex: string): MathText => ({ text, tex });

export function numberMath(v: number): MathText {
  const s = formatNumber(v);
  const m = /^(-?[\d.]+)e([+-]\d+)$/.exec(s);
  return math(s, m ? `${m[1]} \\cdot 10^{${Number(m[2])}}` : s);
}

/**
 * op(args) in both dialects, the text written around placeholders (compiler/ops/notate.ts: a formula
 * thousands of operations deep is not rescanned per operation) and the LaTeX translated from the same
 * template unless the op has its own.
 */
export function applyOp(op: string, attrs: Attrs, args: readonly MathText[]): MathText {
  const def = getOp(op);
  const { text, compound, template } = notate(def.notation, attrs, args.map((a) => ({ text: a.text, compound: a.compound ?? isCompound(a.text) })));
  const tex = def.latex ? def.latex(args.map((a) => a.tex), attrs) : translateNotation(template, (k) => args[k]!.tex);
  return { text, tex, compound };
}

/** f'(z) for an activation f: the text `σ(z)` becomes `σ'(z)`. */
export function derivativeOf(op: string, attrs: Attrs, arg: MathText): MathText {
  const f = applyOp(op, attrs, [arg]);
  // The prime goes on the function name, before its argument list; a notation without one is primed whole.
  const prime = (s: string, open: string, close: string) => {
    const k = s.indexOf("(");
    return k > 0 ? `${s.slice(0, k)}'${s.slice(k)}` : `${open}${s}${close}'`;
  };
  return math(prime(f.text, "(", ")"), prime(f.tex, "\\left(", "\\right)"));
}

/** Σ over the batch rows: the textbook's Σ_rows (a bias gradient sums δ over the examples). */
export function sumRows(arg: MathText): MathText {
  return math(`Σ_rows ${(arg.compound ?? isCompound(arg.text)) ? `(${arg.text})` : arg.text}`, `\\sum_{\\text{rows}} ${texParen(arg.tex)}`);
}
