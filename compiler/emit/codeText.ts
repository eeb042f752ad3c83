// What a line of emitted code says, as opposed to what its strings and comments say. The emitter's
// sweeps over finished lines (deadLocals.ts, rowStatistics.ts, module.ts's arrows) ask which names a
// line reads and where its braces open; a string there is a key or a label (`params["W"]`, an output
// named "inputs") and a comment is prose, so both are set aside first, by one scan, the same way for all.
// Test: test/emit/codeText.test.ts

/** A quote or the start of a comment: a line without one (most kernel lines) is all code. */
const SET_ASIDE = /["'`]|\/\//;

/** The line with each string blanked (spaces of the same length) and its `//` comment cut off. */
export function codeOf(line: string): string {
  // Every emitted line passes here (twice: deadLocals.ts and rowStatistics.ts; a 4000-layer chain emits
  // ~20 MB): the scan below took ~2 µs a line, this test takes ~0.4 µs (200,000 kernel lines, node 20).
  if (!SET_ASIDE.test(line)) return line;
  let out = "";
  let from = 0; // start of the code not yet copied to out
  for (let k = 0; k < line.length; k++) {
    const c = line[k]!;
    if (c === "/" && line[k + 1] === "/") return out + line.slice(from, k);
    if (c === '"' || c === "'" || c === "`") {
      let j = k + 1;
      while (j < line.length && line[j] !== c) j += line[j] === "\\" ? 2 : 1;
      const end = Math.min(j + 1, line.length);
      out += line.slice(from, k) + " ".repeat(end - k);
      from = end;
      k = j;
    }
  }
  return out + line.slice(from);
}

/**
 * The identifiers `code` (already without strings and comments: codeOf) reads: every name that is not a
 * member's property (`ws.h` reads ws, not a local h) nor part of a number (`1e5` reads no `e5`).
 */
export function namesIn(code: string): string[] {
  return [...code.matchAll(/(?<![\w$.])[A-Za-z_$][\w$]*/g)].map((m) => m[0]);
}

/** Whether `line` reads the identifier `name` outside its strings and comments. */
export function readsName(line: string, name: string): boolean {
  return line.includes(name) && namesIn(codeOf(line)).includes(name); // most lines do not mention it at all
}
