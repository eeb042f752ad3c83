// Gradient clipping and parameter groups in the generated trainer's fused step (runtime/update.ts, run by bindModule.ts)
// and in the runtime optimizer's step (runtime/optim.ts, which the parallel trainer runs), each checked
// bit for bit against a reference written here from torch's own code:
//   - clipping: torch/nn/utils/clip_grad.py (torch 1.13), transcribed below independently of
//     runtime/clip.ts: per-parameter norms, the norm of the norms, `max_norm / (total + 1e-6)` as Python
//     evaluates it for a tensor (Tensor.__rtruediv__ = reciprocal() * other), clamp(max=1), g *= coef;
//     in float32 every tensor of those steps is float32.
//   - groups: torch.optim runs each param_group with its own lr and weight_decay and the optimizer's
//     other defaults, which is one optimizer per group; the reference is exactly that, one runtime
//     optimizer (without groups; tested against torch in test/runtime/optim.test.ts) per group, with
//     lr = lrScale · lr.
import { beforeAll, describe, expect, it } from "vitest";
import * as dsl from "../../compiler/dsl/index.js";
import { createOptimizer, type FloatArray, type Optimizer, type OptimizerSpec, type ParamGroup } from "../../runtime/index.js";
import { compileAndImport, type GeneratedModule } from "../helpers/compiled.js";
import { exampleModel } from "../examples/util.js";

type Params = Record<string, FloatArray>;
type Options = { optimizer: OptimizerSpec; groups?: ParamGroup[]; clipGradNorm?: number; clipGradValue?: number };
type FusedTrainer = { step(inputs: Record<string, ArrayLike<number>>): number; setLearningRate(lr: number): void; params: Params; optimizer: Optimizer };
const trainerOf = (mod: GeneratedModule, params: Params, options: Options) => (mod.createTrainer as unknown as (p: Params, o: Options) => FusedTrainer)(params, options);

/** torch.nn.utils.clip_grad_norm_(parameters, max_norm) (norm_type 2), transcribed; returns whether it scaled. */
function torchClipGradNorm(grads: FloatArray[], maxNorm: number, f32: boolean): boolean {
  const tensor = f32 ? Math.fround : (x: number) => x; // the value a tensor of the gradients' dtype holds
  // total_norm = torch.norm(torch.stack([torch.norm(g, 2) for g in grads]), 2)
  const norms = grads.map((g) => tensor(Math.sqrt(Array.from(g).reduce((s, v) => s + v * v, 0))));
  const totalNorm = tensor(Math.sqrt(norms.reduce((s, n) => s + n * n, 0)));
  // clip_coef = max_norm / (total_norm + 1e-6): scalar / tensor → (total_norm + 1e-6).reciprocal() * max_norm
  const shifted = tensor(totalNorm + tensor(1e-6));
  const clipCoef = tensor(tensor(1 / shifted) * tensor(maxNorm));
  // clip_coef_clamped = torch.clamp(clip_coef, max=1.0); g.mul_(clip_coef_clamped)
  const clamped = clipCoef > 1 ? 1 : clipCoef;
  for (const g of grads) for (let e = 0; e < g.length; e++) g[e] = g[e]! * clamped;
  return clamped < 1;
}

/** torch.nn.utils.clip_grad_value_(parameters, clip_value): g.clamp_(min=-v, max=v). */
function torchClipGradValue(grads: FloatArray[], value: number): void {
  for (const g of grads) for (let e = 0; e < g.length; e++) g[e] = Math.min(Math.max(g[e]!, -value), value);
}

/** torch.optim with param_groups: one optimizer per group, each over its own parameters. */
class GroupedReference {
  private readonly parts: { optimizer: Optimizer; members: number[]; scale: number }[];
  clipped = 0;

  constructor(
    private readonly options: Options,
    names: readonly string[],
    shapes: readonly (readonly number[])[],
    sizes: readonly number[],
    private readonly f32: boolean,
  ) {
    const owner = names.map(() => -1);
    (options.groups ?? []).forEach((group, g) => {
      names.forEach((name, k) => {
        const sel = group.params;
        const hit = Array.isArray(sel) ? sel.includes(name) : sel instanceof RegExp ? sel.test(name) : (sel as (n: string, s: readonly number[]) => boolean)(name, shapes[k]!);
        if (hit) owner[k] = g;
      });
    });
    const groups = [{ scale: 1, spec: options.optimizer }, ...(options.groups ?? []).map((g) => ({ scale: g.lrScale ?? 1, spec: { ...options.optimizer, lr: options.optimizer.lr * (g.lrScale ?? 1), ...(g.weightDecay !== undefined ? { weightDecay: g.weightDecay } : {}) } as OptimizerSpec }))];
    this.parts = groups
      .map((g, i) => {
        const members = names.flatMap((_, k) => (owner[k] === i - 1 ? [k] : []));
        return { optimizer: createOptimizer(g.spec, members.map((k) => sizes[k]!), f32 ? "f32" : "f64"), members, scale: g.scale };
      })
      .filter((p) => p.members.length > 0);
  }

  setLearningRate(lr: number): void {
    for (const p of this.parts) p.optimizer.setLearningRate(lr * p.scale);
  }

  step(params: FloatArray[], grads: FloatArray[]): void {
    if (this.options.clipGradValue !== undefined) torchClipGradValue(grads, this.options.clipGradValue);
    if (this.options.clipGradNorm !== undefined && torchClipGradNorm(grads, this.options.clipGradNorm, this.f32)) this.clipped++;
    for (const p of this.parts) p.optimizer.step(p.members.map((k) => params[k]!), p.members.map((k) => grads[k]!));
  }
}

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

const CASES: readonly { name: string; options: Options; clips?: boolean }[] = [
  { name: "clipGradNorm that clips (adam)", options: { optimizer: { kind: "adam", lr: 0.01 }, clipGradNorm: 0.05 }, clips: true },
  { name: "clipGradNorm that never clips (sgd)", options: { optimizer: { kind: "sgd", lr: 0.05 }, clipGradNorm: 1e6 } },
  { name: "clipGradNorm 0.3 (sgd momentum)", options: { optimizer: { kind: "sgd", lr: 0.05, momentum: 0.9 }, clipGradNorm: 0.3 }, clips: true },
  { name: "clipGradValue (sgd)", options: { optimizer: { kind: "sgd", lr: 0.05 }, clipGradValue: 0.01 } },
  { name: "both: values, then the norm (adamw)", options: { optimizer: { kind: "adamw", lr: 0.01 }, clipGradValue: 0.02, clipGradNorm: 0.04 }, clips: true },
  { name: "groups: no decay on 1-D params (adamw)", options: { optimizer: { kind: "adamw", lr: 0.01, weightDecay: 0.1 }, groups: [{ params: (_name, shape) => shape.length === 1, weightDecay: 0 }] } },
  { name: "groups: names with lrScale, a RegExp with decay (sgd momentum nesterov)", options: { optimizer: { kind: "sgd", lr: 0.05, momentum: 0.8, nesterov: true }, groups: [{ params: ["W1"], lrScale: 0.25 }, { params: /^b/, weightDecay: 0.05, lrScale: 2 }] } },
  { name: "groups and clipping (adam with L2 decay)", options: { optimizer: { kind: "adam", lr: 0.01, weightDecay: 0.02 }, groups: [{ params: /W2|b2/, lrScale: 3, weightDecay: 0 }], clipGradNorm: 0.1 }, clips: true },
];
const STEPS = 60;

function expectSame(what: string, a: ArrayLike<number>, b: ArrayLike<number>): void {
  expect(a.length, `${what}: length`).toBe(b.length);
  for (let e = 0; e < a.length; e++) if (!Object.is(a[e], b[e])) expect.fail(`${what}[${e}]: ${a[e]} ≠ reference ${b[e]}`);
}

function batchesFor(mod: GeneratedModule): Record<string, number[]>[] {
  let seed = 777;
  const next = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  return [6, 4].map((batch) => {
    const inputs: Record<string, number[]> = {};
    for (const i of mod.spec.inputs as readonly { name: string; shape: readonly (number | string)[]; dtype?: string; classes?: number }[]) {
      const size = i.shape.reduce<number>((s, d) => s * (typeof d === "number" ? d : batch), 1);
      inputs[i.name] = Array.from({ length: size }, () => (i.dtype === "i32" ? Math.floor(((next() + 1) / 2) * (i.classes ?? 3)) : 3 * next()));
    }
    return inputs;
  });
}

/** Trains `subject` and the reference side by side; every loss, then every parameter, must agree. */
function compare(mod: GeneratedModule, options: Options, batches: Record<string, number[]>[], subject: "fused" | "runtime"): GroupedReference {
  const names = mod.spec.params.map((p) => p.name);
  const f32 = mod.spec.dtype === "f32";
  const params = mod.initParams(5) as Params;
  const reference = new GroupedReference(options, names, mod.spec.params.map((p) => p.shape), names.map((n) => params[n]!.length), f32);
  const mine = mod.initParams(5) as Params;
  const fused = subject === "fused" ? trainerOf(mod, mine, options) : undefined;
  const runtime = subject === "runtime" ? createOptimizer(options.optimizer, names.map((n) => mine[n]!.length), f32 ? "f32" : "f64", { params: mod.spec.params, ...options }) : undefined;
  for (let step = 1; step <= STEPS; step++) {
    if (step === STEPS / 2) {
      fused?.setLearningRate(options.optimizer.lr / 3);
      runtime?.setLearningRate(options.optimizer.lr / 3);
      reference.setLearningRate(options.optimizer.lr / 3);
    }
    const inputs = batches[step % batches.length]!;
    let loss: number;
    if (fused) loss = fused.step(inputs);
    else {
      const r = mod.lossAndGrad(mine, inputs);
      loss = r.loss;
      runtime!.step(names.map((n) => mine[n]!), names.map((n) => r.grads[n]!));
    }
    const r = mod.lossAndGrad(params, inputs);
    reference.step(names.map((n) => params[n]!), names.map((n) => r.grads[n]!));
    if (!Object.is(loss, r.loss)) expect.fail(`step ${step}: loss ${loss} ≠ reference ${r.loss}`);
  }
  for (const n of names) expectSame(`param ${n}`, mine[n]!, params[n]!);
  return reference;
}

for (const dtype of ["f32", "f64"] as const) {
  for (const m of [{ name: "mid", source: mid }, { name: "xor", source: exampleModel("xor") }]) {
    describe(`clipping and parameter groups = torch's formulas, bit for bit (${m.name}, ${dtype}, ${STEPS} steps)`, () => {
      let mod: GeneratedModule;
      let batches: Record<string, number[]>[];
      beforeAll(async () => {
        mod = (await compileAndImport(m.source, { dtype })).module;
        batches = batchesFor(mod);
      });
      for (const c of CASES) {
        it(`${c.name}: the fused step`, () => {
          const ref = compare(mod, c.options, batches, "fused");
          // A clipping case must clip on some steps, or it proves nothing about the scaling.
          if (c.clips) expect(ref.clipped).toBeGreaterThan(0);
        });
        it(`${c.name}: the runtime optimizer's step`, () => void compare(mod, c.options, batches, "runtime"));
      }
      it("groups and clipping change the result (the cases above are not vacuous)", () => {
        const plain = trainerOf(mod, mod.initParams(5) as Params, { optimizer: { kind: "adamw", lr: 0.01, weightDecay: 0.1 } });
        const grouped = trainerOf(mod, mod.initParams(5) as Params, { optimizer: { kind: "adamw", lr: 0.01, weightDecay: 0.1 }, groups: [{ params: (_n, s) => s.length === 1, weightDecay: 0, lrScale: 0.5 }] });
        const clippedByValue = trainerOf(mod, mod.initParams(5) as Params, { optimizer: { kind: "adamw", lr: 0.01, weightDecay: 0.1 }, clipGradValue: 1e-3 });
        for (let s = 0; s < 5; s++) for (const t of [plain, grouped, clippedByValue]) t.step(batches[s % 2]!);
        const bias = mod.spec.params.find((p) => p.shape.length === 1)!.name;
        const weight = mod.spec.params.find((p) => p.shape.length === 2)!.name;
        expect(Array.from(grouped.params[bias]!)).not.toEqual(Array.from(plain.params[bias]!));
        expect(Array.from(clippedByValue.params[weight]!)).not.toEqual(Array.from(plain.params[weight]!));
      });
    });
  }
}

describe("trainer options: errors name the problem", () => {
  let mod: GeneratedModule;
  beforeAll(async () => {
    mod = (await compileAndImport(mid, { dtype: "f32" })).module;
  });
  const attempt = (options: unknown) => () => trainerOf(mod, mod.initParams(0) as Params, options as Options);
  const sgd = { kind: "sgd", lr: 0.1 } as const;
  it.each([
    [{ optimizer: sgd, clipGradnorm: 1 }, /unknown option "clipGradnorm"/],
    [{ optimizer: sgd, clipGradNorm: 0 }, /clipGradNorm must be a finite number > 0, got 0/],
    [{ optimizer: sgd, clipGradValue: -1 }, /clipGradValue must be a finite number > 0/],
    [{ optimizer: sgd, groups: [{ params: ["W3"] }] }, /groups\[0\]: "W3" is not a trainable parameter \(the trainable parameters: W1, b1, W2, b2\)/],
    [{ optimizer: sgd, groups: [{ params: /^b/ }, { params: ["b2"] }] }, /parameter "b2" is in more than one group \(groups\[0\] and groups\[1\]\)/],
    [{ optimizer: sgd, groups: [{ params: /^bias/ }] }, /groups\[0\] selects no parameter/],
    [{ optimizer: sgd, groups: [{ params: ["b1"], lr: 0.1 }] }, /groups\[0\]: unknown setting "lr" \(a group's rate is lrScale × the optimizer's lr\)/],
    [{ optimizer: sgd, groups: [{ params: ["b1"], weight_decay: 0 }] }, /did you mean weightDecay/],
    [{ optimizer: sgd, groups: [{ params: ["b1"], lrScale: -1 }] }, /groups\[0\]\.lrScale must be a finite number >= 0, got -1/],
  ])("%j", (options, message) => expect(attempt(options)).toThrow(message));
  it("records the resolved groups and clipping on the optimizer (what a checkpoint's run config keeps)", () => {
    const t = trainerOf(mod, mod.initParams(0) as Params, { optimizer: { kind: "adamw", lr: 0.01 }, groups: [{ params: (_n, s) => s.length === 1, weightDecay: 0 }], clipGradNorm: 1 });
    expect(t.optimizer.groups).toEqual([{ params: ["b1", "b2"], lrScale: 1, weightDecay: 0 }]);
    expect(t.optimizer.clip).toEqual({ norm: 1, value: 0 });
  });
});
