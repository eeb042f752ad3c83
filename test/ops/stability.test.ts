// Numerically extreme arguments stay finite, forward and backward, and agree with values computed
// analytically here: σ(±1000), softplus(±1000), and the softmax family on logits near ±1000.

import { describe, expect, it } from "vitest";
import * as d from "../../compiler/dsl/core.js";
import type { Node } from "../../compiler/ir/node.js";
import { interpretedGradients, traceModel } from "../helpers/gradcheck.js";

/** Value and gradient of loss(X) at X = values, where X is a parameter of the given shape. */
function valueAndGrad(shape: number[], values: number[], loss: (X: Node) => Node, inputs: Record<string, number[]> = {}) {
  const forward = traceModel(() => ({ loss: loss(d.param("X", shape)) }));
  const r = interpretedGradients(forward, { inputs, params: { X: values } });
  return { loss: r.loss!, grad: Array.from(r.grads.X!) };
}

/** Checks finiteness, then closeness (absolute + relative). */
function expectClose(actual: readonly number[], expected: readonly number[], tol = 1e-12) {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((a, k) => {
    expect(Number.isFinite(a), `element ${k} is ${a}`).toBe(true);
    expect(Math.abs(a - expected[k]!), `element ${k}: ${a} vs ${expected[k]}`).toBeLessThanOrEqual(tol * (1 + Math.abs(expected[k]!)));
  });
}

// Σ C ⊙ f(X) with C = [1, 2, −1, ...]: the gradient is C ⊙ f'(X).
const C3 = [1.5, -2, 0.5];
const weighted = (f: (x: Node) => Node, C: number[]) => (X: Node) => d.sum(d.mul(f(X), d.constant(C)));

describe("sigmoid at ±1000", () => {
  it("σ(−1000) = 0, σ(1000) = 1, σ(0) = ½, and σ' = σ(1−σ) is 0, 0, ¼", () => {
    const { loss, grad } = valueAndGrad([3], [-1000, 1000, 0], weighted(d.sigmoid, C3));
    expectClose([loss], [1.5 * 0 + -2 * 1 + 0.5 * 0.5]);
    expectClose(grad, [0, 0, 0.5 * 0.25]);
  });
  it("through a loss: binaryCrossEntropy of σ(±30) with matching targets is ≈ 0, gradient finite", () => {
    const { loss, grad } = valueAndGrad([2], [-30, 30], (X) => d.binaryCrossEntropy(d.sigmoid(X), d.constant([0, 1])));
    // −log(1−σ(−30)) = log(1+e^−30) ≈ e^−30; d/dx = (σ(x) − t)/2
    const s = 1 / (1 + Math.exp(30));
    expectClose([loss], [Math.log1p(s) /* both terms equal */], 1e-6);
    expectClose(grad, [s / 2, -s / 2], 1e-6);
  });
});

describe("softplus at ±1000", () => {
  it("softplus(1000) = 1000, softplus(−1000) = 0; softplus' = σ is 1 and 0", () => {
    const { loss, grad } = valueAndGrad([3], [1000, -1000, 0], weighted(d.softplus, C3));
    expectClose([loss], [1.5 * 1000 + 0 + 0.5 * Math.LN2]);
    expectClose(grad, [1.5 * 1, -2 * 0, 0.5 * 0.5]);
  });
  it("softplus(−40) = log1p(e^−40) ≈ e^−40, not rounded to 0", () => {
    const { loss } = valueAndGrad([1], [-40], (X) => d.sum(d.softplus(X)));
    expect(loss).toBeCloseTo(Math.exp(-40), 30);
    expect(loss).toBeGreaterThan(0);
  });
});

// Analytic reference: softmax is shift-invariant, so logits 1000 + [0, 1, −1] behave as [0, 1, −1].
const shift = [0, 1, -1];
const expShift = shift.map(Math.exp);
const Z = expShift.reduce((a, b) => a + b, 0);
const p = expShift.map((e) => e / Z); // softmax of the shifted logits
const lse = (offset: number) => offset + Math.log(Z); // log Σ exp(offset + shift)

describe.each([
  ["near +1000", 1000],
  ["near −1000", -1000],
])("softmax family with logits %s", (_, offset) => {
  const logits = shift.map((s) => offset + s);

  it("softmax: forward = softmax of the shifted logits; gradient y ⊙ (C − Σ C⊙y)", () => {
    const { loss, grad } = valueAndGrad([1, 3], logits, weighted(d.softmax, C3));
    const dot = C3.reduce((a, c, k) => a + c * p[k]!, 0);
    expectClose([loss], [dot]);
    expectClose(grad, p.map((y, k) => y * (C3[k]! - dot)));
  });

  it("logSoftmax: forward = x − logΣexp(x); gradient C − softmax·ΣC", () => {
    const { loss, grad } = valueAndGrad([1, 3], logits, weighted(d.logSoftmax, C3));
    const sumC = C3.reduce((a, b) => a + b, 0);
    expectClose([loss], [C3.reduce((a, c, k) => a + c * (logits[k]! - lse(offset)), 0)], 1e-12);
    expectClose(grad, p.map((y, k) => C3[k]! - y * sumC), 1e-12);
  });

  it("softmaxCrossEntropy with an integer label: loss = logΣexp − x_label, gradient (softmax − onehot)/rows", () => {
    // two rows, labels 2 and 0, the second row's logits are the first's in reverse
    const rows = [...logits, ...[...logits].reverse()];
    const { loss, grad } = valueAndGrad([2, 3], rows, (X) => d.softmaxCrossEntropy(X, d.input("y", [2], { dtype: "int" })), { y: [2, 0] });
    const pr = [...p].reverse();
    expectClose([loss], [(lse(offset) - logits[2]! + (lse(offset) - rows[3]!)) / 2], 1e-12);
    expectClose(grad, [...p.map((y, k) => (y - (k === 2 ? 1 : 0)) / 2), ...pr.map((y, k) => (y - (k === 0 ? 1 : 0)) / 2)]);
  });

  it("softmaxCrossEntropy with float target rows: gradient softmax·Σt − t", () => {
    const t = [0.2, 0.5, 0.3];
    const { loss, grad } = valueAndGrad([1, 3], logits, (X) => d.softmaxCrossEntropy(X, d.constant([t])));
    expectClose([loss], [-t.reduce((a, tk, k) => a + tk * (logits[k]! - lse(offset)), 0)], 1e-12);
    expectClose(grad, p.map((y, k) => y - t[k]!));
  });

  it("crossEntropy(softmax(x), label): finite, same value and gradient as softmaxCrossEntropy", () => {
    const { loss, grad } = valueAndGrad([1, 3], logits, (X) => d.crossEntropy(d.softmax(X), d.input("y", [1], { dtype: "int" })), { y: [1] });
    expectClose([loss], [lse(offset) - logits[1]!], 1e-12);
    expectClose(grad, p.map((y, k) => y - (k === 1 ? 1 : 0)), 1e-12);
  });
});

describe("logits spread far apart (±1000 in one row)", () => {
  it("softmax is one-hot, logSoftmax stays finite (−2000), softmaxCE gradient is finite", () => {
    const { loss, grad } = valueAndGrad([1, 3], [1000, -1000, 0], weighted(d.logSoftmax, C3));
    expectClose([loss], [1.5 * 0 + -2 * -2000 + 0.5 * -1000]);
    const sumC = C3.reduce((a, b) => a + b, 0);
    expectClose(grad, [C3[0]! - sumC, C3[1]!, C3[2]!]);
    const ce = valueAndGrad([1, 3], [1000, -1000, 0], (X) => d.softmaxCrossEntropy(X, d.input("y", [1], { dtype: "int" })), { y: [1] });
    expectClose([ce.loss], [2000]);
    expectClose(ce.grad, [1, -1, 0]);
  });
});
