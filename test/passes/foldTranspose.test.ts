// foldTranspose: a 2-D transpose feeding a matmul becomes the matmul's transA/transB flag; values and
// gradients stay the same.

import { describe, expect, it } from "vitest";
import { grad } from "../../compiler/autodiff/grad.js";
import * as d from "../../compiler/dsl/core.js";
import type { Graph } from "../../compiler/ir/graph.js";
import type { Node } from "../../compiler/ir/node.js";
import { foldTranspose } from "../../compiler/passes/foldTranspose.js";
import { checkGradients } from "../helpers/gradcheck.js";
import { countOp, expectPreserved, outputOf, randomValues, runPass, show, traced } from "./util.js";

/** A model whose output "out" is f(A, B) for params A: shapeA, B: shapeB; loss Σ out ⊙ C for a fixed C. */
const modelOf = (shapeA: number[], shapeB: number[], f: (A: Node, B: Node) => Node) => () => {
  const out = f(d.param("A", shapeA), d.param("B", shapeB));
  const n = (out.shape as number[]).reduce((a, b) => a * b, 1);
  const C = d.constant(Array.from({ length: n }, (_, k) => ((k * 7) % 5) - 1.5), out.shape as number[]);
  return { loss: d.sum(d.mul(out, C)), outputs: { out } };
};

function folded(g: Graph) {
  const r = runPass(foldTranspose, g, "foldTranspose");
  expectPreserved(g, r.graph);
  const joint = grad(g);
  expectPreserved(joint, runPass(foldTranspose, joint).graph);
  return r;
}

describe("foldTranspose", () => {
  const cases: [string, number[], number[], (A: Node, B: Node) => Node, string][] = [
    ["matmul(Aᵀ, B) → matmul(A, B, transA)", [3, 2], [3, 4], (A, B) => d.matmul(d.transpose(A), B), "matmul{transA=true}(A, B)"],
    ["matmul(A, Bᵀ) → matmul(A, B, transB)", [2, 3], [4, 3], (A, B) => d.matmul(A, d.transpose(B)), "matmul{transB=true}(A, B)"],
    ["matmul(Aᵀ, Bᵀ) → matmul(A, B, transA, transB)", [3, 2], [4, 3], (A, B) => d.matmul(d.transpose(A), d.transpose(B)), "matmul{transA=true,transB=true}(A, B)"],
    ["a flag already set flips back: matmul(Aᵀ, B, transA) → matmul(A, B)", [2, 3], [3, 4], (A, B) => d.matmul(d.transpose(A), B, { transA: true }), "matmul(A, B)"],
    ["explicit perm [1, 0] is the same transpose", [3, 2], [3, 4], (A, B) => d.matmul(d.transpose(A, [1, 0]), B), "matmul{transA=true}(A, B)"],
  ];
  for (const [title, sa, sb, f, expected] of cases) {
    it(title, () => {
      const g = traced(modelOf(sa, sb, f));
      const r = folded(g);
      expect(show(outputOf(r.graph, "out"))).toBe(expected);
      expect(r.changes).toBe(1); // one matmul rewritten, whether one or both operands were transposes
      expect(countOp(r.graph, "transpose")).toBe(0);
    });
  }

  it("a vector times a transposed matrix (x·Wᵀ, the PyTorch weight layout)", () => {
    const g = traced(modelOf([3], [4, 3], (v, W) => d.matmul(v, d.transpose(W))));
    const r = folded(g);
    expect(show(outputOf(r.graph, "out"))).toBe("reshape{shape=[4]}(matmul{transB=true}(reshape{shape=[1,3]}(A), B))");
    expect(r.changes).toBe(1);
  });

  it("a transpose that is also used elsewhere stays for that use", () => {
    const g = traced(modelOf([3, 2], [3, 3], (A, B) => d.add(d.matmul(d.transpose(A), B), d.exp(d.transpose(A)))));
    const r = folded(g);
    expect(show(outputOf(r.graph, "out"))).toBe("add(matmul{transA=true}(A, B), exp(transpose{perm=[1,0]}(A)))");
    expect(r.changes).toBe(1);
  });

  it("a transpose of a sequence's axes is not a matrix transpose: it stays (matmul reads [..., K] by its rows)", () => {
    const g = traced(modelOf([2, 4, 3], [4, 5], (S, W) => d.matmul(d.transpose(S, [0, 2, 1]), W)));
    const r = folded(g);
    expect(show(outputOf(r.graph, "out"))).toBe("matmul(transpose{perm=[0,2,1]}(A), B)");
    expect(r.changes).toBe(0);
  });

  it("nothing to fold: no change", () => {
    const g = traced(modelOf([2, 3], [3, 4], (A, B) => d.matmul(A, B)));
    const r = folded(g);
    expect(r.changes).toBe(0);
  });

  it("in the joint graph, no transpose feeds a matmul afterwards", () => {
    const g = traced(() => {
      const x = d.input("x", ["batch", 3]);
      const W = d.param("W", [4, 3]); // [out, in], applied as x·Wᵀ
      const V = d.param("V", [4, 2]);
      const h = d.tanh(d.matmul(x, d.transpose(W)));
      const out = d.matmul(d.transpose(d.matmul(d.transpose(V), d.transpose(h))), d.constant([[1], [2]]));
      return { loss: d.mse(out, d.input("y", ["batch", 1])), outputs: { out } };
    });
    const joint = grad(g);
    const r = runPass(foldTranspose, joint);
    expectPreserved(joint, r.graph);
    const feeding = r.graph.nodes.filter((n) => n.op === "matmul" && n.inputs.some((i) => i.op === "transpose" && i.shape.length === 2));
    expect(feeding).toEqual([]);
    expect(r.changes).toBe(joint.nodes.filter((n) => n.op === "matmul" && n.inputs.some((i) => i.op === "transpose")).length);
    expect(r.changes).toBeGreaterThan(2);
  });

  it("gradients still match finite differences, folding before or after grad", () => {
    const def = modelOf([3, 2], [4, 3], (A, B) => d.tanh(d.matmul(d.transpose(A), d.transpose(B))));
    const values = randomValues(traced(def), 7);
    checkGradients(def, values, { differentiate: (f) => grad(foldTranspose(f).graph) });
    checkGradients(def, values, { transform: (j) => foldTranspose(j).graph });
  });
});
