// stabilize: unstable compositions a model can spell out become the stable ops. Each rewrite is
// checked for its exact form, its count and notes, verify(), equal values (and gradients) at moderate
// inputs, and finiteness at extreme inputs where the naive form overflows to ±∞ or NaN.

import { describe, expect, it } from "vitest";
import { grad } from "../../compiler/autodiff/grad.js";
import * as d from "../../compiler/dsl/core.js";
import type { Graph } from "../../compiler/ir/graph.js";
import type { Node } from "../../compiler/ir/node.js";
import { printGraph } from "../../compiler/ir/print.js";
import { stabilize } from "../../compiler/passes/stabilize.js";
import { countOp, evalRoots, expectClose, expectPreserved, outputOf, runPass, show, traced, tracedWithLocs } from "./util.js";

/** A model over a parameter Z of `shape` whose output "out" is f(Z) and whose loss is Σ out. */
const over = (shape: number[], f: (Z: Node) => Node) =>
  traced(() => {
    const out = f(d.param("Z", shape));
    return { loss: d.sum(out), outputs: { out } };
  });

/** Stabilizes; checks verify and that values and gradients agree at moderate inputs. */
function stabilized(g: Graph, opts: Parameters<typeof expectPreserved>[2] = {}) {
  const r = runPass(stabilize, g, "stabilize");
  expectPreserved(g, r.graph, opts);
  expectPreserved(grad(g), grad(r.graph), opts);
  return r;
}

const allFinite = (xs: readonly number[]) => xs.every(Number.isFinite);

describe("stabilize: log Σ exp", () => {
  it("log(Σ_axis1 exp(x)) of a matrix → logSumExp(x), finite where exp overflows", () => {
    const g = over([2, 3], (Z) => d.log(d.sum(d.exp(Z), 1)));
    const r = stabilized(g);
    expect(show(outputOf(r.graph, "out"))).toBe("logSumExp(Z)");
    expect(r.notes).toEqual(["log Σ exp(x) → logSumExp(x)"]);
    const extreme = { params: { Z: [1000, 999, -5, -1000, -1001, -1002] } };
    expect(evalRoots(g, extreme).outputs.out![0]).toBe(Infinity);
    expectClose(evalRoots(r.graph, extreme).outputs.out!, [1000 + Math.log1p(Math.exp(-1) + Math.exp(-1005)), -1000 + Math.log1p(Math.exp(-1) + Math.exp(-2))], "logSumExp");
  });

  it("not along another axis, nor of a vector's only axis (the op reduces the last axis of a matrix's rows here)", () => {
    for (const g of [over([2, 3], (Z) => d.log(d.sum(d.exp(Z), 0))), over([3, 2, 2], (Z) => d.log(d.sum(d.exp(Z), 1)))]) {
      expect(runPass(stabilize, g, "stabilize").changes).toBe(0);
    }
  });
});

describe("stabilize: log of a softmax or sigmoid", () => {
  it("log(softmax(x)) → logSoftmax(x), finite where softmax underflows", () => {
    const g = over([2, 3], (Z) => d.log(d.softmax(Z)));
    const r = stabilized(g);
    expect(show(outputOf(r.graph, "out"))).toBe("logSoftmax(Z)");
    expect(r.changes).toBe(1);
    expect(r.notes).toEqual(["log(softmax(x)) → logSoftmax(x)"]);
    const extreme = { params: { Z: [1000, 0, -1000, 0, 1000, 999] } };
    expect(evalRoots(g, extreme).outputs.out).toContain(-Infinity);
    expectClose(evalRoots(r.graph, extreme).outputs.out!, [0, -1000, -2000, -1000 - Math.log1p(Math.exp(-1)), -Math.log1p(Math.exp(-1)), -1 - Math.log1p(Math.exp(-1))], "logSoftmax");
  });

  it("log σ(x) → −softplus(−x): −1000 at x = −1000 where the naive form gives −∞, gradient 1 (not NaN)", () => {
    const g = over([3], (Z) => d.log(d.sigmoid(Z)));
    const r = stabilized(g);
    expect(show(outputOf(r.graph, "out"))).toBe("neg(softplus(neg(Z)))");
    expect(r.changes).toBe(1);
    expect(r.notes).toEqual(["log σ(x) → −softplus(−x)"]);
    const extreme = { params: { Z: [-1000, 0, 1000] } };
    expect(evalRoots(g, extreme).outputs.out![0]).toBe(-Infinity);
    const after = evalRoots(r.graph, extreme);
    expectClose(after.outputs.out!, [-1000, -Math.LN2, 0], "log σ");
    // d/dx log σ(x) = 1 − σ(x): the naive chain rule divides 0 by 0 at −1000.
    expect(Number.isNaN(evalRoots(grad(g), extreme).grads.Z![0])).toBe(true);
    expectClose(evalRoots(grad(r.graph), extreme).grads.Z!, [1, 0.5, 0], "∂ log σ");
  });

  it("log(1 − σ(x)) → −softplus(x): −1000 at x = 1000 where the naive form gives −∞", () => {
    const g = over([3], (Z) => d.log(d.sub(1, d.sigmoid(Z))));
    const r = stabilized(g);
    expect(show(outputOf(r.graph, "out"))).toBe("neg(softplus(Z))");
    expect(r.changes).toBe(1);
    expect(r.notes).toEqual(["log(1 − σ(x)) → −softplus(x)"]);
    const extreme = { params: { Z: [1000, 0, -1000] } };
    expect(evalRoots(g, extreme).outputs.out![0]).toBe(-Infinity);
    expectClose(evalRoots(r.graph, extreme).outputs.out!, [-1000, -Math.LN2, 0], "log(1 − σ)");
    expectClose(evalRoots(grad(r.graph), extreme).grads.Z!, [-1, -0.5, 0], "∂ log(1 − σ)");
  });

  it("log(1 + eˣ) → softplus(x): 1000 at x = 1000 where the naive form gives ∞", () => {
    const g = over([2], (Z) => d.log(d.add(1, d.exp(Z))));
    const r = stabilized(g);
    expect(show(outputOf(r.graph, "out"))).toBe("softplus(Z)");
    expect(r.changes).toBe(1);
    const extreme = { params: { Z: [1000, -1000] } };
    expect(evalRoots(g, extreme).outputs.out![0]).toBe(Infinity);
    expectClose(evalRoots(r.graph, extreme).outputs.out!, [1000, 0], "softplus");
  });

  it("leaves look-alikes alone: log(2 − σ(x)), log(softmax(x)) under another op, σ without a log", () => {
    const g = over([2, 3], (Z) => d.add(d.log(d.sub(2, d.sigmoid(Z))), d.exp(d.softmax(Z))));
    const r = stabilized(g);
    expect(r.changes).toBe(0);
    expect(printGraph(r.graph)).toBe(printGraph(g));
  });
});

describe("stabilize: cross-entropy of a softmax", () => {
  const ceModel = (targets: "labels" | "float") =>
    traced(() => {
      const Z = d.param("Z", [2, 3]);
      const t = targets === "labels" ? d.input("y", [2], { dtype: "int" }) : d.input("t", [2, 3]);
      return { loss: d.crossEntropy(d.softmax(Z), t) };
    });

  it("crossEntropy(softmax(logits), labels) becomes softmaxCE(logits, labels)", () => {
    const g = ceModel("labels");
    const r = stabilized(g, { classes: 3 });
    expect(show(r.graph.loss!)).toBe("div(sum(softmaxCE(Z, y)), 2)");
    expect(countOp(r.graph, "softmaxCE")).toBe(1);
    for (const op of ["log", "softmax", "onehot", "logSoftmax"]) expect(countOp(r.graph, op), op).toBe(0);
    expect(r.notes).toEqual([
      "log(softmax(x)) → logSoftmax(x)",
      "−Σ t·logSoftmax(x) → softmaxCE(x, t)",
      "CE against onehot(labels) → CE against labels",
    ]);
    expect(r.changes).toBe(3);
  });

  it("…and its loss is finite for logits near ±1000, where the composition gives ∞ or NaN", () => {
    const g = ceModel("labels");
    const r = runPass(stabilize, g);
    const extreme = { inputs: { y: [1, 2] }, params: { Z: [1000, 1, -1000, -1000, 1000, 999] } };
    expect(Number.isFinite(evalRoots(g, extreme).loss)).toBe(false);
    // Row 1: −logSoftmax at class 1 = 999 + log(1 + e^−999 + e^−2000); row 2: 1 + log1p(e^−1).
    const after = evalRoots(r.graph, extreme);
    expectClose([after.loss!], [(999 + (1 + Math.log1p(Math.exp(-1)))) / 2], "loss");
    const gz = evalRoots(grad(r.graph), extreme).grads.Z!;
    expect(allFinite(gz)).toBe(true);
    expect(allFinite(evalRoots(grad(g), extreme).grads.Z!)).toBe(false);
  });

  it("float targets: −Σ t·log softmax(x) → softmaxCE(x, t)", () => {
    const g = ceModel("float");
    const r = stabilized(g, { lo: 0, hi: 1 });
    expect(show(r.graph.loss!)).toBe("div(sum(softmaxCE(Z, t)), 2)");
    expect(r.changes).toBe(2);
  });

  it("the product in either order: −Σ logSoftmax(x)·t", () => {
    const g = traced(() => {
      const Z = d.param("Z", [2, 3]);
      const t = d.input("t", [2, 3]);
      return { loss: d.sum(d.neg(d.sum(d.mul(d.logSoftmax(Z), t), 1))) };
    });
    const r = stabilized(g);
    expect(show(r.graph.loss!)).toBe("sum(softmaxCE(Z, t))");
    expect(r.changes).toBe(1);
  });

  it("does not fire for a sum over the batch axis, or for class weights that broadcast", () => {
    const overRows = traced(() => {
      const Z = d.param("Z", [2, 3]);
      return { loss: d.sum(d.neg(d.sum(d.mul(d.input("t", [2, 3]), d.logSoftmax(Z)), 0))) };
    });
    expect(stabilized(overRows).changes).toBe(0);
    const weighted = traced(() => {
      const Z = d.param("Z", [2, 3]);
      return { loss: d.sum(d.neg(d.sum(d.mul(d.constant([1, 2, 3]), d.logSoftmax(Z)), 1))) };
    });
    const r = stabilized(weighted);
    expect(r.changes).toBe(0); // softmaxCE(Z, [1, 2, 3]) would not even have a shape
    expect(countOp(r.graph, "softmaxCE")).toBe(0);
  });
});

describe("stabilize: notes", () => {
  it("name the rewrite and the model.ts location of the node it replaced", () => {
    const g = tracedWithLocs((at) => {
      at(4);
      const x = d.input("x", [2, 3]);
      const y = d.input("y", [2], { dtype: "int" });
      const W = d.param("W", [3, 3]);
      at(8, 17);
      const p = d.softmax(d.matmul(x, W));
      at(9, 9);
      const loss = d.crossEntropy(p, y);
      at(10, 12);
      const ls = d.log(d.sigmoid(d.matmul(x, W)));
      return { loss, outputs: { ls } };
    });
    const r = stabilized(g, { classes: 3 });
    expect(r.notes).toEqual([
      "log(softmax(x)) → logSoftmax(x)  (model.ts:9:9)",
      "−Σ t·logSoftmax(x) → softmaxCE(x, t)  (model.ts:9:9)",
      "log σ(x) → −softplus(−x)  (model.ts:10:12)",
      "CE against onehot(labels) → CE against labels  (model.ts:9:9)",
    ]);
    // The replacement nodes carry the location of what they replaced.
    const ce = r.graph.nodes.find((n) => n.op === "softmaxCE")!;
    expect(ce.loc).toMatchObject({ line: 9, col: 9 });
    expect(outputOf(r.graph, "ls").loc).toMatchObject({ line: 10, col: 12 });
  });
});

describe("stabilize: binary cross-entropy of a sigmoid", () => {
  it("both logs become softplus terms; the loss stays finite at logits ±1000", () => {
    const g = traced(() => {
      const Z = d.param("Z", [2, 2]);
      const y = d.input("y", [2, 2]);
      return { loss: d.binaryCrossEntropy(d.sigmoid(Z), y) };
    });
    const r = stabilized(g, { lo: 0, hi: 1 });
    expect(r.notes).toEqual(["log σ(x) → −softplus(−x)", "log(1 − σ(x)) → −softplus(x)"]);
    expect(countOp(r.graph, "log")).toBe(0);
    expect(countOp(r.graph, "softplus")).toBe(2);
    // Confident and wrong: targets opposite to the logits' signs cost |z| each.
    const extreme = { inputs: { y: [0, 1, 1, 0] }, params: { Z: [1000, -1000, 1000, -1000] } };
    expect(Number.isFinite(evalRoots(g, extreme).loss)).toBe(false); // log 0 = −∞, and 0·(−∞) = NaN
    const after = evalRoots(r.graph, extreme);
    expectClose([after.loss!], [(1000 + 1000 + 0 + 0) / 4], "loss");
    expect(allFinite(evalRoots(grad(r.graph), extreme).grads.Z!)).toBe(true);
  });
});
