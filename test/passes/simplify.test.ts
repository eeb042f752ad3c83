// simplify: algebraic identities from the rule table. Each case traces a tiny model, runs the pass,
// and checks the exact rewrite, the change count, verify(), and that the interpreter gives the same
// loss, outputs and gradients before and after.

import { describe, expect, it } from "vitest";
import { grad } from "../../compiler/autodiff/grad.js";
import * as d from "../../compiler/dsl/core.js";
import type { Graph } from "../../compiler/ir/graph.js";
import type { Node } from "../../compiler/ir/node.js";
import { printGraph } from "../../compiler/ir/print.js";
import { simplify, simplifyRules } from "../../compiler/passes/simplify.js";
import { countOp, evalRoots, expectClose, expectPreserved, gradOf, outputOf, runPass, show, traced } from "./util.js";

/**
 * A model over params x, y: [2, 3], s: [] and b: [3] whose output "out" is `f(...)`. The loss
 * Σ out + Σ out² gives each element its own gradient, and no rule matches it, so the change counts
 * below are the output expression's alone.
 */
function modelOf(f: (p: { x: Node; y: Node; s: Node; b: Node }) => Node): Graph {
  return traced(() => {
    const p = { x: d.param("x", [2, 3]), y: d.param("y", [2, 3]), s: d.param("s", []), b: d.param("b", [3]) };
    const out = f(p);
    return { loss: d.add(d.sum(out), d.sum(d.square(out))), outputs: { out } };
  });
}

/** simplify on the forward graph and on the joint graph: verified, same values (positive inputs, so logs and roots are real). */
function simplified(g: Graph) {
  const r = runPass(simplify, g, "simplify");
  const values = { lo: 0.5, hi: 2 };
  expectPreserved(g, r.graph, values);
  const joint = grad(g);
  const rj = runPass(simplify, joint, "simplify");
  expectPreserved(joint, rj.graph, values);
  return r;
}

describe("simplify: identities", () => {
  const cases: [string, (p: { x: Node; y: Node; s: Node; b: Node }) => Node, string, number][] = [
    ["x·1 → x", ({ x }) => d.mul(x, 1), "x", 1],
    ["1·x → x", ({ x }) => d.mul(1, x), "x", 1],
    ["x + 0 → x", ({ x }) => d.add(x, 0), "x", 1],
    ["0 + x → x", ({ x }) => d.add(0, x), "x", 1],
    ["x − 0 → x", ({ x }) => d.sub(x, 0), "x", 1],
    ["x / 1 → x", ({ x }) => d.div(x, 1), "x", 1],
    ["x¹ → x", ({ x }) => d.pow(x, 1), "x", 1],
    ["0 − x → −x", ({ x }) => d.sub(0, x), "neg(x)", 1],
    ["x² → square(x)", ({ x }) => d.pow(x, 2), "square(x)", 1],
    ["x^0.5 → √x", ({ x }) => d.pow(x, 0.5), "sqrt(x)", 1],
    ["x·x → square(x)", ({ x }) => d.mul(x, x), "square(x)", 1],
    ["−(−x) → x", ({ x }) => d.neg(d.neg(x)), "x", 1],
    ["(−x)·y → −(x·y)", ({ x, y }) => d.mul(d.neg(x), y), "neg(mul(x, y))", 1],
    ["x·(−y) → −(x·y)", ({ x, y }) => d.mul(x, d.neg(y)), "neg(mul(x, y))", 1],
    ["(−x)/y → −(x/y)", ({ x, y }) => d.div(d.neg(x), y), "neg(div(x, y))", 1],
    ["x + (−y) → x − y", ({ x, y }) => d.add(x, d.neg(y)), "sub(x, y)", 1],
    ["(−x) + y → y − x", ({ x, y }) => d.add(d.neg(x), y), "sub(y, x)", 1],
    ["x − (−y) → x + y", ({ x, y }) => d.sub(x, d.neg(y)), "add(x, y)", 1],
    ["−(x − y) → y − x", ({ x, y }) => d.neg(d.sub(x, y)), "sub(y, x)", 1],
    ["log(eˣ) → x", ({ x }) => d.log(d.exp(x)), "x", 1],
    // Two rounds: (−x)·(−y) → −(x·(−y)) → −(−(x·y)) → x·y.
    ["(−x)·(−y) → x·y", ({ x, y }) => d.mul(d.neg(x), d.neg(y)), "mul(x, y)", 3],
    ["nested: ((x·1) + 0)·1 → x", ({ x }) => d.mul(d.add(d.mul(x, 1), 0), 1), "x", 3],
  ];
  for (const [title, f, expected, changes] of cases) {
    it(title, () => {
      const g = modelOf(f);
      const r = simplified(g);
      expect(show(outputOf(r.graph, "out"))).toBe(expected);
      expect(r.changes).toBe(changes);
      expect(r.notes).toHaveLength(changes);
    });
  }

  it("the notes quote the rules' descriptions", () => {
    const r = simplified(modelOf(({ x }) => d.sub(0, d.mul(x, 1))));
    expect(r.notes).toEqual(["x·1 → x", "0 − x → −x"]);
  });

  it("a simplified graph is a fixed point: a second run changes nothing", () => {
    const g = modelOf(({ x, y }) => d.add(d.mul(d.neg(x), d.pow(y, 2)), d.sub(0, d.div(x, 1))));
    const once = simplified(g);
    const twice = runPass(simplify, once.graph);
    expect(twice.changes).toBe(0);
    expect(printGraph(twice.graph)).toBe(printGraph(once.graph));
  });

  it("a graph with nothing to simplify is unchanged (same text, 0 changes)", () => {
    const g = modelOf(({ x, y }) => d.tanh(d.mul(x, y)));
    const r = simplified(g);
    expect(r.changes).toBe(0);
    expect(printGraph(r.graph)).toBe(printGraph(g));
  });

  it("the rule table has one description per rule", () => {
    expect(new Set(simplifyRules.map((r) => r.description)).size).toBe(simplifyRules.length);
  });
});

describe("simplify: broadcasts and reshapes", () => {
  it("an elementwise op reads a broadcast operand directly", () => {
    const cases: [(p: { x: Node; b: Node }) => Node, string][] = [
      [({ x, b }) => d.add(x, d.broadcastTo(b, [2, 3])), "add(x, b)"],
      [({ x, b }) => d.add(d.broadcastTo(b, [2, 3]), x), "add(b, x)"],
      [({ x, b }) => d.sub(x, d.broadcastTo(b, [2, 3])), "sub(x, b)"],
      [({ x, b }) => d.sub(d.broadcastTo(b, [2, 3]), x), "sub(b, x)"],
      [({ x, b }) => d.mul(x, d.broadcastTo(b, [2, 3])), "mul(x, b)"],
      [({ x, b }) => d.mul(d.broadcastTo(b, [2, 3]), x), "mul(b, x)"],
      [({ x, b }) => d.div(x, d.broadcastTo(b, [2, 3])), "div(x, b)"],
      [({ x, b }) => d.div(d.broadcastTo(b, [2, 3]), x), "div(b, x)"],
    ];
    for (const [f, expected] of cases) {
      const r = simplified(modelOf(f));
      expect(show(outputOf(r.graph, "out"))).toBe(expected);
      expect(r.changes).toBe(1);
      expect(countOp(r.graph, "broadcastTo")).toBe(0);
    }
  });

  it("a replacement smaller than the node is broadcast back to the node's shape", () => {
    // s + broadcast(b → [2, 3]) with a scalar s: s + b is only [3], so it is re-broadcast to [2, 3].
    const r = simplified(modelOf(({ s, b }) => d.add(s, d.broadcastTo(b, [2, 3]))));
    const out = outputOf(r.graph, "out");
    expect(show(out)).toBe("broadcastTo{shape=[2,3]}(add(s, b))");
    expect(out.shape).toEqual([2, 3]);
    expect(r.changes).toBe(1); // and no rule keeps firing on the re-broadcast node
  });

  it("broadcast(broadcast(x)) → broadcast(x)", () => {
    const r = simplified(modelOf(({ s }) => d.broadcastTo(d.broadcastTo(s, [3]), [2, 3])));
    expect(show(outputOf(r.graph, "out"))).toBe("broadcastTo{shape=[2,3]}(s)");
    expect(r.changes).toBe(1);
  });

  it("broadcast(reshape(x)) → broadcast(x) when the reshape only drops leading 1s", () => {
    const g = traced(() => {
      const x = d.param("x", [1, 2, 3]);
      const out = d.broadcastTo(d.reshape(x, [2, 3]), [4, 2, 3]);
      return { loss: d.add(d.sum(out), d.sum(d.square(out))), outputs: { out } };
    });
    const r = simplified(g);
    expect(show(outputOf(r.graph, "out"))).toBe("broadcastTo{shape=[4,2,3]}(x)");
    expect(r.notes).toEqual(["broadcast(reshape(x)) → broadcast(x)"]);
  });

  it("broadcast(reshape(b)) → broadcast(b) when the reshape only adds leading 1s", () => {
    const r = simplified(modelOf(({ b }) => d.broadcastTo(d.reshape(b, [1, 3]), [2, 3])));
    expect(show(outputOf(r.graph, "out"))).toBe("broadcastTo{shape=[2,3]}(b)");
    // Bottom-up in one round: the reshape [3] → [1, 3] is itself a broadcast of b, then two broadcasts merge.
    expect(r.notes).toEqual(["reshape to the same shape → x", "broadcast(broadcast(x)) → broadcast(x)"]);
    expect(r.changes).toBe(2);
  });

  it("broadcast(reshape(v)) stays when the reshape turns a row into a column", () => {
    // v: [2] → [2, 1] → [2, 2] repeats v[i] along row i; broadcasting v itself would repeat it along columns.
    const g = traced(() => {
      const v = d.param("v", [2]);
      const out = d.broadcastTo(d.reshape(v, [2, 1]), [2, 2]);
      return { loss: d.sum(d.mul(out, d.constant([[1, 2], [3, 4]]))), outputs: { out } };
    });
    const r = simplified(g);
    expect(show(outputOf(r.graph, "out"))).toBe("broadcastTo{shape=[2,2]}(reshape{shape=[2,1]}(v))");
    // Only the product reads the column directly (mul broadcasts [2, 1] against [2, 2] itself).
    expect(r.notes).toEqual(["x·broadcast(y) → x·y"]);
    expect(show(r.graph.loss!)).toBe("sum(mul(reshape{shape=[2,1]}(v), C[2,2]))");
  });

  it("the gradient of a row sum of a square matrix keeps its rows (∂/∂X Σ_i c_i Σ_j X_ij = c_i)", () => {
    // sum's derivative is broadcast(reshape(g, [2, 1]), [2, 2]): the case above, inside a gradient.
    const g = traced(() => {
      const X = d.param("X", [2, 2]);
      return { loss: d.sum(d.mul(d.sum(X, 1), d.constant([1, 2]))) };
    });
    const joint = grad(g);
    const r = runPass(simplify, joint);
    const values = { params: { X: [0.1, 0.2, 0.3, 0.4] } };
    expect(evalRoots(r.graph, values).grads.X).toEqual([1, 1, 2, 2]);
    expectPreserved(joint, r.graph);
  });

  it("reshape(reshape(x)) collapses into one reshape, or into x when the shapes agree", () => {
    const r1 = simplified(modelOf(({ x }) => d.reshape(d.reshape(x, [6]), [3, 2])));
    expect(show(outputOf(r1.graph, "out"))).toBe("reshape{shape=[3,2]}(x)");
    expect(r1.changes).toBe(1);
    const r2 = simplified(modelOf(({ x }) => d.reshape(d.reshape(x, [3, 2]), [2, 3])));
    expect(show(outputOf(r2.graph, "out"))).toBe("x");
    expect(r2.changes).toBe(1);
  });

  it("reshape(broadcast(s)) of a scalar → broadcast(s)", () => {
    const r = simplified(modelOf(({ s }) => d.reshape(d.broadcastTo(s, [6]), [2, 3])));
    expect(show(outputOf(r.graph, "out"))).toBe("broadcastTo{shape=[2,3]}(s)");
    expect(r.changes).toBe(1);
  });

  it("(xᵀ)ᵀ → x for matrices", () => {
    const r = simplified(modelOf(({ x }) => d.transpose(d.transpose(x))));
    expect(show(outputOf(r.graph, "out"))).toBe("x");
    expect(r.changes).toBe(1);
  });

  it("two 3-D transposes cancel only when the second undoes the first", () => {
    const three = (q: number[], shape = [2, 3, 4]) =>
      traced(() => {
        const X = d.param("X", shape);
        const out = d.transpose(d.transpose(X, [1, 2, 0]), q);
        const n = shape.reduce((a, b) => a * b, 1);
        return { loss: d.sum(d.mul(out, d.constant(Array.from({ length: n }, (_, k) => k - 3), out.shape as number[]))), outputs: { out } };
      });
    const undone = simplified(three([2, 0, 1]));
    expect(show(outputOf(undone.graph, "out"))).toBe("X");
    expect(undone.changes).toBe(1);
    // [1, 2, 0] twice is a rotation by two axes, not the identity: not x, and not a reshape of x.
    for (const shape of [[2, 3, 4], [2, 2, 2]]) {
      const twice = simplified(three([1, 2, 0], shape));
      expect(show(outputOf(twice.graph, "out"))).toBe("transpose{perm=[1,2,0]}(transpose{perm=[1,2,0]}(X))");
      expect(twice.changes).toBe(0);
    }
    // [0, 2, 1] puts one axis back where it was (the last), but not the other two.
    const partly = simplified(three([0, 2, 1], [2, 2, 2]));
    expect(show(outputOf(partly.graph, "out"))).toBe("transpose{perm=[0,2,1]}(transpose{perm=[1,2,0]}(X))");
    expect(partly.changes).toBe(0);
  });
});

describe("simplify: gradients read like the textbook", () => {
  it("softmax cross-entropy: ∂L/∂logits = (softmax(z) − onehot(y)) ⊙ (1/N)", () => {
    const g = traced(() => {
      const x = d.input("x", ["batch", 4]);
      const y = d.input("y", ["batch"], { dtype: "int" });
      const W = d.param("W", [4, 3]);
      const b = d.param("b", [3]);
      return { loss: d.softmaxCrossEntropy(d.add(d.matmul(x, W), b), y) };
    });
    const joint = grad(g);
    const r = runPass(simplify, joint);
    const db = gradOf(r.graph, "b");
    expect(db.op).toBe("sum");
    expect(db.attrs).toMatchObject({ axis: 0, keepdims: false });
    const dz = db.inputs[0]!;
    expect(show(dz)).toBe("mul(sub(softmax(add(matmul(x, W), b)), onehot{classes=3}(y)), div(1, N))");
    expect(show(gradOf(r.graph, "W"))).toBe(`matmul{transA=true}(x, ${show(dz)})`);
    expect(gradOf(r.graph, "W").inputs[1]).toBe(dz);
    expect(countOp(r.graph, "broadcastTo") + countOp(r.graph, "reshape")).toBe(0);
    expectPreserved(joint, r.graph, { classes: 3 });
  });

  it("mse: ∂L/∂out = (2/N)·(out − y) (the constant factors combined), no broadcasts or reshapes left", () => {
    const g = traced(() => {
      const x = d.input("x", ["batch", 2]);
      const y = d.input("y", ["batch", 1]);
      const W = d.param("W", [2, 1]);
      const out = d.matmul(x, W);
      return { loss: d.mse(out, y), outputs: { out } };
    });
    const joint = grad(g);
    const r = runPass(simplify, joint);
    expect(show(gradOf(r.graph, "W"))).toBe("matmul{transA=true}(x, mul(div(2, N), sub(matmul(x, W), y)))");
    expect(countOp(r.graph, "broadcastTo") + countOp(r.graph, "reshape")).toBe(0);
    expect(r.changes).toBeGreaterThan(0);
    expectPreserved(joint, r.graph);
  });

  it("values agree on extreme but finite inputs too", () => {
    const g = modelOf(({ x, y }) => d.add(d.mul(d.neg(x), d.neg(y)), d.sub(0, d.pow(x, 2))));
    const r = runPass(simplify, g);
    const big = { params: { x: [1e150, -1e-150, 3, -7, 1e10, 0], y: [2, 5, -1e-300, 1e300, 0, -0], s: [1], b: [1, 2, 3] } };
    const before = evalRoots(g, big).outputs.out!, after = evalRoots(r.graph, big).outputs.out!;
    expectClose(after, before, "out");
  });
});
