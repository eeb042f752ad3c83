// NaN in, NaN out: a diverged value is never turned back into a finite number, in the reference
// interpreter and in compiled float64 and float32 modules (their large matmuls on the SIMD product). Each
// op gets a NaN where PyTorch propagates one, and its derivative selects at NaN as PyTorch's does.
//
// The PyTorch facts below were run with torch 1.13.0 (Debian's python3-torch) in float64, y = f(x),
// (Σ y).backward():
//   relu(NaN) = NaN, relu'(NaN) = 1          (torch differentiates relu through its result: result ≤ 0 ? 0 : g)
//   leaky_relu(NaN, 0.1) = NaN, its ' = 0.1   (leaky_relu_backward is x > 0 ? g : α·g)
//   abs(NaN) = NaN, abs'(NaN) = 0             (g·sign(x), and torch.sign(NaN) = 0: pytorch/pytorch#41245)
//   softplus, sigmoid, tanh, exp, log: NaN and NaN'
//   amax over a row holding NaN = NaN, its gradient NaN for the whole row (g / #ties · [x = max], #ties = 0)
//   max_pool2d of a window holding NaN = NaN; the gradient goes to the window's last NaN
//     (max_pool2d([[1, NaN], [5, NaN]]) → NaN, index 3: the kernel's test is `val > max || isnan(val)`)
//   softmax / log_softmax of a row holding NaN: NaN everywhere in the row, forward and backward
// Finite elements next to a NaN keep their values (other rows, other windows).
import { describe, expect, it } from "vitest";
import * as cv from "../../compiler/dsl/conv.js";
import * as d from "../../compiler/dsl/core.js";
import { model } from "../../compiler/dsl/model.js";
import { evaluate } from "../../compiler/ir/interpret.js";
import type { Node } from "../../compiler/ir/node.js";
import { compileAndImport } from "../helpers/compiled.js";
import { interpretedGradients, lossAt, traceModel } from "../helpers/gradcheck.js";

const N = NaN;
const softplus = (x: number) => Math.log1p(Math.exp(x));
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const softmaxRow = (r: number[]) => r.map((v) => Math.exp(v) / r.reduce((s, u) => s + Math.exp(u), 0));

interface NanCase {
  /** The op under test (its name in the registry). */
  readonly op: string;
  readonly name: string;
  /** The parameter X that holds the NaN. */
  readonly shape: number[];
  readonly values: number[];
  /** A finite input x [batch, …] when the op should run inside a batch loop. */
  readonly input?: { readonly shape: (number | string)[]; readonly values: number[] };
  readonly build: (X: Node, x?: Node) => Node;
  /** y = build(X) and ∂(Σ C ⊙ y)/∂X with C = 1, 2, 3, …: NaN where NaN is expected. */
  readonly y: number[];
  readonly grad: number[];
}

const cases: NanCase[] = [
  { op: "relu", name: "relu(NaN) = NaN, relu'(NaN) = 1", shape: [4], values: [N, -1, 2, 0.5], build: (X) => d.relu(X), y: [N, 0, 2, 0.5], grad: [1, 0, 3, 4] },
  { op: "relu", name: "relu inside a batch loop (x ⊙ X)", shape: [2], values: [N, 1], input: { shape: ["batch", 2], values: [1, -1, 2, 3] }, build: (X, x) => d.relu(d.mul(x!, X)), y: [N, 0, N, 3], grad: [1 * 1 + 3 * 2, 0 + 4 * 3] },
  { op: "leakyRelu", name: "leakyRelu(NaN) = NaN, leakyRelu'(NaN) = α", shape: [4], values: [N, -1, 2, 0.5], build: (X) => d.leakyRelu(X, 0.1), y: [N, -0.1, 2, 0.5], grad: [0.1, 0.2, 3, 4] },
  { op: "abs", name: "|NaN| = NaN, |x|' = sign(x) = 0 at NaN (torch.sign)", shape: [4], values: [N, -1, 2, 0.5], build: (X) => d.abs(X), y: [N, 1, 2, 0.5], grad: [0, -2, 3, 4] },
  { op: "softplus", name: "softplus(NaN) = NaN, and its derivative", shape: [3], values: [N, -1, 2], build: (X) => d.softplus(X), y: [N, softplus(-1), softplus(2)], grad: [N, 2 * sigmoid(-1), 3 * sigmoid(2)] },
  { op: "sigmoid", name: "σ(NaN) = NaN, and its derivative", shape: [2], values: [N, 1], build: (X) => d.sigmoid(X), y: [N, sigmoid(1)], grad: [N, 2 * sigmoid(1) * (1 - sigmoid(1))] },
  { op: "tanh", name: "tanh(NaN) = NaN", shape: [2], values: [N, 1], build: (X) => d.tanh(X), y: [N, Math.tanh(1)], grad: [N, 2 * (1 - Math.tanh(1) ** 2)] },
  { op: "max", name: "max along rows: a row holding NaN has max NaN and gradient NaN; the other row is untouched", shape: [2, 3], values: [1, N, 3, 4, 6, 5], build: (X) => d.max(X, 1), y: [N, 6], grad: [N, N, N, 0, 2, 0] },
  { op: "max", name: "max of everything, NaN last", shape: [2, 2], values: [1, 3, 2, N], build: (X) => d.max(X), y: [N], grad: [N, N, N, N] },
  { op: "max", name: "max over the batch (x ⊙ X, a batch loop with sums in locals)", shape: [2], values: [N, 1], input: { shape: ["batch", 2], values: [1, -1, 2, 3] }, build: (X, x) => d.max(d.mul(x!, X), 0), y: [N, 3], grad: [N, 2 * 3] },
  {
    op: "maxPool2d", name: "a window holding NaN pools to NaN, its gradient goes to the last NaN; the next window keeps its max",
    // rows of a 2×4 image, one channel: windows [[1, NaN], [5, NaN]] and [[7, 2], [3, 4]]
    shape: [1, 2, 4, 1], values: [1, N, 7, 2, 5, N, 3, 4], build: (X) => cv.maxPool2d(X, { size: 2 }), y: [N, 7], grad: [0, 0, 2, 0, 0, 1, 0, 0],
  },
  {
    op: "maxPool2d", name: "NaN first in its window still wins over a larger value after it",
    shape: [1, 2, 2, 2], values: [N, 1, 9, 2, 8, 3, 7, N], build: (X) => cv.maxPool2d(X, { size: 2 }), y: [N, N], grad: [1, 0, 0, 0, 0, 0, 0, 2],
  },
  { op: "softmax", name: "a row holding NaN is NaN everywhere; the other row is untouched", shape: [2, 3], values: [N, 1, 2, 0, 1, 2], build: (X) => d.softmax(X), y: [N, N, N, ...softmaxRow([0, 1, 2])], grad: [N, N, N, ...softmaxGrad([0, 1, 2], [4, 5, 6])] },
  { op: "logSoftmax", name: "a row holding NaN is NaN everywhere", shape: [2, 2], values: [1, N, 0, 1], build: (X) => d.logSoftmax(X), y: [N, N, ...softmaxRow([0, 1]).map(Math.log)], grad: [N, N, ...logSoftmaxGrad([0, 1], [3, 4])] },
  { op: "matmul", name: "a NaN weight makes its column NaN", shape: [2, 2], values: [1, N, 2, 3], input: { shape: ["batch", 2], values: [1, 1, 2, -1] }, build: (X, x) => d.matmul(x!, X), y: [3, N, 0, N], grad: [1 + 3 * 2, 2 + 4 * 2, 1 - 3, 2 - 4] }, // linear in X: ∂/∂X = xᵀ·C, finite
];

/** ∂(Σ C ⊙ softmax(x))/∂x for one row: s ⊙ (C − Σ C ⊙ s). */
function softmaxGrad(x: number[], C: number[]): number[] {
  const s = softmaxRow(x);
  const dot = s.reduce((a, v, k) => a + v * C[k]!, 0);
  return s.map((v, k) => v * (C[k]! - dot));
}
/** ∂(Σ C ⊙ logSoftmax(x))/∂x for one row: C − softmax(x)·Σ C. */
function logSoftmaxGrad(x: number[], C: number[]): number[] {
  const s = softmaxRow(x);
  const total = C.reduce((a, b) => a + b, 0);
  return C.map((c, k) => c - s[k]! * total);
}

/** loss = Σ C ⊙ y with C = 1, 2, 3, … over y's elements; y is also an output. */
const caseModel = (c: NanCase) =>
  model("nan", () => {
    const x = c.input ? d.input("x", c.input.shape) : undefined;
    const y = c.build(d.param("X", c.shape, { init: "zeros" }), x);
    // A y over the batch is weighted by an input of its shape, a static one by a constant.
    const C = y.shape.every((s) => typeof s === "number") ? d.reshape(d.constant(weightsOf(c)), y.shape) : d.input("C", y.shape);
    return { loss: d.sum(d.mul(y, C)), outputs: { y } };
  });

const weightsOf = (c: NanCase) => c.y.map((_, k) => k + 1);
const inputsOf = (c: NanCase): Record<string, number[]> => (c.input ? { x: c.input.values, C: weightsOf(c) } : {});

/** NaN exactly where expected; finite values close (rel + abs tolerance). */
function expectNanPattern(actual: ArrayLike<number>, expected: readonly number[], digits: number, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let k = 0; k < expected.length; k++) {
    const a = actual[k]!, e = expected[k]!;
    if (Number.isNaN(e)) expect(a, `${what}[${k}] should be NaN`).toBeNaN();
    else expect(Math.abs(a - e), `${what}[${k}]: ${a}, expected ${e}`).toBeLessThanOrEqual(10 ** -digits * (1 + Math.abs(e)));
  }
}

describe("NaN in, NaN out: the reference interpreter", () => {
  it.each(cases.map((c) => [`${c.op}: ${c.name}`, c] as const))("%s", (_, c) => {
    const forward = traceModel(caseModel(c));
    const values = { inputs: inputsOf(c), params: { X: c.values } };
    expect(forward.nodes.some((n) => n.op === c.op), `the model has no ${c.op} node`).toBe(true);
    expect(lossAt(forward, values)).toBeNaN();
    expectNanPattern(evaluate(forward, values).get(forward.outputs[0]![1])!.data, c.y, 12, "y");
    const r = interpretedGradients(forward, values);
    expectNanPattern(r.grads.X!, c.grad, 12, "∂L/∂X");
  });
});

describe.each(["f64", "f32"] as const)("NaN in, NaN out: compiled %s modules", (dtype) => {
  const digits = dtype === "f64" ? 12 : 5;
  it.each(cases.map((c) => [`${c.op}: ${c.name}`, c] as const))("%s", async (_, c) => {
    const { module } = await compileAndImport(caseModel(c), { dtype });
    const array = dtype === "f64" ? Float64Array : Float32Array;
    const params = { X: array.from(c.values) };
    expectNanPattern(module.forward(params, inputsOf(c)).y!, c.y, digits, "y");
    const { loss, grads } = module.lossAndGrad(params, inputsOf(c));
    expect(loss).toBeNaN();
    expectNanPattern(grads.X!, c.grad, digits, "∂L/∂X");
    expect(module.evaluate(params, inputsOf(c)).loss).toBeNaN();
  });
});

describe("a diverged weight is a NaN loss, never a finite one", () => {
  // relu(x·W1 + b1)·W2: one NaN in W1 used to vanish in relu (NaN > 0 is false → 0) and the loss stayed finite.
  const mlp = (width: number, inputs: number) =>
    model("diverged", () => {
      const x = d.input("x", ["batch", inputs]);
      const y = d.input("y", ["batch", 1]);
      const W1 = d.param("W1", [inputs, width], { init: "xavier" });
      const b1 = d.param("b1", [width], { init: "zeros" });
      const W2 = d.param("W2", [width, 1], { init: "xavier" });
      return { loss: d.mse(d.matmul(d.relu(d.add(d.matmul(x, W1), b1)), W2), y) };
    });

  for (const [dtype, width, inputs, simd] of [["f64", 2, 1, false], ["f32", 2, 1, false], ["f32", 24, 40, true], ["f64", 24, 40, false]] as const) {
    it(`${dtype}, ${inputs}→${width}→1${simd ? " (the SIMD product with the relu epilogue)" : ""}: lossAndGrad, evaluate and a training step all report NaN`, async () => {
      const { module, code } = await compileAndImport(mlp(width, inputs), { dtype });
      expect(code.includes("GEMM.product("), "whether the large matmul runs on the SIMD product").toBe(simd);
      const params = module.initParams(3);
      const rows = 3;
      const inputsOfBatch = { x: Array.from({ length: rows * inputs }, (_, k) => Math.sin(k + 1)), y: [0.5, -0.25, 1] };
      expect(Number.isFinite(module.lossAndGrad(params, inputsOfBatch).loss)).toBe(true);
      // W1[0, 0] = NaN: every pre-activation of unit 0 is NaN, which relu used to cut to 0.
      params.W1![0] = NaN;
      expect(module.lossAndGrad(params, inputsOfBatch).loss).toBeNaN();
      expect(module.evaluate(params, inputsOfBatch).loss).toBeNaN();
      expect(module.createTrainer(params, { optimizer: { kind: "sgd", lr: 0.1 } }).step(inputsOfBatch)).toBeNaN();
    });
  }
});

describe("finite inputs give the results they gave before, bit for bit", () => {
  // relu was `z > 0 ? z : 0` and is now `z <= 0 ? 0 : z`: the same for every number but NaN, −0 included.
  const zs = [-0, 0, -1e-300, 1e-300, -2.5, 3.25, Number.MIN_VALUE, -Infinity, Infinity];
  const old = { relu: (z: number) => (z > 0 ? z : 0), step: (z: number) => (z > 0 ? 1 : 0), sign: Math.sign };
  it.each([["relu", d.relu], ["step", (z: Node) => d.step(z)], ["sign", d.sign]] as const)("%s", async (op, f) => {
    const fm = model("finite", () => {
      const X = d.param("X", [zs.length], { init: "zeros" });
      return { loss: d.sum(X), outputs: { y: f(X) } };
    });
    const want = zs.map(old[op]);
    const { module } = await compileAndImport(fm);
    const got = Array.from(module.forward({ X: Float64Array.from(zs) }, {}).y!);
    got.forEach((v, k) => expect(Object.is(v, want[k]), `${op}(${zs[k]}) = ${v}, before ${want[k]}`).toBe(true));
  });
});
