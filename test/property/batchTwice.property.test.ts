// Property: random models in which a value has the batch dimension twice — a similarity matrix, pairwise
// differences or attention scores [batch, batch], sometimes widened to [batch, k, batch] — compiled all
// the way, at random batch sizes up to 24: the float64 module's lossAndGrad matches central finite
// differences, its forward() the reference interpreter, and the float32 module the float64 one to
// float32 precision (raw gradients, not an optimizer step).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as d from "../../compiler/dsl/core.js";
import { model, type ModelDef } from "../../compiler/dsl/model.js";
import { evaluate } from "../../compiler/ir/interpret.js";
import type { Node } from "../../compiler/ir/node.js";
import { compileAndImport } from "../helpers/compiled.js";
import { checkGradients, traceModel } from "../helpers/gradcheck.js";

const SEED = 20261201;

interface Spec {
  readonly features: number;
  readonly width: number;
  readonly activation: "tanh" | "sigmoid" | "softplus";
  /** How the [batch, batch] value is made. */
  readonly pair: "similarity" | "pairwise" | "attention";
  /** Widened to [batch, k, batch] by a broadcast against c [k, 1], then summed back (0: not widened). */
  readonly widen: number;
  /** What the loss reads of it. */
  readonly head: "square" | "softmax·h" | "max of logSoftmax" | "column sums";
  readonly batch: number;
  readonly seed: number;
}

const specArbitrary: fc.Arbitrary<Spec> = fc.record({
  features: fc.integer({ min: 1, max: 4 }),
  width: fc.integer({ min: 1, max: 5 }),
  activation: fc.constantFrom("tanh", "sigmoid", "softplus"),
  pair: fc.constantFrom("similarity", "pairwise", "attention"),
  widen: fc.integer({ min: 0, max: 3 }),
  head: fc.constantFrom("square", "softmax·h", "max of logSoftmax", "column sums"),
  batch: fc.integer({ min: 2, max: 24 }),
  seed: fc.integer({ min: 0, max: 1000 }),
});

const describeSpec = (s: Spec) => `${s.pair} of ${s.activation}(x[${s.batch}, ${s.features}]·W[${s.features}, ${s.width}])${s.widen ? ` widened to [batch, ${s.widen}, batch]` : ""}, loss from ${s.head}`;

function build(s: Spec): ModelDef {
  return model("pairs", () => {
    const x = d.input("x", ["batch", s.features]);
    const W = d.param("W", [s.features, s.width], { init: "xavier" });
    const h = d[s.activation](d.matmul(x, W));
    let pair: Node;
    if (s.pair === "similarity") pair = d.matmul(h, h, { transB: true });
    else if (s.pair === "pairwise") {
      const z = d.matmul(h, d.param("v", [s.width, 1], { init: "xavier" }));
      pair = d.sub(z, d.reshape(z, [1, "batch"]));
    } else {
      const q = d.matmul(h, d.param("Wq", [s.width, 3], { init: "xavier" }));
      const k = d.matmul(h, d.param("Wk", [s.width, 3], { init: "xavier" }));
      pair = d.matmul(q, k, { transB: true });
    }
    if (s.widen) pair = d.sum(d.mul(d.reshape(pair, ["batch", 1, "batch"]), d.param("c", [s.widen, 1], { init: "uniform", low: 0.5, high: 1.5 })), 1);
    let loss: Node;
    if (s.head === "square") loss = d.mean(d.square(pair));
    else if (s.head === "softmax·h") loss = d.mse(d.matmul(d.softmax(pair), h), d.input("y", ["batch", s.width]));
    else if (s.head === "max of logSoftmax") loss = d.mean(d.max(d.logSoftmax(pair), 1));
    else loss = d.mean(d.square(d.sum(pair, 0)));
    return { loss, outputs: { pair } };
  });
}

/** Deterministic inputs for a spec (sin of the index: no two rows alike). */
function inputsOf(s: Spec, def: ModelDef): Record<string, number[]> {
  const g = traceModel(def);
  return Object.fromEntries(g.inputs.map((i, k) => [i.attrs.name as string, Array.from({ length: s.batch * (i.shape.slice(1) as number[]).reduce((a, b) => a * b, 1) }, (_, j) => Math.sin(1.3 * j + 0.7 * k + s.seed))]));
}

function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  expect(a.length, what).toBe(b.length);
  for (let k = 0; k < b.length; k++) expect(Math.abs(a[k]! - b[k]!), `${what}[${k}]: ${a[k]} vs ${b[k]}`).toBeLessThanOrEqual(tol * (1 + Math.abs(b[k]!)));
}

async function check(s: Spec): Promise<void> {
  const def = build(s);
  const f64 = (await compileAndImport(def)).module;
  const f32 = (await compileAndImport(def, { dtype: "f32" })).module;
  const params = Object.fromEntries(Object.entries(f64.initParams(s.seed)).map(([k, v]) => [k, Float64Array.from(v)]));
  const inputs = inputsOf(s, def);
  try {
    checkGradients(def, { inputs, params }, { analytic: () => f64.lossAndGrad(params, inputs) });
    const g = traceModel(def);
    const reference = evaluate(g, { inputs, params }).get(g.outputs[0]![1])!.data;
    expectClose(f64.forward(params, inputs).pair!, reference, 1e-12, "f64 forward");
    const lg = f64.lossAndGrad(params, inputs);
    const p32 = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, Float32Array.from(v)]));
    const r32 = f32.lossAndGrad(p32, inputs);
    expectClose([r32.loss], [lg.loss], 1e-4, "f32 loss");
    for (const [name, grad] of Object.entries(lg.grads)) expectClose(r32.grads[name]!, grad, 1e-4, `f32 ∂L/∂${name}`);
    expectClose(f32.forward(p32, inputs).pair!, reference, 1e-4, "f32 forward");
  } catch (e) {
    throw new Error(`${describeSpec(s)}:\n${(e as Error).message}`);
  }
}

describe("random models with the batch dimension twice, compiled", () => {
  it("gradients match finite differences; forward the interpreter; f32 the f64 module", async () => {
    await fc.assert(fc.asyncProperty(specArbitrary, check), { seed: SEED, numRuns: 16 });
  });

  it("the generator reaches every way of making the pair, every head, widened values and batches past 16", () => {
    const specs = fc.sample(specArbitrary, { seed: SEED, numRuns: 16 });
    expect(new Set(specs.map((s) => s.pair)).size).toBe(3);
    expect(new Set(specs.map((s) => s.head)).size).toBe(4);
    expect(specs.some((s) => s.widen > 0)).toBe(true);
    expect(specs.some((s) => s.batch > 16)).toBe(true);
  });
});
