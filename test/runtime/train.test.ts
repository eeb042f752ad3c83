// fit(): epochs of shuffled batches through a compiled trainer, evaluation, schedules, early
// stopping, checkpoints that resume bit for bit, and a short real-MNIST run.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromArrays, type Dataset } from "../../runtime/data.js";
import { loadMnist } from "../../runtime/mnist.js";
import { evaluate, fit, schedules, argmaxRows, type FitTrainer } from "../../runtime/train.js";
import { loadTrainingCheckpoint, saveTrainingCheckpoint, type CheckpointTrainer } from "../../runtime/trainCheckpoint.js";
import { compileAndImport, type GeneratedModule } from "../helpers/compiled.js";

const dir = mkdtempSync(path.join(tmpdir(), "gradc-fit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let mnistModule: GeneratedModule;
beforeAll(async () => {
  mnistModule = (await compileAndImport("examples/mnist-mlp/model.ts", { dtype: "f32" })).module;
});

const trainerFor = (m: GeneratedModule, seed = 1, lr = 1e-3) =>
  m.createTrainer(m.initParams(seed), { optimizer: { kind: "adam", lr } }) as unknown as CheckpointTrainer;

/** A small separable 3-class problem (points around three centers), 50 samples: batches of 16 leave 2. */
function blobs(): Dataset {
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < 50; i++) {
    const c = i % 3;
    x.push(Math.cos(c * 2.1) * 3 + Math.sin(i * 12.9898) * 0.5, Math.sin(c * 2.1) * 3 + Math.cos(i * 78.233) * 0.5);
    y.push(c);
  }
  return fromArrays({ x: { shape: [2], dtype: "f64", values: x }, y: { shape: [], dtype: "i32", values: y } });
}

describe("fit on a small problem", () => {
  let blobModule: GeneratedModule;
  beforeAll(async () => {
    const { model, input, param, matmul, add, tanh, softmaxCrossEntropy } = await import("../../compiler/dsl/index.js");
    const def = model("blobs", () => {
      const x = input("x", ["batch", 2]);
      const y = input("y", ["batch"], { dtype: "int" });
      const W1 = param("W1", [2, 6], { init: "xavier" });
      const b1 = param("b1", [6], { init: "zeros" });
      const W2 = param("W2", [6, 3], { init: "xavier" });
      const b2 = param("b2", [3], { init: "zeros" });
      const logits = add(matmul(tanh(add(matmul(x, W1), b1)), W2), b2);
      return { loss: softmaxCrossEntropy(logits, y), outputs: { logits } };
    });
    blobModule = (await compileAndImport(def)).module;
  });

  it("trains with a partial final batch and reports per-epoch metrics", () => {
    const data = blobs();
    const trainer = trainerFor(blobModule, 3, 0.05);
    const r = fit(trainer, data, { epochs: 20, batchSize: 16, test: data, scores: "logits", labels: "y", progress: false });
    expect(r.history).toHaveLength(20);
    expect(r.losses).toHaveLength(20 * 4); // 16 + 16 + 16 + 2
    expect(r.history.at(-1)!.testAccuracy).toBe(1);
    expect(r.history.at(-1)!.trainLoss).toBeLessThan(r.history[0]!.trainLoss);
    const m = evaluate(trainer, data, { scores: "logits", labels: "y" });
    expect(m.confusion!.flat().reduce((a, b) => a + b, 0)).toBe(50);
    expect(m.confusion![0]![0]! + m.confusion![1]![1]! + m.confusion![2]![2]!).toBe(50);
  });

  it("the mean loss of an epoch weighs every sample once, the partial batch included", () => {
    const data = blobs();
    const trainer = trainerFor(blobModule, 3, 0); // lr 0: the parameters stay, so the epoch's mean is the data's loss
    const r = fit(trainer, data, { epochs: 1, batchSize: 16, progress: false, evaluateTrain: false });
    expect(r.history[0]!.trainLoss).toBeCloseTo(evaluate(trainer, data).loss, 12);
  });

  it("resuming from a checkpoint reproduces the uninterrupted run bit for bit (mid-epoch and at an epoch end)", () => {
    const data = blobs();
    const uninterrupted = fit(trainerFor(blobModule), data, { epochs: 4, batchSize: 16, seed: 7, progress: false, schedule: schedules.cosine({ lr: 0.05, totalSteps: 16 }) });
    for (const stopAt of [6, 8]) {
      const file = path.join(dir, `blobs-${stopAt}.ckpt`);
      const first = trainerFor(blobModule);
      const part = fit(first, data, { epochs: 4, batchSize: 16, seed: 7, progress: false, maxSteps: stopAt, schedule: schedules.cosine({ lr: 0.05, totalSteps: 16 }) });
      saveTrainingCheckpoint(file, first, part.state);
      const second = trainerFor(blobModule, 99); // different initial params: all of them come from the checkpoint
      const resume = loadTrainingCheckpoint(file, second);
      const rest = fit(second, data, { epochs: 4, batchSize: 16, seed: 7, progress: false, resume, schedule: schedules.cosine({ lr: 0.05, totalSteps: 16 }) });
      const joined = [...part.losses, ...rest.losses];
      expect(joined).toHaveLength(uninterrupted.losses.length);
      joined.forEach((l, k) => expect(Object.is(l, uninterrupted.losses[k])).toBe(true));
      expect(rest.history.map((h) => h.trainLoss)).toEqual(uninterrupted.history.map((h) => h.trainLoss));
    }
  });

  it("early stopping stops after `patience` epochs without improvement", () => {
    const data = blobs();
    const r = fit(trainerFor(blobModule, 3, 0), data, { epochs: 10, batchSize: 16, test: data, progress: false, earlyStopping: { metric: "testLoss", patience: 2 } });
    expect(r.stoppedEarly).toBe(true);
    expect(r.history).toHaveLength(3); // epoch 1 sets the best; 2 and 3 do not improve (lr 0)
  });
});

describe("schedules", () => {
  it("step, cosine and warm-up follow their formulas", () => {
    const step = schedules.step({ lr: 0.1, every: 2, gamma: 0.5 });
    expect([0, 9, 10, 19, 20, 39, 40].map((s) => step(s, 10))).toEqual([0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.025]);
    const cos = schedules.cosine({ lr: 1, totalSteps: 100, minLr: 0.1 });
    expect(cos(0, 10)).toBe(1);
    expect(cos(50, 10)).toBeCloseTo(0.55, 15);
    expect(cos(100, 10)).toBeCloseTo(0.1, 15);
    const warm = schedules.warmup({ steps: 10, then: schedules.constant(0.2) });
    expect([0, 5, 10, 11].map((s) => warm(s, 1))).toEqual([0, 0.1, 0.2, 0.2]);
  });
  it("argmax picks the first maximum of each row", () => {
    expect(Array.from(argmaxRows([1, 3, 3, 0, 5, -1], 2, 3))).toEqual([1, 1]);
  });
});

describe("a short MNIST run", () => {
  it("a few hundred steps reach test accuracy far above chance", () => {
    const { train, test } = loadMnist({ dtype: "f32" });
    const trainer = trainerFor(mnistModule, 1) as unknown as FitTrainer;
    const r = fit(trainer, train, { epochs: 1, batchSize: 32, maxSteps: 200, progress: false });
    expect(r.losses).toHaveLength(200);
    const m = evaluate(trainer, test, { scores: "logits", labels: "y" });
    expect(m.accuracy!).toBeGreaterThan(0.8); // chance is 0.1
  });
});
