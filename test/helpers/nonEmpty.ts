// A loop of assertions over a computed collection asserts nothing when the collection is empty, and
// passes. Tests loop over `nonEmpty(items, what)` (or `nonEmpty(items, what, n)`) instead: the items,
// after asserting there is at least one (exactly n).
import { expect } from "vitest";

export function nonEmpty<T>(items: Iterable<T>, what: string, count?: number): T[] {
  const xs = [...items];
  if (count !== undefined) expect(xs, `${what}: expected ${count}`).toHaveLength(count);
  else expect(xs.length, `${what}: nothing to check`).toBeGreaterThan(0);
  return xs;
}
