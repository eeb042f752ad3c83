// gelu, erf, clamp, maximum, minimum, where, logSumExp and conv1d against PyTorch's own values and
// gradients, NaN, ±∞, ties and bounds included: test/fixtures/torch/ops.json, written by ops.py there
// with torch 1.13 (Debian's python3-torch) in float64. Each case is y = f(inputs), loss = Σ C ⊙ y with
// C = 1, 2, 3, … over torch's y, and ∂loss/∂input for every input torch differentiates. Checked in the
// reference interpreter and in compiled float64 and float32 modules.
//
// The facts these cases pin down (read off ops.json):
//   gelu(NaN) = NaN, gelu(−∞) = −∞·0 = NaN, gelu(∞) = ∞; gelu'(±∞) = NaN (exact form)
//   clamp(NaN) = NaN with gradient 0; at x = min or x = max the gradient passes (min ≤ x ≤ max inclusive);
//     min > max gives max everywhere, gradient 0; clamp(−0, min=0) = −0
//   maximum/minimum: NaN from either side; a tie gives each operand half the gradient; at a NaN both get all of it
//   where(c, a, b): a NaN in the branch not taken does not reach y; c = NaN selects a (torch's c.bool())
//   logsumexp: a row of −∞ is −∞ (gradient NaN), a row holding +∞ is +∞ (gradient NaN at the ∞, 0 elsewhere),
//     a NaN makes its row NaN; rows near ±1000 stay finite
//   conv1d: torch's [N, C, L] with weight [out, in, k] is gradc's [N, L, C] with [k, in, out]; padding
//     "same" with an even kernel puts the extra zero at the end
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as cv from "../../compiler/dsl/conv.js";
import * as d from "../../compiler/dsl/core.js";
import { model } from "../../compiler/dsl/model.js";
import { evaluate } from "../../compiler/ir/interpret.js";
import type { Node } from "../../compiler/ir/node.js";
import { compileAndImport } from "../helpers/compiled.js";
import { interpretedGradients, traceModel } from "../helpers/gradcheck.js";

type Num = number | "NaN" | "Infinity" | "-Infinity";
interface TorchTensor {
  readonly shape: number[];
  readonly values: Num[];
}
interface TorchCase {
  readonly id: string;
  readonly name: string;
  readonly inputs: Record<string, TorchTensor>;
  readonly y: TorchTensor;
  readonly grads: Record<string, Num[]>;
}
interface Facts {
  readonly torch: string;
  readonly cases: TorchCase[];
  readonly gtNaN: boolean;
  readonly float32Compare: [boolean, boolean];
  readonly nanBool: boolean;
  readonly signedZeros: [number, number];
}

const facts = JSON.parse(readFileSync(new URL("../fixtures/torch/ops.json", import.meta.url), "utf8")) as Facts;
const num = (v: Num): number => (typeof v === "number" ? v : Number(v));

/** torch layout → gradc layout: a permutation of the axes (conv1d's NCL → NLC), applied to flat values. */
interface Layout {
  readonly perm: readonly number[];
}
const NCL_TO_NLC: Layout = { perm: [0, 2, 1] };
const OIK_TO_KIO: Layout = { perm: [2, 1, 0] };

function permute(values: readonly number[], shape: readonly number[], perm: readonly number[]): { shape: number[]; values: number[] } {
  const out = perm.map((p) => shape[p]!);
  const strides = shape.map((_, k) => shape.slice(k + 1).reduce((a, b) => a * b, 1));
  const result: number[] = [];
  const idx = out.map(() => 0);
  for (let flat = 0; flat < values.length; flat++) {
    result.push(values[perm.reduce((s, p, k) => s + idx[k]! * strides[p]!, 0)]!);
    for (let k = out.length - 1; k >= 0; k--) {
      if (++idx[k]! < out[k]!) break;
      idx[k] = 0;
    }
  }
  return { shape: out, values: result };
}

interface Builder {
  readonly build: (v: Record<string, Node>) => Node;
  /** Inputs and result in another layout than torch's. */
  readonly layouts?: Record<string, Layout>;
  readonly y?: Layout;
}

const builders: Record<string, Builder> = {
  gelu: { build: (v) => d.gelu(v.x!) },
  geluTanh: { build: (v) => d.gelu(v.x!, { approximate: "tanh" }) },
  erf: { build: (v) => d.erf(v.x!) },
  clamp: { build: (v) => d.clamp(v.x!, -1, 2) },
  clampMin: { build: (v) => d.clamp(v.x!, 0) },
  clampMax: { build: (v) => d.clamp(v.x!, null, 0.5) },
  clampCrossed: { build: (v) => d.clamp(v.x!, 2, -1) },
  maximum: { build: (v) => d.maximum(v.a!, v.b!) },
  minimum: { build: (v) => d.minimum(v.a!, v.b!) },
  maximumBroadcast: { build: (v) => d.maximum(v.a!, v.b!) },
  where: { build: (v) => d.where(v.c!, v.a!, v.b!) },
  logSumExpRows: { build: (v) => d.logSumExp(v.x!, 1) },
  logSumExpAxis0: { build: (v) => d.logSumExp(v.x!, 0, true) },
  logSumExpAll: { build: (v) => d.logSumExp(v.x!) },
  conv1d: { build: (v) => cv.conv1d(v.x!, v.w!, { stride: 2, padding: 1 }), layouts: { x: NCL_TO_NLC, w: OIK_TO_KIO }, y: NCL_TO_NLC },
  conv1dDilated: { build: (v) => cv.conv1d(v.x!, v.w!, { dilation: 2 }), layouts: { x: NCL_TO_NLC, w: OIK_TO_KIO }, y: NCL_TO_NLC },
  conv1dSame: { build: (v) => cv.conv1d(v.x!, v.w!, { padding: "same" }), layouts: { x: NCL_TO_NLC, w: OIK_TO_KIO }, y: NCL_TO_NLC },
};

/** A case in gradc's layout: every input a parameter (they may hold NaN, which inputs may not), C over torch's y. */
function prepare(c: TorchCase) {
  const b = builders[c.id];
  if (!b) throw new Error(`no builder for the torch case "${c.id}"`);
  const layout = (name: string, shape: number[], values: number[]) => {
    const l = b.layouts?.[name];
    return l ? permute(values, shape, l.perm) : { shape, values };
  };
  const params = Object.fromEntries(Object.entries(c.inputs).map(([name, t]) => [name, layout(name, t.shape, t.values.map(num))]));
  const yShape = c.y.shape;
  const C = c.y.values.map((_, k) => k + 1);
  const gradcC = b.y ? permute(C, yShape, b.y.perm) : { shape: yShape, values: C };
  const gradcY = b.y ? permute(c.y.values.map(num), yShape, b.y.perm).values : c.y.values.map(num);
  const grads = Object.fromEntries(Object.entries(c.grads).map(([name, g]) => [name, layout(name, c.inputs[name]!.shape, g.map(num)).values]));
  const def = model(`torch_${c.id}`, () => {
    const v: Record<string, Node> = {};
    for (const [name, t] of Object.entries(params)) v[name] = d.param(name, t.shape, { init: "zeros" });
    const y = b.build(v);
    expect(y.shape).toEqual(gradcC.shape);
    return { loss: d.sum(d.mul(y, gradcC.shape.length ? d.reshape(d.constant(gradcC.values), gradcC.shape) : gradcC.values[0]!)), outputs: { y } };
  });
  return { def, params: Object.fromEntries(Object.entries(params).map(([k, t]) => [k, t.values])), y: gradcY, grads };
}

/** NaN and ±∞ exactly where torch has them; finite values within tol·(1 + |expected|). */
function expectTorch(actual: ArrayLike<number>, expected: readonly number[], tol: number, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let k = 0; k < expected.length; k++) {
    const a = actual[k]!, e = expected[k]!;
    if (Number.isNaN(e)) expect(a, `${what}[${k}] should be NaN`).toBeNaN();
    else if (!Number.isFinite(e)) expect(a, `${what}[${k}]`).toBe(e);
    else expect(Math.abs(a - e), `${what}[${k}]: ${a}, torch ${e}`).toBeLessThanOrEqual(tol * (1 + Math.abs(e)));
  }
}

describe(`PyTorch parity (torch ${facts.torch}): the reference interpreter`, () => {
  it.each(facts.cases.map((c) => [`${c.id}: ${c.name}`, c] as const))("%s", (_, c) => {
    const { def, params, y, grads } = prepare(c);
    const g = traceModel(def);
    expectTorch(evaluate(g, { inputs: {}, params }).get(g.outputs[0]![1])!.data, y, 4e-15, "y");
    const r = interpretedGradients(g, { params });
    for (const [name, want] of Object.entries(grads)) expectTorch(r.grads[name]!, want, 4e-15, `∂L/∂${name}`);
  });

  it("the fixture has a builder for every case and a case for every builder", () => {
    expect(facts.cases.map((c) => c.id).sort()).toEqual(Object.keys(builders).sort());
  });
});

describe.each(["f64", "f32"] as const)(`PyTorch parity (torch ${facts.torch}): compiled %s modules`, (dtype) => {
  it.each(facts.cases.map((c) => [`${c.id}: ${c.name}`, c] as const))("%s", async (_, c) => {
    const { def, params, y, grads } = prepare(c);
    // float32: the inputs rounded to float32, and every stored value too (a logsumexp of 1000.69 is kept
    // to 6·10⁻⁵, which exp(x − y) passes on): relative to the inputs' magnitude
    const scale = Math.max(1, ...Object.values(params).flat().filter(Number.isFinite).map(Math.abs));
    const tol = dtype === "f64" ? 4e-15 : 3e-6 * scale;
    const { module } = await compileAndImport(def, { dtype });
    const array = dtype === "f64" ? Float64Array : Float32Array;
    const typed = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, array.from(v)]));
    expectTorch(module.forward(typed, {}).y!, y, tol, "y");
    const r = module.lossAndGrad(typed, {});
    for (const [name, want] of Object.entries(grads)) expectTorch(r.grads[name]!, want, tol, `∂L/∂${name}`);
  });
});

describe("PyTorch's conventions the ops follow", () => {
  it("comparisons: NaN compares false (torch.gt, lt, eq all false)", () => {
    expect(facts.gtNaN).toBe(false);
    const g = traceModel(model("cmp", () => {
      const X = d.param("X", [3]);
      const y = d.add(d.add(d.greater(X, 0), d.less(X, 0)), d.add(d.equal(X, X), d.greaterEqual(X, -1)));
      return { loss: d.sum(y), outputs: { y } };
    }));
    expect(Array.from(evaluate(g, { inputs: {}, params: { X: [NaN, 2, -3] } }).get(g.outputs[0]![1])!.data)).toEqual([0, 3, 2]);
  });

  it.each(["f64", "f32"] as const)("a %s module compares as torch compares a tensor of that dtype with a Python number", async (dtype) => {
    // torch: tensor([0.1], float32) > 0.1 is False and == 0.1 is True (the scalar is rounded to float32)
    expect(facts.float32Compare).toEqual([false, true]);
    const def = model("cmp32", () => {
      const x = d.input("x", ["batch", 1]);
      const W = d.param("W", [1, 1]);
      const y = d.add(d.greater(x, 0.1), d.mul(2, d.equal(x, 0.1)));
      return { loss: d.sum(d.matmul(x, W)), outputs: { y } };
    });
    const { module } = await compileAndImport(def, { dtype });
    const W = dtype === "f64" ? Float64Array.of(1) : Float32Array.of(1);
    expect(Array.from(module.forward({ W }, { x: [0.1, 0.2] }).y!)).toEqual([2, 1]);
  });

  it("where's condition is true where it is non-zero, NaN included (torch's cond.bool())", () => {
    expect(facts.nanBool).toBe(true);
    const g = traceModel(model("w", () => {
      const C = d.param("C", [4]);
      const y = d.where(C, 1, 2);
      return { loss: d.sum(y), outputs: { y } };
    }));
    expect(Array.from(evaluate(g, { inputs: {}, params: { C: [NaN, 0, -0, 1e-300] } }).get(g.outputs[0]![1])!.data)).toEqual([1, 2, 2, 1]);
  });

  it.each(["interpreter", "f64", "f32"] as const)("maximum and minimum return the first operand on a tie, as std::max (signed zeros): %s", async (where) => {
    expect(facts.signedZeros).toEqual([1, -1]); // maximum(0, −0) = 0, maximum(−0, 0) = −0
    const def = model("zeros", () => {
      const A = d.param("A", [2]);
      const B = d.param("B", [2]);
      return { loss: d.sum(d.maximum(A, B)), outputs: { max: d.maximum(A, B), min: d.minimum(A, B) } };
    });
    const params = { A: [0, -0], B: [-0, 0] };
    let max: ArrayLike<number>, min: ArrayLike<number>;
    if (where === "interpreter") {
      const g = traceModel(def);
      const values = evaluate(g, { inputs: {}, params });
      [max, min] = g.outputs.map(([, n]) => values.get(n)!.data) as [Float64Array, Float64Array];
    } else {
      const { module } = await compileAndImport(def, { dtype: where });
      const array = where === "f64" ? Float64Array : Float32Array;
      ({ max, min } = module.forward({ A: array.from(params.A), B: array.from(params.B) }, {}) as unknown as { max: ArrayLike<number>; min: ArrayLike<number> });
    }
    expect([Object.is(max[0], 0), Object.is(max[1], -0), Object.is(min[0], 0), Object.is(min[1], -0)]).toEqual([true, true, true, true]);
  });
});
