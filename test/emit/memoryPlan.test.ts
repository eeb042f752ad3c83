// The memory plan `gradc compile --report` prints (compiler/emit/module.ts, MemoryPlan): every workspace
// array of each pass with its size, and for an array the plan lets several values share, the values it
// holds one after another. Checked against the module's own workspace declarations.
import { describe, expect, it } from "vitest";
import * as d from "../../compiler/dsl/index.js";
import { model } from "../../compiler/dsl/model.js";
import { emitModule, emitModuleWithPlan } from "../../compiler/emit/module.js";
import { compileAndImport } from "../helpers/compiled.js";

describe("the memory plan", () => {
  it("lists each pass's arrays as the module declares them, `holds` only for arrays shared by several values", async () => {
    const { optimized } = await compileAndImport("examples/mnist-cnn/model.ts");
    const { text, memory } = emitModuleWithPlan(optimized, { dtype: "f64", source: "model.ts" });
    expect(memory.map((p) => p.pass)).toEqual(["forward", "train", "evaluate"]);
    const train = memory.find((p) => p.pass === "train")!;
    let shared = 0;
    for (const plan of memory) {
      for (const b of plan.buffers) {
        // The training pass reads the forward pass's workspace as ws.forward: its arrays carry that prefix.
        const [workspace, field] = b.name.startsWith("forward.") ? ["createForwardWorkspace", b.name.slice(8)] : [plan.pass === "train" ? "createTrainWorkspace" : null, b.name];
        if (workspace) expect(text.slice(text.indexOf(`function ${workspace}`)), b.name).toMatch(new RegExp(`\\b${field}: new Float64Array\\(`));
        if (b.holds === undefined) continue;
        shared++;
        expect(b.holds.length, `${b.name} holds ${b.holds.join(", ")}`).toBeGreaterThan(1);
        // Named after the first value it holds, then the values that reuse it, each once.
        expect(b.holds[0]).toBe(b.name);
        expect(new Set(b.holds).size).toBe(b.holds.length);
        const prefix = b.name.startsWith("forward.") ? "forward." : "";
        for (const h of b.holds) expect(h.startsWith(prefix) && h.length > prefix.length, `${b.name} holds ${h}`).toBe(true);
      }
    }
    expect(shared).toBeGreaterThan(0);
    expect(train.buffers.some((b) => b.name.startsWith("forward."))).toBe(true);
    // An array holding one value has no `holds`: most do (the CNN shares 4 of its training pass's 18).
    expect(train.buffers.filter((b) => b.holds === undefined).length).toBeGreaterThan(0);
    // evaluate() of this model runs the forward pass first, in the forward pass's workspace: its plan
    // lists the forward pass's arrays as well as its own.
    expect(text.slice(text.indexOf("function evaluatePass"))).toMatch(/^[^}]*\n\s*forwardPass\(params, ws, n, inputs\);/);
    const evaluation = memory.find((p) => p.pass === "evaluate")!.buffers.map((b) => b.name);
    const forward = memory.find((p) => p.pass === "forward")!.buffers.map((b) => b.name);
    expect(forward.length).toBeGreaterThan(0);
    for (const name of forward) expect(evaluation).toContain(name);
  });

  it("says where each value the backward part reads is kept: a buffer, row locals, or a scalar local", async () => {
    // s = Σ tanh(x·W) is one number per batch, a scalar the backward part reads (∂s²/∂s = 2s).
    const def = model("saved", () => {
      const x = d.input("x", ["batch", 3]);
      const W = d.param("W", [3, 2]);
      const s = d.sum(d.tanh(d.matmul(x, W)));
      return { loss: d.mul(s, s) };
    });
    const { optimized } = await compileAndImport(def);
    const { text, memory } = emitModuleWithPlan(optimized, { dtype: "f64", source: "model.ts" });
    expect(emitModule(optimized, { dtype: "f64", source: "model.ts" })).toBe(text);
    const saved = memory.find((p) => p.pass === "train")!.savedForBackward!;
    const storages = new Set(saved.map((v) => v.storage));
    expect(storages.has("scalar local"), JSON.stringify(saved)).toBe(true);
    for (const v of saved) expect(["buffer", "row locals", "scalar local"]).toContain(v.storage);
    const scalar = saved.find((v) => v.storage === "scalar local")!;
    expect(scalar.elements).toBe("1");
    expect(scalar.math).toMatch(/^\S+ = Σ /);
  });

  it("names each saved value with its math, also those the training pass finds in the forward pass it calls (examples/worked)", async () => {
    // σ' = σ(1 − σ) reuses h1 and y, which the forward pass left in its workspace (the training pass
    // calls it first: their math is the forward pass's fused kernels'); the loss's derivative reuses y − t.
    const { optimized } = await compileAndImport("examples/worked/model.ts");
    const { memory } = emitModuleWithPlan(optimized, { dtype: "f32", source: "model.ts" });
    const train = memory.find((p) => p.pass === "train")!;
    expect(train.savedForBackward).toEqual([
      { name: "h1", elements: "n * 2", storage: "buffer", math: "h1 = σ(x·W1 + b1)" },
      { name: "y", elements: "n", storage: "buffer", math: "y = σ(h1·W2 + b2)" },
      { name: "v1", elements: "n", storage: "row locals", math: "v1 = y − t" },
    ]);
    expect(train.readInPlace).toEqual(["x", "W2"]);
    expect(memory.find((p) => p.pass === "forward")!.savedForBackward).toBeUndefined();
  });
});
