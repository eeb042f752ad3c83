// gradc's ONNX export, checked in ONNX Runtime: for every example and for models using every kind of
// op, the exported graph's outputs equal the generated float32 module's forward() on random inputs at
// two batch sizes; its inputs, outputs and batch dimension are the model's; recurrent layers become
// ONNX's LSTM/GRU/RNN; an op with no export is a located error.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { createContext } from "../../compiler/ir/context.js";
import { add, input, matmul, mse, param } from "../../compiler/dsl/core.js";

import { model, trace } from "../../compiler/dsl/model.js";
import { exportOnnxFile, exportOnnxGraph, initialParams } from "../../compiler/export/onnx.js";
import { EXPORTS, LOWERED, NOT_EXPORTED } from "../../compiler/export/onnxOps.js";
import { loadModel } from "../../compiler/frontend/load.js";
import { allOps } from "../../compiler/ops/index.js";
import { isGradcError } from "../../runtime/errors.js";
import { compileAndImport, type GeneratedModule } from "../helpers/compiled.js";
import { expectClose, inspect, randomInputs, runOnnx, type InputSpec } from "./onnxRun.js";
import { sliceGrad } from "../../compiler/ops/slice.js";
import { differentiateBody } from "../../compiler/autodiff/scanBody.js";

const example = (name: string) => fileURLToPath(new URL(`../../examples/${name}/model.ts`, import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/models/onnx/${name}.ts`, import.meta.url));

type Spec = GeneratedModule["spec"] & { inputs: readonly InputSpec[]; outputs: readonly { name: string }[] };

/** Exports `file`, runs it in ONNX Runtime at two batch sizes and compares every output with forward(). */
async function checkAgainstModule(file: string, o: { seed?: number; params?: Record<string, Float32Array>; opset?: number; intBound?: number; batches?: number[] } = {}) {
  const { module } = await compileAndImport(file, { dtype: "f32" });
  const spec = module.spec as Spec;
  const params = o.params ?? module.initParams(o.seed ?? 0);
  const bytes = o.params ? exportOnnxGraph(await loadModel(file), new Map(Object.entries(o.params)), o.opset ? { opset: o.opset } : {}) : await exportOnnxFile(file, { ...(o.seed !== undefined ? { seed: o.seed } : {}), ...(o.opset ? { opset: o.opset } : {}) });
  const shapes = Object.fromEntries(spec.inputs.map((i) => [i.name, i.shape]));
  for (const batch of o.batches ?? [3, 8]) {
    const inputs = randomInputs(spec.inputs, batch, batch * 7 + 1, o.intBound);
    const ours = module.forward(params, inputs);
    const theirs = await runOnnx(bytes, inputs, shapes);
    for (const { name } of spec.outputs) expectClose(theirs[name]!, ours[name]!, `${spec.name}, batch ${batch}, output ${name}`);
  }
  return { bytes, module, model: inspect(bytes) };
}

describe("gradc export --onnx: the examples", () => {
  it("simple: inputs, outputs, the batch dimension, float32 initializers under the parameters' names", async () => {
    const { model: m } = await checkAgainstModule(example("simple"));
    expect(m.irVersion).toBe(8);
    expect(m.opsets).toEqual([["", 17]]);
    expect(m.inputs).toEqual([{ name: "x", dims: ["batch", 1], elemType: 1 }]); // y is the loss's only
    expect(m.outputs).toEqual([{ name: "out", dims: ["batch", 1], elemType: 1 }]);
    expect(m.initializers.map((t) => [t.name, t.dims, t.dataType]).sort()).toEqual([["W1", [1, 2], 1], ["W2", [2, 1], 1], ["b1", [2], 1], ["b2", [1], 1]]);
    expect(m.ops).toContain("Gemm");
  });

  it("worked: four outputs", async () => {
    const { model: m } = await checkAgainstModule(example("worked"));
    expect(m.outputs.map((o) => o.name)).toEqual(["z1", "h1", "z2", "y"]);
  });

  it("xor", async () => {
    await checkAgainstModule(example("xor"));
  });

  it("mnist-mlp: only the pixels are an input (the labels feed the loss alone)", async () => {
    const { model: m } = await checkAgainstModule(example("mnist-mlp"));
    expect(m.inputs.map((i) => i.name)).toEqual(["x"]);
    expect(m.outputs.map((o) => o.name)).toEqual(["logits", "probabilities"]);
  });

  it("mnist-cnn: NHWC kept, filters as OIHW initializers, transposes around Conv and MaxPool", async () => {
    const { model: m } = await checkAgainstModule(example("mnist-cnn"));
    const ops = m.ops;
    expect(ops.filter((t) => t === "Conv")).toHaveLength(2);
    expect(ops.filter((t) => t === "MaxPool")).toHaveLength(2);
    expect(ops).toContain("Transpose");
    const init = new Map(m.initializers.map((t) => [t.name, t.dims]));
    expect(init.get("K1.oihw")).toEqual([8, 1, 5, 5]);
    expect(init.get("K2.oihw")).toEqual([16, 8, 5, 5]);
  });

  it("sequence: its body (an LSTM cell and a per-step output layer) as an ONNX Scan", async () => {
    const { model: m } = await checkAgainstModule(example("sequence"));
    const ops = m.ops;
    expect(ops).toContain("Scan");
    expect(ops).not.toContain("LSTM");
  });

  it("--seed gives initParams(seed), not initParams(0)", async () => {
    const a = await exportOnnxFile(example("simple"), { seed: 5 });
    const b = await exportOnnxFile(example("simple"));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
    await checkAgainstModule(example("simple"), { seed: 5 });
  });

  it("is deterministic byte for byte", async () => {
    const a = await exportOnnxFile(example("mnist-cnn"));
    const b = await exportOnnxFile(example("mnist-cnn"));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });
});

describe("gradc export --onnx: every kind of op", () => {
  it("elementwise math, activations, reductions, layout, matmul with transposes, softmax, losses", async () => {
    await checkAgainstModule(fixture("manyOps"), { intBound: 4 });
  });

  it("convolutions with padding 'same', stride and dilation; pooling with padding (count_include_pad)", async () => {
    const { model: m } = await checkAgainstModule(fixture("convolutions"));
    expect(m.ops).toEqual(expect.arrayContaining(["Conv", "MaxPool", "AveragePool"]));
  });

  it("gather (embedding), slice, concat, integer inputs in float arithmetic", async () => {
    await checkAgainstModule(fixture("indexing"), { intBound: 5 });
  });

  it("pick as GatherElements along the last axis (rows over one and two axes)", async () => {
    const { model: m } = await checkAgainstModule(fixture("pick"), { intBound: 3 });
    expect(m.ops.filter((t) => t === "GatherElements")).toHaveLength(2);
  });

  it("layerNorm as LayerNormalization from opset 17 (op by op before), and opsets 13 to 21", async () => {
    for (const opset of [13, 17, 18, 21]) {
      const { model: m } = await checkAgainstModule(fixture("normalization"), { opset, batches: [4, 9] });
      const ops = m.ops;
      expect(ops.filter((t) => t === "LayerNormalization"), `opset ${opset}`).toHaveLength(opset >= 17 ? 2 : 0);
      if (opset >= 17) expect(ops, `opset ${opset}`).not.toContain("Sqrt"); // nothing of the decomposition is left
    }
  });

  it("batchNorm on trained running statistics, dropout as identity", async () => {
    const { module } = await compileAndImport(fixture("training"), { dtype: "f32" });
    const spec = module.spec as Spec;
    const trainer = module.createTrainer(module.initParams(1), { optimizer: { kind: "adam", lr: 0.01 } });
    for (let s = 0; s < 5; s++) trainer.step(randomInputs(spec.inputs, 16, s));
    const params = trainer.params as Record<string, Float32Array>;
    expect(Array.from(params["bn.runningMean"]!).some((v) => v !== 0)).toBe(true);
    expect(Array.from(params["bn.runningVar"]!).some((v) => v !== 1)).toBe(true);
    const { model: m } = await checkAgainstModule(fixture("training"), { params });
    expect(m.ops).not.toContain("Dropout");
  });

  it("gelu (the formula before opset 20, Gelu from 20), erf, comparisons, where, maximum, minimum, clamp, logSumExp, conv1d as a 1-D Conv", async () => {
    for (const opset of [17, 20]) {
      const { model: m } = await checkAgainstModule(fixture("newOps"), { opset, batches: [3, 6] });
      const ops = m.ops;
      expect(ops, `opset ${opset}`).toEqual(expect.arrayContaining(["Erf", "Greater", "GreaterOrEqual", "Where", "Max", "Min", "Clip", "ReduceLogSumExp", "Conv"]));
      expect(ops.includes("Gelu"), `opset ${opset}: Gelu`).toBe(opset >= 20);
      if (opset < 20) expect(ops, "the tanh form written out").toContain("Tanh");
    }
    const { model: m } = await checkAgainstModule(fixture("newOps"), { opset: 17, batches: [2] });
    const conv1dWeights = m.initializers.filter((t) => t.name.endsWith(".oik"));
    expect(conv1dWeights.map((t) => [t.name, t.dims])).toEqual([["K1.oik", [4, 3, 3]], ["K2.oik", [2, 4, 2]]]); // [out, in, k]: 1-D Convs
  });

  it("every op gradc has is exported or named as having no export", () => {
    for (const op of allOps) {
      const where = [op.name in LOWERED, op.name in EXPORTS, op.name in NOT_EXPORTED].filter(Boolean);
      expect(where, op.name).toHaveLength(1);
    }
    for (const name of [...Object.keys(LOWERED), ...Object.keys(EXPORTS), ...Object.keys(NOT_EXPORTED)]) expect(allOps.map((o) => o.name), name).toContain(name);
  });

  it("an op with no export is a GC2011 error located in model.ts, naming the op", () => {
    const def = model("grads", () => {
      const x = input("x", ["batch", 3]);
      const W = param("W", [3, 2]);
      const y = add(matmul(x, W), 1);
      return { loss: mse(y, 0), outputs: { widened: sliceGrad(y, 1, 0, 2, 4) } };
    });
    const traced = trace(def, createContext({ differentiateBody, modelFile: fileURLToPath(import.meta.url) }));
    let error: unknown;
    try {
      exportOnnxGraph(traced, initialParams(traced, 0));
    } catch (e) {
      error = e;
    }
    expect(isGradcError(error)).toBe(true);
    expect((error as { code: string }).code).toBe("GC2011");
    expect((error as Error).message).toMatch(/^sliceGrad has no ONNX export: a derivative/);
    expect((error as { loc?: { line: number } }).loc?.line).toBeGreaterThan(0);
  });
});

describe("gradc export --onnx: recurrent layers", () => {
  it("lstm, gru and rnn layers become ONNX LSTM, GRU and RNN (torch's gate orders), forwards and reversed", async () => {
    const { model: m } = await checkAgainstModule(fixture("recurrent"));
    const ops = m.ops;
    expect(ops.filter((t) => t === "LSTM")).toHaveLength(2);
    expect(ops.filter((t) => t === "GRU")).toHaveLength(1);
    expect(ops.filter((t) => t === "RNN")).toHaveLength(2);
    expect(ops).not.toContain("Scan");
  });

  it("scans that are not exactly a cell run as ONNX Scan: a custom body, reversed, without a sequence", async () => {
    const { model: m } = await checkAgainstModule(fixture("scans"));
    const ops = m.ops;
    expect(ops.filter((t) => t === "Scan")).toHaveLength(3);
    expect(ops).not.toContain("LSTM");
  });
});
