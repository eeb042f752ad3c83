// The data-parallel trainer refuses a model whose loss mixes rows of the batch (a shard cannot give
// the whole batch's answer): batchNorm in training mode, a [batch, batch] similarity matrix. The
// compiler says so in the generated spec (rowIndependent, rowMixing: compiler/ir/rows.ts); the refusal
// is a GradcError GC4002 at createParallelTrainer, naming the op, its model.ts place and why. With one
// thread such a model trains exactly as createTrainer does; a row-independent MLP is accepted with two.
// Models are compiled from real model files into a temporary directory (as parallel.test.ts does).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { runtimeSpecifierFor } from "../../compiler/cli.js";
import { compileFile } from "../../compiler/compile.js";
import { isGradcError } from "../../runtime/errors.js";
import { createParallelTrainer, type ParallelModule, type ParallelTrainer } from "../../runtime/parallel.js";

type Arrays = Record<string, Float64Array>;
interface Module extends ParallelModule {
  initParams(seed?: number): Arrays;
  createTrainer(params: Arrays, options: { optimizer: Record<string, unknown> }): { step(inputs: Record<string, ArrayLike<number>>): number; params: Arrays } & ReturnType<ParallelModule["createTrainer"]>;
}

const dir = mkdtempSync(path.join(tmpdir(), "gradc-parallel-rows-"));
const open: ParallelTrainer[] = [];
afterAll(async () => {
  await Promise.all(open.map((t) => t.close()));
  rmSync(dir, { recursive: true, force: true });
});

const header = 'import { model, input, param, matmul, relu, tanh, mean, square, batchNorm, softmaxCrossEntropy } from "gradc";';
const models = {
  bn: [
    header,
    'export default model("bn", () => {',
    '  const x = input("x", ["batch", 4]);',
    '  const y = input("y", ["batch"], { dtype: "int" });',
    '  const W = param("W", [4, 6], { init: "he" });',
    '  const V = param("V", [6, 3], { init: "xavier" });',
    '  const h = relu(batchNorm(matmul(x, W), "bn1"));',
    "  return { loss: softmaxCrossEntropy(matmul(h, V), y) };",
    "});",
  ],
  similarity: [
    header,
    'export default model("similarity", () => {',
    '  const x = input("x", ["batch", 4]);',
    '  const W = param("W", [4, 3], { init: "xavier" });',
    "  const h = tanh(matmul(x, W));",
    "  const s = matmul(h, h, { transB: true });",
    "  return { loss: mean(square(s)) };",
    "});",
  ],
  mlp: [
    header,
    'export default model("mlp", () => {',
    '  const x = input("x", ["batch", 4]);',
    '  const y = input("y", ["batch"], { dtype: "int" });',
    '  const W = param("W", [4, 6], { init: "he" });',
    '  const V = param("V", [6, 3], { init: "xavier" });',
    "  return { loss: softmaxCrossEntropy(matmul(relu(matmul(x, W)), V), y) };",
    "});",
  ],
};

async function compiled(name: keyof typeof models): Promise<{ url: string; module: Module }> {
  const source = path.join(dir, `${name}.ts`);
  writeFileSync(source, `${models[name].join("\n")}\n`);
  const file = path.join(dir, `${name}.gen.ts`);
  const runtime = runtimeSpecifierFor(file);
  const { code } = await compileFile(source, { dtype: "f64", ...(runtime ? { runtime } : {}) });
  writeFileSync(file, code);
  return { url: pathToFileURL(file).href, module: (await import(/* @vite-ignore */ file)) as Module };
}

const batch = { x: Float64Array.from({ length: 24 }, (_, k) => Math.sin(k * 1.3)), y: Int32Array.from({ length: 6 }, (_, k) => k % 3) };
const optimizer = { kind: "sgd", lr: 0.1 } as const;

async function refusal(url: string, params: Arrays): Promise<Error & { code?: string }> {
  try {
    open.push(await createParallelTrainer(url, params, { optimizer, threads: 2 }));
  } catch (e) {
    return e as Error;
  }
  throw new Error("createParallelTrainer accepted a model that mixes rows with threads: 2");
}

describe("parallel trainer and models that mix rows of the batch", { timeout: 180_000 }, () => {
  it("batchNorm: the spec says why; refused with 2 threads (GC4002 naming the op, its place and why); with 1 thread it is createTrainer", async () => {
    const { url, module } = await compiled("bn");
    expect(module.spec.rowIndependent).toBe(false);
    expect(module.spec.rowMixing).toBe("a value over the whole batch is combined with every row (sub at bn.ts:7:18)");
    const e = await refusal(url, module.initParams(1));
    expect(isGradcError(e)).toBe(true);
    expect(e.code).toBe("GC4002");
    expect(e.message).toContain('model "bn" mixes rows of the batch: a value over the whole batch is combined with every row (sub at bn.ts:7:18)');
    expect(e.message).toMatch(/batchNorm would normalize with a shard's statistics.*train this model on one thread \(threads: 1/);

    const one = await createParallelTrainer<Module>(url, module.initParams(1), { optimizer, threads: 1 });
    open.push(one);
    const single = module.createTrainer(module.initParams(1), { optimizer });
    for (let s = 0; s < 3; s++) expect(one.step(batch)).toBe(single.step(batch));
    expect(one.params).toEqual(single.params);
  });

  it("a [batch, batch] similarity matrix is refused with 2 threads", async () => {
    const { url, module } = await compiled("similarity");
    const e = await refusal(url, module.initParams(1));
    expect(e.code).toBe("GC4002");
    expect(e.message).toContain("[batch, 3]·[batch, 3]ᵀ pairs or sums rows of the batch (matmul at similarity.ts:6:13)");
  });

  it("an MLP is row-independent: accepted with 2 threads, and agrees with the single-thread trainer", async () => {
    const { url, module } = await compiled("mlp");
    expect(module.spec.rowIndependent).toBe(true);
    expect("rowMixing" in module.spec).toBe(false);
    const two = await createParallelTrainer<Module>(url, module.initParams(1), { optimizer, threads: 2 });
    open.push(two);
    expect(two.threads).toBe(2);
    const single = module.createTrainer(module.initParams(1), { optimizer });
    for (let s = 0; s < 3; s++) expect(two.step(batch)).toBeCloseTo(single.step(batch), 12);
  });
});
