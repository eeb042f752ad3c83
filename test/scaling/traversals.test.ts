// The traversals rewritten so the compiler scales (recursion → explicit stacks, rescans → indexes) give
// the same results as the straightforward versions they replaced, kept here as references, on random
// inputs; and they take inputs deep enough to have overflowed the stack before.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createContext, withContext } from "../../compiler/ir/context.js";
import * as d from "../../compiler/dsl/core.js";
import * as ix from "../../compiler/dsl/indexing.js";
import { Names } from "../../compiler/emit/names.js";
import { formula } from "../../compiler/emit/notation.js";
import { makeGraph, type Graph } from "../../compiler/ir/graph.js";
import { printGraph } from "../../compiler/ir/print.js";
import { rebuild } from "../../compiler/passes/rewrite.js";
import type { Node } from "../../compiler/ir/node.js";
import { shareArrays, type Lifetime, type SharedArray } from "../../compiler/lower/memory.js";
import { getOp } from "../../compiler/ops/index.js";
import { formatNumber } from "../../compiler/ops/leaf.js";
import { joinSlices } from "../../compiler/passes/joinSlices.js";
import { sliceGrad } from "../../compiler/ops/slice.js";
import { differentiateBody } from "../../compiler/autodiff/scanBody.js";

const SEED = 20261206;

/** DSL calls into a fresh builder (at a fixed location: no stack trace read per node). */
function build<T>(fn: () => T): T {
  return withContext({ ...createContext({ differentiateBody }), loc: { file: "model.ts", line: 1, col: 1 } }, fn);
}

// ── the memory plan ─────────────────────────────────────────────────────────────────────────────────

/** shareArrays as it was: every free array scanned for each lifetime. */
function shareArraysReference<K>(lifetimes: readonly Lifetime<K>[]): { arrays: SharedArray<K>[] } {
  const order = lifetimes.map((l, i) => [l, i] as const).sort(([a, i], [b, j]) => a.start - b.start || i - j);
  const arrays: SharedArray<K>[] = [];
  const freeAfter = new Map<SharedArray<K>, number>();
  for (const [l] of order) {
    let best: SharedArray<K> | null = null;
    for (const a of arrays) {
      if (a.batchDims !== l.batchDims || freeAfter.get(a)! >= l.start) continue;
      if (!best) best = a;
      else if (a.elements >= l.elements ? best.elements < l.elements || a.elements < best.elements : best.elements < l.elements && a.elements > best.elements) best = a;
    }
    const a = best ?? { members: [] as K[], batchDims: l.batchDims, elements: 0 };
    if (!best) arrays.push(a);
    a.members.push(l.key);
    a.elements = Math.max(a.elements, l.elements);
    freeAfter.set(a, l.end);
  }
  return { arrays };
}

const lifetimes = fc
  .array(
    fc.record({
      start: fc.integer({ min: 0, max: 40 }),
      length: fc.oneof(fc.integer({ min: 0, max: 12 }), fc.constant(Infinity)),
      batchDims: fc.integer({ min: 0, max: 2 }),
      // few distinct sizes, so ties between equal arrays are common
      elements: fc.constantFrom(1, 4, 16, 16, 64, 100, 128),
    }),
    { maxLength: 80 },
  )
  .map((ls) => ls.map((l, k): Lifetime<string> => ({ key: `v${k}`, start: l.start, end: l.start + l.length, batchDims: l.batchDims, elements: l.elements })));

describe("shareArrays (heap and sorted free list)", () => {
  it("assigns the same arrays as the scan of every array", () => {
    fc.assert(
      fc.property(lifetimes, (ls) => {
        const shape = (arrays: readonly SharedArray<string>[]) => arrays.map((a) => `${a.members.join(" ")} (${a.elements}${"·n".repeat(a.batchDims)})`);
        expect(shape(shareArrays(ls).arrays)).toEqual(shape(shareArraysReference(ls).arrays));
      }),
      { seed: SEED, numRuns: 500 },
    );
  });

  it("plans 20,000 buffers of a deep network", () => {
    // a chain: each value is written by one stretch and read by the next; saved ones live to the end
    const ls = Array.from({ length: 20_000 }, (_, k): Lifetime<number> => ({ key: k, start: k, end: k % 3 ? k + 1 : 20_000 - k, batchDims: k % 2, elements: 4 + (k % 5) }));
    const { arrays, arrayOf } = shareArrays(ls);
    expect(arrayOf.size).toBe(20_000);
    expect(arrays.map((a) => a.members.length).reduce((s, m) => s + m, 0)).toBe(20_000);
  });
});

// ── fresh names ─────────────────────────────────────────────────────────────────────────────────────

/** Names.fresh as it was: count from 2 every time. */
class NamesReference {
  private readonly used = new Set<string>();
  fresh(hint: string): string {
    let base = hint.replace(/[^A-Za-z0-9_$]/g, "_").replace(/^(\d)/, "_$1") || "t";
    if (base.length > 40) base = base.slice(0, 40);
    let name = base;
    for (let k = 2; this.used.has(name); k++) name = `${base}_${k}`;
    this.used.add(name);
    return name;
  }
  reserve(name: string): void {
    this.used.add(name);
  }
}

describe("Names.fresh (resuming the count per base)", () => {
  it("gives the same names as counting from 2 each time", () => {
    // hints that collide with each other's numbered forms: "a", "a_2", "a_2_2", reserved "a_3", …
    const hint = fc.constantFrom("a", "a_2", "a_3", "a_2_2", "matmul", "matmul_2", "1x", "", "h.0", "x".repeat(45));
    const step = fc.oneof(hint.map((h) => ["fresh", h] as const), hint.map((h) => ["reserve", h] as const));
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const names = new Names();
        const ref = new NamesReference();
        // the emitter's reserved words are reserved in both
        for (const w of ["a", "i", "n"]) ref.reserve(w);
        for (const [what, h] of steps) {
          if (what === "reserve") {
            names.reserve(h);
            ref.reserve(h);
          } else expect(names.fresh(h)).toBe(ref.fresh(h));
        }
      }),
      { seed: SEED, numRuns: 500 },
    );
  });
});

// ── the formula of a kernel ─────────────────────────────────────────────────────────────────────────

/** formula as it was: recursive. */
function formulaReference(n: Node, expanded: ReadonlySet<Node>, display: (n: Node) => string, top = true): string {
  if (!top && !expanded.has(n)) return display(n);
  if (n.op === "const" && n.attrs.value !== undefined) return formatNumber(n.attrs.value as number);
  if (n.op === "reshape" || (n.op === "broadcastTo" && !top)) return formulaReference(n.inputs[0]!, expanded, display, false);
  return getOp(n.op).notation(n.inputs.map((i) => formulaReference(i, expanded, display, false)), n.attrs);
}

/** A random expression DAG over x [2, 3] and w [3]: element-wise ops, reshapes and broadcasts. */
const expressions = fc.array(fc.tuple(fc.integer({ min: 0, max: 8 }), fc.nat(), fc.nat(), fc.boolean()), { minLength: 1, maxLength: 40 }).map((steps) =>
  build(() => {
    const x = d.input("x", [2, 3]);
    const w = d.param("w", [3]);
    const values: Node[] = [x, d.broadcastTo(w, [2, 3])];
    const expanded = new Set<Node>();
    for (const [op, a, b, inline] of steps) {
      const p = values[a % values.length]!, q = values[b % values.length]!;
      const n = [
        () => d.add(p, q),
        () => d.mul(p, q),
        () => d.sub(p, 0.5),
        () => d.tanh(p),
        () => d.neg(p),
        () => d.div(p, d.add(q, 2)),
        () => d.reshape(d.reshape(p, [3, 2]), [2, 3]),
        () => d.exp(d.mul(p, -1)),
        () => d.relu(d.sub(q, p)),
      ][op]!();
      values.push(n);
      if (inline) expanded.add(n);
    }
    return { root: values[values.length - 1]!, expanded };
  }),
);

describe("formula (an explicit stack)", () => {
  it("writes the same math as the recursive version", () => {
    fc.assert(
      fc.property(expressions, fc.boolean(), ({ root, expanded }, top) => {
        let count = 0;
        const names = new Map<Node, string>();
        const display = (n: Node) => names.get(n) ?? (names.set(n, `v${count++}`), names.get(n)!);
        const ours = formula(root, expanded, display, top);
        count = 0;
        names.clear();
        expect(ours).toBe(formulaReference(root, expanded, display, top));
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it("writes a chain 20,000 operations deep", () => {
    const { root, expanded } = build(() => {
      let h = d.input("x", [4]);
      const expanded = new Set<Node>();
      for (let k = 0; k < 20_000; k++) {
        h = k % 2 ? d.tanh(h) : d.add(h, 1);
        expanded.add(h);
      }
      return { root: h, expanded };
    });
    const text = formula(root, expanded, () => "x");
    expect(text.startsWith("tanh(tanh(") || text.startsWith("tanh(")).toBe(true);
    expect(text.match(/tanh\(/g)!.length).toBe(10_000);
  });
});

// ── joinSlices: the terms of a sum ──────────────────────────────────────────────────────────────────

/** joinSlices as it was: recursive terms, every add of the same shape walked to its leaves. */
function termsReference(n: Node, shape: Node["shape"]): Node[] {
  if (n.op !== "add" || n.shape.length !== shape.length || !n.inputs.every((i) => i.shape.length === shape.length && i.shape.every((dim, k) => dim === shape[k]))) return [n];
  return n.inputs.flatMap((i) => termsReference(i, shape));
}
const joinSlicesReference = (g: Graph) => {
  let changes = 0;
  const { graph } = rebuild(g, (n) => {
    if (n.op !== "add") return undefined;
    const parts = termsReference(n, n.shape);
    if (parts.length < 2 || !parts.every((p) => p.op === "sliceGrad")) return undefined;
    const { axis, size } = parts[0]!.attrs as { axis: number; size: number };
    if (!parts.every((p) => p.attrs.axis === axis && p.attrs.size === size && p.attrs.step === 1)) return undefined;
    const sorted = [...parts].sort((a, b) => (a.attrs.start as number) - (b.attrs.start as number));
    let next = 0;
    for (const p of sorted) {
      if (p.attrs.start !== next) return undefined;
      next += p.inputs[0]!.shape[axis] as number;
    }
    if (next !== size) return undefined;
    changes++;
    return ix.concat(sorted.map((p) => p.inputs[0]!), axis);
  });
  return { graph: makeGraph(graph), changes };
};

describe("joinSlices (terms without recursion)", () => {
  it("rewrites random sums of slice gradients as the recursive version did", () => {
    // Sums of pieces [2, 2k] placed into [2, 8] and other values, nested at random: some sums (or
    // sums inside them) tile the axis and become one concat, others do not.
    const piece = fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 2 }), fc.boolean());
    fc.assert(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 6 }), fc.array(fc.boolean(), { maxLength: 6 }), (pieces, nesting) => {
        const g = build(() => {
          const x = d.input("x", [2, 8]);
          const terms = pieces.map(([at, width, plain]) => {
            const v = ix.slice(x, { start: 2 * at, end: Math.min(8, 2 * at + 2 * width) });
            return plain ? d.mul(x, 2) : sliceGrad(d.tanh(v), 1, 2 * at, 1, 8);
          });
          let sum = terms[0]!;
          terms.slice(1).forEach((t, k) => (sum = nesting[k] ? d.add(t, sum) : d.add(sum, t)));
          return makeGraph({ name: "t", batchDim: null, inputs: [x], params: [], loss: null, outputs: [["s", sum]], grads: [] });
        });
        const ours = joinSlices(g), ref = joinSlicesReference(g);
        expect(ours.changes).toBe(ref.changes);
        expect(printGraph(ours.graph)).toBe(printGraph(ref.graph));
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it("looks at a residual chain of 20,000 adds without recursion (each sum is given up at its first other term)", () => {
    const g = build(() => {
      const x = d.input("x", [2, 4]);
      let h = x;
      for (let k = 0; k < 20_000; k++) h = d.add(h, d.tanh(h));
      return makeGraph({ name: "t", batchDim: null, inputs: [x], params: [], loss: null, outputs: [["h", h]], grads: [] });
    });
    expect(joinSlices(g).changes).toBe(0);
  });
});
