import { describe, expect, it } from "vitest";
import type { Dtype, FloatArray } from "../../runtime/init.js";
import { createOptimizer, createTrainerOptimizer, resolveOptimizerSpec, type OptimizerSpec, type OptimizerState } from "../../runtime/optim.js";
import { UPDATE } from "../../runtime/update.js";
import { createRng } from "../../runtime/rng.js";
import { referenceFor, storeFor } from "../helpers/torchOptim.js";

// ── harness ──────────────────────────────────────────────────────────────────────────────────────────

const SIZES = [7, 1, 12];

/** Gradients spanning six orders of magnitude, with exact zeros sprinkled in. */
function randomGrads(rng: ReturnType<typeof createRng>, dtype: Dtype): number[][] {
  const store = storeFor(dtype);
  return SIZES.map((n) =>
    Array.from({ length: n }, () => (rng.uniform() < 0.05 ? 0 : store(rng.normal() * 10 ** (rng.uniform() * 6 - 3)))),
  );
}

function toTyped(values: number[][], dtype: Dtype): FloatArray[] {
  return values.map((v) => (dtype === "f32" ? Float32Array.from(v) : Float64Array.from(v)));
}

/** Bit-for-bit equality (Object.is, so −0 ≠ +0), reporting the first difference. */
function expectBitIdentical(actual: FloatArray[], expected: number[][], context: string): void {
  for (let k = 0; k < expected.length; k++) {
    for (let i = 0; i < expected[k].length; i++) {
      if (!Object.is(actual[k][i], expected[k][i])) {
        throw new Error(`${context}: param ${k}[${i}] is ${actual[k][i]}, reference ${expected[k][i]}`);
      }
    }
  }
}

function runAgainstReference(
  spec: OptimizerSpec,
  dtype: Dtype,
  opts: { steps?: number; lrChange?: { atStep: number; lr: number } } = {},
): void {
  const steps = opts.steps ?? 50;
  const rng = createRng(1234);
  const store = storeFor(dtype);
  const initial = SIZES.map((n) => Array.from({ length: n }, () => store(rng.normal())));
  const refParams = initial.map((p) => p.slice());
  const params = toTyped(initial, dtype);
  const ref = referenceFor(spec, dtype);
  const opt = createOptimizer(spec, SIZES, dtype);
  for (let s = 0; s < steps; s++) {
    if (opts.lrChange && s === opts.lrChange.atStep) {
      opt.setLearningRate(opts.lrChange.lr);
      ref.lr = opts.lrChange.lr;
    }
    const grads = randomGrads(rng, dtype);
    ref.step(refParams, grads);
    opt.step(params, toTyped(grads, dtype));
    expectBitIdentical(params, refParams, `${JSON.stringify(spec)} ${dtype} step ${s + 1}`);
  }
  expect(opt.stepCount).toBe(steps);
  // The run must actually have moved the parameters.
  expect(params[0][0]).not.toBe(initial[0][0]);
}

// ── tests ────────────────────────────────────────────────────────────────────────────────────────────

describe("optimizers match the torch reference bit for bit over 50 steps", () => {
  const cases: [string, OptimizerSpec][] = [
    ["plain SGD", { kind: "sgd", lr: 0.1 }],
    ["SGD + momentum", { kind: "sgd", lr: 0.05, momentum: 0.9 }],
    ["SGD + momentum + dampening", { kind: "sgd", lr: 0.05, momentum: 0.9, dampening: 0.3 }],
    ["SGD + Nesterov", { kind: "sgd", lr: 0.05, momentum: 0.9, nesterov: true }],
    ["SGD + weight decay", { kind: "sgd", lr: 0.1, weightDecay: 0.01 }],
    ["SGD + momentum + weight decay", { kind: "sgd", lr: 0.05, momentum: 0.8, weightDecay: 0.05 }],
    ["Adam defaults", { kind: "adam", lr: 0.001 }],
    ["Adam + weight decay", { kind: "adam", lr: 0.01, weightDecay: 0.1 }],
    ["AdamW defaults (weightDecay 0.01)", { kind: "adamw", lr: 0.001 }],
    ["AdamW + custom betas/eps", { kind: "adamw", lr: 0.01, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.1 }],
    // 1 − β1 = 0.7 ≥ 0.5 takes the other branch of torch's lerp.
    ["Adam with beta1 0.3 (lerp's second formula)", { kind: "adam", lr: 0.01, beta1: 0.3, beta2: 0.9, eps: 1e-3 }],
    ["Adam with beta1 0 and eps 0", { kind: "adam", lr: 0.01, beta1: 0, eps: 0 }],
    // 1 − β1 = 0.5 exactly: torch's lerp takes its second formula (|w| < 0.5 is false), which rounds differently.
    ["Adam with beta1 0.5 (lerp's switch point)", { kind: "adam", lr: 0.01, beta1: 0.5 }],
    ["SGD + Nesterov + weight decay", { kind: "sgd", lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.05 }],
  ];
  for (const [name, spec] of cases) {
    it(`${name} (f64)`, () => runAgainstReference(spec, "f64"));
  }
  for (const [name, spec] of cases.filter((_, i) => [0, 3, 5, 6, 9].includes(i))) {
    it(`${name} (f32: buffers and params rounded when stored)`, () => runAgainstReference(spec, "f32"));
  }
  it("SGD + momentum with setLearningRate midway", () =>
    runAgainstReference({ kind: "sgd", lr: 0.05, momentum: 0.9 }, "f64", { lrChange: { atStep: 25, lr: 0.005 } }));
  it("Adam with setLearningRate midway", () =>
    runAgainstReference({ kind: "adam", lr: 0.01 }, "f64", { lrChange: { atStep: 25, lr: 0.001 } }));
  it("AdamW with setLearningRate midway (decay uses the new lr)", () =>
    runAgainstReference({ kind: "adamw", lr: 0.01, weightDecay: 0.5 }, "f64", { lrChange: { atStep: 20, lr: 0.002 } }));
});

describe("hand-computed first steps", () => {
  const one = (x: number) => [new Float64Array([x])];

  it("SGD: p ← p − lr·g", () => {
    const p = one(1);
    createOptimizer({ kind: "sgd", lr: 0.1 }, [1], "f64").step(p, one(0.5));
    expect(p[0][0]).toBe(0.95); // 1 + (−0.1)·0.5
  });

  it("SGD momentum: buf = g, then buf = 0.9·buf + g", () => {
    const p = one(1);
    const opt = createOptimizer({ kind: "sgd", lr: 0.1, momentum: 0.9 }, [1], "f64");
    opt.step(p, one(0.5));
    expect(p[0][0]).toBe(0.95); // buf = 0.5
    opt.step(p, one(0.5));
    expect(p[0][0]).toBeCloseTo(0.855, 15); // buf = 0.45 + 0.5 = 0.95; 0.95 − 0.095
  });

  it("SGD Nesterov: d = g + 0.9·buf on the first step too", () => {
    const p = one(1);
    createOptimizer({ kind: "sgd", lr: 0.1, momentum: 0.9, nesterov: true }, [1], "f64").step(p, one(0.5));
    expect(p[0][0]).toBeCloseTo(0.905, 15); // d = 0.5 + 0.45 = 0.95; 1 − 0.095
  });

  it("Adam step 1 moves each parameter by −lr·g/(|g| + eps), i.e. about −lr·sign(g)", () => {
    // m = 0.1·g, v = 0.001·g², bias corrections 0.1 and 0.001 cancel them: the step is
    // −0.001 · 0.5 / (0.5 + 1e−8) = −0.00099999998000000040, so p = 0.99900000001999999960.
    const p = [new Float64Array([1, 1, 1])];
    createOptimizer({ kind: "adam", lr: 0.001 }, [3], "f64").step(p, [new Float64Array([0.5, -3, 1e-12])]);
    expect(p[0][0]).toBeCloseTo(0.9990000000199999996, 15);
    expect(p[0][1]).toBeCloseTo(1.001 - 0.001 * (1e-8 / 3.00000001), 15); // 1 + 0.001·3/(3 + 1e−8)
    // For a gradient far below eps the step shrinks: −0.001 · 1e−12 / (1e−12 + 1e−8) ≈ −9.999e−8.
    expect(p[0][2]).toBeCloseTo(1 - 0.001 * (1e-12 / (1e-12 + 1e-8)), 15);
  });

  it("AdamW step 1 first decays p by (1 − lr·wd)", () => {
    const p = one(1);
    createOptimizer({ kind: "adamw", lr: 0.001 }, [1], "f64").step(p, one(0.5));
    // 1·(1 − 0.001·0.01) = 0.99999, then −0.00099999998 → 0.99899000002
    expect(p[0][0]).toBeCloseTo(0.99899000002, 15);
  });

  it("Adam weight decay adds wd·p to the gradient before the moments", () => {
    const p = one(2);
    createOptimizer({ kind: "adam", lr: 0.001, weightDecay: 0.25 }, [1], "f64").step(p, one(-0.5));
    // g' = −0.5 + 0.25·2 = 0 → m = v = 0 → the step is 0/(0 + eps) = 0
    expect(p[0][0]).toBe(2);
  });
});

describe("spec resolution", () => {
  it("fills in torch's defaults", () => {
    expect(resolveOptimizerSpec({ kind: "sgd", lr: 0.1 })).toEqual({
      kind: "sgd",
      lr: 0.1,
      momentum: 0,
      dampening: 0,
      nesterov: false,
      weightDecay: 0,
    });
    expect(resolveOptimizerSpec({ kind: "adam", lr: 0.001 })).toEqual({
      kind: "adam",
      lr: 0.001,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      weightDecay: 0,
    });
    expect(resolveOptimizerSpec({ kind: "adamw", lr: 0.001 })).toEqual({
      kind: "adamw",
      lr: 0.001,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      weightDecay: 0.01,
    });
    expect(createOptimizer({ kind: "adamw", lr: 0.001, weightDecay: 0 }, [], "f64").spec.weightDecay).toBe(0);
  });

  it.each([
    [{ kind: "sgd", lr: -0.1 }, /invalid learning rate.*-0\.1/],
    [{ kind: "adam", lr: Number.NaN }, /invalid learning rate.*NaN/],
    [{ kind: "sgd", lr: 0.1, momentum: -0.5 }, /invalid momentum/],
    [{ kind: "sgd", lr: 0.1, weightDecay: -1 }, /invalid weightDecay/],
    [{ kind: "sgd", lr: 0.1, nesterov: true }, /Nesterov momentum requires a momentum > 0 and zero dampening/],
    [{ kind: "sgd", lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }, /Nesterov.*dampening=0\.1/],
    [{ kind: "adam", lr: 0.1, beta1: 1 }, /invalid beta1: must be in \[0, 1\), got 1/],
    [{ kind: "adamw", lr: 0.1, beta2: -0.1 }, /adamw: invalid beta2/],
    [{ kind: "adam", lr: 0.1, eps: -1e-8 }, /invalid eps/],
    [{ kind: "adamw", lr: 0.1, weightDecay: -0.01 }, /invalid weightDecay/],
    [{ kind: "rmsprop", lr: 0.1 }, /unknown optimizer kind "rmsprop"/],
    [{ kind: "adam", lr: 0.1, betas: [0.9, 0.99] }, /unknown optimizer option "betas" for "adam"/],
    [{ kind: "sgd", lr: 0.1, weight_decay: 0.1 }, /unknown optimizer option "weight_decay"/],
  ])("rejects %j", (spec, message) => {
    expect(() => createOptimizer(spec as unknown as OptimizerSpec, [1], "f64")).toThrow(message);
  });

  it("setLearningRate validates and is reflected in spec", () => {
    const opt = createOptimizer({ kind: "adam", lr: 0.1 }, [1], "f64");
    opt.setLearningRate(0.01);
    expect(opt.spec.lr).toBe(0.01);
    expect(() => opt.setLearningRate(-1)).toThrow(/invalid learning rate/);
    expect(opt.spec.lr).toBe(0.01);
  });
});

describe("step argument checks", () => {
  const opt = createOptimizer({ kind: "sgd", lr: 0.1 }, [2, 3], "f64");
  const p = () => [new Float64Array(2), new Float64Array(3)];

  it("rejects a wrong number of parameters or gradients", () => {
    expect(() => opt.step(p(), [new Float64Array(2)])).toThrow("expected 2 parameters and gradients, got 2 and 1");
  });

  it("rejects wrong lengths, naming the parameter", () => {
    expect(() => opt.step(p(), [new Float64Array(2), new Float64Array(4)])).toThrow(
      "parameter 1 expects 3 values, got parameter 3 and gradient 4",
    );
  });

  it("rejects parameters of the wrong dtype", () => {
    expect(() => opt.step([new Float32Array(2), new Float64Array(3)], p())).toThrow(
      /parameter 0 must be a Float64Array/,
    );
  });

  it("does not count failed steps", () => {
    expect(opt.stepCount).toBe(0);
  });
});

describe("state() / loadState()", () => {
  /** Runs `spec` for `before` steps, snapshots (through JSON, as a checkpoint would), and checks that a
   * fresh optimizer loaded from the snapshot continues bit-identically for `after` steps. */
  function roundTrip(spec: OptimizerSpec, dtype: Dtype, before: number, after: number): void {
    const rng = createRng(55);
    const params = toTyped(
      SIZES.map((n) => Array.from({ length: n }, () => rng.normal())),
      dtype,
    );
    const a = createOptimizer(spec, SIZES, dtype);
    for (let s = 0; s < before; s++) a.step(params, toTyped(randomGrads(rng, dtype), dtype));
    const snapshot = a.state();
    const json = JSON.parse(
      JSON.stringify(snapshot, (_k, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as FloatArray) : v)),
    ) as OptimizerState;
    const paramsB = params.map((x) => x.slice());
    const b = createOptimizer(spec, SIZES, dtype);
    b.loadState(json);
    expect(b.stepCount).toBe(before);
    for (let s = 0; s < after; s++) {
      const g = randomGrads(rng, dtype);
      a.step(params, toTyped(g, dtype));
      b.step(paramsB, toTyped(g, dtype));
    }
    expectBitIdentical(
      paramsB,
      params.map((x) => Array.from(x)),
      `${spec.kind} resumed`,
    );
    expect(b.stepCount).toBe(before + after);
  }

  it("SGD with Nesterov momentum resumes identically", () =>
    roundTrip({ kind: "sgd", lr: 0.05, momentum: 0.9, nesterov: true }, "f64", 20, 30));
  it("SGD without momentum resumes identically", () => roundTrip({ kind: "sgd", lr: 0.05 }, "f64", 5, 5));
  it("Adam resumes identically (bias corrections continue from the step count)", () =>
    roundTrip({ kind: "adam", lr: 0.01 }, "f64", 20, 30));
  it("AdamW f32 resumes identically", () => roundTrip({ kind: "adamw", lr: 0.01 }, "f32", 20, 30));
  it("a snapshot taken before any step resumes identically", () =>
    roundTrip({ kind: "sgd", lr: 0.05, momentum: 0.9 }, "f64", 0, 10));

  it("returns copies with the parameters' dtype", () => {
    const opt = createOptimizer({ kind: "adam", lr: 0.1 }, [2], "f32");
    const p = [new Float32Array([1, 2])];
    opt.step(p, [new Float32Array([0.5, 0.5])]);
    const s = opt.state();
    expect(s).toMatchObject({ kind: "adam", stepCount: 1 });
    expect(s.expAvg?.[0]).toBeInstanceOf(Float32Array);
    (s.expAvg![0] as Float32Array)[0] = 999;
    expect(opt.state().expAvg![0][0]).not.toBe(999);
  });

  it("SGD momentum has no buffer before the first step, like torch", () => {
    const opt = createOptimizer({ kind: "sgd", lr: 0.1, momentum: 0.9 }, [2], "f64");
    expect(opt.state()).toEqual({ kind: "sgd", stepCount: 0 });
  });

  it("rejects snapshots that do not fit, leaving the optimizer untouched", () => {
    const opt = createOptimizer({ kind: "adam", lr: 0.1 }, [2, 3], "f64");
    opt.step([new Float64Array(2), new Float64Array(3)], [new Float64Array([1, 1]), new Float64Array([1, 1, 1])]);
    const good = opt.state();
    expect(() => opt.loadState({ ...good, kind: "sgd" })).toThrow(/state is for "sgd", this optimizer is "adam"/);
    expect(() => opt.loadState({ ...good, stepCount: -1 })).toThrow(/stepCount/);
    expect(() => opt.loadState({ ...good, expAvg: [[0, 0]] })).toThrow(/expAvg must hold 2 buffers, got 1/);
    expect(() =>
      opt.loadState({
        ...good,
        expAvgSq: [
          [0, 0],
          [0, 0],
        ],
      }),
    ).toThrow(/expAvgSq\[1\] must have 3 values, got 2/);
    expect(() => opt.loadState({ kind: "adam", stepCount: 5 })).toThrow(/expAvg must hold 2 buffers, got none/);
    const sgd = createOptimizer({ kind: "sgd", lr: 0.1, momentum: 0.9 }, [2], "f64");
    expect(() => sgd.loadState({ kind: "sgd", stepCount: 3 })).toThrow(/momentumBuffer must hold 1 buffers, got none/);
    expect(opt.state()).toEqual(good);
  });
});

// The checks and corners mutation testing (test/MUTATION.md) found untested: exact messages, options,
// the fused step's view, copies, and values a wrong branch would change.
describe("options and their checks", () => {
  const named = [{ name: "w", shape: [2] }, { name: "b", shape: [1] }];

  it("createTrainerOptimizer refuses a non-object and an unknown (misspelt) option, naming the known ones", () => {
    expect(() => createTrainerOptimizer(null as never, [2, 1], named, "f64")).toThrow(
      "createTrainer: expected options { optimizer, seed?, groups?, clipGradNorm?, clipGradValue?, fastMath? }, got null",
    );
    expect(() => createTrainerOptimizer(5 as never, [2, 1], named, "f64")).toThrow(
      "createTrainer: expected options { optimizer, seed?, groups?, clipGradNorm?, clipGradValue?, fastMath? }, got 5",
    );
    expect(() => createTrainerOptimizer({ optimizer: { kind: "sgd", lr: 0.1 }, clipGradnorm: 1 } as never, [2, 1], named, "f64")).toThrow(
      'createTrainer: unknown option "clipGradnorm"; expected optimizer, seed, groups, clipGradNorm, clipGradValue, fastMath',
    );
  });

  it("createTrainerOptimizer passes groups and clipping through to the optimizer (a seed is the trainer's)", () => {
    const opt = createTrainerOptimizer(
      { optimizer: { kind: "sgd", lr: 0.1 }, seed: 3, groups: [{ params: ["b"], lrScale: 0.5 }], clipGradNorm: 2, clipGradValue: 0.5 },
      [2, 1],
      named,
      "f64",
    );
    expect(opt.groups).toEqual([{ params: ["b"], lrScale: 0.5, weightDecay: 0 }]);
    expect(opt.clip).toEqual({ norm: 2, value: 0.5 });
  });

  it("without options: no groups, no clipping", () => {
    for (const spec of [{ kind: "sgd", lr: 0.1 }, { kind: "adam", lr: 0.1 }] as const) {
      const opt = createOptimizer(spec, [2], "f64");
      expect(opt.groups).toEqual([]);
      expect(opt.clip).toEqual({ norm: 0, value: 0 });
      expect(opt.spec.kind).toBe(spec.kind);
    }
  });

  it.each([
    [null, "optimizer spec must be an object, got null"],
    [5, "optimizer spec must be an object, got 5"],
    [{ kind: "sgd", lr: 0.1, momentum: -0.5 }, "sgd: invalid momentum: must be a finite number >= 0, got -0.5"],
    [{ kind: "sgd", lr: 0.1, dampening: Infinity }, "sgd: invalid dampening: must be a finite number, got Infinity"],
    [{ kind: "sgd", lr: 0.1, weightDecay: -1 }, "sgd: invalid weightDecay: must be a finite number >= 0, got -1"],
    [{ kind: "sgd", lr: 0.1, nesterov: "yes" }, "sgd: nesterov must be a boolean, got yes"],
    [{ kind: "adam", lr: 0.1, beta1: "0.5" }, "adam: invalid beta1: must be in [0, 1), got 0.5"],
    [{ kind: "adam", lr: 0.1, betas: [0.9, 0.99] }, 'unknown optimizer option "betas" for "adam"; expected lr, beta1, beta2, eps, weightDecay'],
  ])("refuses spec %j with the message %j", (spec, message) => {
    expect(() => resolveOptimizerSpec(spec as unknown as OptimizerSpec)).toThrow(message);
  });

  it("accepts a learning rate of 0 (a frozen run) and parameters of size 0", () => {
    const opt = createOptimizer({ kind: "sgd", lr: 0 }, [0, 2], "f64");
    const p = [new Float64Array(0), Float64Array.of(1, 2)];
    opt.step(p, [new Float64Array(0), Float64Array.of(5, 5)]);
    expect(Array.from(p[1])).toEqual([1, 2]);
    opt.setLearningRate(0);
    expect(opt.spec.lr).toBe(0);
  });

  it("refuses a bad dtype, a bad parameter size and non-object options", () => {
    expect(() => createOptimizer({ kind: "sgd", lr: 0.1 }, [1], "f16" as never)).toThrow('unknown dtype "f16": expected "f32" or "f64"');
    expect(() => createOptimizer({ kind: "sgd", lr: 0.1 }, [2, -1], "f64")).toThrow("parameter 1: size must be a non-negative integer, got -1");
    expect(() => createOptimizer({ kind: "sgd", lr: 0.1 }, [1.5], "f64")).toThrow("parameter 0: size must be a non-negative integer, got 1.5");
    expect(() => createOptimizer({ kind: "sgd", lr: 0.1 }, [1], "f64", null as never)).toThrow("optimizer options must be an object, got null");
    expect(() => createOptimizer({ kind: "sgd", lr: 0.1 }, [1], "f64", 5 as never)).toThrow("optimizer options must be an object, got 5");
    expect(() => createOptimizer({ kind: "sgd", lr: 0.1 }, [1], "f64", { groups: [{ params: ["w"] }] })).toThrow(
      "optimizer groups need the 1 parameters' names and shapes (options.params), got none",
    );
    expect(() => createOptimizer({ kind: "sgd", lr: 0.1 }, [1, 1], "f64", { params: [{ name: "w", shape: [1] }], groups: [{ params: ["w"] }] })).toThrow(
      "optimizer groups need the 2 parameters' names and shapes (options.params), got 1",
    );
    expect(() => createOptimizer({ kind: "sgd", lr: 0.1 }, [1], "f64", { clipGradNorm: 0 })).toThrow("clipGradNorm must be a finite number > 0, got 0");
    expect(() => createOptimizer({ kind: "sgd", lr: 0.1 }, [1], "f64", { clipGradValue: -1 })).toThrow("clipGradValue must be a finite number > 0, got -1");
  });

  it("an empty list of groups needs no parameter names: it is no groups", () => {
    const opt = createOptimizer({ kind: "sgd", lr: 0.1 }, [1], "f64", { groups: [] });
    expect(opt.groups).toEqual([]);
  });

  it("keeps its own copy of the sizes", () => {
    const sizes = [2];
    const opt = createOptimizer({ kind: "sgd", lr: 0.1 }, sizes, "f64");
    sizes[0] = 3;
    const p = [Float64Array.of(1, 1)];
    opt.step(p, [Float64Array.of(1, 1)]);
    expect(Array.from(p[0])).toEqual([0.9, 0.9]);
  });
});

describe("groups and clipping in step", () => {
  const named = [{ name: "w", shape: [1] }, { name: "b", shape: [1] }];

  it("a group's lrScale and weightDecay apply to its parameters only", () => {
    const opt = createOptimizer({ kind: "sgd", lr: 0.1, weightDecay: 0.5 }, [1, 1], "f64", { params: named, groups: [{ params: ["b"], lrScale: 0.5, weightDecay: 0 }] });
    const p = [Float64Array.of(2), Float64Array.of(2)];
    opt.step(p, [Float64Array.of(1), Float64Array.of(1)]);
    expect(p[0][0]).toBe(2 + -0.1 * (1 + 0.5 * 2)); // the spec's lr and decay
    expect(p[1][0]).toBe(2 + -0.05 * 1); // lr · 0.5, no decay
    const adam = createOptimizer({ kind: "adamw", lr: 0.1 }, [1, 1], "f64", { params: named, groups: [{ params: ["w"], lrScale: 0 }] });
    const q = [Float64Array.of(2), Float64Array.of(2)];
    adam.step(q, [Float64Array.of(1), Float64Array.of(1)]);
    expect(q[0][0]).toBe(2); // lr 0: neither decay nor step
    expect(q[1][0]).toBeLessThan(2);
  });

  it("clips gradients by value, then by norm, before the update", () => {
    const byValue = createOptimizer({ kind: "sgd", lr: 1 }, [2], "f64", { clipGradValue: 0.5 });
    const p = [Float64Array.of(0, 0)];
    byValue.step(p, [Float64Array.of(3, -0.25)]);
    expect(Array.from(p[0])).toEqual([-0.5, 0.25]);
    const byNorm = createOptimizer({ kind: "sgd", lr: 1 }, [2], "f64", { clipGradNorm: 1 });
    const q = [Float64Array.of(0, 0)];
    byNorm.step(q, [Float64Array.of(3, 4)]);
    expect(q[0][0]).toBeCloseTo(-0.6, 6); // (3, 4) · 1/(5 + 1e−6)
    expect(q[0][1]).toBeCloseTo(-0.8, 6);
  });
});

describe("clipping gradients that share an array", () => {
  // A generated module hands two parameters one array when their gradients are one value (an LSTM's b_ih
  // and b_hh), and a gradient may be a parameter's own array (∂(½‖W‖²)/∂W = W).
  it("scales a shared array once, counts it once per parameter in the norm, and moves no parameter early", () => {
    const named = [{ name: "a", shape: [2] }, { name: "b", shape: [2] }, { name: "w", shape: [2] }];
    const shared = Float64Array.of(3, 4);
    const w = Float64Array.of(0, 5);
    const params = [Float64Array.of(1, 1), Float64Array.of(2, 2), w];
    createOptimizer({ kind: "sgd", lr: 1 }, [2, 2, 2], "f64", { params: named, clipGradNorm: 1 }).step(params, [shared, shared, w]);
    // The norm of (3, 4), (3, 4), (0, 5): √75; every gradient × 1/(√75 + 1e−6), each parameter moved by its own.
    const c = 1 / (Math.sqrt(75) + 1e-6);
    expect(Array.from(params[0]!)).toEqual([1 - 3 * c, 1 - 4 * c]);
    expect(Array.from(params[1]!)).toEqual([2 - 3 * c, 2 - 4 * c]);
    expect(Array.from(params[2]!)).toEqual([0, 5 - 5 * c]);
    const byValue = [Float64Array.of(0, 0), Float64Array.of(0, 0)];
    const g = Float64Array.of(3, -0.25);
    createOptimizer({ kind: "sgd", lr: 1 }, [2, 2], "f64", { clipGradValue: 0.5 }).step(byValue, [g, g]);
    expect(byValue.map((p) => Array.from(p))).toEqual([[-0.5, 0.25], [-0.5, 0.25]]);
  });
});

describe("the fused step's view (what generated trainers read)", () => {
  it("SGD: the rule, the decay flag, and the momentum buffers (none for plain SGD)", () => {
    const plain = createOptimizer({ kind: "sgd", lr: 0.1 }, [2, 1], "f64").beginFusedStep();
    expect(plain.scalars[UPDATE.rule]).toBe(UPDATE.SGD);
    expect(plain.scalars[UPDATE.sgd.decay]).toBe(0);
    expect(plain.first).toEqual([]);
    expect(plain.second).toEqual([]);
    const momentum = createOptimizer({ kind: "sgd", lr: 0.1, momentum: 0.9, weightDecay: 0.1 }, [2, 1], "f64");
    const view = momentum.beginFusedStep();
    expect(view.scalars[UPDATE.rule]).toBe(UPDATE.SGD_MOMENTUM);
    expect(view.scalars[UPDATE.sgd.decay]).toBe(1);
    expect(view.first.map((b) => b.length)).toEqual([2, 1]);
    expect(view.second).toEqual([]);
    // The live buffers: what the fused step writes is the optimizer's state.
    (view.first[0] as Float64Array)[1] = 7;
    expect(momentum.state().momentumBuffer![0][1]).toBe(7);
  });

  it("Adam and AdamW: a decay flag only when weightDecay ≠ 0, and the live moments", () => {
    for (const kind of ["adam", "adamw"] as const) {
      const off = createOptimizer({ kind, lr: 0.1, weightDecay: 0 }, [1], "f64").beginFusedStep().scalars;
      expect([off[UPDATE.rule], off[UPDATE.adam.coupledDecay], off[UPDATE.adam.decoupledDecay]]).toEqual([UPDATE.ADAM, 0, 0]);
      const on = createOptimizer({ kind, lr: 0.1, weightDecay: 0.1 }, [1], "f64").beginFusedStep().scalars;
      expect([on[UPDATE.adam.coupledDecay], on[UPDATE.adam.decoupledDecay]]).toEqual(kind === "adam" ? [1, 0] : [0, 1]);
    }
  });

  // The bias corrections skip `**` once β^step < 2^-60 (optim.ts, BiasCorrection): every step's scalars
  // must still be torch's `1 - beta ** step`, before, at and after that step, and after loadState moves
  // the count back below it.
  it.each([
    [0.9, 0.999, 50_000],
    [0.5, 0.9, 1_000],
    [0, 0.99, 6_000],
  ])("Adam's bias corrections with betas (%d, %d) equal 1 − β^step bit for bit over %d steps", (beta1, beta2, steps) => {
    const lr = 0.01;
    const opt = createOptimizer({ kind: "adam", lr, beta1, beta2 }, [1], "f64");
    const expectStep = (step: number): void => {
      const sc = opt.beginFusedStep().scalars;
      const want = [-(lr / (1 - beta1 ** step)), Math.sqrt(1 - beta2 ** step)];
      const got = [sc[UPDATE.adam.negStepSize], sc[UPDATE.adam.biasCorrection2Sqrt]];
      if (!Object.is(got[0], want[0]) || !Object.is(got[1], want[1])) throw new Error(`step ${step}: [${got}], torch's [${want}]`);
    };
    for (let step = 1; step <= steps; step++) expectStep(step);
    // Both powers are below 2^-60 by the last step: the skip was taken (else this tests nothing new).
    expect(Math.max(beta1 ** steps, beta2 ** steps)).toBeLessThan(2 ** -60);
    expect(1 - beta2 ** (steps / 10)).toBeLessThan(1);
    opt.loadState({ kind: "adam", stepCount: 9, expAvg: [[0]], expAvgSq: [[0]] });
    for (let step = 10; step <= 40; step++) expectStep(step);
  });

  it("no SGD momentum buffers are kept when momentum is 0, as torch keeps none", () => {
    const opt = createOptimizer({ kind: "sgd", lr: 0.1 }, [2], "f64");
    opt.step([new Float64Array(2)], [Float64Array.of(1, 1)]);
    expect(opt.state()).toEqual({ kind: "sgd", stepCount: 1 });
  });
});

describe("values a wrong branch would change", () => {
  // torch adds no decay term when weight_decay = 0; adding 0·p would turn an infinite parameter into NaN.
  it.each([
    { kind: "sgd", lr: 0.1 },
    { kind: "sgd", lr: 0.1, momentum: 0.9 },
    { kind: "adam", lr: 0.1 },
  ] as OptimizerSpec[])("%j: an infinite parameter stays infinite with weightDecay 0", (spec) => {
    const opt = createOptimizer(spec, [2], "f64");
    const p = [Float64Array.of(Infinity, -Infinity)];
    opt.step(p, [Float64Array.of(1, 1)]);
    opt.step(p, [Float64Array.of(1, 1)]);
    expect(Array.from(p[0])).toEqual([Infinity, -Infinity]);
  });

  it("state() returns copies of SGD's momentum buffers and Adam's second moments", () => {
    const sgd = createOptimizer({ kind: "sgd", lr: 0.1, momentum: 0.9 }, [1], "f64");
    sgd.step([new Float64Array(1)], [Float64Array.of(1)]);
    (sgd.state().momentumBuffer![0] as Float64Array)[0] = 99;
    expect(sgd.state().momentumBuffer![0][0]).toBe(1);
    const adam = createOptimizer({ kind: "adam", lr: 0.1 }, [1], "f64");
    adam.step([new Float64Array(1)], [Float64Array.of(1)]);
    const v = adam.state().expAvgSq![0][0];
    (adam.state().expAvgSq![0] as Float64Array)[0] = 99;
    expect(adam.state().expAvgSq![0][0]).toBe(v);
  });

  it("Adam: a snapshot of step 0 without buffers resets the moments", () => {
    const opt = createOptimizer({ kind: "adam", lr: 0.1 }, [2], "f64");
    opt.step([new Float64Array(2)], [Float64Array.of(1, 2)]);
    opt.loadState({ kind: "adam", stepCount: 0 });
    expect(opt.state()).toEqual({ kind: "adam", stepCount: 0, expAvg: [new Float64Array(2)], expAvgSq: [new Float64Array(2)] });
  });

  it("Adam: a snapshot of step 0 that has one moment list must have both (they are loaded, not dropped)", () => {
    const opt = createOptimizer({ kind: "adam", lr: 0.1 }, [2], "f64");
    expect(() => opt.loadState({ kind: "adam", stepCount: 0, expAvg: [[1, 2]] })).toThrow("optimizer state: expAvgSq must hold 1 buffers, got none");
    expect(() => opt.loadState({ kind: "adam", stepCount: 0, expAvgSq: [[1, 2]] })).toThrow("optimizer state: expAvg must hold 1 buffers, got none");
    opt.loadState({ kind: "adam", stepCount: 0, expAvg: [[1, 2]], expAvgSq: [[3, 4]] });
    expect(opt.state()).toEqual({ kind: "adam", stepCount: 0, expAvg: [Float64Array.of(1, 2)], expAvgSq: [Float64Array.of(3, 4)] });
  });

  it("step names a parameter list or a parameter of the wrong size even when the gradients fit", () => {
    const opt = createOptimizer({ kind: "sgd", lr: 0.1 }, [2, 3], "f64");
    const g = [new Float64Array(2), new Float64Array(3)];
    expect(() => opt.step([new Float64Array(2)], g)).toThrow("expected 2 parameters and gradients, got 1 and 2");
    expect(() => opt.step([new Float64Array(2), new Float64Array(4)], g)).toThrow("parameter 1 expects 3 values, got parameter 4 and gradient 3");
  });

  it("loadState refuses a non-object and a missing buffer, naming it", () => {
    const opt = createOptimizer({ kind: "adam", lr: 0.1 }, [2], "f64");
    expect(() => opt.loadState(null as never)).toThrow("optimizer state must be an object");
    expect(() => opt.loadState(5 as never)).toThrow("optimizer state must be an object");
    expect(() => opt.loadState({ kind: "adam", stepCount: 1, expAvg: [undefined as never], expAvgSq: [[0, 0]] })).toThrow(
      "optimizer state: expAvg[0] must have 2 values, got undefined",
    );
  });
});
