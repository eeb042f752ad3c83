// The static memory plan: which workspace buffers can share one array. A buffer is alive from the
// stretch of code that writes it to the last stretch that reads it (stretches as fuseBatch counts
// them: a fused batch loop is one stretch, since its rows interleave); a pass's results live to its
// end. Buffers whose lifetimes do not overlap share an array — interval colouring, greedy by start,
// best fit by size — so a deep network's workspace holds the live values, not every value. Only
// buffers that scale alike with the batch size share (n·4 and n²·4 elements are not comparable).
// Test: test/lower/memory.test.ts

export interface Lifetime<K> {
  readonly key: K;
  /** The stretch that writes it, and the last stretch that reads it (Infinity: read after the pass). */
  readonly start: number;
  readonly end: number;
  /**
   * How many times the batch dimension is in its shape: its size is n^batchDims · elements (0: fixed;
   * 1: elements per batch row; 2: a [batch, batch] value such as a similarity matrix, n²·elements).
   */
  readonly batchDims: number;
  readonly elements: number;
}

export interface SharedArray<K> {
  /** In the order they took the array (the first is the one it is named after). */
  readonly members: K[];
  readonly batchDims: number;
  /** The largest member's size. */
  elements: number;
}

/** Assigns every lifetime an array; arrays are returned in the order they were first used. */
export function shareArrays<K>(lifetimes: readonly Lifetime<K>[]): { arrays: SharedArray<K>[]; arrayOf: Map<K, SharedArray<K>> } {
  const order = lifetimes.map((l, i) => [l, i] as const).sort(([a, i], [b, j]) => a.start - b.start || i - j);
  const arrays: SharedArray<K>[] = [];
  const freeAfter = new Map<SharedArray<K>, number>();
  const arrayOf = new Map<K, SharedArray<K>>();
  for (const [l] of order) {
    // Best fit: the smallest free array at least as large, else the largest free one (which grows).
    let best: SharedArray<K> | null = null;
    for (const a of arrays) {
      if (a.batchDims !== l.batchDims || freeAfter.get(a)! >= l.start) continue;
      if (!best) best = a;
      else if (a.elements >= l.elements ? best.elements < l.elements || a.elements < best.elements : best.elements < l.elements && a.elements > best.elements) best = a;
    }
    const a = best ?? { members: [], batchDims: l.batchDims, elements: 0 };
    if (!best) arrays.push(a);
    a.members.push(l.key);
    a.elements = Math.max(a.elements, l.elements);
    freeAfter.set(a, l.end);
    arrayOf.set(l.key, a);
  }
  return { arrays, arrayOf };
}
