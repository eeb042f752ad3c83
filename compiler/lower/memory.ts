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

/**
 * Assigns every lifetime an array; arrays are returned in the order they were first used.
 *
 * Best fit among the free arrays of the same kind (batch-sized or fixed): the smallest at least as
 * large, else the largest (which grows); among equal sizes the one made first. The free arrays are
 * kept sorted by (size, age) and the busy ones in a heap by the stretch after which they are free,
 * so a deep network's thousands of buffers take O(B log B) steps, not a scan of every array for each.
 */
export function shareArrays<K>(lifetimes: readonly Lifetime<K>[]): { arrays: SharedArray<K>[]; arrayOf: Map<K, SharedArray<K>> } {
  const order = lifetimes.map((l, i) => [l, i] as const).sort(([a, i], [b, j]) => a.start - b.start || i - j);
  const arrays: SharedArray<K>[] = [];
  const arrayOf = new Map<K, SharedArray<K>>();
  const age = new Map<SharedArray<K>, number>();
  /** Free arrays by kind (how often the batch dimension scales them), sorted by (elements, age). */
  const free = new Map<number, SharedArray<K>[]>();
  const pool = (a: { batchDims: number }) => {
    let list = free.get(a.batchDims);
    if (!list) free.set(a.batchDims, (list = []));
    return list;
  };
  const before = (a: SharedArray<K>, elements: number, ageOf: number) => a.elements < elements || (a.elements === elements && age.get(a)! < ageOf);
  /** The first position in `list` not before (elements, age). */
  const lowerBound = (list: SharedArray<K>[], elements: number, ageOf: number) => {
    let lo = 0, hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (before(list[mid]!, elements, ageOf)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const busy = new MinHeap<{ readonly array: SharedArray<K>; readonly freeAfter: number }>((a, b) => a.freeAfter - b.freeAfter);
  for (const [l] of order) {
    // Arrays whose last member's lifetime ended before this one starts are free again.
    while (busy.size && busy.peek()!.freeAfter < l.start) {
      const { array } = busy.pop()!;
      const list = pool(array);
      list.splice(lowerBound(list, array.elements, age.get(array)!), 0, array);
    }
    const list = pool(l);
    let at = lowerBound(list, l.elements, -1); // the smallest large enough (the oldest of that size)
    if (at === list.length && list.length) at = lowerBound(list, list[list.length - 1]!.elements, -1); // else the largest
    let a: SharedArray<K>;
    if (at < list.length) a = list.splice(at, 1)[0]!;
    else {
      a = { members: [], batchDims: l.batchDims, elements: 0 };
      age.set(a, arrays.length);
      arrays.push(a);
    }
    a.members.push(l.key);
    a.elements = Math.max(a.elements, l.elements);
    busy.push({ array: a, freeAfter: l.end });
    arrayOf.set(l.key, a);
  }
  return { arrays, arrayOf };
}

/** A binary min-heap. */
class MinHeap<T> {
  private readonly items: T[] = [];
  constructor(private readonly less: (a: T, b: T) => number) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const h = this.items;
    h.push(item);
    for (let i = h.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (this.less(h[i]!, h[parent]!) >= 0) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  pop(): T | undefined {
    const h = this.items;
    const top = h[0];
    const last = h.pop();
    if (h.length && last !== undefined) {
      h[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!) < 0) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!) < 0) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
