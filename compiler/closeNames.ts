// "Did you mean …?": the candidates closest to a misspelled name. Used for DSL names in model.ts
// (compiler/frontend/typecheck.ts) and for the CLI's commands (compiler/cliArgs.ts), so it must stay free of heavy
// imports: the CLI loads it on every run. Tested in test/cli/closeNames.test.ts.

/** Names within a small edit distance (or differing only in case, or containing one another). */
export function closeNames(name: string, candidates: readonly string[]): string[] {
  const lower = name.toLowerCase();
  const scored = candidates
    .map((c) => {
      const cl = c.toLowerCase();
      const d = editDistance(lower, cl);
      const limit = Math.max(1, Math.floor(Math.max(name.length, c.length) / 3));
      const contains = lower.length >= 3 && (cl.includes(lower) || lower.includes(cl));
      return { c, d: d <= limit ? d : contains ? limit + 0.5 : Infinity };
    })
    .filter((s) => s.d < Infinity)
    .sort((a, b) => a.d - b.d || a.c.localeCompare(b.c));
  return scored.slice(0, 4).map((s) => s.c);
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}
