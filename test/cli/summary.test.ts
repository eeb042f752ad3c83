// gradc summary through the built CLI (a child process): on every example the totals are the model's
// own — the parameters' sizes from its spec, compiler/ir/flops.ts's count of the forward and training
// graphs — and the rows add up to them; mnist-cnn's rows are the layers worked out by hand; a model with
// every kind of layer; the text table; usage errors and a broken model.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { main } from "../../compiler/cli.js";
import { inferenceGraph, trainingGraph } from "../../compiler/pipeline.js";
import { loadModel } from "../../compiler/frontend/load.js";
import { flops } from "../../compiler/ir/flops.js";
import { makeGraph } from "../../compiler/ir/graph.js";
import { optimize } from "../../compiler/pipeline.js";
import type { ModelSummary } from "../../compiler/summary.js";
import { compileAndImport } from "../helpers/compiled.js";
import { exampleModel, exampleNames, root } from "../examples/util.js";

const fixture = fileURLToPath(new URL("../fixtures/models/summary.ts", import.meta.url));

/** `node bin/gradc.js summary …` from the repository root. */
function gradc(args: readonly string[]) {
  const r = spawnSync(process.execPath, [path.join(root, "bin/gradc.js"), "summary", ...args], { cwd: root, encoding: "utf8", timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function summaryOf(file: string): ModelSummary {
  const r = gradc([path.relative(root, file), "--format", "json"]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as ModelSummary;
}

const product = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** The totals a summary must report, from the compiled module's spec and flops() of the same graphs. */
async function expectedTotals(file: string) {
  const { module } = await compileAndImport(file);
  const params = module.spec.params as readonly { name: string; shape: readonly number[]; trainable?: boolean }[];
  const trainable = params.filter((p) => p.trainable !== false).reduce((a, p) => a + product(p.shape), 0);
  const state = params.filter((p) => p.trainable === false).reduce((a, p) => a + product(p.shape), 0);
  const optimized = optimize(await loadModel(file)).graph;
  const evaluation = inferenceGraph(optimized);
  return {
    params: trainable + state,
    trainable,
    state,
    bytesF32: 4 * (trainable + state),
    forwardFlops: flops(makeGraph({ ...evaluation, grads: [], updates: [] }), 1),
    trainingFlops: flops(makeGraph({ ...trainingGraph(optimized), outputs: [] }), 1),
  };
}

function expectRowsAddUp(s: ModelSummary): void {
  expect(s.rows.reduce((a, r) => a + r.params + r.state, 0)).toBe(s.totals.params);
  expect(s.rows.reduce((a, r) => a + r.state, 0)).toBe(s.totals.state);
  expect(s.rows.reduce((a, r) => a + r.flops, 0)).toBe(s.totals.forwardFlops);
  expect(s.totals.forwardFlops).toBeGreaterThan(0);
  expect(s.totals.trainingFlops).toBeGreaterThan(s.totals.forwardFlops);
}

describe("gradc summary on every example (the built CLI)", () => {
  it.each(exampleNames())("%s: totals from the spec and flops(), the rows adding up to them", async (name) => {
    const s = summaryOf(exampleModel(name));
    expect(s.totals).toEqual(await expectedTotals(exampleModel(name)));
    expectRowsAddUp(s);
    expect(s.rows.some((r) => !r.name.startsWith("(")), "no layer found").toBe(true);
  });
});

describe("gradc summary: mnist-cnn's layers, worked out by hand", () => {
  it("conv 5×5 1→8 + relu, pool 2×2, conv 5×5 8→16 + relu, pool 2×2, dense 256→10, then the softmax output and the loss", () => {
    const s = summaryOf(exampleModel("mnist-cnn"));
    const layers = s.rows.filter((r) => !r.name.startsWith("("));
    // a convolution: 2 FLOPs per tap per output element, then one each for the bias and the relu
    const conv = (h: number, w: number, c: number, k: number, cin: number) => 2 * h * w * c * k * k * cin + 2 * h * w * c;
    expect(layers.map((r) => [r.kind, r.shape, r.params, r.flops, r.paramNames])).toEqual([
      ["conv2d 5×5, 1→8 + relu", "[batch, 24, 24, 8]", 5 * 5 * 1 * 8 + 8, conv(24, 24, 8, 5, 1), ["K1", "c1"]],
      ["maxPool2d 2×2", "[batch, 12, 12, 8]", 0, 12 * 12 * 8, []], // flops.ts counts one per output element
      ["conv2d 5×5, 8→16 + relu", "[batch, 8, 8, 16]", 5 * 5 * 8 * 16 + 16, conv(8, 8, 16, 5, 8), ["K2", "c2"]],
      ["maxPool2d 2×2", "[batch, 4, 4, 16]", 0, 4 * 4 * 16, []],
      ["dense 256→10", "[batch, 10]", 256 * 10 + 10, 2 * 256 * 10 + 10, ["W", "b"]],
    ]);
    // named as explain names them: the model's h1, h2, logits; the unnamed activations a₁, a₂ (h₁, h₂ are the model's)
    expect(layers.map((r) => r.name)).toEqual(["a₁", "h1", "a₂", "h2", "logits"]);
    expect(layers.map((r) => r.at)).toEqual(["model.ts:13:24", "model.ts:13:14", "model.ts:17:24", "model.ts:17:14", "model.ts:21:18"]);
    expect(s.rows.filter((r) => r.name.startsWith("(")).map((r) => [r.name, r.kind])).toEqual([["(other)", "softmax"], ["(loss)", "softmaxCE, sum, div"]]);
    expect(s.totals.params).toBe(208 + 3216 + 2570);
  });

  it("prints a table, torchinfo's columns, and the totals", () => {
    const r = gradc(["examples/mnist-cnn/model.ts"]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe('Model "mnistCnn" (model.ts): 5 layers; "batch" is the batch dimension; FLOPs per sample are counted at batch size 1.');
    expect(lines[2]).toMatch(/^layer {2,}kind {2,}output shape {2,}params {2,}FLOPs\/sample {2,}at$/);
    expect(lines[4]).toMatch(/^a₁ {2,}conv2d 5×5, 1→8 \+ relu {2,}\[batch, 24, 24, 8\] {2,}208 {2,}239,616 {2,}model\.ts:13:24$/);
    expect(r.stdout).toMatch(/^params: {2,}5,994 \(5,994 trainable, 0 non-trainable state\)$/m);
    expect(r.stdout).toMatch(/^parameter memory: {2,}23,976 bytes as float32 \(23\.4 KiB\)/m);
    expect(r.stdout).toMatch(/^forward: {2,}657,884 FLOPs per sample/m);
  });
});

describe("gradc summary: every kind of layer (test/fixtures/models/summary.ts)", () => {
  it("embedding, conv1d + gelu, layerNorm, a recurrence, pooling, dense, batchNorm with its state, parameter groups, an unused parameter", async () => {
    const s = summaryOf(fixture);
    expect(s.totals).toEqual(await expectedTotals(fixture));
    expectRowsAddUp(s);
    const rows = Object.fromEntries(s.rows.map((r) => [r.kind, r]));
    expect(s.rows.map((r) => r.kind)).toEqual([
      "embedding 20×6", "conv1d 3, 6→4 + gelu", "layerNorm", "scan, 8 steps", "maxPool2d 2×1", "dense 16→5", "batchNorm", "add", "mul",
      "relu", "softmaxCE, sum, div", "parameters no output or loss reads",
    ]);
    expect(rows["embedding 20×6"]).toMatchObject({ shape: "[batch, 8, 6]", params: 120, paramNames: ["E"] });
    expect(rows["conv1d 3, 6→4 + gelu"]).toMatchObject({ shape: "[batch, 8, 4]", params: 3 * 6 * 4 + 4, paramNames: ["K", "k"] });
    expect(rows["layerNorm"]).toMatchObject({ shape: "[batch, 8, 4]", params: 4, paramNames: ["g"] });
    expect(rows["scan, 8 steps"]).toMatchObject({ shape: "[batch, 8, 4]", params: 32, paramNames: ["U", "V"] });
    expect(rows["batchNorm"]).toMatchObject({ name: "bn", shape: "[batch, 5]", params: 10, state: 10 });
    expect(rows["mul"]).toMatchObject({ name: "temperature", params: 1 });
    expect(rows["parameters no output or loss reads"]).toMatchObject({ name: "(unused)", params: 3, paramNames: ["unused"], flops: 0 });
  });
});

describe("gradc summary: errors", () => {
  it("--format other than text or json, and an option of another command, are usage errors (exit 2)", () => {
    const bad = gradc(["examples/simple/model.ts", "--format", "xml"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/option '--format' must be text or json, got 'xml'/);
    const other = gradc(["examples/simple/model.ts", "--param", "W1"]);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/option '--param' does not apply to summary/);
    expect(gradc([]).stderr).toMatch(/summary: missing the model file/);
  });

  it("a model that does not compile is its located diagnostic (exit 1), nothing on stdout", () => {
    const r = gradc(["test/fixtures/models/shapeMismatch.ts"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/shapeMismatch\.ts:\d+:\d+ - error GC2001/);
  });

  it("--help lists the command", async () => {
    let out = "";
    expect(await main(["--help"], { stdout: { write: (t: string) => (out += t) } })).toBe(0);
    expect(out).toMatch(/gradc summary <model\.ts> \[--format text\|json\]/);
  });
});
