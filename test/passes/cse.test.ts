// cse: structurally equal nodes (same op, same inputs, same attrs in any key order) merge into one.
// The Builder hash-conses as nodes are made, so a graph only holds duplicates when something built it
// without a builder (below: a RawBuilder, as a rewrite that copies nodes would); cse's count is the
// number of nodes removed.

import { describe, expect, it } from "vitest";
import { grad } from "../../compiler/autodiff/grad.js";
import * as d from "../../compiler/dsl/core.js";
import { makeGraph, type Graph } from "../../compiler/ir/graph.js";
import { noLoc } from "../../compiler/ir/loc.js";
import type { Attrs, Node } from "../../compiler/ir/node.js";
import { printGraph } from "../../compiler/ir/print.js";
import { getOp } from "../../compiler/ops/index.js";
import { cse } from "../../compiler/passes/cse.js";
import { simplify } from "../../compiler/passes/simplify.js";
import { countOp, expectPreserved, outputOf, runPass, show, traced } from "./util.js";

/** Makes nodes with fresh ids and the ops' shape rules, but never shares them. */
class RawBuilder {
  private next = 0;
  make(op: string, inputs: Node[], attrs: Attrs = {}, name?: string): Node {
    const t = getOp(op);
    return { id: this.next++, op, def: t, inputs, attrs, shape: t.shape(inputs, attrs), dtype: t.dtype?.(inputs, attrs) ?? "f", loc: noLoc, ...(name ? { name } : {}) };
  }
}

function rawGraph(build: (b: RawBuilder, x: Node, p: Node, W: Node) => { loss: Node; outputs?: [string, Node][] }): Graph {
  const b = new RawBuilder();
  const x = b.make("input", [], { name: "x", shape: [2, 3], dtype: "f" }, "x");
  const p = b.make("param", [], { name: "p", shape: [3], init: { kind: "zeros" } }, "p");
  const W = b.make("param", [], { name: "W", shape: [3, 3], init: { kind: "zeros" } }, "W");
  const { loss, outputs = [] } = build(b, x, p, W);
  return makeGraph({ name: "raw", batchDim: null, inputs: [x], params: [p, W], loss, outputs, grads: [] });
}

describe("cse", () => {
  it("merges two copies of a subgraph; the count is the nodes removed", () => {
    const g = rawGraph((b, x, p) => {
      const e1 = b.make("exp", [b.make("add", [x, p])]);
      const e2 = b.make("exp", [b.make("add", [x, p])]);
      return { loss: b.make("sum", [b.make("mul", [e1, e2])], { axis: null, keepdims: false }) };
    });
    expect(g.nodes).toHaveLength(9);
    const r = runPass(cse, g, "cse");
    expect(r.changes).toBe(2);
    expect(r.graph.nodes).toHaveLength(7);
    expect(r.changes).toBe(g.nodes.length - r.graph.nodes.length);
    const m = r.graph.loss!.inputs[0]!;
    expect(m.inputs[0]).toBe(m.inputs[1]);
    expect(show(r.graph.loss!)).toBe("sum(mul(exp(add(x, p)), exp(add(x, p))))");
    expect(countOp(r.graph, "exp")).toBe(1);
    expectPreserved(g, r.graph);
  });

  it("merges equal constants and attrs written in another key order", () => {
    const g = rawGraph((b, x, p, W) => {
      const c1 = b.make("const", [], { value: 2 });
      const c2 = b.make("const", [], { value: 2 });
      const m1 = b.make("matmul", [x, W], { transA: false, transB: true });
      const m2 = b.make("matmul", [x, W], { transB: true, transA: false });
      const s1 = b.make("mul", [m1, c1]);
      const s2 = b.make("mul", [m2, c2]);
      return { loss: b.make("sum", [b.make("add", [b.make("add", [s1, s2]), p])], { axis: null, keepdims: false }) };
    });
    const r = runPass(cse, g);
    expect(r.changes).toBe(3); // c2, m2, s2
    expect(countOp(r.graph, "matmul")).toBe(1);
    expect(countOp(r.graph, "const")).toBe(1);
    expectPreserved(g, r.graph);
  });

  it("keeps −0 and 0, and ops that differ only in attrs, apart", () => {
    const g = rawGraph((b, x) => {
      const z = b.make("add", [x, b.make("const", [], { value: 0 })]);
      const nz = b.make("add", [x, b.make("const", [], { value: -0 })]);
      const s0 = b.make("sum", [x], { axis: 0, keepdims: false });
      const s1 = b.make("sum", [x], { axis: 1, keepdims: false });
      return { loss: b.make("sum", [z], { axis: null, keepdims: false }), outputs: [["nz", nz], ["s0", s0], ["s1", s1]] };
    });
    const r = runPass(cse, g);
    expect(r.changes).toBe(0);
    expect(r.graph.nodes).toHaveLength(g.nodes.length);
  });

  it("points roots at the merged node", () => {
    const g = rawGraph((b, x, p) => {
      const a1 = b.make("add", [x, p], {}, "h");
      const a2 = b.make("add", [x, p], {}, "h2");
      return { loss: b.make("sum", [a1], { axis: null, keepdims: false }), outputs: [["a", a1], ["b", a2]] };
    });
    const r = runPass(cse, g);
    expect(r.changes).toBe(1);
    expect(outputOf(r.graph, "a")).toBe(outputOf(r.graph, "b"));
    expect(outputOf(r.graph, "a").name).toBe("h"); // the first copy's name
    expectPreserved(g, r.graph);
  });

  it("subgraphs made equal by a rewrite are merged by that rewrite's rebuild; cse then finds nothing", () => {
    const g = traced(() => {
      const W = d.param("W", [2, 2]);
      const a = d.tanh(d.mul(W, 1)); // becomes tanh(W) ...
      const b = d.tanh(W); // ... which is this node
      return { loss: d.sum(d.mul(a, b)), outputs: { a, b } };
    });
    expect(outputOf(g, "a")).not.toBe(outputOf(g, "b"));
    const s = runPass(simplify, g);
    expect(s.changes).toBe(2); // W·1 → W, then tanh(W)·tanh(W) → square(tanh(W))
    expect(outputOf(s.graph, "a")).toBe(outputOf(s.graph, "b"));
    expect(show(s.graph.loss!)).toBe("sum(square(tanh(W)))");
    const r = runPass(cse, s.graph);
    expect(r.changes).toBe(0);
    expect(printGraph(r.graph)).toBe(printGraph(s.graph));
    expectPreserved(g, r.graph);
  });

  it("a hash-consed joint graph has nothing to merge", () => {
    const g = grad(
      traced(() => {
        const x = d.input("x", ["batch", 3]);
        const W = d.param("W", [3, 2]);
        return { loss: d.mse(d.sigmoid(d.matmul(x, W)), d.input("y", ["batch", 2])) };
      }),
    );
    const r = runPass(cse, g);
    expect(r.changes).toBe(0);
    expect(printGraph(r.graph)).toBe(printGraph(g));
  });
});
