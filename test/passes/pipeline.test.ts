// optimize(): the pass order, the report, verify after every pass, and that the optimized joint graph
// computes the same loss, outputs and gradients as plain grad() (and as finite differences).

import { beforeEach, describe, expect, it, vi } from "vitest";
import { grad } from "../../compiler/autodiff/grad.js";
import * as d from "../../compiler/dsl/core.js";
import type { ModelResult } from "../../compiler/dsl/model.js";
import type { Graph } from "../../compiler/ir/graph.js";
import { printGraph } from "../../compiler/ir/print.js";
import { verify } from "../../compiler/ir/verify.js";
import { optimize } from "../../compiler/pipeline.js";
import { checkGradients } from "../helpers/gradcheck.js";
import { countOp, expectSameSemantics, gradOf, randomValues, show, traced } from "./util.js";

vi.mock("../../compiler/ir/verify.js", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../../compiler/ir/verify.js")>();
  return { ...actual, verify: vi.fn(actual.verify) };
});

const PASSES = ["stabilize", "simplify", "constFold", "hoistStepProducts", "scanBodies", "grad", "simplify", "constFold", "joinSlices", "foldTranspose", "reuseForward", "hoistStepSums", "simplify", "cse", "dce"];

type Build = () => ModelResult;

const mlp: Build = () => {
  const x = d.input("x", ["batch", 3]);
  const y = d.input("y", ["batch", 2]);
  const h1 = d.relu(d.add(d.matmul(x, d.param("W1", [3, 4])), d.param("b1", [4])));
  const h2 = d.sigmoid(d.add(d.matmul(h1, d.param("W2", [4, 4])), d.param("b2", [4])));
  const h3 = d.tanh(d.add(d.matmul(h2, d.param("W3", [4, 3])), d.param("b3", [3])));
  const out = d.add(d.matmul(h3, d.param("W4", [3, 2])), d.param("b4", [2]));
  return { loss: d.mse(out, y), outputs: { out } };
};

const classifier = (loss: "softmaxCrossEntropy" | "crossEntropy"): Build => () => {
  const x = d.input("x", ["batch", 4]);
  const y = d.input("y", ["batch"], { dtype: "int" });
  const h = d.relu(d.add(d.matmul(x, d.param("W1", [4, 5])), d.param("b1", [5])));
  const logits = d.add(d.matmul(h, d.param("W2", [5, 3])), d.param("b2", [3]));
  return { loss: loss === "crossEntropy" ? d.crossEntropy(d.softmax(logits), y) : d.softmaxCrossEntropy(logits, y), outputs: { logits } };
};

const bce: Build = () => {
  const x = d.input("x", ["batch", 3]);
  const y = d.input("y", ["batch", 1]);
  const h = d.tanh(d.add(d.matmul(x, d.param("W1", [3, 4])), d.param("b1", [4])));
  const p = d.sigmoid(d.add(d.matmul(h, d.param("W2", [4, 1])), d.param("b2", [1])));
  return { loss: d.binaryCrossEntropy(p, y), outputs: { p } };
};

/** Weights stored [out, in] and applied as x·Wᵀ (PyTorch's layout), with a hand-written log-sum-exp CE over float targets. */
const transposedLogSumExp: Build = () => {
  const x = d.input("x", ["batch", 3]);
  const t = d.input("t", ["batch", 3]);
  const z = d.add(d.matmul(x, d.transpose(d.param("W", [3, 3]))), d.param("b", [3]));
  const lse = d.log(d.sum(d.exp(z), 1));
  return { loss: d.mean(d.sub(lse, d.sum(d.mul(t, z), 1))), outputs: { z } };
};

const models: [string, Build, { fixedBatch?: number; classes?: number; lo?: number; hi?: number }][] = [
  ["MLP relu/sigmoid/tanh + mse", mlp, {}],
  ["MLP + mse, --batch 4", mlp, { fixedBatch: 4 }],
  ["softmaxCrossEntropy", classifier("softmaxCrossEntropy"), { classes: 3 }],
  ["crossEntropy(softmax(·))", classifier("crossEntropy"), { classes: 3 }],
  ["binaryCrossEntropy(σ(·))", bce, { lo: 0, hi: 1 }],
  ["x·Wᵀ and a hand-written log-sum-exp", transposedLogSumExp, { lo: 0, hi: 1 }],
  // The batch equals the class count: per-row adjoints broadcast over [3, 3] must not be mistaken for per-column ones.
  ["x·Wᵀ and a hand-written log-sum-exp, --batch 3", transposedLogSumExp, { fixedBatch: 3, lo: 0, hi: 1 }],
  ["softmaxCrossEntropy, --batch 3 = classes", classifier("softmaxCrossEntropy"), { fixedBatch: 3, classes: 3 }],
];

const batchOf = (o: { fixedBatch?: number }) => o.fixedBatch ?? 3;
const traceIt = (build: Build, o: { fixedBatch?: number }): Graph => traced(build, o.fixedBatch !== undefined ? { fixedBatch: o.fixedBatch } : {});

describe("optimize", () => {
  beforeEach(() => {
    vi.mocked(verify).mockClear(); // (a function returned from beforeEach would be run as its teardown)
  });

  for (const [title, build, o] of models) {
    describe(title, () => {
      it("verifies after every pass and reports each pass with its node counts", () => {
        const g = traceIt(build, o);
        const { graph, forward, report } = optimize(g, { verify: true });
        expect(vi.mocked(verify).mock.calls.map((c) => c[1])).toEqual(PASSES);
        expect(report.map((r) => r.pass)).toEqual(PASSES);
        expect(report[0]!.nodesBefore).toBe(g.nodes.length);
        for (let k = 1; k < report.length; k++) expect(report[k]!.nodesBefore, report[k]!.pass).toBe(report[k - 1]!.nodesAfter);
        expect(report.at(-1)!.nodesAfter).toBe(graph.nodes.length);
        for (const r of report) {
          expect(Number.isInteger(r.changes) && r.changes >= 0, `${r.pass} changes ${r.changes}`).toBe(true);
          expect(Array.isArray(r.notes)).toBe(true);
        }
        const differentiate = report[3]!;
        expect(differentiate.changes).toBe(differentiate.nodesAfter - differentiate.nodesBefore);
        expect(forward.grads).toEqual([]);
        expect(forward.nodes).toHaveLength(report[2]!.nodesAfter);
        expect(graph.grads.map(([k]) => k)).toEqual(g.params.map((p) => p.attrs.name));
      });

      it("gives the loss, outputs and gradients of plain grad()", () => {
        const g = traceIt(build, o);
        const { graph } = optimize(g);
        const joint = grad(g);
        for (const seed of [11, 12, 13]) expectSameSemantics(joint, graph, randomValues(g, seed, { batch: batchOf(o), ...o }), 1e-12);
      });

      it("agrees with finite differences", () => {
        const g = traceIt(build, o);
        checkGradients(build, randomValues(g, 21, { batch: batchOf(o), ...o }), {
          differentiate: (f) => optimize(f).graph,
          ...(o.fixedBatch !== undefined ? { fixedBatch: o.fixedBatch } : {}),
        });
      });
    });
  }

  it("runs verify only when asked", () => {
    optimize(traced(mlp));
    expect(vi.mocked(verify)).not.toHaveBeenCalled();
  });
});

describe("optimize: what the passes did", () => {
  it("softmax cross-entropy: ∂L/∂logits = (softmax(z) − onehot(y)) ⊙ (1/N), shared by both weight gradients", () => {
    const { graph } = optimize(traced(classifier("softmaxCrossEntropy")), { verify: true });
    const db2 = gradOf(graph, "b2");
    expect(show(db2).startsWith("sum{axis=0}(")).toBe(true);
    const dz = db2.inputs[0]!;
    expect(show(dz)).toBe("mul(sub(softmax(add(matmul(relu(add(matmul(x, W1), b1)), W2), b2)), onehot{classes=3}(y)), div(1, N))");
    const dW2 = gradOf(graph, "W2");
    expect(dW2.op).toBe("matmul");
    expect(dW2.attrs).toEqual({ transA: true, transB: false });
    expect(dW2.inputs[1]).toBe(dz);
    expect(dW2.inputs[0]!.op).toBe("relu");
  });

  it("with --batch fixed, 1/N is a folded constant", () => {
    const { graph } = optimize(traced(classifier("softmaxCrossEntropy"), { fixedBatch: 4 }), { verify: true });
    const dz = gradOf(graph, "b2").inputs[0]!;
    expect(show(dz)).toMatch(/^mul\(sub\(softmax\(.*\), onehot\{classes=3\}\(y\)\), 0\.25\)$/);
  });

  it("crossEntropy(softmax(logits)) optimizes to the same graph as softmaxCrossEntropy(logits)", () => {
    const a = optimize(traced(classifier("crossEntropy")), { verify: true });
    const b = optimize(traced(classifier("softmaxCrossEntropy")), { verify: true });
    expect(printGraph(a.graph)).toBe(printGraph(b.graph));
    expect(a.report[0]!.notes).toEqual([
      "log(softmax(x)) → logSoftmax(x)",
      "−Σ t·logSoftmax(x) → softmaxCE(x, t)",
      "CE against onehot(labels) → CE against labels",
    ]);
  });

  it("binary cross-entropy: the stabilize notes name both rewrites; no log is left", () => {
    const { graph, report } = optimize(traced(bce), { verify: true });
    expect(report[0]!.notes).toEqual(["log σ(x) → −softplus(−x)", "log(1 − σ(x)) → −softplus(x)"]);
    expect(countOp(graph, "log")).toBe(0);
  });

  it("the MLP: relu' reads the activation, σ' and tanh' reuse their forward values, no transposes", () => {
    const { graph, report } = optimize(traced(mlp), { verify: true });
    expect(report.find((r) => r.pass === "reuseForward")!.changes).toBe(1);
    const step = graph.nodes.filter((n) => n.op === "step");
    expect(step).toHaveLength(1);
    expect(step[0]!.inputs[0]!.op).toBe("relu");
    // One σ, one tanh: the backward pass computes no second one.
    expect(countOp(graph, "sigmoid")).toBe(1);
    expect(countOp(graph, "tanh")).toBe(1);
    expect(countOp(graph, "transpose")).toBe(0);
  });

  it("x·Wᵀ: the transpose becomes a matmul flag", () => {
    const { graph, report } = optimize(traced(transposedLogSumExp), { verify: true });
    expect(report.find((r) => r.pass === "foldTranspose")!.changes).toBeGreaterThan(0);
    expect(graph.nodes.some((n) => n.op === "matmul" && n.attrs.transB === true && show(n.inputs[1]!) === "W")).toBe(true);
    expect(graph.nodes.filter((n) => n.op === "matmul").every((n) => n.inputs.every((i) => i.op !== "transpose"))).toBe(true);
  });
});
