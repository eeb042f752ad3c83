// The generated trainer applies the optimizer update fused into its step (runtime/update.ts, run by
// runtime/bindModule.ts). It must be torch.optim's update, bit for bit: checked here against
// test/helpers/torchOptim.ts, the torch formulas written from scratch in the test (step count, bias
// corrections, −lr and every other step scalar computed there, not taken from the runtime's
// beginFusedStep(), which the fused trainer and the runtime optimizer share). The reference steps its own
// copy of the parameters with the gradients lossAndGrad gives at them. Checked for every optimizer kind
// and option combination, on several models, in float32 and float64, over many steps with a
// learning-rate change midway: every loss, every parameter and the optimizer state, with Object.is
// (so −0 and NaN count too).
import { beforeAll, describe, expect, it } from "vitest";
import * as dsl from "../../compiler/dsl/index.js";
import type { Optimizer, OptimizerSpec } from "../../runtime/index.js";
import { compileAndImport, type GeneratedModule } from "../helpers/compiled.js";
import { nonEmpty } from "../helpers/nonEmpty.js";
import { referenceFor } from "../helpers/torchOptim.js";
import { exampleModel } from "../examples/util.js";

type FusedTrainer = ReturnType<GeneratedModule["createTrainer"]> & { optimizer: Optimizer };

const OPTIMIZERS: readonly OptimizerSpec[] = [
  { kind: "sgd", lr: 0.05 },
  { kind: "sgd", lr: 0.05, weightDecay: 0.01 },
  { kind: "sgd", lr: 0.05, momentum: 0.9 },
  { kind: "sgd", lr: 0.05, momentum: 0.9, dampening: 0.3, weightDecay: 0.02 },
  { kind: "sgd", lr: 0.05, momentum: 0.8, nesterov: true },
  { kind: "sgd", lr: 0.05, momentum: 0.8, nesterov: true, weightDecay: 0.01 },
  { kind: "adam", lr: 0.01 },
  { kind: "adam", lr: 0.01, weightDecay: 0.05 },
  { kind: "adam", lr: 0.01, beta1: 0.3, beta2: 0.9, eps: 1e-6 }, // |1 − β1| ≥ 0.5: torch's other lerp formula
  { kind: "adamw", lr: 0.01 },
  { kind: "adamw", lr: 0.01, weightDecay: 0 },
  { kind: "adamw", lr: 0.01, beta1: 0, weightDecay: 0.1 },
];
const STEPS = 120;

/** A model large enough for the blocked GEMM (gradients in buffers) beside small batch sums (locals). */
const mid = dsl.model("mid", () => {
  const x = dsl.input("x", ["batch", 24]);
  const labels = dsl.input("labels", ["batch"], { dtype: "int" });
  const W1 = dsl.param("W1", [24, 32], { init: "he" });
  const b1 = dsl.param("b1", [32], { init: "zeros" });
  const W2 = dsl.param("W2", [32, 3], { init: "xavier" });
  const b2 = dsl.param("b2", [3], { init: "zeros" });
  const logits = dsl.add(dsl.matmul(dsl.tanh(dsl.add(dsl.matmul(x, W1), b1)), W2), b2);
  return { loss: dsl.softmaxCrossEntropy(logits, labels), outputs: { logits } };
});

const MODELS = [
  { name: "simple", source: exampleModel("simple") },
  { name: "xor", source: exampleModel("xor") },
  { name: "worked", source: exampleModel("worked") },
  { name: "mid", source: mid },
] as const;

/** Two batches of seeded inputs for the module's spec (class labels within their bound). */
function batchesFor(mod: GeneratedModule): Record<string, number[]>[] {
  let seed = 12345;
  const next = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  return [5, 3].map((batch) => {
    const inputs: Record<string, number[]> = {};
    for (const i of mod.spec.inputs as readonly { name: string; shape: readonly (number | string)[]; dtype?: string; classes?: number }[]) {
      const size = i.shape.reduce<number>((s, d) => s * (typeof d === "number" ? d : batch), 1);
      inputs[i.name] = Array.from({ length: size }, () => (i.dtype === "i32" ? Math.floor(((next() + 1) / 2) * (i.classes ?? 3)) : next()));
    }
    return inputs;
  });
}

function expectSameArrays(what: string, a: ArrayLike<number>, b: ArrayLike<number>): void {
  expect(a.length, `${what}: length`).toBe(b.length);
  for (let e = 0; e < a.length; e++) {
    if (!Object.is(a[e], b[e])) expect.fail(`${what}[${e}]: fused ${a[e]} ≠ reference ${b[e]}`);
  }
}

function compare(mod: GeneratedModule, optimizer: OptimizerSpec, batches: Record<string, number[]>[]): void {
  const dtype = mod.spec.dtype as "f32" | "f64";
  const names = nonEmpty(mod.spec.params.map((p) => p.name), "parameters");
  const typed = (values: number[]) => (dtype === "f32" ? Float32Array.from(values) : Float64Array.from(values));
  const fused = mod.createTrainer(mod.initParams(3), { optimizer }) as FusedTrainer;
  const initial = mod.initParams(3);
  const params = names.map((n) => Array.from(initial[n]!));
  const reference = referenceFor(optimizer, dtype);
  for (let step = 1; step <= STEPS; step++) {
    if (step === STEPS / 2) {
      fused.setLearningRate(optimizer.lr / 3); // what a schedule does midway
      reference.lr = optimizer.lr / 3;
    }
    const inputs = batches[step % batches.length]!;
    const loss = fused.step(inputs);
    const r = mod.lossAndGrad(Object.fromEntries(names.map((n, k) => [n, typed(params[k]!)])), inputs);
    reference.step(params, names.map((n) => Array.from(r.grads[n]!)));
    if (!Object.is(loss, r.loss)) expect.fail(`step ${step}: fused loss ${loss} ≠ loss at the reference's parameters ${r.loss}`);
  }
  names.forEach((n, k) => expectSameArrays(`param ${n}`, fused.params[n]!, params[k]!));
  expect(names.some((n) => !Object.is(fused.params[n]![0], initial[n]![0])), "the parameters moved").toBe(true);
  const a = fused.optimizer.state();
  const b = reference.state();
  expect(a.stepCount).toBe(STEPS);
  expect(b.stepCount).toBe(STEPS);
  for (const key of ["momentumBuffer", "expAvg", "expAvgSq"] as const) {
    expect(a[key] === undefined, key).toBe(b[key] === undefined);
    if (b[key]) expect(a[key], key).toHaveLength(names.length);
    b[key]?.forEach((buf, k) => expectSameArrays(`${key}[${k}]`, a[key]![k]!, buf));
  }
}

const describeOptimizer = (o: OptimizerSpec) => JSON.stringify(o).replace(/"/g, "");

for (const dtype of ["f64", "f32"] as const) {
  describe(`fused optimizer update = lossAndGrad + torch's formulas from scratch, bit for bit (${dtype}, ${STEPS} steps)`, () => {
    for (const m of MODELS) {
      describe(m.name, () => {
        let mod: GeneratedModule;
        let batches: Record<string, number[]>[];
        beforeAll(async () => {
          mod = (await compileAndImport(m.source, { dtype })).module;
          batches = batchesFor(mod);
        });
        for (const o of OPTIMIZERS) it(describeOptimizer(o), () => compare(mod, o, batches));
      });
    }
  });
}

describe("the fused trainer and the runtime optimizer share one state", () => {
  it("a checkpointed optimizer state resumes the fused trainer exactly", async () => {
    const mod = (await compileAndImport(exampleModel("simple"), { dtype: "f32" })).module;
    const data = { x: [1, 2, 3], y: [0.5, 1, 1.5] };
    const optimizer: OptimizerSpec = { kind: "adam", lr: 0.01 };
    const straight = mod.createTrainer(mod.initParams(0), { optimizer }) as FusedTrainer;
    for (let i = 0; i < 40; i++) straight.step(data);

    const first = mod.createTrainer(mod.initParams(0), { optimizer }) as FusedTrainer;
    for (let i = 0; i < 15; i++) first.step(data);
    const resumed = mod.createTrainer(
      Object.fromEntries(Object.entries(first.params).map(([k, v]) => [k, v.slice()])),
      { optimizer },
    ) as FusedTrainer;
    resumed.optimizer.loadState(first.optimizer.state());
    for (let i = 15; i < 40; i++) resumed.step(data);
    for (const n of nonEmpty(Object.keys(straight.params), "parameters")) expectSameArrays(n, resumed.params[n]!, straight.params[n]!);
  });
});
