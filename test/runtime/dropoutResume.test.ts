// Resuming a model with dropout is bit-exact: the generated trainer exposes its dropout generator
// (rngState / setRngState), training checkpoints store it (extra.rng, format version 1) and every resume
// path restores it — fit with loadTrainingCheckpoint, runTraining (the session runner) and
// `gradc train --resume`. A checkpoint written before the generator was saved still loads, with a
// warning for a model with dropout; a model without dropout is unaffected.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { add, dropout, input, matmul, model, param, relu, softmaxCrossEntropy, tanh } from "gradc";
import { main } from "../../compiler/cli.js";
import { CHECKPOINT_FORMAT_VERSION, decodeCheckpoint, loadCheckpoint, saveCheckpoint } from "../../runtime/checkpoint.js";
import { fromArrays, type Dataset } from "../../runtime/data.js";
import type { FloatArray } from "../../runtime/init.js";
import { createParallelTrainer } from "../../runtime/parallel.js";
import { runTraining, type TrainableModule } from "../../runtime/session.js";
import { fit, type FitOptions, type FitState } from "../../runtime/train.js";
import { loadTrainingCheckpoint, saveTrainingCheckpoint, type CheckpointTrainer } from "../../runtime/trainCheckpoint.js";
import { compileAndImport, type GeneratedModule } from "../helpers/compiled.js";

const dir = mkdtempSync(path.join(tmpdir(), "gradc-dropout-resume-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Trainer = CheckpointTrainer & {
  step(inputs: Record<string, ArrayLike<number>>): number;
  rngState(): number[] | null;
  setRngState(state: ArrayLike<number> | null): void;
};
type Module = Omit<GeneratedModule, "createTrainer"> & {
  createTrainer(params: Record<string, FloatArray>, options: { optimizer: Record<string, unknown>; seed?: number }): Trainer;
};

/** 4 → 8 (ReLU, dropout p) → 3 classes, softmax cross-entropy. */
const dropNet = (p: number) =>
  model("dropnet", () => {
    const x = input("x", ["batch", 4]);
    const y = input("y", ["batch"], { dtype: "int" });
    const W1 = param("W1", [4, 8], { init: "xavier" });
    const b1 = param("b1", [8], { init: "zeros" });
    const W2 = param("W2", [8, 3], { init: "xavier" });
    const b2 = param("b2", [3], { init: "zeros" });
    const h = dropout(relu(add(matmul(x, W1), b1)), p);
    const logits = add(matmul(h, W2), b2);
    return { loss: softmaxCrossEntropy(logits, y), outputs: { logits } };
  });

/** The same shape of network without dropout. */
const plainNet = model("plainnet", () => {
  const x = input("x", ["batch", 4]);
  const y = input("y", ["batch"], { dtype: "int" });
  const W1 = param("W1", [4, 8], { init: "xavier" });
  const b1 = param("b1", [8], { init: "zeros" });
  const W2 = param("W2", [8, 3], { init: "xavier" });
  const b2 = param("b2", [3], { init: "zeros" });
  const logits = add(matmul(tanh(add(matmul(x, W1), b1)), W2), b2);
  return { loss: softmaxCrossEntropy(logits, y), outputs: { logits } };
});

/** 3 classes around three centers in 4-d, 45 samples: batches of 8 leave a partial batch of 5. */
function data(): Dataset {
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < 45; i++) {
    const c = i % 3;
    for (let d = 0; d < 4; d++) x.push((d === c ? 2 : 0) + Math.sin(i * 12.9898 + d * 78.233) * 0.7);
    y.push(c);
  }
  return fromArrays({ x: { shape: [4], dtype: "f64", values: x }, y: { shape: [], dtype: "i32", values: y } });
}

const bits = (a: FloatArray) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

function expectSameParams(actual: Record<string, FloatArray>, expected: Record<string, FloatArray>): void {
  expect(Object.keys(actual)).toEqual(Object.keys(expected));
  for (const name of Object.keys(expected)) expect(bits(actual[name]!).equals(bits(expected[name]!)), name).toBe(true);
}

function expectSameLosses(actual: ArrayLike<number>, expected: ArrayLike<number>): void {
  expect(actual.length).toBe(expected.length);
  for (let k = 0; k < expected.length; k++) expect(Object.is(actual[k], expected[k]), `step ${k}`).toBe(true);
}

const EPOCHS = 3;
const PER_EPOCH = 6; // ⌈45 / 8⌉
const options = (extra: Partial<FitOptions> = {}): FitOptions => ({
  epochs: EPOCHS,
  batchSize: 8,
  seed: 5,
  progress: false,
  evaluateTrain: false,
  ...extra,
});

describe.each(["f64", "f32"] as const)("a dropout model (%s)", (dtype) => {
  let mod: Module;
  let plain: Module;
  beforeAll(async () => {
    mod = (await compileAndImport(dropNet(0.4), { dtype })).module as unknown as Module;
    plain = (await compileAndImport(plainNet, { dtype })).module as unknown as Module;
  });
  const trainer = (m: Module, init = 1, seed = 3) => m.createTrainer(m.initParams(init), { optimizer: { kind: "adam", lr: 0.02 }, seed });

  it("the trainer exposes its generator; restoring it reproduces the masks; a model without dropout has none", () => {
    const a = trainer(mod, 1, 3);
    const b = trainer(mod, 1, 77);
    const batch = { x: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0], y: [0, 1, 2] };
    a.step(batch);
    const state = a.rngState()!;
    expect(state).toHaveLength(4);
    state[0] ^= 1; // a copy: changing it changes nothing
    expect(a.rngState()![0]).not.toBe(state[0]);
    b.setRngState(a.rngState());
    b.params.W1!.set(a.params.W1!);
    b.params.b1!.set(a.params.b1!);
    b.params.W2!.set(a.params.W2!);
    b.params.b2!.set(a.params.b2!);
    b.optimizer.loadState(a.optimizer.state());
    for (let k = 0; k < 5; k++) expect(Object.is(b.step(batch), a.step(batch))).toBe(true);
    expect(b.rngState()).toEqual(a.rngState());
    b.setRngState(null); // null changes nothing
    expect(b.rngState()).toEqual(a.rngState());
    expect(() => b.setRngState([1, 2, 3])).toThrow(/4 words/);

    const p = trainer(plain);
    expect(p.rngState()).toBeNull();
    p.setRngState([1, 2, 3, 4]); // ignored
    expect(p.rngState()).toBeNull();
  });

  it.each([
    ["mid-epoch", PER_EPOCH + 2],
    ["at an epoch end", 2 * PER_EPOCH],
  ])("fit: k steps, checkpoint, resume, N − k steps equals N steps bit for bit (%s)", (_, stopAt) => {
    const straightTrainer = trainer(mod);
    const straight = fit(straightTrainer, data(), options());
    expect(straight.losses).toHaveLength(EPOCHS * PER_EPOCH);

    const first = trainer(mod);
    const part = fit(first, data(), options({ maxSteps: stopAt }));
    const file = path.join(dir, `${dtype}-${stopAt}.ckpt`);
    saveTrainingCheckpoint(file, first, part.state);
    expect(loadCheckpoint(file, mod.spec as never).extra?.rng).toEqual(first.rngState());

    // Other initial params and another dropout seed: everything must come from the checkpoint.
    const second = trainer(mod, 99, 12345);
    const warnings: string[] = [];
    const resume = loadTrainingCheckpoint(file, second, { warn: (m) => warnings.push(m) });
    expect(warnings).toEqual([]);
    expect(second.rngState()).toEqual(first.rngState());
    const rest = fit(second, data(), options({ resume }));

    expectSameLosses([...part.losses, ...rest.losses], straight.losses);
    expectSameParams(second.params, straightTrainer.params);
    expect(rest.history.map((h) => h.trainLoss)).toEqual(straight.history.map((h) => h.trainLoss));
    expect(second.rngState()).toEqual(straightTrainer.rngState());
  });

  it("checkpoints written every few steps (checkpointEvery) resume exactly too", () => {
    const straightTrainer = trainer(mod);
    const straight = fit(straightTrainer, data(), options());
    const first = trainer(mod);
    const file = path.join(dir, `${dtype}-every.ckpt`);
    let saved: FitState | undefined;
    // Stops after step 9 of 18; the last checkpoint is the one at step 8 (every 4 steps).
    fit(
      first,
      data(),
      options({
        maxSteps: 9,
        checkpointEvery: 4,
        onCheckpoint: (s) => {
          if (s.step === 8) {
            saved = s;
            saveTrainingCheckpoint(file, first, s);
          }
        },
      }),
    );
    expect(saved?.step).toBe(8);
    const second = trainer(mod, 99, 12345);
    const rest = fit(second, data(), options({ resume: loadTrainingCheckpoint(file, second) }));
    expectSameLosses(rest.losses, straight.losses.subarray(8));
    expectSameParams(second.params, straightTrainer.params);
  });

  it("a checkpoint without the generator (written before gradc saved it) still loads, with a warning", () => {
    const straight = fit(trainer(mod), data(), options());
    const first = trainer(mod);
    const part = fit(first, data(), options({ maxSteps: PER_EPOCH + 2 }));
    // Exactly what saveTrainingCheckpoint wrote before: format version 1, extra holding fit's state only.
    const file = path.join(dir, `${dtype}-old.ckpt`);
    saveCheckpoint(file, {
      spec: mod.spec as never,
      params: first.params,
      optimizer: first.optimizer.state(),
      step: part.state.step,
      epoch: part.state.epoch,
      extra: { fit: JSON.parse(JSON.stringify(part.state)) as FitState },
    });
    expect(readFileSync(file).readUInt32LE(8)).toBe(1); // format version 1

    const second = trainer(mod, 99, 3); // the same dropout seed as the saved run
    const warnings: string[] = [];
    const resume = loadTrainingCheckpoint(file, second, { warn: (m) => warnings.push(m) });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(file);
    expect(warnings[0]).toMatch(/no dropout generator state .* not reproduce the uninterrupted one bit for bit/);
    expect(resume.step).toBe(PER_EPOCH + 2);
    expectSameParams(second.params, first.params);
    // Documented behaviour: the masks continue from the trainer's fresh generator (seed 3 from its
    // start), so training goes on, but not as the uninterrupted run did.
    const fresh = trainer(mod, 1, 3).rngState();
    expect(second.rngState()).toEqual(fresh);
    const rest = fit(second, data(), options({ resume }));
    expect(rest.losses).toHaveLength(straight.losses.length - (PER_EPOCH + 2));
    expect(rest.losses.every(Number.isFinite)).toBe(true);
    expect(Object.is(rest.losses[0], straight.losses[PER_EPOCH + 2])).toBe(false);
  });

  it("a bad generator state in a checkpoint is refused and nothing changes", () => {
    const first = trainer(mod);
    const part = fit(first, data(), options({ maxSteps: 3 }));
    const file = path.join(dir, `${dtype}-bad.ckpt`);
    saveCheckpoint(file, {
      spec: mod.spec as never,
      params: first.params,
      optimizer: first.optimizer.state(),
      step: 3,
      epoch: 0,
      extra: { fit: JSON.parse(JSON.stringify(part.state)) as FitState, rng: [0, 0, 0, 0] },
    });
    const second = trainer(mod, 99, 7);
    const before = { rng: second.rngState(), W1: second.params.W1!.slice() };
    expect(() => loadTrainingCheckpoint(file, second)).toThrow(/bad dropout generator state: .*all zero/);
    expect(second.rngState()).toEqual(before.rng);
    expectSameParams({ W1: second.params.W1! }, { W1: before.W1 });
  });

  it("a model without dropout is unaffected: nothing extra saved, old checkpoints resume exactly and silently", () => {
    const straightTrainer = trainer(plain);
    const straight = fit(straightTrainer, data(), options());
    const first = trainer(plain);
    const part = fit(first, data(), options({ maxSteps: PER_EPOCH + 2 }));
    const file = path.join(dir, `${dtype}-plain.ckpt`);
    saveTrainingCheckpoint(file, first, part.state);
    expect(Object.keys(loadCheckpoint(file, plain.spec as never).extra!)).toEqual(["fit"]);
    const second = trainer(plain, 99);
    const warnings: string[] = [];
    const rest = fit(second, data(), options({ resume: loadTrainingCheckpoint(file, second, { warn: (m) => warnings.push(m) }) }));
    expect(warnings).toEqual([]);
    expectSameLosses([...part.losses, ...rest.losses], straight.losses);
    expectSameParams(second.params, straightTrainer.params);
  });
});

describe("every resume path restores the generator", () => {
  it("the parallel trainer (threads = 1) forwards rngState/setRngState and resumes exactly", async () => {
    const { code } = await compileAndImport(dropNet(0.4), { dtype: "f64", runtime: path.resolve("runtime/index.ts") });
    const file = path.join(dir, "parallel.gen.ts");
    writeFileSync(file, code);
    const mod = (await import(/* @vite-ignore */ file)) as Module;
    const make = async (init: number) =>
      (await createParallelTrainer(file, mod.initParams(init) as never, {
        optimizer: { kind: "adam", lr: 0.02 },
        threads: 1,
      })) as unknown as Trainer & { close(): Promise<void> };
    const straightTrainer = await make(1);
    const straight = fit(straightTrainer, data(), options());
    const first = await make(1);
    const part = fit(first, data(), options({ maxSteps: PER_EPOCH + 2 }));
    const ckpt = path.join(dir, "parallel.ckpt");
    saveTrainingCheckpoint(ckpt, first, part.state);
    expect(loadCheckpoint(ckpt, mod.spec as never).extra?.rng).toHaveLength(4);
    const second = await make(99);
    second.setRngState([9, 9, 9, 9]); // somewhere else: the checkpoint must put it back
    const rest = fit(second, data(), options({ resume: loadTrainingCheckpoint(ckpt, second) }));
    expectSameLosses([...part.losses, ...rest.losses], straight.losses);
    expectSameParams(second.params, straightTrainer.params);
    await Promise.all([straightTrainer, first, second].map((t) => t.close()));
  });

  it("the parallel trainer with threads = 2: fresh masks every step and every shard, deterministic, resumable", async () => {
    const { code } = await compileAndImport(dropNet(0.5), { dtype: "f64", runtime: path.resolve("runtime/index.ts") });
    const file = path.join(dir, "parallel2.gen.ts");
    writeFileSync(file, code);
    const mod = (await import(/* @vite-ignore */ file)) as Module;
    const make = async (seed: number, lr = 0.02) =>
      (await createParallelTrainer(file, mod.initParams(1) as never, {
        optimizer: { kind: "sgd", lr },
        threads: 2,
        seed,
      })) as unknown as Trainer & { close(): Promise<void> };
    // With lr = 0 the parameters never change: a different loss on the same batch is a different mask.
    const frozen = await make(0, 0);
    const batch = { x: Float64Array.from({ length: 16 * 4 }, (_, k) => Math.sin(k)), y: Int32Array.from({ length: 16 }, (_, k) => k % 3) };
    const losses = [frozen.step(batch), frozen.step(batch), frozen.step(batch)];
    expect(new Set(losses).size).toBe(3);
    // The same seed gives the same run, bit for bit; a saved generator state continues it exactly.
    const a = await make(5), b = await make(5);
    const runA = [a.step(batch), a.step(batch)];
    const state = a.rngState();
    expect(state).toHaveLength(4);
    runA.push(a.step(batch), a.step(batch));
    const runB = [b.step(batch), b.step(batch)];
    b.setRngState([1, 2, 3, 4]);
    b.setRngState(state);
    runB.push(b.step(batch), b.step(batch));
    expect(runB).toEqual(runA);
    expectSameParams(b.params, a.params);
    await Promise.all([frozen, a, b].map((t) => t.close()));
  });

  it("a trainer from a module generated before rngState existed still saves and loads (with a warning when the file has a generator)", async () => {
    const mod = (await compileAndImport(dropNet(0.4))).module as unknown as Module;
    const withRng = mod.createTrainer(mod.initParams(1), { optimizer: { kind: "adam", lr: 0.02 } });
    const part = fit(withRng, data(), options({ maxSteps: 3 }));
    const file = path.join(dir, "older-module.ckpt");
    saveTrainingCheckpoint(file, withRng, part.state);
    // An older module's trainer: the same object without the two methods.
    const older = (t: Trainer): CheckpointTrainer => ({
      step: (i) => t.step(i),
      evaluate: (i) => t.evaluate(i),
      setLearningRate: (lr) => t.setLearningRate(lr),
      get learningRate() {
        return t.learningRate;
      },
      params: t.params,
      optimizer: t.optimizer,
      spec: t.spec,
    });
    const warnings: string[] = [];
    const target = mod.createTrainer(mod.initParams(2), { optimizer: { kind: "adam", lr: 0.02 } });
    loadTrainingCheckpoint(file, older(target), { warn: (m) => warnings.push(m) });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/cannot restore it .* compile it again/);
    expectSameParams(target.params, withRng.params);
    const olderFile = path.join(dir, "older-module-saved.ckpt");
    saveTrainingCheckpoint(olderFile, older(withRng), part.state);
    expect(Object.keys(loadCheckpoint(olderFile, mod.spec as never).extra!)).toEqual(["fit"]);
  });

  it("runTraining (the session runner): 3 epochs = 1 epoch, then --resume to 3", async () => {
    const mod = (await compileAndImport(dropNet(0.5), { dtype: "f32" })).module as unknown as TrainableModule & Module;
    const run = (outDir: string, epochs: number, resume?: string) =>
      runTraining({
        module: mod,
        train: data(),
        epochs,
        batchSize: 8,
        optimizer: { kind: "adam", lr: 0.02 },
        seed: 2,
        outDir,
        progress: false,
        log: () => {},
        ...(resume ? { resume } : {}),
      });
    const straight = run(path.join(dir, "session-straight"), 3);
    const first = run(path.join(dir, "session-split"), 1);
    const rest = run(path.join(dir, "session-split"), 3, first.files.checkpoint);
    expectSameLosses([...first.fit.losses, ...rest.fit.losses], straight.fit.losses);
    const spec = mod.spec as never;
    expectSameParams(loadCheckpoint(rest.files.checkpoint, spec).params, loadCheckpoint(straight.files.checkpoint, spec).params);
    expect(loadCheckpoint(rest.files.checkpoint, spec).extra?.rng).toEqual(loadCheckpoint(straight.files.checkpoint, spec).extra?.rng);
  });

  it("gradc train --resume: 4 epochs = 2 epochs, then --resume to 4", async () => {
    const MODEL = `import { model, input, param, matmul, add, relu, dropout, softmaxCrossEntropy } from "gradc";
export default model("dropcsv", () => {
  const x = input("x", ["batch", 2]);
  const y = input("y", ["batch"], { dtype: "int" });
  const W1 = param("W1", [2, 8], { init: "xavier" });
  const b1 = param("b1", [8], { init: "zeros" });
  const W2 = param("W2", [8, 2], { init: "xavier" });
  const b2 = param("b2", [2], { init: "zeros" });
  const logits = add(matmul(dropout(relu(add(matmul(x, W1), b1)), 0.3), W2), b2);
  return { loss: softmaxCrossEntropy(logits, y), outputs: { logits } };
});
`;
    const cwd = path.join(dir, "cli");
    rmSync(cwd, { recursive: true, force: true });
    mkdirSync(cwd, { recursive: true });
    writeFileSync(path.join(cwd, "model.ts"), MODEL);
    const rows = ["a,b,label"];
    for (let i = 0; i < 60; i++) {
      const a = Math.sin(i * 1.7) * 2,
        b = Math.cos(i * 2.3) * 2;
      rows.push(`${a},${b},${a * b > 0 ? 1 : 0}`);
    }
    writeFileSync(path.join(cwd, "data.csv"), rows.join("\n") + "\n");
    const gradc = async (args: string[]) => {
      let stdout = "";
      let stderr = "";
      const code = await main(args, {
        stdout: { write: (s: string) => (stdout += s) },
        stderr: { write: (s: string) => (stderr += s) },
        cwd,
      });
      expect(code, stderr).toBe(0);
      return stdout;
    };
    const common = ["train", "model.ts", "--data", "data.csv", "--batch", "8", "--lr", "0.03"];
    await gradc([...common, "--epochs", "4", "-o", "straight"]);
    await gradc([...common, "--epochs", "2", "-o", "split"]);
    const out = await gradc([...common, "--epochs", "4", "-o", "split", "--resume", "split/dropcsv.ckpt"]);
    expect(out).toContain("resuming");
    expect(out).not.toContain("warning");
    // The checkpoints: the same params, optimizer state and generator, bit for bit.
    const spec = {
      name: "dropcsv",
      dtype: "f32" as const,
      params: [
        { name: "W1", shape: [2, 8] },
        { name: "b1", shape: [8] },
        { name: "W2", shape: [8, 2] },
        { name: "b2", shape: [2] },
      ],
    };
    const a = decodeCheckpoint(readFileSync(path.join(cwd, "split", "dropcsv.ckpt")), spec);
    const b = decodeCheckpoint(readFileSync(path.join(cwd, "straight", "dropcsv.ckpt")), spec);
    expect(a.version).toBe(CHECKPOINT_FORMAT_VERSION);
    expect(a.step).toBe(b.step);
    expectSameParams(a.params, b.params);
    expect(a.extra?.rng).toEqual(b.extra?.rng);
    expect(a.extra?.rng).toHaveLength(4);
    const fitA = a.extra!.fit as FitState;
    const fitB = b.extra!.fit as FitState;
    expect(fitA.history.map((h) => h.trainLoss)).toEqual(fitB.history.map((h) => h.trainLoss));
  });
});
