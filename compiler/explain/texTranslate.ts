// LaTeX from an op's Unicode text notation, for ops that define no `latex` of their own: the template
// (operands replaced by \u0001k\u0002 holes) is translated symbol by symbol — ⊙ → \odot, ᵀ → ^{\top},
// a word → \operatorname{word}, _axis0 → _{\text{axis0}} — and the operands' LaTeX is put in the holes.
// Anything unknown becomes \text{…}, so the result always parses (test/explain/katex.test.ts renders it).

const SYMBOLS: Record<string, string> = {
  "⊙": "\\odot ",
  "·": "\\cdot ",
  "ᵀ": "^{\\top}",
  "−": "-",
  "²": "^{2}",
  "√": "\\sqrt ",
  "Σ": "\\sum",
  "⊛": "\\circledast ",
  "→": "\\to ",
  "×": "\\times ",
  "σ": "\\sigma",
  "δ": "\\delta",
  "α": "\\alpha",
  "|": "\\vert ",
  "{": "\\{",
  "}": "\\}",
  "#": "\\#",
  "$": "\\$",
  "%": "\\%",
  "&": "\\&",
  "~": "\\sim ",
  "^": "\\hat{}",
  "\\": "\\backslash ",
};

/** Functions LaTeX has a command for (upright, with the right spacing). */
const FUNCTIONS = new Set(["exp", "log", "tanh", "max", "min", "sin", "cos", "sinh", "cosh", "arg"]);

export function translateNotation(template: string, operand: (i: number) => string): string {
  let out = "";
  let k = 0;
  const word = (w: string) => (w.length === 1 ? w : FUNCTIONS.has(w) ? `\\${w} ` : `\\operatorname{${w}}`);
  while (k < template.length) {
    const c = template[k]!;
    if (c === "\u0001") {
      const end = template.indexOf("\u0002", k);
      const tex = operand(Number(template.slice(k + 1, end).trim()));
      // Braces only where a script follows (x^{2}ᵀ would be a double superscript) or one precedes.
      const scripted = "ᵀ²^_'".includes(template[end + 1] ?? " ") || /[\^_]$/.test(out);
      out += scripted ? `{${tex}}` : tex;
      k = end + 1;
    } else if (c === "_") {
      // A subscript annotation (`_axis0`, `_0.01`, `_p=0.5`): everything up to the next operand, space or bracket.
      const m = /^_([^\s(\[\u0001]+)/.exec(template.slice(k));
      out += m ? `_{\\text{${escapeText(m[1]!)}}}` : "\\_";
      k += m ? m[0].length : 1;
    } else if (/[A-Za-z]/.test(c)) {
      const m = /^[A-Za-z]+/.exec(template.slice(k))!;
      out += word(m[0]);
      k += m[0].length;
    } else if (/[0-9.,:;()\[\]+\-=<>!/'*? ]/.test(c)) {
      out += c;
      k++;
    } else {
      out += SYMBOLS[c] ?? `\\text{${escapeText(c)}}`;
      k++;
    }
  }
  return out;
}

/** Text safe inside \text{…}. */
export function escapeText(s: string): string {
  return s.replace(/[\\{}$&#^_%~]/g, (c) => ({ "\\": "\\textbackslash{}", "^": "\\textasciicircum{}", "~": "\\textasciitilde{}" })[c] ?? `\\${c}`);
}
