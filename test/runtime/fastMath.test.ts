// fastMath, the opt-in fused multiply-add kernel (runtime/gemm.ts, runtime/fastMath.ts), as users meet
// it: in node processes of their own, with WebAssembly relaxed SIMD switched on
// (--experimental-wasm-relaxed-simd: Node 20 needs it) and switched off (--no-…: the fallback).
// With it, the fused kernel's products agree with the default kernel's to float32 rounding, and a
// fastMath trainer leaves another trainer in the same program on the default kernel, bit for bit.
// Without it, fastMath runs the default kernel (the same bits) and says so once. The option itself is
// validated like every createTrainer option.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { createTrainerOptimizer } from "../../runtime/optim.js";

/**
 * A child node with relaxed SIMD on or off: products of random matrices on the default and the fused
 * kernel (every block and tail: 2-row and 4-row blocks, A plain and transposed, B transposed, several
 * K-panels), then the committed mnist-mlp module trained by a default trainer alone, and by a fastMath
 * trainer and a default one in turns. Prints JSON; warnings go to stderr.
 */
const CHILD = String.raw`
import { createGemm, fastMathAvailable, withFastMath } from "gradc/runtime";
import * as mlp from "./examples/mnist-mlp/model.gen.ts";
let seed = 12345;
const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;
const g = createGemm();
const products = [];
for (const [M, N, K, transA, transB] of [[37, 45, 300, false, false], [33, 29, 70, true, false], [9, 21, 530, false, true], [64, 128, 784, false, false]]) {
  const A = Float32Array.from({ length: M * K }, random), B = Float32Array.from({ length: K * N }, random);
  const [sAi, sAk] = transA ? [1, M] : [K, 1];
  const [sBk, sBj] = transB ? [1, K] : [N, 1];
  const exact = (() => { const at = g.product(M, N, K, A, sAi, sAk, B, sBk, sBj); return g.mem.slice(at, at + M * N); })();
  const fused = withFastMath(() => { const at = g.product(M, N, K, A, sAi, sAk, B, sBk, sBj); return g.mem.slice(at, at + M * N); }, undefined);
  // |fused − exact| over the float32 rounding bound of a K-term sum, 2·K·2⁻²⁴·Σ|a·b| (each result may be off by that).
  let worst = 0, differ = 0;
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let size = 0;
      for (let k = 0; k < K; k++) size += Math.abs(A[i * sAi + k * sAk] * B[k * sBk + j * sBj]);
      const d = Math.abs(fused[i * N + j] - exact[i * N + j]);
      if (d !== 0) differ++;
      worst = Math.max(worst, d / (2 * K * 2 ** -24 * size));
    }
  products.push({ shape: [M, N, K, transA, transB], worst, differ });
}
const batch = { x: Float32Array.from({ length: 64 * 784 }, () => (random() + 1) / 2), y: Int32Array.from({ length: 64 }, (_, q) => q % 10) };
const optimizer = { kind: "sgd", lr: 0.05 };
const train = (fastMath) => {
  const t = mlp.createTrainer(mlp.initParams(3), fastMath === undefined ? { optimizer } : { optimizer, fastMath });
  return { t, step: () => t.step(batch) };
};
const alone = train(undefined);
const aloneLosses = [alone.step(), alone.step(), alone.step()];
const fast = train(true), plain = train(false);
const fastLosses = [], plainLosses = [];
for (let s = 0; s < 3; s++) (fastLosses.push(fast.step()), plainLosses.push(plain.step()));
const same = (p, q) => Object.keys(p).every((k) => p[k].every((v, n) => Object.is(v, q[k][n])));
console.log(JSON.stringify({
  available: fastMathAvailable(),
  products,
  aloneLosses, fastLosses, plainLosses,
  plainEqualsAlone: same(plain.t.params, alone.t.params),
  fastEqualsAlone: same(fast.t.params, alone.t.params),
  fastEvaluate: fast.t.evaluate(batch).loss, plainEvaluate: plain.t.evaluate(batch).loss,
}));
`;

interface ChildResult {
  available: boolean;
  products: { shape: unknown[]; worst: number; differ: number }[];
  aloneLosses: number[];
  fastLosses: number[];
  plainLosses: number[];
  plainEqualsAlone: boolean;
  fastEqualsAlone: boolean;
  fastEvaluate: number;
  plainEvaluate: number;
}

function child(relaxedSimd: boolean): { result: ChildResult; stderr: string } {
  const flag = relaxedSimd ? "--experimental-wasm-relaxed-simd" : "--no-experimental-wasm-relaxed-simd";
  const r = spawnSync(process.execPath, [flag, "--import", "./scripts/register-ts.js", "--input-type=module", "-e", CHILD], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`child node ${flag} failed (${r.status}): ${r.stderr}`);
  return { result: JSON.parse(r.stdout) as ChildResult, stderr: r.stderr };
}

describe("fastMath with WebAssembly relaxed SIMD (node --experimental-wasm-relaxed-simd)", () => {
  const { result, stderr } = child(true);
  it("the fused kernel is available and nothing is said", () => {
    expect(result.available).toBe(true);
    expect(stderr).not.toMatch(/fastMath/);
  });
  it("its products agree with the default kernel's to float32 rounding, on every block, tail and K-panel", () => {
    expect(result.products).toHaveLength(4);
    for (const p of result.products) expect(p.worst, JSON.stringify(p.shape)).toBeLessThanOrEqual(1);
  });
  it("a fastMath trainer trains like the default one, and a default trainer beside it keeps its bits", () => {
    expect(result.fastLosses).toHaveLength(3);
    result.fastLosses.forEach((loss, s) => expect(Math.abs(loss - result.aloneLosses[s]!)).toBeLessThan(1e-4 * result.aloneLosses[s]!));
    expect(result.plainLosses).toEqual(result.aloneLosses);
    expect(result.plainEqualsAlone).toBe(true);
    expect(Math.abs(result.fastEvaluate - result.plainEvaluate)).toBeLessThan(1e-4 * result.plainEvaluate);
  });
  it("where the engine does fuse (its products differ in the last bits: x64 with FMA3, arm64), the fastMath trainer's step used them", () => {
    // relaxed_madd may also run unfused (then both kernels give the same bits and there is nothing to see).
    const fuses = result.products.some((p) => p.differ > 0);
    expect(result.fastEqualsAlone).toBe(!fuses);
  });
});

describe("fastMath without relaxed SIMD (node --no-experimental-wasm-relaxed-simd)", () => {
  const { result, stderr } = child(false);
  it("falls back to the default kernel: the same bits, products and training", () => {
    expect(result.available).toBe(false);
    for (const p of result.products) expect(p.differ, JSON.stringify(p.shape)).toBe(0);
    expect(result.fastLosses).toEqual(result.aloneLosses);
    expect(result.fastEqualsAlone).toBe(true);
    expect(result.fastEvaluate).toBe(result.plainEvaluate);
  });
  it("and says so once, however many products and trainers ask", () => {
    expect(stderr.match(/gradc: fastMath: this JavaScript engine has no WebAssembly relaxed SIMD/g)).toHaveLength(1);
  });
});

describe("the fastMath option", () => {
  const params = [{ name: "w", shape: [2] }];
  it("is a boolean: other values are refused with the option's name", () => {
    for (const bad of ["yes", 1, null, {}])
      expect(() => createTrainerOptimizer({ optimizer: { kind: "sgd", lr: 0.1 }, fastMath: bad as never }, [2], params, "f32")).toThrow(`createTrainer: fastMath must be a boolean, got ${String(bad)}`);
  });
  it("true and false are accepted; a misspelt fastmath is an unknown option", () => {
    for (const fastMath of [true, false]) expect(createTrainerOptimizer({ optimizer: { kind: "sgd", lr: 0.1 }, fastMath }, [2], params, "f32").spec.lr).toBe(0.1);
    expect(() => createTrainerOptimizer({ optimizer: { kind: "sgd", lr: 0.1 }, fastmath: true } as never, [2], params, "f32")).toThrow('createTrainer: unknown option "fastmath"');
  });
});

/**
 * The parallel trainer with fastMath, in a child node with relaxed SIMD: two threads, a batch whose first
 * half (the main thread's shard) is all zeros. With mnist-mlp's zero biases that shard's products are
 * exact zeros on either kernel, so its loss is the same bits; the worker's shard (random rows) is where
 * fused and unfused products differ. The first step's loss (the mean of the two shards' losses) then
 * differs from the default parallel trainer's exactly when the worker ran the fused kernel.
 * (The workers get only the TypeScript hook: the parent's --input-type is no option for a worker.)
 */
const PARALLEL_CHILD = String.raw`
import { createParallelTrainer } from "gradc/runtime/node";
import * as mlp from "./examples/mnist-mlp/model.gen.ts";
let seed = 777;
const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
const x = new Float32Array(64 * 784);
for (let k = 32 * 784; k < x.length; k++) x[k] = random();
const batch = { x, y: Int32Array.from({ length: 64 }, (_, q) => q % 10) };
const url = new URL("./examples/mnist-mlp/model.gen.ts", "file://" + process.cwd() + "/");
const run = async (fastMath) => {
  const t = await createParallelTrainer(url, mlp.initParams(3), { optimizer: { kind: "sgd", lr: 0.05 }, threads: 2, fastMath, execArgv: ["--import", "./scripts/register-ts.js"] });
  const losses = [t.step(batch), t.step(batch)];
  await t.close();
  return losses;
};
const plain = await run(false), fast = await run(true);
// The main thread's shard alone, on each kernel (single-thread trainers' evaluate over the zero rows).
const zeros = { x: new Float32Array(32 * 784), y: batch.y.subarray(0, 32) };
const zeroLoss = (fastMath) => mlp.createTrainer(mlp.initParams(3), { optimizer: { kind: "sgd", lr: 0.05 }, fastMath }).evaluate(zeros).loss;
console.log(JSON.stringify({ plain, fast, zeroPlain: zeroLoss(false), zeroFast: zeroLoss(true) }));
`;

describe("fastMath in the parallel trainer (node --experimental-wasm-relaxed-simd)", () => {
  const products = child(true).result.products;
  const fuses = products.some((p) => p.differ > 0);
  const r = spawnSync(process.execPath, ["--experimental-wasm-relaxed-simd", "--import", "./scripts/register-ts.js", "--input-type=module", "-e", PARALLEL_CHILD], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`child node failed (${r.status}): ${r.stderr}`);
  const result = JSON.parse(r.stdout) as { plain: number[]; fast: number[]; zeroPlain: number; zeroFast: number };
  it("the main thread's all-zero shard has the same loss on either kernel (so a difference is the worker's)", () => {
    expect(result.zeroFast).toBe(result.zeroPlain);
  });
  it("the worker's shard runs on the fused kernel: the first step's loss differs where the engine fuses, and trains alike", () => {
    expect(result.fast).toHaveLength(2);
    expect(result.fast[0] !== result.plain[0]).toBe(fuses);
    result.fast.forEach((loss, s) => expect(Math.abs(loss - result.plain[s]!)).toBeLessThan(1e-4 * result.plain[s]!));
  });
});

