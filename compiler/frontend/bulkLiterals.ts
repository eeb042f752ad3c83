// Large literals of numbers (a weight matrix pasted into model.ts as `init` values) set aside before
// the TypeScript compiler sees the model.
//
// A 5 MB array literal is 400,000 numbers: parsing it three times (positions, transpile, type-check),
// inferring a type for each element and decoding a source map segment for each took most of a
// minute. Its type is known without looking (number[], number[][], …) and its value is its own text,
// which is plain JavaScript. So each such literal is replaced, in the text the compiler works on, by
// `(__gradc_values_0__())`, padded with spaces to the same length and line breaks (every position in
// model.ts stays where it was: diagnostics, source maps and names are unchanged); the type-check sees
// `declare function __gradc_values_0__(): number[][]` at the end, and the transpiled module gets
// `function __gradc_values_0__() { return [the literal]; }` at its end (hoisted, so the top-level code
// can call it; a fresh array per evaluation, as the literal gives).
//
// Only literals the compiler could not complain about are set aside: at least MIN_LENGTH characters of
// nested brackets around plain decimal numbers (an optional sign, no separators or hex), every number
// at the same depth, no empty array; the replacement must parse as that call at that place (not in a
// string or a comment), else nothing is set aside. Test: test/frontend/bulkLiterals.test.ts.
import { ts } from "ts-morph";

/** Shorter literals cost the compiler nothing worth avoiding and stay as they are. */
export const MIN_LENGTH = 20_000;

const PREFIX = "__gradc_values_";

export interface SetAside {
  /** The model's text with each literal replaced by its call (same length, same line breaks). */
  readonly text: string;
  /** Declarations appended to the text for the type-check. */
  readonly declarations: string;
  /** Definitions appended to the transpiled module. */
  readonly definitions: string;
}

interface Literal {
  readonly start: number;
  readonly end: number;
  /** Array nesting around its numbers (number[][] is 2). */
  readonly depth: number;
}

/** The text with its large number literals set aside, or null when it has none (or they cannot be). */
export function setAsideBulkLiterals(text: string): SetAside | null {
  if (text.length < MIN_LENGTH || text.includes(PREFIX)) return null;
  const call = (k: number) => `${PREFIX}${k}__`;
  const placed: { readonly literal: Literal; readonly at: number }[] = [];
  let out = "";
  let from = 0;
  for (const l of findLiterals(text)) {
    const replacement = placeCall(text.slice(l.start, l.end), `${call(placed.length)}()`);
    if (replacement === null) continue; // no line of it is long enough to hold the call: it stays
    placed.push({ literal: l, at: l.start + replacement.at });
    out += text.slice(from, l.start) + replacement.text;
    from = l.end;
  }
  if (!placed.length) return null;
  out += text.slice(from);
  if (!callsInPlace(out, placed.map((p) => p.at), call)) return null;
  return {
    text: out,
    declarations: placed.map(({ literal }, k) => `\ndeclare function ${call(k)}(): number${"[]".repeat(literal.depth)};`).join(""),
    definitions: placed.map(({ literal }, k) => `\nfunction ${call(k)}() { return ${text.slice(literal.start, literal.end)}; }`).join(""),
  };
}

/**
 * `( call() )` in place of `[ … ]`, as long and with the same line breaks: the brackets become
 * parentheses, the rest spaces, and the call goes where the literal has room for it on one line.
 */
function placeCall(literal: string, callText: string): { text: string; at: number } | null {
  let room = -1;
  for (let i = 1, run = 0; i < literal.length - 1; i++) {
    const c = literal.charCodeAt(i);
    run = c === 10 || c === 13 ? 0 : run + 1;
    if (run === callText.length) {
      room = i + 1 - run;
      break;
    }
  }
  if (room < 0) return null;
  const blank = literal.slice(1, -1).replace(/[^\r\n]/g, " ");
  const inner = blank.slice(0, room - 1) + callText + blank.slice(room - 1 + callText.length);
  return { text: `(${inner})`, at: room };
}

/** Whether each call parses as a call of its own function, at the position it was put. */
function callsInPlace(text: string, positions: readonly number[], call: (k: number) => string): boolean {
  const sf = ts.createSourceFile("model.ts", text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  // A syntax error now (a literal that was an index, `a [1, 2, …]`) would be reported at the wrong place.
  if ((sf as unknown as { parseDiagnostics?: readonly unknown[] }).parseDiagnostics?.length) return false;
  const found = new Map<string, number>();
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && n.expression.text.startsWith(PREFIX) && !n.arguments.length) {
      found.set(n.expression.text, n.getStart(sf));
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found.size === positions.length && positions.every((at, k) => found.get(call(k)) === at);
}

// ── finding the literals ─────────────────────────────────────────────────────────────────────────────

const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13;
const isDigit = (c: number) => c >= 48 && c <= 57;

/** Every maximal literal of at least MIN_LENGTH characters, in order, not overlapping. */
function findLiterals(text: string): Literal[] {
  const out: Literal[] = [];
  let i = text.indexOf("[");
  while (i >= 0) {
    const l = literalAt(text, i);
    if (l && l.end - l.start >= MIN_LENGTH && !asserted(text, l)) {
      out.push(l);
      i = text.indexOf("[", l.end);
    } else i = text.indexOf("[", l ? l.end : i + 1);
  }
  return out;
}

/** `[…] as const`, `[…] satisfies T`, `<const>[…]`: the literal's own type matters, so it stays. */
function asserted(text: string, l: Literal): boolean {
  return /^\s*(as|satisfies)\b/.test(text.slice(l.end, l.end + 40)) || /<\s*const\s*>\s*$/.test(text.slice(Math.max(0, l.start - 40), l.start));
}

/**
 * The literal of nested arrays of numbers that starts at the `[` at `start`, or null: the grammar
 * `array := "[" (item ("," item)* ","?)? "]"`, `item := array | [+-]? number`, with whitespace between
 * tokens, every number at one depth and no empty array.
 */
function literalAt(text: string, start: number): Literal | null {
  let i = start;
  let depth = 0;
  let numberDepth = -1;
  /** Per open array: whether an item is expected next (after "[" or ","), and whether it has one. */
  const expectItem: boolean[] = [];
  const hasItem: boolean[] = [];
  const skip = () => {
    while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  };
  for (;;) {
    skip();
    if (i >= text.length) return null;
    const c = text.charCodeAt(i);
    if (c === 91 /* [ */) {
      if (depth > 0 && !expectItem[depth - 1]) return null;
      if (depth > 0) {
        expectItem[depth - 1] = false;
        hasItem[depth - 1] = true;
      }
      expectItem.push(true);
      hasItem.push(false);
      depth++;
      i++;
    } else if (c === 93 /* ] */) {
      if (!hasItem[depth - 1]) return null; // an empty array (its type would not be number[])
      expectItem.pop();
      hasItem.pop();
      depth--;
      i++;
      if (depth === 0) return numberDepth > 0 ? { start, end: i, depth: numberDepth } : null;
    } else if (c === 44 /* , */) {
      if (expectItem[depth - 1]) return null;
      expectItem[depth - 1] = true;
      i++;
    } else {
      if (!expectItem[depth - 1]) return null;
      const end = numberEnd(text, i);
      if (end === null) return null;
      if (numberDepth === -1) numberDepth = depth;
      else if (numberDepth !== depth) return null;
      expectItem[depth - 1] = false;
      hasItem[depth - 1] = true;
      i = end;
    }
  }
}

/** The end of a signed decimal number at i (`-0.5`, `12`, `3e-7`, `.5`), or null. */
function numberEnd(text: string, i: number): number | null {
  if (text[i] === "-" || text[i] === "+") {
    i++;
    while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  }
  const from = i;
  if (text[i] === "0") i++;
  else while (i < text.length && isDigit(text.charCodeAt(i))) i++;
  const whole = i > from;
  if (text[i] === ".") {
    i++;
    const f = i;
    while (i < text.length && isDigit(text.charCodeAt(i))) i++;
    if (!whole && i === f) return null;
  } else if (!whole) return null;
  if (text[i] === "e" || text[i] === "E") {
    i++;
    if (text[i] === "-" || text[i] === "+") i++;
    const e = i;
    while (i < text.length && isDigit(text.charCodeAt(i))) i++;
    if (i === e) return null;
  }
  // a number runs into the next token only through whitespace, "," or "]"
  const next = text.charCodeAt(i);
  return i < text.length && (isSpace(next) || next === 44 || next === 93) ? i : null;
}
