// A pass's `const` locals that nothing reads, removed with the lines that compute them.
//
// Kernels write a value's every element, also when its readers take only some: a row of scalar
// products sliced to every other column, (x·W)[:, 1::2], computes each column as a local and the slice
// reads half of them. The others would be work for nothing and, in the user's project, an error under
// `noUnusedLocals` ("'z1_0' is declared but its value is never read"). Rather than teach every kernel
// which of its elements are read, the pass's finished lines are swept once: a `const` declared by a
// line of its own and read nowhere is dropped when computing it has no effect (arithmetic, element
// reads, members, string keys and Math's functions — not a call such as the SIMD product's
// `GEMM.product(…)`, nor a template literal), and dropping it may leave the locals it read unread in
// turn. Linear in the pass's size: each line is scanned once, and each removal only lowers the counts
// of the names it read.
//
// Conservative by construction: any occurrence of a name outside its declaration (a write to one of
// its elements, a mention in an expression, a name after a number's exponent) keeps it.

import { codeOf, namesIn } from "./codeText.js";

/** `const name = expression;` on a line of its own. */
const DECLARATION = /^\s*const ([A-Za-z_$][\w$]*) = (.*);\s*$/;
/** A call other than one of Math's functions (which have no effect beyond their result). */
const CALL = /(?:^|[^\w$.])(?!Math\.)([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)\s*\(/;
/** Operators that assign (`=`, `+=`, `++`, …), as opposed to comparisons (`==`, `<=`, `=>` is not emitted). */
const ASSIGNS = /(?:^|[^=!<>])=(?!=)|\+\+|--/;

/** `lines` without the declarations of `const` locals nothing reads (and what only they read). */
export function dropDeadLocals(lines: readonly string[]): string[] {
  const reads = lines.map(namesRead);
  const count = new Map<string, number>();
  for (const names of reads) for (const name of names) count.set(name, (count.get(name) ?? 0) + 1);
  // Declarations that may go: name → their lines (a name declared in two blocks goes only when neither is read).
  const removable = new Map<string, number[]>();
  lines.forEach((line, k) => {
    const m = DECLARATION.exec(line);
    if (!m || !isPure(m[2]!)) return;
    const at = removable.get(m[1]!);
    if (at) at.push(k);
    else removable.set(m[1]!, [k]);
  });
  const removed = new Set<number>();
  const work = [...removable.keys()].filter((name) => !count.get(name));
  while (work.length) {
    const name = work.pop()!;
    for (const k of removable.get(name)!) {
      removed.add(k);
      for (const read of reads[k]!) {
        const left = count.get(read)! - 1;
        count.set(read, left);
        if (left === 0 && removable.has(read)) work.push(read);
      }
    }
  }
  return removed.size ? lines.filter((_, k) => !removed.has(k)) : [...lines];
}

function isPure(expression: string): boolean {
  const code = codeOf(expression); // a string is a key (`params["W"]`), which reads nothing
  return !CALL.test(code) && !ASSIGNS.test(code) && !expression.includes("`");
}

/** The names a line reads, except a declaration's own name (codeText.ts: not in strings, comments or members). */
function namesRead(line: string): string[] {
  const declaration = DECLARATION.exec(line);
  return namesIn(codeOf(declaration ? declaration[2]! : line));
}
