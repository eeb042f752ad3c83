// Emitted text goes through prettier, so generated modules read like hand-formatted code and
// diff cleanly; the options are fixed here so output never depends on a user's prettier config.
//
// A large model's module is megabytes of plain kernel statements, and prettier would spend most of
// the compile time on them. So the text is formatted in two parts, with prettier's output as the one
// result: runs of lines that ./plainLines.ts prints exactly as prettier would (plain statements,
// comments, balanced blocks, none wider than the print width at the indentation it will have) are
// set aside, each replaced by one placeholder statement; prettier formats what is left (the module's
// declarations, the spec, any line it alone knows how to lay out) and each placeholder is replaced by
// its lines, indented where prettier put the placeholder. If anything is not as predicted (an
// indentation, a syntax error in what is left), the whole text goes through prettier instead.
// Output is byte for byte prettier's either way: the examples' goldens and test/emit/format.test.ts
// compare the two.
// Prettier's standalone build with its plugins, not its Node entry: the same code, and it runs in a
// browser too, so the playground's modules are byte for byte the CLI's (test/playground/).
import { format } from "prettier/standalone";
import * as estree from "prettier/plugins/estree";
import * as typescript from "prettier/plugins/typescript";
import { INDENT, linesAt, plainLine, PRINT_WIDTH, type PlainLine } from "./plainLines.js";

const PLUGINS = [typescript, estree];
const OPTIONS = { parser: "typescript", plugins: PLUGINS, printWidth: PRINT_WIDTH, semi: true, singleQuote: false, trailingComma: "all" } as const;

export async function formatTypeScript(source: string): Promise<string> {
  const fast = await formatAround(source);
  return fast ?? prettier(source);
}

/** The whole text through prettier. */
export function prettier(source: string): Promise<string> {
  // A `.ts` file path tells prettier's typescript parser that the text is not JSX, so it parses once
  // and skips its JSX sniffing regular expression, which is quadratic in the length of the module.
  return format(source, { ...OPTIONS, filepath: "module.gen.ts" });
}

/** `-o model.gen.js`: the transpiled module (./javascript.ts), all of it through prettier. */
export async function formatJavaScript(source: string): Promise<string> {
  // Loaded when asked for: the playground's bundle never formats JavaScript and leaves it out.
  const babel = await import("prettier/plugins/babel");
  return format(source, { ...OPTIONS, parser: "babel", plugins: [babel, estree] });
}

const PLACEHOLDER = "GRADC_PLAIN_LINES_";

/** A run of lines formatted here, replaced by one placeholder statement in what prettier sees. */
interface Run {
  /** Block depth of its first line in the formatted module. */
  readonly depth: number;
  /** Its lines as prettier prints them, with their indentation relative to `depth`. */
  readonly lines: readonly string[];
}

/** Prettier's output with the plain runs formatted here, or null when that cannot be trusted (exported for the test that it is taken). */
export async function formatAround(source: string): Promise<string | null> {
  if (source.includes(PLACEHOLDER)) return null;
  const lines = source.split("\n");
  const runs = plainRuns(lines);
  if (!runs.length) return null;
  const skeleton: string[] = [];
  let next = 0;
  runs.forEach((r, k) => {
    for (let i = next; i < r.start; i++) skeleton.push(lines[i]!);
    skeleton.push(`${PLACEHOLDER}${k};`);
    next = r.end;
  });
  for (let i = next; i < lines.length; i++) skeleton.push(lines[i]!);
  let formatted: string;
  try {
    formatted = await prettier(skeleton.join("\n"));
  } catch {
    return null; // e.g. an `else` left without its `if`: prettier must see the whole text
  }
  const out: string[] = [];
  const placeholder = new RegExp(`^( *)${PLACEHOLDER}(\\d+);$`);
  let placed = 0;
  for (const line of formatted.split("\n")) {
    const m = placeholder.exec(line);
    if (!m) {
      if (line.includes(PLACEHOLDER)) return null; // joined to another line: not a statement of its own
      out.push(line);
      continue;
    }
    const r = runs[Number(m[2])]!;
    if (m[1]! !== INDENT.repeat(r.depth) || Number(m[2]) !== placed++) return null;
    for (const l of r.lines) out.push(m[1] + l);
  }
  return placed === runs.length ? out.join("\n") : null;
}

/** Runs of lines that can be formatted here: [start, end) of the emitted lines, with their text (exported for its test). */
export function plainRuns(lines: readonly string[]): (Run & { readonly start: number; readonly end: number })[] {
  const n = lines.length;
  // Each line parsed, and the block depth it will be printed at (predicted from braces at line ends;
  // checked against where prettier puts the placeholder).
  const parsed: (PlainLine | null)[] = new Array<PlainLine | null>(n);
  /** The lines prettier prints for each plain line at its depth. */
  const printed: (readonly string[] | null)[] = new Array<readonly string[] | null>(n);
  const depth: number[] = new Array<number>(n);
  /** Start → end of each number literal statement under `// prettier-ignore` (kept as written). */
  const ignored = new Map<number, number>();
  let d = 0;
  /** Per open bracket: whether a `case …:` of a switch has indented what follows one level more. */
  const inCase: boolean[] = [];
  for (let i = 0; i < n; i++) {
    const end = d === 0 ? ignoredNumbers(lines, i) : null;
    if (end !== null) {
      ignored.set(i, end);
      for (let j = i; j < end; j++) {
        parsed[j] = null;
        depth[j] = 0;
      }
      i = end - 1;
      continue;
    }
    const text = lines[i]!.trim();
    const p = text === "" ? null : plainLine(text);
    if (p?.kind === "close" || (p === null && /^[}\])]/.test(text))) {
      if (inCase.pop()) d--;
      d = Math.max(0, d - 1);
    }
    const label = p === null && /^(case\b.*|default):( \{)?$/.test(text);
    if (label && inCase[inCase.length - 1]) d--;
    depth[i] = d;
    const opens = p?.kind === "open" || (p === null && /[{[(]$/.test(text));
    // `case x:` indents what follows it one level; `case x: {` opens a block at that level instead.
    if (label) inCase[inCase.length - 1] = !opens;
    if (label || opens) d++;
    if (opens) inCase.push(false);
    printed[i] = p && linesAt(p, depth[i]!);
    parsed[i] = printed[i] ? p : null;
  }
  for (let i = 0; i + 1 < n; i++) {
    // An empty block prints as `{}` (or `{` and `}` at one indentation): prettier's business.
    if (parsed[i]?.kind === "open" && parsed[i + 1]?.kind === "close") parsed[i] = parsed[i + 1] = null;
    // An `if` whose `else` follows on the next line, and a statement prettier is told to leave as written.
    if (/^else\b/.test(lines[i + 1]!.trim()) || (parsed[i]?.kind === "comment" && lines[i]!.trim() === "// prettier-ignore")) parsed[i] = parsed[i + 1] = null;
  }

  const runs: (Run & { start: number; end: number })[] = [];
  let i = 0;
  while (i < n) {
    const ignoredEnd = ignored.get(i);
    if (ignoredEnd !== undefined) {
      runs.push({ start: i, end: ignoredEnd, depth: 0, lines: lines.slice(i, ignoredEnd) });
      i = ignoredEnd;
      continue;
    }
    const first = parsed[i];
    if (!first || first.kind === "close") {
      i++;
      continue;
    }
    // The longest balanced run from i: its blocks open and close inside it.
    let open = 0;
    let end = i;
    for (let j = i; j < n && parsed[j]; j++) {
      const k = parsed[j]!.kind;
      if (k === "close") {
        if (!open) break;
        open--;
      } else if (k === "open") open++;
      if (!open) end = j + 1;
    }
    if (end === i) {
      i++; // a block that does not close inside the run: its header stays with prettier, its lines may not
      continue;
    }
    // Comments alone stay with prettier: they may sit where no statement can (in an object literal).
    let statements = false;
    for (let j = i; j < end && !statements; j++) statements = parsed[j]!.kind !== "comment";
    if (!statements) {
      i = end;
      continue;
    }
    const text: string[] = [];
    for (let j = i; j < end; j++) {
      const pad = INDENT.repeat(depth[j]! - depth[i]!);
      for (const l of printed[j]!) text.push(pad + l);
    }
    runs.push({ start: i, end, depth: depth[i]!, lines: text });
    i = end;
  }
  return runs;
}

/** One number per item, as JSON writes them, two spaces in: the lines of a literal written by emit/module.ts's bulkValues. */
const NUMBER_ITEMS = /^ {2}-?[\d.e+-]+,(?: -?[\d.e+-]+,)*$/;

/**
 * Where a top-level `// prettier-ignore` statement of numbers that starts at line i ends: the comment,
 * `… = [` (or `….from([`), lines of numbers, `];` (or `]);`). Prettier prints such a statement as it is
 * written, so it is kept unread; null for anything else.
 */
export function ignoredNumbers(lines: readonly string[], i: number): number | null {
  if (lines[i] !== "// prettier-ignore") return null;
  const head = lines[i + 1];
  if (head === undefined || !/^[A-Za-z]/.test(head) || !head.endsWith("[") || head.includes("//")) return null;
  let j = i + 2;
  while (j < lines.length && NUMBER_ITEMS.test(lines[j]!)) j++;
  return j < lines.length && /^\]\)?;$/.test(lines[j]!) ? j + 1 : null;
}
