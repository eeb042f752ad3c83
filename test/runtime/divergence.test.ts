// fit's divergence checks (runtime/divergence.ts): a non-finite loss stops the run at its step; a
// non-finite parameter is found at the epoch's end (or after the step with checkFinite: "step") and
// the epoch is replayed to the step that made it; the trainer is left before that step; no checkpoint
// ever sees non-finite parameters. Empty data sets are errors, not NaN epochs.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromArrays, type Dataset } from "../../runtime/data.js";
import { isDivergedError, type DivergedError } from "../../runtime/divergence.js";
import { codes, isGradcError } from "../../runtime/errors.js";
import { createParallelTrainer } from "../../runtime/parallel.js";
import { evaluate, fit, type FitOptions, type FitTrainer } from "../../runtime/train.js";
import { compileAndImport, type GeneratedModule } from "../helpers/compiled.js";

const dir = mkdtempSync(path.join(tmpdir(), "gradc-diverge-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// y ≈ 2x by a 1 × 1 weight: with SGD at lr 5 each step multiplies the error by about −40, so the weight
// grows for many steps until the squared error overflows float64 (a non-finite loss).
const LINE = `import { model, input, param, matmul, mse } from "gradc";
export default model("line", () => {
  const x = input("x", ["batch", 1]);
  const y = input("y", ["batch", 1]);
  const W = param("W", [1, 1], { init: "ones" });
  return { loss: mse(matmul(x, W), y), outputs: {} };
});
`;
// √(x·W): finite forward values, but at x = 0 the gradient 1/(2√0) is infinite, and W's gradient
// (x times it) NaN: the loss of that step is finite, the parameter it leaves is not.
const ROOT = `import { model, input, param, matmul, sqrt, mse } from "gradc";
export default model("root", () => {
  const x = input("x", ["batch", 1]);
  const y = input("y", ["batch", 1]);
  const W = param("W", [1, 1], { init: "ones" });
  return { loss: mse(sqrt(matmul(x, W)), y), outputs: {} };
});
`;

let line: GeneratedModule;
let root: GeneratedModule;
let rootCode: string;
beforeAll(async () => {
  writeFileSync(path.join(dir, "line.ts"), LINE);
  writeFileSync(path.join(dir, "root.ts"), ROOT);
  line = (await compileAndImport(path.join(dir, "line.ts"), { dtype: "f64" })).module;
  root = (await compileAndImport(path.join(dir, "root.ts"), { dtype: "f64" })).module;
  // For the parallel trainer's workers, which import the module file themselves.
  rootCode = (await compileAndImport(path.join(dir, "root.ts"), { dtype: "f64", runtime: path.resolve("runtime/index.ts") })).code;
});

const regression = fromArrays({
  x: { shape: [1], dtype: "f64", values: [1, 2, 3, 1.5, 2.5, 0.5, 3, 2] },
  y: { shape: [1], dtype: "f64", values: [2, 4, 6, 3, 5, 1, 6, 4] },
});
/** 8 rows in batches of 4 (no shuffling): only the second batch holds x = 0. */
const zeroInLastBatch = fromArrays({
  x: { shape: [1], dtype: "f64", values: [1, 2, 3, 4, 1, 2, 0, 3] },
  y: { shape: [1], dtype: "f64", values: [1, 1, 2, 2, 1, 1, 0, 2] },
});

const trainerOf = (m: GeneratedModule, optimizer: Record<string, unknown>) => m.createTrainer(m.initParams(0), { optimizer }) as unknown as FitTrainer;
const quiet = { progress: false, evaluateTrain: false } as const;

function divergence(f: () => unknown): DivergedError {
  try {
    f();
  } catch (e) {
    if (isDivergedError(e)) return e;
    throw e;
  }
  throw new Error("expected the run to diverge");
}

describe("a non-finite loss", () => {
  it("stops fit at its step with GC4001 naming epoch, step, batch, the value and a hint; the trainer holds the state before that step", () => {
    const options: FitOptions = { epochs: 500, batchSize: 4, shuffle: false, ...quiet };
    const trainer = trainerOf(line, { kind: "sgd", lr: 5 });
    const e = divergence(() => fit(trainer, regression, options));
    const d = e.divergence;
    expect(e.code).toBe(codes.diverged);
    expect(d.cause.kind).toBe("loss");
    expect(d.step).toBeGreaterThan(50); // two steps per epoch: the weights grew over many epochs first
    expect(d.epoch).toBe(Math.ceil(d.step / 2));
    expect(d.batch).toBe(((d.step - 1) % 2) + 1);
    expect(e.message.split("\n")[0]).toBe(`training diverged at epoch ${d.epoch}, step ${d.step} (batch ${d.batch} of 2 in the epoch): the loss is ${String((d.cause as { value: number }).value)}`);
    expect(e.message).toMatch(/\nhint: lower the learning rate \(it is 5\), or clip the gradients$/);
    // The same run stopped just before the failing step has exactly the parameters the trainer holds now.
    const before = trainerOf(line, { kind: "sgd", lr: 5 });
    fit(before, regression, { ...options, maxSteps: d.step - 1 });
    expect(Array.from(trainer.params.W!)).toEqual(Array.from(before.params.W!));
    expect(Array.from(d.failing!.params.W!)).toEqual(Array.from(before.params.W!));
    // The failing step's batch, as it was fed (no shuffling: rows 4(b − 1) … 4b − 1).
    expect(Array.from(d.failing!.rows)).toEqual([0, 1, 2, 3].map((i) => 4 * (d.batch - 1) + i));
    expect(Array.from(d.failing!.inputs.x!)).toEqual(Array.from(d.failing!.rows).map((r) => regression.columns.x![r]));
  });

  it("checkFinite: \"off\" lets the run go on (the documented opt-out)", () => {
    const r = fit(trainerOf(line, { kind: "sgd", lr: 5 }), regression, { epochs: 500, batchSize: 4, shuffle: false, checkFinite: "off", ...quiet });
    expect(r.history).toHaveLength(500);
    expect(Number.isNaN(r.history.at(-1)!.trainLoss)).toBe(true);
  });
});

describe("a non-finite parameter", () => {
  it("made by the last step of an epoch is found at the epoch's end, replayed to that step, and never checkpointed", () => {
    const seen: number[] = [];
    const trainer = trainerOf(root, { kind: "sgd", lr: 0.1 });
    const e = divergence(() =>
      fit(trainer, zeroInLastBatch, { epochs: 3, batchSize: 4, shuffle: false, ...quiet, onCheckpoint: () => seen.push(trainer.params.W![0]!) }),
    );
    const d = e.divergence;
    expect(d).toMatchObject({ epoch: 1, step: 2, batch: 2, batchesPerEpoch: 2, cause: { kind: "param", name: "W", index: 0 } });
    expect(Number.isNaN((d.cause as { value: number }).value)).toBe(true);
    expect(e.message.split("\n")[0]).toMatch(/^training diverged at epoch 1, step 2 \(batch 2 of 2 in the epoch\): it made parameter "W" non-finite \(W\[0\] = NaN; the step's loss was [\d.]+\)$/);
    expect(seen).toEqual([]); // the epoch's checkpoint was not offered
    expect(Number.isFinite(trainer.params.W![0]!)).toBe(true); // back before the failing step
    expect(Array.from(d.failing!.inputs.x!)).toEqual([1, 2, 0, 3]);
  });

  it("checkFinite: \"step\" finds it right after the step; mid-epoch checkpoints (checkpointEvery) only ever see finite parameters", () => {
    const data = fromArrays({ x: { shape: [1], dtype: "f64", values: [1, 2, 3, 4, 1, 2, 5, 3, 2, 0, 3, 1] }, y: { shape: [1], dtype: "f64", values: new Array(12).fill(1) } });
    const seen: number[] = [];
    const trainer = trainerOf(root, { kind: "sgd", lr: 0.01 });
    const e = divergence(() =>
      fit(trainer, data, { epochs: 2, batchSize: 2, shuffle: false, checkFinite: "step", checkpointEvery: 1, ...quiet, onCheckpoint: () => seen.push(trainer.params.W![0]!) }),
    );
    expect(e.divergence).toMatchObject({ epoch: 1, step: 5, batch: 5, batchesPerEpoch: 6, cause: { kind: "param", name: "W" } });
    expect(seen).toHaveLength(4);
    expect(seen.every(Number.isFinite)).toBe(true);
  });

  it("with the default checks, a mid-epoch checkpoint after the bad step is refused too", () => {
    const data = fromArrays({ x: { shape: [1], dtype: "f64", values: [1, 2, 0, 4, 1, 2, 5, 3] }, y: { shape: [1], dtype: "f64", values: new Array(8).fill(1) } });
    const seen: number[] = [];
    const trainer = trainerOf(root, { kind: "sgd", lr: 0.01 });
    // The NaN weight makes every later loss NaN as well unless an op hides it; either way the run stops
    // at step 2 (the step that made W non-finite) before any checkpoint holds it.
    const e = divergence(() =>
      fit(trainer, data, { epochs: 1, batchSize: 2, shuffle: false, checkpointEvery: 3, ...quiet, onCheckpoint: () => seen.push(trainer.params.W![0]!) }),
    );
    expect(e.divergence).toMatchObject({ step: 2, cause: { kind: "param", name: "W" } });
    expect(seen.every(Number.isFinite)).toBe(true);
  });

  it("a failure the replay cannot reproduce (a non-deterministic trainer) is still reported, saying so", () => {
    const inner = trainerOf(line, { kind: "sgd", lr: 0.01 });
    let calls = 0;
    const flaky: FitTrainer = Object.assign(Object.create(inner) as FitTrainer, { step: (inputs: never) => (++calls === 3 ? NaN : inner.step(inputs)) });
    const e = divergence(() => fit(flaky, regression, { epochs: 3, batchSize: 4, shuffle: false, ...quiet }));
    expect(e.divergence).toMatchObject({ epoch: 2, step: 3, batch: 1, cause: { kind: "loss" } });
    expect(e.divergence.failing).toBeUndefined();
    expect(e.message).toContain("replaying the epoch from its start did not reproduce it");
  });

  it("the parallel trainer (2 threads) is checked and replayed the same way", async () => {
    // The workers import the module themselves: it must be a file.
    const genFile = path.join(dir, "root.gen.ts");
    writeFileSync(genFile, rootCode);
    const parallel = await createParallelTrainer(genFile, root.initParams(0) as never, { optimizer: { kind: "sgd", lr: 0.1 }, threads: 2 });
    try {
      const e = divergence(() => fit(parallel as unknown as FitTrainer, zeroInLastBatch, { epochs: 3, batchSize: 4, shuffle: false, ...quiet }));
      expect(e.divergence).toMatchObject({ epoch: 1, step: 2, batch: 2, cause: { kind: "param", name: "W" } });
      expect(Number.isFinite(parallel.params.W![0]!)).toBe(true);
    } finally {
      await parallel.close();
    }
  });
});

describe("a non-finite evaluation loss with finite parameters", () => {
  // Training data keep the weight near 2; one test sample is so large that its squared error overflows
  // float64: every step and every parameter is finite, the test loss is not.
  const outlier: Dataset = {
    ...fromArrays({ x: { shape: [1], dtype: "f64", values: [1, 1e200, 2] }, y: { shape: [1], dtype: "f64", values: [2, 2, 4] } }),
    source: { file: path.join(dir, "test.csv"), lines: Int32Array.from([2, 3, 4]) },
  };

  it("stops fit after the epoch, before it is recorded or checkpointed, naming the set, the first sample and the largest parameter", () => {
    const seen: number[] = [];
    const trainer = trainerOf(line, { kind: "sgd", lr: 0.01 });
    const e = divergence(() => fit(trainer, regression, { epochs: 3, batchSize: 4, shuffle: false, test: outlier, ...quiet, onCheckpoint: () => seen.push(1) }));
    const d = e.divergence;
    expect(d).toMatchObject({ epoch: 1, step: 2, cause: { kind: "evaluation", set: "test", value: Infinity, sample: { row: 1, place: "test.csv:3" }, largest: { name: "W", index: 0 } } });
    expect(Number.isFinite(trainer.params.W![0]!)).toBe(true);
    expect(seen).toEqual([]);
    expect(e.message.split("\n")[0]).toBe("training diverged after epoch 1 (step 2): the test loss is Infinity though every parameter is finite; the first test sample whose loss is not finite is test.csv:3");
    expect(e.message).toMatch(/\nthe parameters have grown until the forward pass overflows \(the largest is W\[0\] = [\d.]+\)\nhint: /);
  });

  it("without a data file the sample is named by its row; checkFinite: \"off\" records the epoch instead", () => {
    const plain = fromArrays({ x: { shape: [1], dtype: "f64", values: [1e200, 1] }, y: { shape: [1], dtype: "f64", values: [2, 2] } });
    const e = divergence(() => fit(trainerOf(line, { kind: "sgd", lr: 0.01 }), regression, { epochs: 1, batchSize: 4, test: plain, ...quiet }));
    expect(e.message).toContain("the first test sample whose loss is not finite is row 0");
    const r = fit(trainerOf(line, { kind: "sgd", lr: 0.01 }), regression, { epochs: 1, batchSize: 4, test: plain, checkFinite: "off", ...quiet });
    expect(r.history[0]!.testLoss).toBe(Infinity);
  });
});

describe("empty data", () => {
  const empty: Dataset = fromArrays({ x: { shape: [1], dtype: "f64", values: [] }, y: { shape: [1], dtype: "f64", values: [] } });

  it("fit on an empty training set is GC3006, not an epoch of 0 steps with a NaN loss", () => {
    const trainer = trainerOf(line, { kind: "sgd", lr: 0.01 });
    expect(() => fit(trainer, empty, { epochs: 1, batchSize: 4, ...quiet })).toThrow(expect.objectContaining({ code: codes.emptyData, message: "fit: the training set is empty (0 samples)" }));
  });

  it("evaluate on nothing is GC3006, as is a test set that is empty", () => {
    const trainer = trainerOf(line, { kind: "sgd", lr: 0.01 });
    let error: unknown;
    try {
      evaluate(trainer, empty);
    } catch (e) {
      error = e;
    }
    expect(isGradcError(error) && error.code).toBe(codes.emptyData);
    expect(() => fit(trainer, regression, { epochs: 1, batchSize: 4, test: empty, ...quiet })).toThrow(/evaluate: the data set is empty/);
  });
});
