// onecycle, exponential and reduceOnPlateau against the rates torch 1.13's OneCycleLR, ExponentialLR and
// ReduceLROnPlateau computed (test/fixtures/schedules/make.py wrote torch.json), bit for bit; and
// reduceOnPlateau inside fit: its state goes into checkpoints and a resumed run continues it exactly.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromArrays, type Dataset } from "../../runtime/data.js";
import { isGradcError } from "../../runtime/errors.js";
import { plateauStart, plateauStep, schedules, type OneCycleOptions, type PlateauOptions } from "../../runtime/schedules.js";
import { fit } from "../../runtime/train.js";
import { loadTrainingCheckpoint, saveTrainingCheckpoint, type CheckpointTrainer } from "../../runtime/trainCheckpoint.js";
import { compileAndImport, type GeneratedModule } from "../helpers/compiled.js";

interface Case {
  readonly options: Record<string, unknown>;
  readonly lrs: number[];
  readonly stepsPerEpoch?: number;
  readonly metrics?: number[];
}
const fixture = JSON.parse(readFileSync(new URL("../fixtures/schedules/torch.json", import.meta.url), "utf8")) as { torch: string; cases: Record<string, Case> };
const cases = Object.entries(fixture.cases);
const named = (prefix: string) => cases.filter(([name]) => name.startsWith(prefix));

/** The distance in units in the last place between two doubles of one sign. */
function ulps(a: number, b: number): number {
  const view = new DataView(new ArrayBuffer(16));
  view.setFloat64(0, a);
  view.setFloat64(8, b);
  return Number(view.getBigInt64(0) - view.getBigInt64(8)) * (a < b ? -1 : 1);
}

/**
 * Every rate equal to torch's, bit for bit; where the formula takes a cosine, a few rates may be within
 * `cos.ulps` units in the last place: V8's Math.cos is not the C library's cos that Python calls and
 * differs from it in the last bit for some arguments (0.5611870653623823 vs …824 at step 9 of
 * onecycle_default), which end + (start − end)/2·(cos + 1) turns into up to a few ulps of the rate
 * (the sum cancels). At most `cos.misses` rates may differ at all.
 */
function expectBits(ours: readonly number[], torch: readonly number[], cos = { ulps: 0, misses: 0 }): void {
  expect(ours).toHaveLength(torch.length);
  let misses = 0;
  ours.forEach((v, i) => {
    if (Object.is(v, torch[i])) return;
    misses++;
    if (Math.abs(ulps(v, torch[i]!)) > cos.ulps) expect.fail(`at ${i}: ${v} ≠ torch's ${torch[i]}`);
  });
  expect(misses, "rates off by the last bit").toBeLessThanOrEqual(cos.misses);
}

describe(`schedules = torch ${fixture.torch}'s schedulers, bit for bit`, () => {
  it("the fixture holds every case (a renamed case must not pass vacuously)", () => {
    expect(named("onecycle")).toHaveLength(3);
    expect(named("exponential")).toHaveLength(2);
    expect(named("plateau")).toHaveLength(3);
  });

  for (const [name, c] of named("onecycle")) {
    it(`${name}: OneCycleLR(cycle_momentum=False), per step`, () => {
      const schedule = schedules.onecycle(c.options as unknown as OneCycleOptions);
      const perEpoch = c.stepsPerEpoch ?? 10;
      const cosine = (c.options.anneal ?? "cos") === "cos";
      expectBits(c.lrs.map((_, step) => schedule(step, perEpoch)), c.lrs, cosine ? { ulps: 8, misses: Math.ceil(c.lrs.length / 20) } : undefined);
    });
  }

  for (const [name, c] of named("exponential")) {
    it(`${name}: ExponentialLR stepped per epoch`, () => {
      const schedule = schedules.exponential(c.options as { lr: number; gamma: number });
      const perEpoch = 7;
      expectBits(c.lrs.map((_, epoch) => schedule(epoch * perEpoch, perEpoch)), c.lrs);
      // Every step of an epoch has the epoch's rate.
      expect(schedule(3 * perEpoch + 6, perEpoch)).toBe(c.lrs[3]);
    });
  }

  for (const [name, c] of named("plateau")) {
    it(`${name}: ReduceLROnPlateau.step(metric) at each epoch's end`, () => {
      const rule = schedules.reduceOnPlateau(c.options as unknown as PlateauOptions).plateau!;
      let state = plateauStart(rule);
      const lrs = [state.lr];
      for (const m of c.metrics!) {
        state = plateauStep(rule, state, m);
        lrs.push(state.lr);
      }
      expectBits(lrs, c.lrs);
      expect(new Set(c.lrs).size, "the case reduces the rate at least once").toBeGreaterThan(1);
    });
  }

  it("onecycle refuses a step past its cycle, as torch does, and bad settings", () => {
    const s = schedules.onecycle({ maxLr: 0.1, totalSteps: 10 });
    expect(() => s(10, 5)).toThrow(/step 11 is past the cycle's 10 steps/);
    expect(() => schedules.onecycle({ maxLr: 0.1 })).toThrow(/give totalSteps, or epochs/);
    expect(() => schedules.onecycle({ maxLr: 0.1, totalSteps: 10, pctStart: 1.5 })).toThrow(/pctStart must be between 0 and 1/);
    // With epochs, the cycle's length comes from fit's steps per epoch.
    expect(schedules.onecycle({ maxLr: 0.1, epochs: 2 })(19, 10)).toBeCloseTo(0.1 / 25 / 1e4, 12);
  });

  it("reduceOnPlateau refuses torch's invalid settings and being called outside fit", () => {
    expect(() => schedules.reduceOnPlateau({ lr: 0.1, factor: 1 })).toThrow(/factor must be < 1/);
    expect(() => schedules.reduceOnPlateau({ lr: 0.1, mode: "up" as "min" })).toThrow(/mode must be "min" or "max"/);
    expect(() => schedules.reduceOnPlateau({ lr: 0.1 })(0, 1)).toThrow(/pass it to fit/);
  });
});

describe("reduceOnPlateau in fit", () => {
  let mod: GeneratedModule;
  const dir = mkdtempSync(path.join(tmpdir(), "gradc-plateau-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeAll(async () => {
    const { model, input, param, matmul, add, tanh, mse } = await import("../../compiler/dsl/index.js");
    const def = model("wave", () => {
      const x = input("x", ["batch", 1]);
      const y = input("y", ["batch", 1]);
      const W1 = param("W1", [1, 8], { init: "xavier" });
      const b1 = param("b1", [8], { init: "zeros" });
      const W2 = param("W2", [8, 1], { init: "xavier" });
      const b2 = param("b2", [1], { init: "zeros" });
      return { loss: mse(add(matmul(tanh(add(matmul(x, W1), b1)), W2), b2), y), outputs: { out: add(matmul(tanh(add(matmul(x, W1), b1)), W2), b2) } };
    });
    mod = (await compileAndImport(def, { dtype: "f64" })).module;
  });
  const data = (): Dataset => {
    const x = Array.from({ length: 40 }, (_, i) => i / 10 - 2);
    return fromArrays({ x: { shape: [1], dtype: "f64", values: x }, y: { shape: [1], dtype: "f64", values: x.map((v) => Math.sin(2 * v)) } });
  };
  const trainer = (seed = 1) => mod.createTrainer(mod.initParams(seed), { optimizer: { kind: "sgd", lr: 0.5 } }) as unknown as CheckpointTrainer;
  // A high rate on a small problem: the test loss stalls soon, so the rule reduces it within a few epochs.
  const plateau = () => schedules.reduceOnPlateau({ lr: 0.5, patience: 1, factor: 0.5, threshold: 0.05 });
  const options = { epochs: 12, batchSize: 8, seed: 3, progress: false as const, regression: { output: "out", target: "y" } };

  it("sets each epoch's rate from the rule and the test loss, and reports regression metrics", () => {
    const ds = data();
    const r = fit(trainer(), ds, { ...options, test: ds, schedule: plateau() });
    const rates = r.history.map((h) => h.learningRate);
    expect(rates[0]).toBe(0.5);
    expect(Math.min(...rates)).toBeLessThan(0.5); // it reduced
    // Each epoch's rate is what the rule gives for the test losses before it.
    const rule = plateau().plateau!;
    let s = plateauStart(rule);
    r.history.forEach((h) => {
      expect(h.learningRate).toBe(s.lr);
      s = plateauStep(rule, s, h.testLoss!);
    });
    expect(r.state.plateau).toEqual(s);
    const last = r.history.at(-1)!;
    expect(last.testMse).toBeCloseTo(last.testLoss!, 12); // the loss is the MSE
    expect(last.testR2).toBeGreaterThan(0);
    expect(last.testR2).toBeLessThanOrEqual(1);
  });

  it("a run resumed from a checkpoint continues the rule's state bit for bit (mid-epoch and at an epoch end)", () => {
    const ds = data();
    const straight = fit(trainer(), ds, { ...options, test: ds, schedule: plateau() });
    for (const stopAt of [27, 35]) {
      const file = path.join(dir, `wave-${stopAt}.ckpt`);
      const first = trainer();
      const part = fit(first, ds, { ...options, test: ds, schedule: plateau(), maxSteps: stopAt });
      expect(part.state.plateau!.lr, "stopped after a reduction").toBeLessThan(0.5);
      saveTrainingCheckpoint(file, first, part.state);
      const second = trainer(99);
      const resume = loadTrainingCheckpoint(file, second, { warn: (m) => expect.fail(`unexpected warning: ${m}`) });
      expect(resume.plateau).toEqual(part.state.plateau);
      const rest = fit(second, ds, { ...options, test: ds, schedule: plateau(), resume });
      const joined = [...part.losses, ...rest.losses];
      expect(joined).toHaveLength(straight.losses.length);
      joined.forEach((l, k) => expect(Object.is(l, straight.losses[k]), `step ${k + 1}`).toBe(true));
      expect(rest.history.map((h) => h.learningRate)).toEqual(straight.history.map((h) => h.learningRate));
      expect(rest.state.plateau).toEqual(straight.state.plateau);
    }
  });

  it("without a test set, a rule on the test loss is a usage error naming the metric", () => {
    let error: unknown;
    try {
      fit(trainer(), data(), { ...options, epochs: 1, schedule: plateau() });
    } catch (e) {
      error = e;
    }
    expect(isGradcError(error) && error.message).toMatch(/reduceOnPlateau on testLoss, but fit has no test set/);
  });
});
