// fuseBatchLoops's placement rules one by one, on hand-made kernels (the compiled models reach them only
// in combination): which kernels share a batch loop, which are hoisted in front of it or placed after it,
// where `section`'s headings go, and the loop and stretch numbers the row scalars and the memory plan read.
import { describe, expect, it } from "vitest";
import { fuseBatchLoops } from "../../compiler/emit/fuseBatch.js";
import type { KernelCode } from "../../compiler/emit/kernelCode.js";
import type { Node } from "../../compiler/ir/node.js";

/** A stand-in node: fuseBatchLoops only uses nodes as keys. */
const node = (name: string): Node => ({ name }) as unknown as Node;

/** A kernel writing `n`; `reads` maps each array read to the row index expressions it was read at. */
function kernel(n: Node, parts: { pre?: string[]; loop?: string[] | null; post?: string[]; reads?: [Node, string[]][]; accumulates?: boolean }): KernelCode {
  const name = (n as unknown as { name: string }).name;
  return {
    node: n,
    comment: `// ${name}`,
    pre: parts.pre ?? [],
    loop: parts.loop === undefined ? [`${name}[i] = 1;`] : parts.loop,
    post: parts.post ?? [],
    reads: new Map((parts.reads ?? []).map(([r, idx]) => [r, new Set(idx)])),
    accumulates: parts.accumulates ?? false,
    varReads: new Set(),
    constWrite: true,
    writes: [],
  };
}

describe("fuseBatchLoops", () => {
  const a = node("a"), b = node("b"), c = node("c"), s = node("s");

  it("runs a kernel that reads the open loop's value at row i in the same loop", () => {
    const r = fuseBatchLoops([kernel(a, {}), kernel(b, { loop: ["b[i] = a[i];"], reads: [[a, ["i"]]] })]);
    expect(r.lines).toEqual(["for (let i = 0; i < n; i++) {", "// a", "a[i] = 1;", "// b", "b[i] = a[i];", "}"]);
    expect([r.loopOf.get(a), r.loopOf.get(b)]).toEqual([1, 1]);
    expect([r.segmentOf.get(a), r.segmentOf.get(b)]).toEqual([1, 1]);
  });

  it("starts a new loop for a kernel that reads another row of the loop's value", () => {
    const r = fuseBatchLoops([kernel(a, {}), kernel(b, { loop: ["b[i] = a[n - 1 - i];"], reads: [[a, ["n - 1 - i"]]] })]);
    expect(r.lines.filter((l) => l.startsWith("for ("))).toHaveLength(2);
    expect([r.loopOf.get(a), r.loopOf.get(b)]).toEqual([1, 2]);
    expect([r.segmentOf.get(a), r.segmentOf.get(b)]).toEqual([1, 2]);
  });

  it("starts a new loop for a kernel that reads a sum over the batch (complete only after the loop)", () => {
    const r = fuseBatchLoops([
      kernel(a, { pre: ["let a = 0;"], loop: ["a += x[i];"], accumulates: true }),
      kernel(b, { loop: ["b[i] = a;"], reads: [[a, ["i"]]] }),
    ]);
    expect(r.loopOf.get(a)).not.toBe(r.loopOf.get(b));
  });

  it("treats a value finished after the loop (a post part) as complete only after it, even if it does not accumulate", () => {
    // a's rows are written in the loop, then rescaled after it: a reader at row i must wait for the loop to end.
    const r = fuseBatchLoops([
      kernel(a, { loop: ["a[i] = x[i];"], post: ["for (let k = 0; k < n; k++) a[k] /= n;"] }),
      kernel(b, { loop: ["b[i] = a[i];"], reads: [[a, ["i"]]] }),
    ]);
    expect(r.lines).toEqual([
      "for (let i = 0; i < n; i++) {", "// a", "a[i] = x[i];", "}", "for (let k = 0; k < n; k++) a[k] /= n;",
      "for (let i = 0; i < n; i++) {", "// b", "b[i] = a[i];", "}",
    ]);
    expect(r.loopOf.get(a)).not.toBe(r.loopOf.get(b));
  });

  it("hoists a kernel without a batch loop that reads nothing of the loop in front of it, and places one that does after it", () => {
    const headings: string[] = [];
    const r = fuseBatchLoops(
      [
        kernel(a, {}),
        kernel(s, { loop: null, post: ["const s = 1 / n;"] }),
        kernel(c, { loop: null, post: ["c[0] = a[0];"], reads: [[a, ["0"]]] }),
      ],
      (k) => {
        const h = `// heading of ${(k.node as unknown as { name: string }).name}`;
        headings.push(h);
        return h;
      },
    );
    expect(r.lines).toEqual([
      "// s", "const s = 1 / n;",
      "for (let i = 0; i < n; i++) {", "// heading of a", "// a", "a[i] = 1;", "}",
      "// heading of c", "// c", "c[0] = a[0];",
    ]);
    // A hoisted kernel is not asked for a heading: it runs before the loop whose heading comes first.
    expect(headings).toEqual(["// heading of a", "// heading of c"]);
    // s, hoisted, runs in the loop's stretch; c, after the loop, in a stretch of its own after it.
    expect(r.segmentOf.get(s)).toBe(r.segmentOf.get(a));
    expect(r.segmentOf.get(c)).toBe(r.segmentOf.get(a)! + 1);
  });

  it("keeps a value placed after the loop out of the loop: a later loop kernel reading it starts a new one", () => {
    const r = fuseBatchLoops([
      kernel(a, {}),
      kernel(c, { loop: null, post: ["c[0] = a[0];"], reads: [[a, ["0"]]] }),
      kernel(b, { loop: ["b[i] = c[0];"], reads: [[c, ["0"]]] }),
    ]);
    expect(r.loopOf.get(b)).toBe(2);
    expect(r.lines.indexOf("c[0] = a[0];")).toBeLessThan(r.lines.lastIndexOf("for (let i = 0; i < n; i++) {"));
  });

  it("runs kernels in sequence when no loop is open, each its own stretch, with its heading", () => {
    const r = fuseBatchLoops(
      [kernel(s, { loop: null, post: ["const s = 1 / n;"] }), kernel(c, { loop: null, post: ["const c = 2 * s;"], reads: [[s, []]] })],
      (k) => (k.node === s ? "// ──── forward ────" : null),
    );
    expect(r.lines).toEqual(["// ──── forward ────", "// s", "const s = 1 / n;", "// c", "const c = 2 * s;"]);
    expect([r.segmentOf.get(s), r.segmentOf.get(c)]).toEqual([1, 2]);
    expect(r.loopOf.size).toBe(0);
  });

  it("prints no headings without `section`", () => {
    const r = fuseBatchLoops([kernel(a, {}), kernel(c, { loop: null, post: ["c[0] = a[0];"], reads: [[a, ["0"]]] }), kernel(s, { loop: null, post: ["s = 1;"] })]);
    expect(r.lines.filter((l) => l.startsWith("// ")).sort()).toEqual(["// a", "// c", "// s"]);
  });
});
