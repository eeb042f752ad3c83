// Row statistics computed once. Every stable row op (softmax, softmax cross-entropy; ops/softmax.ts's
// rowMaxAndSum) starts with the same two reductions of its input row: m = max_j x_j, s = Σ_j exp(x_j − m).
// When two such ops read the same row in one pass — mnist-mlp's loss (softmaxCE of the logits) and its
// output softmax(logits) — the second reuses the first's m and s instead of computing them again.
//
// It works on the emitted statements of a pass, after batch-loop fusion has put kernels side by side:
// a second block `let m2 = -Infinity; for (…) …; let s2 = 0; for (…) s2 += Math.exp(…)` whose row
// (the element read, up to the loop variable) equals an earlier block's is dropped, and m2, s2 are
// read as m, s — only where the earlier ones are in scope (no block between them has closed), neither
// was assigned again, and the row's array was not written in between. The result is bit for bit the
// same: the same reductions of the same values, in the same order.
// Test: test/emit/rowStatistics.test.ts

import { codeOf } from "./codeText.js";

const MAX = /^let ([\w$]+) = -Infinity;$/;
const MAX_LOOP = /^for \(let ([\w$]+) = 0; \1 < ([^;]+); \1\+\+\) if \((.+) > ([\w$]+)\) \4 = \3;$/;
const SUM = /^let ([\w$]+) = 0;$/;
const SUM_LOOP = /^for \(let ([\w$]+) = 0; \1 < ([^;]+); \1\+\+\) ([\w$]+) \+= Math\.exp\((.+) - ([\w$]+)\);$/;

interface Statistics {
  readonly max: string;
  readonly sumExp: string;
  /** The brace depth its names are declared at. */
  readonly depth: number;
  /** The arrays its row reads. */
  readonly arrays: readonly string[];
}

const identifier = (name: string) => new RegExp(`(?<![\\w$.])${name.replace(/\$/g, "\\$")}(?![\\w$])`, "g");
const escaped = (name: string) => name.replace(/\$/g, "\\$");

/** The row statistics block starting at lines[at], with its key (length and element read), or null. */
function blockAt(lines: readonly string[], at: number): { key: string; max: string; sumExp: string; arrays: string[] } | null {
  const [a, b, c, d] = lines.slice(at, at + 4).map((l) => l.trim());
  const m = a === undefined ? null : MAX.exec(a);
  const mx = b === undefined ? null : MAX_LOOP.exec(b);
  const s = c === undefined ? null : SUM.exec(c);
  const sx = d === undefined ? null : SUM_LOOP.exec(d);
  if (!m || !mx || !s || !sx || mx[4] !== m[1] || sx[3] !== s[1] || sx[5] !== m[1]) return null;
  const element = (expr: string, loopVar: string) => expr.replace(identifier(loopVar), "#");
  const row = element(mx[3]!, mx[1]!);
  if (row !== element(sx[4]!, sx[1]!) || mx[2] !== sx[2] || !row.includes("#")) return null;
  const arrays = [...row.matchAll(/([\w$]+)\[/g)].map((x) => x[1]!);
  return { key: `${mx[2]}|${row}`, max: m[1]!, sumExp: s[1]!, arrays };
}

/** Whether `code` (a line without strings and comments) assigns to `name` (a local) or writes into it (an array). */
function writes(code: string, name: string): boolean {
  const n = escaped(name);
  return (
    new RegExp(`(?<![\\w$.])${n}\\s*[-+*/]?=(?!=)`).test(code) ||
    new RegExp(`(?<![\\w$.])${n}\\[(?:[^\\[\\]]|\\[[^\\[\\]]*\\])*\\]!?\\s*[-+*/]?=(?!=)`).test(code) ||
    new RegExp(`(?<![\\w$.])${n}\\.(?:fill|set|copyWithin)\\(`).test(code)
  );
}

/** Braces opened minus closed in `code` (a line without strings and comments). */
function braceDelta(code: string): number {
  let d = 0;
  for (const ch of code) d += ch === "{" ? 1 : ch === "}" ? -1 : 0;
  return d;
}

export function shareRowStatistics(lines: readonly string[]): string[] {
  const out: string[] = [];
  const known = new Map<string, Statistics>();
  const renames: [RegExp, string][] = [];
  let depth = 0;
  for (let at = 0; at < lines.length; ) {
    const block = blockAt(lines, at);
    const earlier = block && known.get(block.key);
    if (block && earlier) {
      out.push(`// the row's max and Σ exp: ${earlier.max}, ${earlier.sumExp}, computed above`);
      renames.push([identifier(block.max), earlier.max], [identifier(block.sumExp), earlier.sumExp]);
      at += 4;
      continue;
    }
    let line = lines[at]!;
    for (const [from, to] of renames) line = line.replace(from, to);
    if (block) {
      known.set(block.key, { max: block.max, sumExp: block.sumExp, depth, arrays: block.arrays });
      out.push(...lines.slice(at, at + 4));
      at += 4;
      continue;
    }
    out.push(line);
    const code = codeOf(line);
    depth += braceDelta(code);
    for (const [key, st] of known) {
      if (depth < st.depth || writes(code, st.max) || writes(code, st.sumExp) || st.arrays.some((a) => writes(code, a))) known.delete(key);
    }
    at++;
  }
  return out;
}
