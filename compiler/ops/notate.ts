// Writing an op's notation around operands that may be long: a formula that fuses thousands of
// element-wise steps is written one operation at a time, each around the text of all the steps inside
// it. An op's `notation` decides parentheses by scanning its operands (`paren`); done on the operands'
// text, that scans the whole formula once per operation, quadratic in its depth (a chain of 4,000
// element-wise steps spent most of its compile there). So the notation is called on placeholders
// instead — short strings that are compound exactly when their operand is — and the operands' text is
// put into the result: each operation costs the length of its own template, and whether the result is
// compound is read from that template too.
import type { Attrs } from "../ir/node.js";

/** An operand of a notation: its text, and whether it is compound (has a space outside brackets). */
export interface Notated {
  readonly text: string;
  readonly compound: boolean;
}

/** Whether text has a space outside brackets: an op written around it puts it in parentheses. */
export function isCompound(text: string): boolean {
  let depth = 0;
  for (const c of text) {
    if ("([{".includes(c)) depth++;
    else if (")]}".includes(c)) depth--;
    else if (c === " " && depth === 0) return true;
  }
  return false;
}

/** A short text (a name, a number) as an operand: scanning it once is cheap. */
export const notated = (text: string): Notated => ({ text, compound: isCompound(text) });

/**
 * The notation with operand k written as the placeholder `\u0001k\u0002`, with a space inside when the
 * operand is compound, so that the notation parenthesizes the placeholder exactly where it would the
 * text (compiler/explain/texTranslate.ts reads the same placeholders).
 */
export function notationTemplate(notation: (args: readonly string[], attrs: Attrs) => string, attrs: Attrs, operands: readonly Notated[]): string {
  return notation(operands.map((a, k) => `\u0001${k}${a.compound ? " " : ""}\u0002`), attrs);
}

/** The template with each placeholder replaced by what `operand` gives for its index. */
export function fillTemplate(template: string, operand: (k: number) => string): string {
  let out = "";
  let from = 0;
  for (let open = template.indexOf("\u0001"); open >= 0; open = template.indexOf("\u0001", from)) {
    const close = template.indexOf("\u0002", open);
    out += template.slice(from, open) + operand(Number(template.slice(open + 1, close))); // Number ignores the compound mark's space
    from = close + 1;
  }
  return out + template.slice(from);
}

/**
 * The notation around operands, whether the result is compound, and the template it was filled from
 * (explain translates the same template to LaTeX). The placeholders' brackets are balanced, as are the
 * operands', so a space is outside brackets in the text exactly when it is in the template (a compound
 * operand's placeholder holds one where the operand's text does).
 */
export function notate(notation: (args: readonly string[], attrs: Attrs) => string, attrs: Attrs, operands: readonly Notated[]): Notated & { readonly template: string } {
  const template = notationTemplate(notation, attrs, operands);
  return { text: fillTemplate(template, (k) => operands[k]!.text), compound: isCompound(template), template };
}
