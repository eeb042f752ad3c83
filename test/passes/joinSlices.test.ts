import { describe, expect, it } from "vitest";
import * as d from "../../compiler/dsl/core.js";
import * as ix from "../../compiler/dsl/indexing.js";
import { joinSlices } from "../../compiler/passes/joinSlices.js";
import { sliceGrad } from "../../compiler/ops/slice.js";
import { grad } from "../../compiler/autodiff/grad.js";
import { checkGradients, traceModel } from "../helpers/gradcheck.js";
import type { Node } from "../../compiler/ir/node.js";

/** gates = x·W cut into four pieces along the last axis, each through its own activation. */
const gates = (cut: (g: Node) => Node[]) => () => {
  const x = d.input("x", [2, 3]);
  const W = d.param("W", [3, 8], { init: "zeros" });
  const g = d.matmul(x, W);
  const [a, b, c, e] = cut(g) as [Node, Node, Node, Node];
  return { loss: d.sum(d.add(d.add(d.sigmoid(a), d.tanh(b)), d.add(d.sigmoid(c), d.square(e)))) };
};
const quarters = (g: Node) => [0, 2, 4, 6].map((s) => ix.slice(g, { start: s, end: s + 2 }));
const values = { inputs: { x: [0.5, -1, 2, 0.3, -0.7, 1.2] }, params: { W: Array.from({ length: 24 }, (_, k) => Math.sin(k)) } };

describe("joinSlices", () => {
  it("the adjoint of four slices that tile the gates is one concat", () => {
    const r = joinSlices(grad(traceModel(gates(quarters))));
    expect(r.changes).toBe(1);
    expect(r.graph.nodes.some((n) => n.op === "sliceGrad")).toBe(false);
    const cat = r.graph.nodes.find((n) => n.op === "concat")!;
    expect(cat.inputs).toHaveLength(4);
    expect(cat.shape).toEqual([2, 8]);
  });
  it("keeps the gradient", () => {
    checkGradients(gates(quarters), values, { transform: (g) => joinSlices(g).graph });
  });
  it("leaves pieces that overlap, leave a gap or step alone", () => {
    const gap = (g: Node) => [0, 2, 4, 6].map((s) => ix.slice(g, { start: s, end: s + 1 }));
    const overlap = (g: Node) => [0, 1, 4, 6].map((s) => ix.slice(g, { start: s, end: s + 2 }));
    const stepped = (g: Node) => [ix.slice(g, { start: 0, step: 2 }), ix.slice(g, { start: 1, step: 2 }), ix.slice(g, { start: 0, end: 1 }), ix.slice(g, { start: 7 })];
    for (const cut of [gap, overlap, stepped]) expect(joinSlices(grad(traceModel(gates(cut)))).changes).toBe(0);
  });
  it("does not look through an add that broadcasts one of its terms", () => {
    // Each sum below is [2, 2], but one piece is smaller and broadcast by the add: the pieces' starts and
    // lengths tile the axis, yet they are no tiling of the sum (and their concat has no shape).
    const sums = [
      // [1, 2] + [2, 2]: the same rank, another size
      () => d.add(sliceGrad(d.param("a", [1, 1]), 1, 0, 1, 2), sliceGrad(d.param("b", [2, 1]), 1, 1, 1, 2)),
      // [2] + [2, 2]: a lower rank whose dimensions match the sum's first ones
      () => d.add(sliceGrad(d.param("a", [1]), 0, 0, 1, 2), sliceGrad(d.param("b", [1, 2]), 0, 1, 1, 2)),
    ];
    for (const sum of sums) {
      const g = traceModel(() => ({ loss: d.sum(d.mul(sum(), d.constant([1, 2, 3, 4], [2, 2]))) }));
      expect(g.nodes.filter((n) => n.op === "sliceGrad")).toHaveLength(2);
      expect(joinSlices(g).changes).toBe(0);
    }
  });

  it("leaves a stepped piece alone even when the pieces' lengths would tile the axis", () => {
    // 0..2, then 2 and 4 (step 2), 4..6, 6..8: lengths 2 + 2 + 2 + 2 = 8 and each starts where the last
    // one's length ends, but the stepped piece covers 4 (twice covered) and leaves 3 out.
    const tricky = (g: Node) => [ix.slice(g, { start: 0, end: 2 }), ix.slice(g, { start: 2, end: 6, step: 2 }), ix.slice(g, { start: 4, end: 6 }), ix.slice(g, { start: 6 })];
    expect(joinSlices(grad(traceModel(gates(tricky)))).changes).toBe(0);
    checkGradients(gates(tricky), values, { transform: (g) => joinSlices(g).graph });
  });
});
