// The compiler scales with the model: a 2000-layer dense chain and a 2000-step element-wise chain
// (bench/scalingModels.ts, the models `npm run bench:scaling` times) compile all the way to a module
// — before the traversals were made iterative they stopped with "Maximum call stack size exceeded" —
// and the module is right: its loss, outputs and every gradient equal the reference interpreter's on
// the optimized graph, and sampled gradients equal central finite differences of its own loss.
// A model with a megabyte `init` literal compiles to a module that holds the values once and gives
// them back exactly. Compile time is not asserted here; bench/RESULTS.md reports how it grows.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { denseChain, elementwiseChain, initLiteral } from "../../bench/scalingModels.js";
import { evaluate } from "../../compiler/ir/interpret.js";
import { compileAndImport, type Loaded } from "../helpers/compiled.js";
import { mulberry32 } from "../helpers/rng.js";

const dir = mkdtempSync(join(tmpdir(), "gradc-scaling-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function compile(name: string, source: string): Promise<Loaded> {
  const file = join(dir, `${name}.model.ts`);
  writeFileSync(file, source);
  return compileAndImport(file, { dtype: "f64" });
}

type Arrays = Record<string, Float64Array>;

/** Relative difference, with an absolute floor for values near zero. */
const close = (a: number, b: number, rtol: number, atol = 1e-12) => Math.abs(a - b) <= atol + rtol * Math.abs(b);

/** The compiled module against the interpreter on its own optimized graph: loss, outputs, every gradient. */
function checkAgainstInterpreter(loaded: Loaded, params: Arrays, inputs: Arrays): void {
  const { module, optimized } = loaded;
  const g = optimized.graph;
  const ref = evaluate(g, { inputs, params });
  const got = module.lossAndGrad(params, inputs);
  expect(close(got.loss, ref.get(g.loss!)!.data[0]!, 1e-10)).toBe(true);
  expect(g.grads.length).toBe(Object.keys(params).length);
  for (const [name, node] of g.grads) {
    const want = ref.get(node)!.data;
    const have = got.grads[name]!;
    expect(have.length, name).toBe(want.length);
    for (let k = 0; k < want.length; k++) if (!close(have[k]!, want[k]!, 1e-9)) expect.fail(`∂L/∂${name}[${k}]: module ${have[k]}, interpreter ${want[k]}`);
  }
  const outputs = module.forward(params, inputs);
  for (const [name, node] of g.outputs) {
    const want = ref.get(node)!.data;
    expect(Array.from(outputs[name]!).every((v, k) => close(v, want[k]!, 1e-10)), name).toBe(true);
  }
}

/** ∂L/∂params[name][k] of the module against the central difference of its own loss. */
function checkFiniteDifferences(loaded: Loaded, params: Arrays, inputs: Arrays, samples: readonly [string, number][]): void {
  const { module } = loaded;
  const grads = module.lossAndGrad(params, inputs).grads;
  for (const [name, k] of samples) {
    const p = params[name]!;
    const h = 1e-6 * Math.max(1, Math.abs(p[k]!));
    const saved = p[k]!;
    p[k] = saved + h;
    const up = module.lossAndGrad(params, inputs).loss;
    p[k] = saved - h;
    const down = module.lossAndGrad(params, inputs).loss;
    p[k] = saved;
    const fd = (up - down) / (2 * h);
    if (!close(grads[name]![k]!, fd, 1e-4, 1e-9)) expect.fail(`∂L/∂${name}[${k}] = ${grads[name]![k]}, finite differences ${fd}`);
  }
}

describe("deep models compile and stay right", () => {
  it("a chain of 2000 dense layers (tanh and relu alternately)", async () => {
    const layers = 2000;
    const loaded = await compile("dense", denseChain(layers).source);
    // Weights near the identity, tiny biases and small positive inputs keep a 2000-layer signal alive:
    // relu sees positive values and tanh works near 0, where its slope is 1, so no gradient vanishes.
    const rng = mulberry32(7);
    const params: Arrays = {};
    for (let l = 0; l < layers; l++) {
      params[`W${l}`] = Float64Array.from({ length: 16 }, (_, k) => (k % 5 === 0 ? 1 : 0) + 0.002 * (rng() - 0.5));
      params[`b${l}`] = Float64Array.from({ length: 4 }, () => 1e-5 * rng());
    }
    const inputs = { x: Float64Array.from({ length: 12 }, () => 0.01 + 0.02 * rng()), y: Float64Array.from({ length: 12 }, () => rng()) };
    checkAgainstInterpreter(loaded, params, inputs);
    const grads = loaded.module.lossAndGrad(params, inputs).grads;
    expect(Math.abs(grads.W0![0]!)).toBeGreaterThan(1e-3); // the first layer gets a gradient worth checking
    checkFiniteDifferences(loaded, params, inputs, [["W0", 0], ["W0", 7], ["b0", 2], ["W999", 5], ["b1000", 1], ["W1999", 15], ["b1999", 3]]);
  }, 600_000);

  it("a chain of 2000 element-wise steps, fused into one loop", async () => {
    const loaded = await compile("elementwise", elementwiseChain(2000).source);
    const rng = mulberry32(8);
    const params = { w: Float64Array.from({ length: 4 }, () => 0.5 + rng()) };
    const inputs = { x: Float64Array.from({ length: 12 }, () => rng() - 0.5), y: Float64Array.from({ length: 12 }, () => rng()) };
    checkAgainstInterpreter(loaded, params, inputs);
    checkFiniteDifferences(loaded, params, inputs, [["w", 0], ["w", 1], ["w", 2], ["w", 3]]);
    // One kernel computes all 2000 steps of the forward pass: its comment is the whole formula.
    expect(loaded.code).toMatch(/\/\/ add = σ\(tanh\(σ\(tanh\(/);
  }, 600_000);

  it("a model whose weight has a 1 MB init literal", async () => {
    const loaded = await compile("init", initLiteral(1e6).source);
    const W = loaded.optimized.graph.params.find((p) => p.attrs.name === "W")!;
    const values = (W.attrs.init as { values: number[] }).values;
    expect(values.length).toBeGreaterThan(80_000);
    // written once, as a constant prettier leaves as it is, which the spec names (initParams, gradc/runtime's,
    // reads each param's init from the spec)
    expect(loaded.code.match(/\/\/ prettier-ignore\nconst INIT_W: readonly number\[\] = \[\n/g)).toHaveLength(1);
    expect(loaded.code.split('{ kind: "values", values: INIT_W }')).toHaveLength(2);
    expect(Array.from(loaded.module.initParams(0).W!)).toEqual(values);
    const spec = loaded.module.spec.params[0] as unknown as { init: { values: readonly number[] } };
    expect(spec.init.values).toEqual(values);
  }, 600_000);
});
