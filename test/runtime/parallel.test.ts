// The data-parallel trainer (runtime/parallel.ts): workers over SharedArrayBuffer parameters with a
// fixed-order gradient reduction. It must give the same bits on every run, agree with the single-thread
// trainer up to summation order (exactly, with one thread or when one shard holds the whole batch),
// check inputs like it, and report worker failures as Errors on the main thread.
//
// Modules are compiled into a temporary directory outside the repository, importing the built runtime
// (dist/runtime/index.js, built from the current sources by test/globalSetup.ts before every run) as `gradc compile` would write them there; the workers load
// them (and runtime/parallelWorker.ts) through scripts/register-ts.js. Starting a worker from the sources
// costs ~0.5–2 s (the hook loads the TypeScript compiler in each worker), hence the longer timeouts.
// One test also runs the runtime as built JavaScript under plain node, as users of dist/ do.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ts } from "ts-morph";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runtimeSpecifierFor } from "../../compiler/cli.js";
import { compileFile } from "../../compiler/compile.js";
import { fromArrays } from "../../runtime/data.js";
import { createOptimizer, type Optimizer } from "../../runtime/optim.js";
import { createParallelTrainer, type ParallelModule, type ParallelTrainer } from "../../runtime/parallel.js";
import { fit } from "../../runtime/train.js";
import { nonEmpty } from "../helpers/nonEmpty.js";

type Arrays = Record<string, Float32Array | Float64Array>;
type Inputs = { x: ArrayLike<number>; y: ArrayLike<number> };
interface Trainer {
  readonly params: Arrays;
  step(inputs: Inputs): number;
  setLearningRate(lr: number): void;
  readonly learningRate: number;
  readonly optimizer: Optimizer;
  evaluate(inputs: Inputs): { loss: number; outputs: Arrays };
  readonly spec: ParallelModule["spec"];
}
interface Module extends ParallelModule {
  initParams(seed?: number): Arrays;
  createTrainer(params: Arrays, options: { optimizer: Record<string, unknown> }): Trainer;
}
type Parallel = ParallelTrainer<Module>;

const dir = mkdtempSync(path.join(tmpdir(), "gradc-parallel-"));
const open: Parallel[] = [];
afterAll(async () => {
  await Promise.all(open.map((t) => t.close()));
  rmSync(dir, { recursive: true, force: true });
});

async function compileTo(name: string, model: string, options: { dtype: "f32" | "f64"; batch?: number }): Promise<{ url: string; module: Module }> {
  const file = path.join(dir, `${name}.gen.ts`);
  const runtime = runtimeSpecifierFor(file);
  const { code } = await compileFile(model, { ...options, ...(runtime ? { runtime } : {}) });
  writeFileSync(file, code);
  return { url: pathToFileURL(file).href, module: (await import(/* @vite-ignore */ file)) as Module };
}

async function parallel(url: string, params: Arrays, threads: number, optimizer: Record<string, unknown> = { kind: "sgd", lr: 0.05 }): Promise<Parallel> {
  const t = await createParallelTrainer<Module>(url, params, { optimizer: optimizer as never, threads });
  open.push(t);
  return t;
}

/** n MNIST-shaped rows of deterministic pseudo-data (pixels in [0, 1), labels 0..9). */
function batch(n: number, offset = 0): { x: Float64Array; y: Int32Array } {
  const x = new Float64Array(n * 784);
  for (let i = 0; i < x.length; i++) x[i] = (((i + offset * 784) * 2654435761) % 4093) / 4093;
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) y[i] = ((i + offset) * 7) % 10;
  return { x, y };
}

function run(t: { step(i: Inputs): number }, steps: number, n: number): number[] {
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) losses.push(t.step(batch(n, s)));
  return losses;
}

const bytes = (params: Arrays) => Object.values(params).map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("hex"));

/** Largest |a − b| / (1 + |b|) over every parameter element. */
function maxRelDiff(a: Arrays, b: Arrays): number {
  let m = 0;
  for (const k of Object.keys(b)) for (let i = 0; i < b[k].length; i++) m = Math.max(m, Math.abs(a[k][i] - b[k][i]) / (1 + Math.abs(b[k][i])));
  return m;
}

let f64: { url: string; module: Module };
let f32: { url: string; module: Module };
beforeAll(async () => {
  f64 = await compileTo("mnist64", "examples/mnist-mlp/model.ts", { dtype: "f64" });
  f32 = await compileTo("mnist32", "examples/mnist-mlp/model.ts", { dtype: "f32" });
});

describe("parallel trainer: results", { timeout: 180_000 }, () => {
  it("gives the same bits on every run (2 and 3 threads, uneven shards)", async () => {
    for (const [threads, n] of [
      [2, 37],
      [3, 20],
    ] as const) {
      const a = await parallel(f64.url, f64.module.initParams(1), threads);
      const b = await parallel(f64.url, f64.module.initParams(1), threads);
      const la = run(a, 6, n);
      const lb = run(b, 6, n);
      expect(lb).toEqual(la); // toEqual on numbers is Object.is
      expect(bytes(b.params)).toEqual(bytes(a.params));
      await Promise.all([a.close(), b.close()]);
    }
  });

  it("gives the same bits when the threads finish in another order", async () => {
    // The same model, but each shard sleeps a pseudo-random 0–15 ms first (main thread included), so
    // the order in which shards finish changes from step to step.
    const file = path.join(dir, "sleepy.gen.ts");
    writeFileSync(
      file,
      [
        'import { threadId } from "node:worker_threads";',
        'import * as real from "./mnist64.gen.js";',
        "export const spec = real.spec;",
        "export const initParams = real.initParams;",
        "export const createTrainer = real.createTrainer;",
        "const nap = new Int32Array(new SharedArrayBuffer(4));",
        "let calls = 0;",
        "export function gradInto(params: any, inputs: any, grads: any): number {",
        "  Atomics.wait(nap, 0, 0, ((threadId * 7 + ++calls * 5) % 4) * 5);",
        "  return real.gradInto(params, inputs, grads);",
        "}",
      ].join("\n"),
    );
    const plain = await parallel(f64.url, f64.module.initParams(1), 3);
    const sleepy = await parallel(pathToFileURL(file).href, f64.module.initParams(1), 3);
    expect(run(sleepy, 6, 23)).toEqual(run(plain, 6, 23));
    expect(bytes(sleepy.params)).toEqual(bytes(plain.params));
    await Promise.all([plain.close(), sleepy.close()]);
  });

  it("matches the single-thread trainer to ~1e-12 in f64 (summation order differs)", async () => {
    for (const [threads, n] of [
      [2, 37],
      [3, 20],
      [4, 5],
    ] as const) {
      const ref = f64.module.createTrainer(f64.module.initParams(2), { optimizer: { kind: "adam", lr: 1e-3 } });
      const t = await parallel(f64.url, f64.module.initParams(2), threads, { kind: "adam", lr: 1e-3 });
      const want = run(ref, 5, n);
      const got = run(t, 5, n);
      got.forEach((l, s) => expect(Math.abs(l - want[s])).toBeLessThan(1e-12));
      expect(maxRelDiff(t.params, ref.params)).toBeLessThan(1e-12);
      expect(t.optimizer.stepCount).toBe(5);
      await t.close();
    }
  });

  it("matches the single-thread trainer in f32 up to float32 rounding", async () => {
    const ref = f32.module.createTrainer(f32.module.initParams(3), { optimizer: { kind: "sgd", lr: 0.1, momentum: 0.9 } });
    const t = await parallel(f32.url, f32.module.initParams(3), 2, { kind: "sgd", lr: 0.1, momentum: 0.9 });
    const want = run(ref, 4, 33);
    const got = run(t, 4, 33);
    got.forEach((l, s) => expect(Math.abs(l - want[s])).toBeLessThan(1e-5));
    expect(maxRelDiff(t.params, ref.params)).toBeLessThan(1e-5);
    expect(t.params["W1"]).toBeInstanceOf(Float32Array);
  });

  it("clips the reduced gradients and runs parameter groups: the reduction, then the optimizer's clip and groups, bit for bit", async () => {
    const options = { clipGradNorm: 0.01, groups: [{ params: ["b1", "b2"], weightDecay: 0, lrScale: 0.5 }] };
    const optimizer = { kind: "adamw", lr: 1e-3, weightDecay: 0.1 } as const;
    const t = await createParallelTrainer<Module>(f64.url, f64.module.initParams(6), { optimizer, threads: 2, ...options });
    open.push(t);
    // The reference: shard 0 = rows [0, ⌈n/2⌉), shard 1 the rest, g = (n0/n)·g0 + (n1/n)·g1, then the
    // runtime optimizer with the same clipping and groups on g.
    const names = f64.module.spec.params.map((p) => p.name);
    const params = f64.module.initParams(6);
    const reference = createOptimizer(optimizer, names.map((k) => params[k]!.length), "f64", { params: f64.module.spec.params, ...options });
    const n = 37;
    const n0 = Math.ceil(n / 2);
    let clipped = 0;
    for (let s = 0; s < 4; s++) {
      const { x, y } = batch(n, s);
      const shard = (from: number, to: number) => {
        const grads = Object.fromEntries(names.map((k) => [k, new Float64Array(params[k]!.length)]));
        f64.module.gradInto(params, { x: x.subarray(from * 784, to * 784), y: y.subarray(from, to) }, grads);
        return grads;
      };
      const a = shard(0, n0);
      const b = shard(n0, n);
      const reduced = names.map((k) => a[k]!.map((v, i) => (n0 / n) * v + ((n - n0) / n) * b[k]![i]!));
      const norm = Math.hypot(...reduced.map((g) => Math.hypot(...g)));
      if (norm > options.clipGradNorm) clipped++;
      reference.step(names.map((k) => params[k]!), reduced);
      t.step({ x, y });
    }
    expect(clipped, "the clipping case clips").toBe(4);
    expect(bytes(t.params)).toEqual(bytes(params));
    await t.close();
  });

  it("is exactly the single-thread trainer with one thread, or when one shard holds the whole batch", async () => {
    for (const [threads, n] of [
      [1, 37],
      [3, 1], // batch smaller than threads: the main thread's shard is the only non-empty one
    ] as const) {
      const ref = f64.module.createTrainer(f64.module.initParams(4), { optimizer: { kind: "adamw", lr: 1e-3 } });
      const t = await parallel(f64.url, f64.module.initParams(4), threads, { kind: "adamw", lr: 1e-3 });
      expect(run(t, 4, n)).toEqual(run(ref, 4, n));
      expect(bytes(t.params)).toEqual(bytes(ref.params));
      await t.close();
    }
  });

  it("handles a batch with empty shards and changing batch sizes", async () => {
    const ref = f64.module.createTrainer(f64.module.initParams(5), { optimizer: { kind: "sgd", lr: 0.05 } });
    const t = await parallel(f64.url, f64.module.initParams(5), 3);
    for (const n of [2, 9, 4, 30, 1, 7]) {
      // n = 2 with 3 threads leaves the last shard empty; the input buffers grow at 9 and 30
      expect(Math.abs(t.step(batch(n, n)) - ref.step(batch(n, n)))).toBeLessThan(1e-12);
    }
    expect(maxRelDiff(t.params, ref.params)).toBeLessThan(1e-12);
  });

  it("accepts plain arrays and f32 data for an f64 model, like the single-thread trainer", async () => {
    const ref = f64.module.createTrainer(f64.module.initParams(6), { optimizer: { kind: "sgd", lr: 0.05 } });
    const t = await parallel(f64.url, f64.module.initParams(6), 2);
    const { x, y } = batch(6);
    const inputs = { x: Array.from(x), y: Array.from(y) };
    expect(Math.abs(t.step(inputs) - ref.step(inputs))).toBeLessThan(1e-12);
    const inputs32 = { x: Float32Array.from(x), y };
    expect(Math.abs(t.step(inputs32) - ref.step(inputs32))).toBeLessThan(1e-12);
  });
});

describe("parallel trainer: the createTrainer API", { timeout: 180_000 }, () => {
  it("exposes shared params, the optimizer, the learning rate, evaluate and spec", async () => {
    const params = f64.module.initParams(7);
    const ref = f64.module.createTrainer(f64.module.initParams(7), { optimizer: { kind: "sgd", lr: 0.05 } });
    const t = await parallel(f64.url, params, 2);
    expect(t.threads).toBe(2);
    expect(t.spec).toBe(f64.module.spec);
    for (const a of nonEmpty(Object.values(t.params), "parameters")) expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(t.params["W1"]).not.toBe(params["W1"]); // copied into shared memory
    expect(t.learningRate).toBe(0.05);
    t.setLearningRate(0.2);
    ref.setLearningRate(0.2);
    expect(t.learningRate).toBe(0.2);
    expect(t.optimizer.state()).toMatchObject({ kind: "sgd", stepCount: 0 });
    const b = batch(10);
    t.step(b);
    ref.step(b);
    const e = t.evaluate(b);
    const r = ref.evaluate(b);
    expect(Math.abs(e.loss - r.loss)).toBeLessThan(1e-12);
    expect(e.outputs["probabilities"]).toHaveLength(100);
  });

  it("trains in place when the params already live in shared memory", async () => {
    const params = f64.module.initParams(8);
    for (const k of Object.keys(params)) {
      const a = new Float64Array(new SharedArrayBuffer(params[k].byteLength));
      a.set(params[k]);
      params[k] = a;
    }
    const before = params["b2"].slice();
    const t = await parallel(f64.url, params, 2);
    expect(t.params["W1"]).toBe(params["W1"]);
    t.step(batch(8));
    expect(params["b2"]).not.toEqual(before);
  });

  it("is a FitTrainer: fit() runs epochs with a partial last batch", async () => {
    const n = 50;
    const { x, y } = batch(n);
    const data = fromArrays({ x: { shape: [784], dtype: "f64", values: x }, y: { shape: [], dtype: "i32", values: y } });
    const ref = f64.module.createTrainer(f64.module.initParams(9), { optimizer: { kind: "sgd", lr: 0.05 } });
    const t = await parallel(f64.url, f64.module.initParams(9), 2);
    const a = fit(t, data, { epochs: 2, batchSize: 16, shuffle: true, seed: 1, progress: false });
    const b = fit(ref, data, { epochs: 2, batchSize: 16, shuffle: true, seed: 1, progress: false });
    expect(a.losses).toHaveLength(8);
    a.losses.forEach((l, i) => expect(Math.abs(l - b.losses[i]!)).toBeLessThan(1e-12));
  });
});

describe("parallel trainer: errors and close", { timeout: 180_000 }, () => {
  it("rejects wrong inputs with the single-thread trainer's message, changing nothing", async () => {
    const ref = f64.module.createTrainer(f64.module.initParams(1), { optimizer: { kind: "sgd", lr: 0.05 } });
    const t = await parallel(f64.url, f64.module.initParams(1), 2);
    const before = bytes(t.params);
    const good = batch(4);
    const bad: unknown[] = [
      { x: good.x },
      { x: good.x, y: new Int32Array(3) },
      { x: good.x.subarray(1), y: good.y },
      { x: good.x, y: Int32Array.from([0, 1, 10, 2]) },
      { x: Float64Array.from(good.x, (v, i) => (i === 900 ? NaN : v)), y: good.y },
      null,
    ];
    for (const inputs of bad) {
      let message = "";
      try {
        ref.step(inputs as Inputs);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).not.toBe("");
      expect(() => t.step(inputs as Inputs)).toThrow(message);
    }
    expect(bytes(t.params)).toEqual(before);
    expect(t.optimizer.stepCount).toBe(0);
    t.step(good); // still usable
    expect(t.optimizer.stepCount).toBe(1);
  });

  it("rejects bad params, options and fixed-batch models before starting workers", async () => {
    const params = f64.module.initParams(1);
    await expect(createParallelTrainer(f64.url, { ...params, W1: new Float64Array(3) }, { optimizer: { kind: "sgd", lr: 0.1 } })).rejects.toThrow(/param "W1": expected 100352 values/);
    await expect(createParallelTrainer(f64.url, params, { optimizer: { kind: "sgd", lr: 0.1 }, threads: 0 })).rejects.toThrow(/threads must be an integer >= 1/);
    await expect(createParallelTrainer(f64.url, params, { optimizer: { kind: "sgdd" } as never })).rejects.toThrow(/unknown optimizer kind/);
    await expect(createParallelTrainer(f64.url, params, { optimizer: { kind: "sgd", lr: 0.1 }, fastmath: true } as never)).rejects.toThrow(
      'createParallelTrainer: unknown option "fastmath"; expected optimizer, seed, groups, clipGradNorm, clipGradValue, threads, execArgv, fastMath',
    );
    await expect(createParallelTrainer(f64.url, params, { optimizer: { kind: "sgd", lr: 0.1 }, fastMath: "yes" } as never)).rejects.toThrow("createTrainer: fastMath must be a boolean, got yes");
    const fixed = await compileTo("xor4", "examples/xor/model.ts", { dtype: "f64", batch: 4 });
    await expect(createParallelTrainer(fixed.url, fixed.module.initParams(1), { optimizer: { kind: "sgd", lr: 0.1 }, threads: 2 })).rejects.toThrow(/fixed batch size/);
    const one = await parallel(fixed.url, fixed.module.initParams(1), 1);
    expect(Number.isFinite(one.step({ x: [0, 0, 0, 1, 1, 0, 1, 1], y: [0, 1, 1, 0] }))).toBe(true);
  });

  it("reports a failure inside a worker's step as an Error with the worker's message, and keeps going", async () => {
    // A module that fails in workers (not on the main thread) when its shard starts with x = 42.
    const file = path.join(dir, "failing.gen.ts");
    writeFileSync(
      file,
      [
        'import { isMainThread } from "node:worker_threads";',
        'import * as real from "./mnist64.gen.js";',
        "export const spec = real.spec;",
        "export const initParams = real.initParams;",
        "export const createTrainer = real.createTrainer;",
        "export function gradInto(params: any, inputs: any, grads: any): number {",
        '  if (!isMainThread && inputs.x[0] === 42) throw new RangeError("shard starts with 42");',
        '  if (!isMainThread && inputs.x[0] === 43) process.exit(3);',
        "  return real.gradInto(params, inputs, grads);",
        "}",
      ].join("\n"),
    );
    const t = await parallel(pathToFileURL(file).href, f64.module.initParams(1), 2);
    const b = batch(4);
    b.x[2 * 784] = 42; // first row of worker 1's shard (rows 2..3)
    let error: Error | undefined;
    try {
      t.step(b);
    } catch (e) {
      error = e as Error;
    }
    expect(error).toBeInstanceOf(Error);
    expect(error!.message).toBe("shard starts with 42");
    expect(error!.name).toBe("RangeError");
    expect(error!.stack).toContain("worker 1");
    expect(t.optimizer.stepCount).toBe(0);
    b.x[2 * 784] = 0.5;
    expect(Number.isFinite(t.step(b))).toBe(true); // the worker survived its error

    b.x[2 * 784] = 43; // the worker thread ends
    expect(() => t.step(b)).toThrow(/worker 1 exited/);
    expect(() => t.step(batch(4))).toThrow(/worker 1 exited/);
    await t.close();
  });

  it("rejects with the worker's error when the module cannot load in a worker", async () => {
    const file = path.join(dir, "unloadable.gen.ts");
    writeFileSync(
      file,
      [
        'import { isMainThread } from "node:worker_threads";',
        'export * from "./mnist64.gen.js";',
        'if (!isMainThread) throw new TypeError("not in a worker, please");',
      ].join("\n"),
    );
    await expect(createParallelTrainer(pathToFileURL(file).href, f64.module.initParams(1), { optimizer: { kind: "sgd", lr: 0.1 }, threads: 2 })).rejects.toThrow(
      "not in a worker, please",
    );
    await expect(createParallelTrainer(path.join(dir, "missing.gen.ts"), f64.module.initParams(1), { optimizer: { kind: "sgd", lr: 0.1 }, threads: 2 })).rejects.toThrow();
  });

  it("close() ends the workers; the trainer refuses to step afterwards", async () => {
    const t = await parallel(f64.url, f64.module.initParams(1), 3);
    t.step(batch(6));
    await t.close();
    await t.close(); // twice is fine
    expect(() => t.step(batch(6))).toThrow(/after close/);
  });
});

describe("parallel trainer: from built JavaScript", { timeout: 180_000 }, () => {
  it("runs under plain node: the worker entry is parallelWorker.js next to parallel.js, no TypeScript hook", async () => {
    // runtime/*.ts transpiled as `npm run build` would emit them, and a module compiled to import them.
    const out = path.join(dir, "built");
    mkdirSync(path.join(out, "runtime"), { recursive: true });
    const transpile = (source: string) =>
      ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
    for (const f of readdirSync("runtime").filter((f) => f.endsWith(".ts"))) {
      writeFileSync(path.join(out, "runtime", f.replace(/\.ts$/, ".js")), transpile(readFileSync(path.join("runtime", f), "utf8")));
    }
    const { code } = await compileFile("examples/mnist-mlp/model.ts", { dtype: "f32", runtime: "./runtime/index.js" });
    writeFileSync(path.join(out, "model.gen.js"), transpile(code));
    writeFileSync(path.join(out, "package.json"), JSON.stringify({ type: "module" }));
    writeFileSync(
      path.join(out, "main.js"),
      [
        'import { createParallelTrainer } from "./runtime/parallel.js";',
        'import * as mod from "./model.gen.js";',
        "const n = 9, x = new Float32Array(n * 784).map((_, i) => (i % 13) / 13), y = Int32Array.from({ length: n }, (_, i) => i % 10);",
        'const optimizer = { kind: "sgd", lr: 0.1 };',
        'const t = await createParallelTrainer(new URL("./model.gen.js", import.meta.url), mod.initParams(1), { optimizer, threads: 2 });',
        "const ref = mod.createTrainer(mod.initParams(1), { optimizer });",
        "const losses = [0, 1, 2].map(() => [t.step({ x, y }), ref.step({ x, y })]);",
        "let error = ''; try { t.step({ x }); } catch (e) { error = e.message; }",
        "await t.close();",
        "console.log(JSON.stringify({ losses, error, execArgv: process.execArgv }));",
      ].join("\n"),
    );
    const r = spawnSync(process.execPath, [path.join(out, "main.js")], { encoding: "utf8", timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const { losses, error, execArgv } = JSON.parse(r.stdout) as { losses: [number, number][]; error: string; execArgv: string[] };
    expect(execArgv).toEqual([]);
    for (const [got, want] of nonEmpty(losses, "losses", 3)) expect(Math.abs(got - want)).toBeLessThan(1e-5);
    expect(error).toMatch(/^missing input "y"/);
  });
});

// Type-level: a generated module's own type fits the constraint, and the trainer gets its exact types
// (step takes the module's Inputs, params are its Params), as createTrainer's trainer does.
type Mnist = typeof import("../../examples/mnist-mlp/model.gen.js");
export const typedApi = (t: ParallelTrainer<Mnist>, inputs: Parameters<Mnist["forward"]>[1] & { y: Int32Array }): [number, ReturnType<Mnist["initParams"]>] => [
  t.step(inputs),
  t.params,
];
