// constFold: a node whose inputs are all constants becomes a constant computed by the op's own eval;
// results over 1024 elements and non-finite results stay unfolded.

import { describe, expect, it } from "vitest";
import { grad } from "../../compiler/autodiff/grad.js";
import * as d from "../../compiler/dsl/core.js";
import type { Graph } from "../../compiler/ir/graph.js";
import type { Node } from "../../compiler/ir/node.js";
import { printGraph } from "../../compiler/ir/print.js";
import { constFold } from "../../compiler/passes/constFold.js";
import { countOp, expectPreserved, outputOf, runPass, show, traced } from "./util.js";

/** A model with a parameter p: [3] whose output "c" is `f()` and whose loss is Σ p (so nothing else folds). */
const withOutput = (f: () => Node) =>
  traced(() => {
    const p = d.param("p", [3]);
    const c = f();
    return { loss: d.sum(p), outputs: { c } };
  });

function folded(g: Graph) {
  const r = runPass(constFold, g, "constFold");
  expectPreserved(g, r.graph);
  expectPreserved(grad(g), grad(r.graph));
  return r;
}

const constValue = (n: Node): number[] => {
  expect(n.op).toBe("const");
  return n.attrs.values ? [...(n.attrs.values as number[])] : [n.attrs.value as number];
};

describe("constFold folds", () => {
  it("scalar arithmetic into a scalar constant", () => {
    const r = folded(withOutput(() => d.add(2, 3)));
    const c = outputOf(r.graph, "c");
    expect(c.attrs).toEqual({ value: 5 });
    expect(c.shape).toEqual([]);
    expect(r.changes).toBe(1);
  });

  it("a whole constant subtree bottom-up, one change per folded node", () => {
    // exp(0)·(2 + 3) − √16 = 1
    const r = folded(withOutput(() => d.sub(d.mul(d.exp(0), d.add(2, 3)), d.sqrt(16))));
    expect(constValue(outputOf(r.graph, "c"))).toEqual([1]);
    expect(r.changes).toBe(5); // exp, add, mul, sqrt, sub
    expect(countOp(r.graph, "const")).toBe(1); // the operands became unreachable
  });

  it("tensors, with the op's own eval: broadcasting, reductions, matmul, transpose, softmax", () => {
    const cases: [() => Node, number[], number[]][] = [
      [() => d.add(d.constant([[1, 2, 3], [4, 5, 6]]), d.constant([10, 20, 30])), [2, 3], [11, 22, 33, 14, 25, 36]],
      [() => d.sum(d.constant([[1, 2], [3, 4]]), 1), [2], [3, 7]],
      [() => d.max(d.constant([[1, 5], [3, 4]]), 0, true), [1, 2], [3, 5]],
      [() => d.matmul(d.constant([[1, 2], [3, 4]]), d.constant([[1], [1]])), [2, 1], [3, 7]],
      [() => d.transpose(d.constant([[1, 2, 3], [4, 5, 6]])), [3, 2], [1, 4, 2, 5, 3, 6]],
      [() => d.broadcastTo(d.reshape(d.constant([1, 2]), [2, 1]), [2, 2]), [2, 2], [1, 1, 2, 2]],
      [() => d.softmax(d.constant([[0, 0]])), [1, 2], [0.5, 0.5]],
    ];
    for (const [f, shape, values] of cases) {
      const r = folded(withOutput(f));
      const c = outputOf(r.graph, "c");
      expect(c.shape).toEqual(shape);
      expect(constValue(c)).toEqual(values);
    }
  });

  it("exactly 1024 elements still folds", () => {
    const r = folded(withOutput(() => d.broadcastTo(d.scalar(0.5), [32, 32])));
    const c = outputOf(r.graph, "c");
    expect(c.op).toBe("const");
    expect(constValue(c)).toHaveLength(1024);
    expect(r.changes).toBe(1);
  });

  it("in gradients: the constant parts of a derivative (pow's b − 1, mean's 1/N at a fixed batch)", () => {
    const g = traced(
      () => {
        const x = d.input("x", ["batch", 2]);
        const W = d.param("W", [2, 2]);
        return { loss: d.mean(d.pow(d.matmul(x, W), 3)) };
      },
      { fixedBatch: 4 },
    );
    const joint = grad(g);
    const r = runPass(constFold, joint);
    expectPreserved(joint, r.graph, { batch: 4 });
    // pow'(a, 3) = 3·a^(3 − 1) → 3·a²; the seed 1/N broadcast over the [4, 2] elements (not simplified
    // first here) folds node by node: div(1, 8), reshape to [1, 1], broadcast to [4, 2].
    expect(show(r.graph.grads[0]![1])).toBe("matmul{transA=true}(x, mul(C[4,2], mul(3, pow(matmul(x, W), 2))))");
    expect(r.graph.nodes.find((n) => n.op === "const" && n.shape.length === 2)!.attrs.values).toEqual(Array(8).fill(0.125));
    expect(r.changes).toBe(4);
  });
});

describe("constFold leaves unfolded", () => {
  it("results over 1024 elements (a constant is emitted as data)", () => {
    const g = withOutput(() => d.broadcastTo(d.scalar(0.5), [33, 32]));
    const r = folded(g);
    expect(show(outputOf(r.graph, "c"))).toBe("broadcastTo{shape=[33,32]}(0.5)");
    expect(r.changes).toBe(0);
  });

  it("a large result's small constant inputs still fold", () => {
    const r = folded(withOutput(() => d.broadcastTo(d.add(1, 2), [40, 40])));
    expect(show(outputOf(r.graph, "c"))).toBe("broadcastTo{shape=[40,40]}(3)");
    expect(r.changes).toBe(1);
  });

  it("non-finite results: 1/0, log 0, exp(1000), √−1", () => {
    for (const [f, expected] of [
      [() => d.div(1, 0), "div(1, 0)"],
      [() => d.log(0), "log(0)"],
      [() => d.exp(1000), "exp(1000)"],
      [() => d.sqrt(-1), "sqrt(-1)"],
      [() => d.log(d.constant([1, 0])), "log(C[2])"],
    ] as const) {
      const g = traced(() => {
        const p = d.param("p", [1]);
        const c = f();
        return { loss: d.sum(p), outputs: { c } };
      });
      const r = runPass(constFold, g);
      expect(show(outputOf(r.graph, "c"))).toBe(expected);
      expect(r.changes).toBe(0);
    }
  });

  it("anything that reads an input, a parameter or the run-time batch size", () => {
    const g = traced(() => {
      const x = d.input("x", ["batch", 3]);
      const p = d.param("p", [3]);
      const scaled = d.mul(x, d.add(1, 1)); // the 1 + 1 folds, the product does not
      return { loss: d.mean(d.mul(scaled, p)), outputs: { scaled, width: d.broadcastTo(d.scalar(2), ["batch", 3]) } };
    });
    const r = folded(g);
    expect(show(outputOf(r.graph, "scaled"))).toBe("mul(x, 2)");
    expect(show(outputOf(r.graph, "width"))).toBe("broadcastTo{shape=[\"batch\",3]}(2)"); // not static
    expect(show(r.graph.loss!)).toBe("div(sum(mul(mul(x, 2), p)), mul(N, 3))");
    expect(r.changes).toBe(1);
  });

  it("a graph without constant subtrees is unchanged", () => {
    const g = withOutput(() => d.scalar(7));
    const r = folded(g);
    expect(r.changes).toBe(0);
    expect(printGraph(r.graph)).toBe(printGraph(g));
  });
});
