// Resuming tells the truth (runtime/resume.ts, runtime/trainCheckpoint.ts): every field of a
// checkpoint's training state is checked (GC3004 naming the file and the field, never a RangeError);
// a resume with other settings than the saved run's says what differs and how to continue the saved
// run exactly; another optimizer gets the parameters and starts fresh; old states still load.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { model, input, param, matmul, add, tanh, softmaxCrossEntropy } from "../../compiler/dsl/index.js";
import { loadCheckpoint, saveCheckpoint } from "../../runtime/checkpoint.js";
import { fromArrays, type Dataset } from "../../runtime/data.js";
import { codes, isGradcError, type GradcError } from "../../runtime/errors.js";
import { checkFitState, describeResumeChanges, type RunConfig } from "../../runtime/resume.js";
import { fit, type FitOptions, type FitState } from "../../runtime/train.js";
import { loadTrainingCheckpoint, saveTrainingCheckpoint, type CheckpointTrainer } from "../../runtime/trainCheckpoint.js";
import { compileAndImport, type GeneratedModule } from "../helpers/compiled.js";

const dir = mkdtempSync(path.join(tmpdir(), "gradc-resume-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const net = model("blobs", () => {
  const x = input("x", ["batch", 2]);
  const y = input("y", ["batch"], { dtype: "int" });
  const W1 = param("W1", [2, 6], { init: "xavier" });
  const b1 = param("b1", [6], { init: "zeros" });
  const W2 = param("W2", [6, 3], { init: "xavier" });
  const b2 = param("b2", [3], { init: "zeros" });
  return { loss: softmaxCrossEntropy(add(matmul(tanh(add(matmul(x, W1), b1)), W2), b2), y), outputs: {} };
});

let mod: GeneratedModule;
beforeAll(async () => {
  mod = (await compileAndImport(net, { dtype: "f64" })).module;
});

/** 50 samples: batches of 16 are 16 + 16 + 16 + 2. */
function blobs(): Dataset {
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < 50; i++) {
    x.push(Math.cos((i % 3) * 2.1) * 3 + Math.sin(i * 12.9898) * 0.5, Math.sin((i % 3) * 2.1) * 3 + Math.cos(i * 78.233) * 0.5);
    y.push(i % 3);
  }
  return fromArrays({ x: { shape: [2], dtype: "f64", values: x }, y: { shape: [], dtype: "i32", values: y } });
}

const trainer = (optimizer: Record<string, unknown> = { kind: "adam", lr: 0.05 }) => mod.createTrainer(mod.initParams(1), { optimizer }) as unknown as CheckpointTrainer;
const options = (extra: Partial<FitOptions> = {}): FitOptions => ({ epochs: 3, batchSize: 16, seed: 7, progress: false, evaluateTrain: false, ...extra });

function thrown(f: () => unknown): GradcError {
  try {
    f();
  } catch (e) {
    if (isGradcError(e)) return e;
    throw e;
  }
  throw new Error("expected an error");
}

/** A checkpoint whose training state is the real one (at step 6: epoch 1, batch 2) with `edit` applied. */
function crafted(name: string, edit: (fit: Record<string, unknown>) => void): string {
  const t = trainer();
  const part = fit(t, blobs(), options({ maxSteps: 6 }));
  const state = JSON.parse(JSON.stringify(part.state)) as Record<string, unknown>;
  edit(state);
  const file = path.join(dir, `${name}.ckpt`);
  saveCheckpoint(file, { spec: t.spec, params: t.params, optimizer: t.optimizer.state(), step: 6, epoch: 1, extra: { fit: state } });
  return file;
}

describe("every field of a checkpoint's training state is checked", () => {
  const run = { samples: 50, batchSize: 16, seed: 7 };
  const cases: [string, (fit: Record<string, unknown>) => void, RegExp][] = [
    ["a batch position past the epoch", (f) => (f.batch = 999), /the training state's "batch" is 999, but an epoch of 50 samples in batches of 16 has 4 batches \(0 … 3\)$/],
    ["a negative batch", (f) => (f.batch = -1), /"batch" is -1, expected a non-negative integer$/],
    ["a fractional epoch", (f) => (f.epoch = 1.5), /"epoch" is 1.5, expected a non-negative integer$/],
    ["a step that is text", (f) => (f.step = "6"), /"step" is "6", expected a non-negative integer$/],
    ["a missing sample count", (f) => delete f.epochSamples, /"epochSamples" is missing, expected a non-negative integer$/],
    ["a sample count that disagrees with the position", (f) => (f.epochSamples = 7), /"epochSamples" is 7, but 2 batches of 16 of 50 samples hold 32$/],
    ["a loss sum that is text", (f) => (f.epochLossSum = "x"), /"epochLossSum" is "x", expected a number$/],
    ["a history that is not a list", (f) => (f.history = {}), /"history" is not a list of epoch records$/],
    ["a history shorter than the epochs", (f) => (f.history = []), /"history" holds 0 epoch records, but "epoch" says 1 epochs are complete$/],
    ["an epoch record out of order", (f) => ((f.history as Record<string, unknown>[])[0]!.epoch = 5), /"history\[0\]" has epoch 5, expected 1/],
    ["an epoch record without steps", (f) => delete (f.history as Record<string, unknown>[])[0]!.steps, /"history\[0\]" has steps undefined, expected a non-negative integer$/],
    ["a bad early-stopping record", (f) => (f.best = { value: 1, epoch: 9, waited: 0 }), /"best" is \{"value":1,"epoch":9,"waited":0\}, expected \{ value, epoch, waited \} of a completed epoch$/],
    ["a batch size of 0 in the run's settings", (f) => ((f.config as Record<string, unknown>).batchSize = 0), /"config" has batchSize 0, expected an integer >= 1$/],
    ["an unknown optimizer in the run's settings", (f) => ((f.config as Record<string, unknown>).optimizer = { kind: "rmsprop", lr: 1 }), /"config" has optimizer \{"kind":"rmsprop","lr":1\}/],
  ];
  for (const [what, edit, message] of cases) {
    it(`${what}: GC3004 naming the file and the field`, () => {
      const file = crafted(what.replace(/\W+/g, "-"), edit);
      const e = thrown(() => loadTrainingCheckpoint(file, trainer(), { run, warn: () => {} }));
      expect(e.code).toBe(codes.checkpoint);
      expect(e.message.startsWith(`checkpoint ${file}: the training state's `)).toBe(true);
      expect(e.message).toMatch(message);
    });
  }

  it("a state handed to fit directly is checked the same way (no RangeError from the progress bar)", () => {
    const state = JSON.parse(JSON.stringify(fit(trainer(), blobs(), options({ maxSteps: 6 })).state)) as FitState;
    const e = thrown(() => fit(trainer(), blobs(), options({ resume: { ...state, batch: 999 } })));
    expect(e.code).toBe(codes.checkpoint);
    expect(e.message).toMatch(/^fit: options\.resume: the training state's "batch" is 999/);
  });

  it("a bad dropout generator state and an inconsistent step are GC3004 too", () => {
    const t = trainer();
    const part = fit(t, blobs(), options({ maxSteps: 6 }));
    const file = path.join(dir, "rng.ckpt");
    saveCheckpoint(file, { spec: t.spec, params: t.params, optimizer: t.optimizer.state(), step: 6, extra: { fit: JSON.parse(JSON.stringify(part.state)), rng: [0, 0, 0, 0] } });
    expect(thrown(() => loadTrainingCheckpoint(file, trainer()))).toMatchObject({ code: codes.checkpoint, message: expect.stringMatching(/has a bad dropout generator state/) });
    saveCheckpoint(file, { spec: t.spec, params: t.params, optimizer: t.optimizer.state(), step: 5, extra: { fit: JSON.parse(JSON.stringify(part.state)) } });
    expect(thrown(() => loadTrainingCheckpoint(file, trainer()))).toMatchObject({ code: codes.checkpoint, message: `checkpoint ${file} is inconsistent: step 5, training state at step 6` });
  });

  it("a state saved before runs recorded their settings (no config, null losses) still loads and resumes exactly", () => {
    const straight = fit(trainer(), blobs(), options());
    const first = trainer();
    const part = fit(first, blobs(), options({ maxSteps: 6 }));
    const old = JSON.parse(JSON.stringify(part.state)) as Record<string, unknown>;
    delete old.config;
    (old.history as Record<string, unknown>[])[0]!.testLoss = null; // a NaN that went through JSON
    const file = path.join(dir, "old.ckpt");
    saveCheckpoint(file, { spec: first.spec, params: first.params, optimizer: first.optimizer.state(), step: 6, epoch: 1, extra: { fit: old } });
    const warnings: string[] = [];
    const second = trainer();
    const resume = loadTrainingCheckpoint(file, second, { warn: (m) => warnings.push(m), run: { samples: 50, batchSize: 16, seed: 7 } });
    expect(warnings).toEqual([]);
    expect(Number.isNaN(resume.history[0]!.testLoss)).toBe(true);
    const rest = fit(second, blobs(), options({ resume }));
    expect(Array.from([...part.losses, ...rest.losses])).toEqual(Array.from(straight.losses));
  });
});

describe("a resume with other settings says so", () => {
  const config = (extra: Partial<RunConfig> = {}): RunConfig => ({ batchSize: 16, seed: 7, shuffle: true, samples: 50, optimizer: { kind: "adam", lr: 0.05, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 }, ...extra });

  it("names each difference and how to continue the saved run exactly; says nothing when nothing differs", () => {
    expect(describeResumeChanges(config(), config())).toBeUndefined();
    const m = describeResumeChanges(config(), config({ batchSize: 8, seed: 1, optimizer: { ...config().optimizer, lr: 0.01 } as RunConfig["optimizer"] }))!;
    expect(m).toBe(
      "resuming with settings that differ from the saved run's: learning rate 0.01 (the saved run: 0.05), batch size 8 (the saved run: 16), seed 1 (the saved run: 7). " +
        "The run goes on from the checkpoint as a new run (fine-tuning); it does not reproduce the saved run continued with its own settings " +
        "(another batch size also changes the steps per epoch). To continue the saved run exactly, resume with learning rate 0.05, batch size 16, seed 7",
    );
    expect(describeResumeChanges(config(), config({ samples: 60 }))).toMatch(/a training set of 60 samples \(the saved run: 50\).*resume with its training data$/);
  });

  it("names changed clipping and parameter groups, which fit records from the trainer", () => {
    const clipped = mod.createTrainer(mod.initParams(1), { optimizer: { kind: "adamw", lr: 0.05 }, clipGradNorm: 1, groups: [{ params: /^b/, weightDecay: 0 }] } as never) as unknown as CheckpointTrainer;
    const part = fit(clipped, blobs(), options({ maxSteps: 5 }));
    expect(part.state.config).toMatchObject({ clipGradNorm: 1, groups: [{ params: ["b1", "b2"], lrScale: 1, weightDecay: 0 }] });
    expect(part.state.config?.clipGradValue).toBeUndefined();
    // The recorded settings survive a checkpoint (checkFitState keeps them).
    const file = path.join(dir, "clipped.ckpt");
    saveTrainingCheckpoint(file, clipped, part.state);
    const warnings: string[] = [];
    const plain = mod.createTrainer(mod.initParams(1), { optimizer: { kind: "adamw", lr: 0.05 }, clipGradValue: 0.5 } as never) as unknown as CheckpointTrainer;
    loadTrainingCheckpoint(file, plain, { warn: (m) => warnings.push(m), run: { samples: 50, batchSize: 16, seed: 7 } });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/parameter groups none \(the saved run: \[b1, b2: lr ×1, weight decay 0\]\), clipGradNorm off \(the saved run: 1\), clipGradValue 0\.5 \(the saved run: off\)/);
    expect(warnings[0]).toMatch(/resume with parameter groups \[b1, b2: lr ×1, weight decay 0\], clipGradNorm 1, clipGradValue off$/);
    // The same settings: no warning.
    const same = mod.createTrainer(mod.initParams(1), { optimizer: { kind: "adamw", lr: 0.05 }, clipGradNorm: 1, groups: [{ params: ["b1", "b2"], weightDecay: 0 }] } as never) as unknown as CheckpointTrainer;
    const quiet: string[] = [];
    loadTrainingCheckpoint(file, same, { warn: (m) => quiet.push(m), run: { samples: 50, batchSize: 16, seed: 7 } });
    expect(quiet).toEqual([]);
  });

  it("fit records the settings; loadTrainingCheckpoint warns with the file; another optimizer kind gets the parameters and a fresh optimizer", () => {
    const t = trainer();
    const part = fit(t, blobs(), options({ epochs: 1 }));
    expect(part.state.config).toEqual({ batchSize: 16, seed: 7, shuffle: true, samples: 50, optimizer: t.optimizer.spec });
    const file = path.join(dir, "adam.ckpt");
    saveTrainingCheckpoint(file, t, part.state);
    const warnings: string[] = [];
    const sgd = trainer({ kind: "sgd", lr: 0.1 });
    loadTrainingCheckpoint(file, sgd, { warn: (m) => warnings.push(m), run: { samples: 50, batchSize: 16, seed: 7 } });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(new RegExp(`^checkpoint ${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: resuming with settings that differ from the saved run's: optimizer sgd \\(the saved run: adam; its adam state is not restored, sgd starts without state\\), learning rate 0\\.1 \\(the saved run: 0\\.05\\)\\.`));
    expect(Array.from(sgd.params.W1!)).toEqual(Array.from(loadCheckpoint(file, t.spec).params.W1!));
    expect(sgd.optimizer.stepCount).toBe(0);
  });

  it("SGD that gains momentum starts its momentum from zero, and says so", () => {
    const t = trainer({ kind: "sgd", lr: 0.1 });
    const part = fit(t, blobs(), options({ epochs: 1 }));
    const file = path.join(dir, "sgd.ckpt");
    saveTrainingCheckpoint(file, t, part.state);
    const warnings: string[] = [];
    const momentum = trainer({ kind: "sgd", lr: 0.1, momentum: 0.9 });
    loadTrainingCheckpoint(file, momentum, { warn: (m) => warnings.push(m) });
    expect(warnings.join("\n")).toMatch(/holds SGD state without momentum buffers, so SGD with momentum 0\.9 starts its momentum from zero/);
    expect(warnings.join("\n")).toMatch(/momentum 0\.9 \(the saved run: 0\)/);
  });

  it("mid-epoch with another batch size, the epoch continues from the first sample not yet seen", () => {
    const t = trainer();
    const part = fit(t, blobs(), options({ maxSteps: 6 })); // epoch 1 (4 steps), then batches 1–2 of epoch 2: 32 samples seen
    expect(part.state).toMatchObject({ epoch: 1, batch: 2, epochSamples: 32 });
    const resumed = fit(t, blobs(), options({ batchSize: 8, epochs: 3, resume: part.state }));
    // Batches of 8 from sample 32 on: 32–39, 40–47, 48–49 → 3 steps end epoch 2, then 7 for epoch 3.
    expect(resumed.losses).toHaveLength(3 + 7);
    expect(resumed.history.map((r) => r.steps)).toEqual([4, 7, 7]);
    expect(resumed.state.config?.batchSize).toBe(8);
  });

  it("checkFitState accepts what fit writes", () => {
    const r = fit(trainer(), blobs(), options({ maxSteps: 5 }));
    expect(checkFitState(JSON.parse(JSON.stringify(r.state)), "here", { samples: 50, batchSize: 16 })).toEqual(r.state);
  });
});
