// Values with the batch dimension more than once — a similarity matrix h·hᵀ [batch, batch], attention
// over the batch, pairwise differences, a [batch, 2, batch] broadcast — get buffers of n² elements
// (not n: that read past the end from batch 4 on and turned the loss NaN from batch 17). Each model is
// compiled once and checked at several batch sizes: lossAndGrad against central finite differences,
// forward() against the reference interpreter, evaluate() against lossAndGrad, and the float32 module
// against the float64 one; --report gives such buffers as `B × n²`.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../compiler/cli.js";
import * as d from "../../compiler/dsl/core.js";
import { model, type ModelDef } from "../../compiler/dsl/model.js";
import { evaluate } from "../../compiler/ir/interpret.js";
import { compileAndImport, type GeneratedModule } from "../helpers/compiled.js";
import { checkGradients, traceModel } from "../helpers/gradcheck.js";
import { mulberry32, uniformArray } from "../helpers/rng.js";

/** s = h·hᵀ for h = tanh(x·W): every pair of examples; the loss reads all of it. */
const similarity = model("similarity", () => {
  const x = d.input("x", ["batch", 3]);
  const W = d.param("W", [3, 4], { init: "xavier" });
  const h = d.tanh(d.matmul(x, W));
  const s = d.matmul(h, h, { transB: true });
  return { loss: d.mean(d.square(s)), outputs: { s } };
});

/** Attention over the batch: softmax along the rows of q·kᵀ [batch, batch], then ·v; its gradient is [batch, batch] too. */
const attention = model("attention", () => {
  const x = d.input("x", ["batch", 3]);
  const y = d.input("y", ["batch", 2]);
  const Wq = d.param("Wq", [3, 4], { init: "xavier" });
  const Wk = d.param("Wk", [3, 4], { init: "xavier" });
  const Wv = d.param("Wv", [3, 2], { init: "xavier" });
  const scores = d.div(d.matmul(d.matmul(x, Wq), d.matmul(x, Wk), { transB: true }), 2);
  const a = d.softmax(scores);
  const out = d.matmul(a, d.matmul(x, Wv));
  return { loss: d.mse(out, y), outputs: { a, out } };
});

/** logSoftmax along batch rows, max along them, column sums and a transpose of a [batch, batch] value. */
const contrastive = model("contrastive", () => {
  const x = d.input("x", ["batch", 3]);
  const W = d.param("W", [3, 3], { init: "xavier" });
  const h = d.sigmoid(d.matmul(x, W));
  const s = d.matmul(h, h, { transB: true });
  const l = d.logSoftmax(s);
  const rowMax = d.max(l, 1);
  const colSum = d.sum(d.transpose(d.mul(l, s)), 1);
  return { loss: d.add(d.mean(rowMax), d.mean(d.square(colSum))), outputs: { l, colSum } };
});

/** Pairwise differences by broadcasting [batch, 1] against [1, batch], then [batch, 2, batch]. */
const pairwise = model("pairwise", () => {
  const x = d.input("x", ["batch", 3]);
  const w = d.param("w", [3, 1], { init: "xavier" });
  const c = d.param("c", [2, 1], { init: "uniform", low: 0.5, high: 1.5 });
  const z = d.matmul(x, w); // [batch, 1]
  const diff = d.sub(z, d.reshape(z, [1, "batch"])); // [batch, batch]
  const wide = d.mul(d.reshape(diff, ["batch", 1, "batch"]), c); // [batch, 2, batch]
  return { loss: d.mean(d.softplus(wide)), outputs: { wide } };
});

/**
 * A large product of two [batch, 600] values: the blocked GEMM in float64 and the SIMD product in float32,
 * with the batch dimension as both of its outer sizes (and as the contraction of its gradient).
 */
const P = uniformArray(mulberry32(11), 2 * 600, -0.2, 0.2);
const wideSimilarity = model("wideSimilarity", () => {
  const x = d.input("x", ["batch", 3]);
  const W = d.param("W", [3, 2], { init: "xavier" });
  const h = d.matmul(d.tanh(d.matmul(x, W)), d.constant(P, [2, 600]));
  const s = d.matmul(h, h, { transB: true });
  return { loss: d.mean(d.square(s)), outputs: { s } };
});

const inputsAt = (def: ModelDef, batch: number): Record<string, number[]> => {
  const rng = mulberry32(batch * 7919);
  const g = traceModel(def);
  return Object.fromEntries(g.inputs.map((i) => [i.attrs.name as string, uniformArray(rng, batch * (i.shape.slice(1) as number[]).reduce((a, b) => a * b, 1))]));
};

const asF64 = (p: Record<string, ArrayLike<number>>) => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, Float64Array.from(v)]));
const asF32 = (p: Record<string, ArrayLike<number>>) => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, Float32Array.from(v)]));

/** |a − b| ≤ tol·(1 + |b|) elementwise, with a message naming the element. */
function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  expect(a.length, `${what}: length`).toBe(b.length);
  for (let k = 0; k < b.length; k++) {
    expect(Number.isFinite(a[k]!), `${what}[${k}] is ${a[k]}`).toBe(true);
    expect(Math.abs(a[k]! - b[k]!), `${what}[${k}]: ${a[k]} vs ${b[k]}`).toBeLessThanOrEqual(tol * (1 + Math.abs(b[k]!)));
  }
}

async function checkModel(def: ModelDef, batches: readonly number[], gradParams?: string[]) {
  const f64 = (await compileAndImport(def)).module;
  const f32 = (await compileAndImport(def, { dtype: "f32" })).module;
  const g = traceModel(def);
  const params = asF64(f64.initParams(5));
  for (const batch of batches) {
    const inputs = inputsAt(def, batch);
    const where = `${def.name} at batch ${batch}`;
    const report = checkGradients(def, { inputs, params }, { analytic: () => f64.lossAndGrad(params, inputs), ...(gradParams ? { params: gradParams } : {}) });
    const largest = Math.max(...Object.values(report.numeric).flatMap((a) => [...a].map(Math.abs)));
    expect(largest, `${where}: the gradient is zero everywhere`).toBeGreaterThan(1e-6);
    const reference = evaluate(g, { inputs, params });
    const outputs = f64.forward(params, inputs);
    for (const [name, node] of g.outputs) expectClose(outputs[name]!, reference.get(node)!.data, 1e-12, `${where}: forward ${name}`);
    const lg = f64.lossAndGrad(params, inputs);
    const evaluated = f64.evaluate(params, inputs);
    expect(evaluated.loss, `${where}: evaluate`).toBe(lg.loss);
    for (const [name, o] of Object.entries(outputs)) expect(Array.from(evaluated.outputs[name]!), `${where}: evaluate ${name}`).toEqual(Array.from(o));
    compareF32(f32, params, inputs, lg, outputs, where);
  }
}

/** The float32 module against the float64 one, to float32 precision: outputs, loss and raw gradients. */
function compareF32(f32: GeneratedModule, params: Record<string, Float64Array>, inputs: Record<string, number[]>, lg: { loss: number; grads: Record<string, ArrayLike<number>> }, outputs: Record<string, ArrayLike<number>>, where: string) {
  const p32 = asF32(params);
  const r32 = f32.lossAndGrad(p32, inputs);
  expectClose([r32.loss], [lg.loss], 1e-4, `${where}: f32 loss`);
  for (const [name, g] of Object.entries(lg.grads)) expectClose(r32.grads[name]!, g, 1e-4, `${where}: f32 ∂L/∂${name}`);
  const o32 = f32.forward(p32, inputs);
  for (const [name, o] of Object.entries(outputs)) expectClose(o32[name]!, o, 1e-4, `${where}: f32 forward ${name}`);
}

describe("values with the batch dimension twice", () => {
  it("a similarity matrix h·hᵀ (batches 2, 4, 17, 33)", () => checkModel(similarity, [2, 4, 17, 33]));
  it("attention over the batch: softmax along [batch, batch] rows (batches 2, 5, 17)", () => checkModel(attention, [2, 5, 17]));
  it("logSoftmax, max, column sums and a transpose of [batch, batch] (batches 3, 18)", () => checkModel(contrastive, [3, 18]));
  it("pairwise differences [batch, 1] − [1, batch] and a [batch, 2, batch] broadcast (batches 2, 9, 20)", () => checkModel(pairwise, [2, 9, 20]));
  it("h·hᵀ of [batch, 600] values on the blocked GEMM (f64) and the SIMD product (f32) (batches 2, 7, 19)", async () => {
    const { code: c64 } = await compileAndImport(wideSimilarity);
    const { code: c32 } = await compileAndImport(wideSimilarity, { dtype: "f32" });
    expect(c64).toContain("let c$00 = 0"); // the register-blocked JS GEMM
    expect(c32).toContain("GEMM.product(n, n, 600,");
    await checkModel(wideSimilarity, [2, 7, 19]);
  });

  it("the generated workspace allocates n² elements for them", async () => {
    const { code } = await compileAndImport(similarity);
    expect(code).toMatch(/\bv1: new Float64Array\(n \* n\)/); // s, named as gradc explain names it (v₁) in a model built in a test
    expect(code).not.toMatch(/new Float64Array\(n\)/);
  });
});

describe("--report describes a [batch, batch] buffer as n² elements", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "gradc-batch-twice-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    path.join(dir, "model.ts"),
    `import { model, input, param, matmul, tanh, mean, square } from "gradc";

export default model("similarity", () => {
  const x = input("x", ["batch", 3]);
  const W = param("W", [3, 4], { init: "xavier" });
  const h = tanh(matmul(x, W));
  const s = matmul(h, h, { transB: true });
  return { loss: mean(square(s)), outputs: { s } };
});
`,
  );
  const run = async (args: string[]) => {
    let stdout = "";
    let stderr = "";
    const code = await main(args, { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) }, cwd: dir });
    return { code, stdout, stderr };
  };

  it("as text and as JSON", async () => {
    const text = await run(["compile", "model.ts", "-o", "model.gen.ts", "--report"]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/\n {4}s +n \* n +4 B × n²\n/);
    expect(text.stdout).toMatch(/forward: 2 buffers, 16 bytes per batch row \+ 0 bytes \+ 4 bytes × n²\n/);
    const json = JSON.parse((await run(["compile", "model.ts", "-o", "model.gen.ts", "--report=json"])).stdout) as {
      memory: { pass: string; buffers: { name: string; elements: string; bytesPerRow: number; staticBytes: number; bytesPerBatchPower?: unknown }[] }[];
    };
    const s = json.memory.find((m) => m.pass === "forward")!.buffers.find((b) => b.name === "s");
    expect(s).toEqual({ name: "s", elements: "n * n", bytesPerRow: 0, staticBytes: 0, bytesPerBatchPower: { power: 2, bytes: 4 } });
  });
});
