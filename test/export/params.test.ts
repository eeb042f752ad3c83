// Where the exported parameters come from: a float64 checkpoint is read (and rounded to float32) with the
// runtime's decoder, a mismatch is reported for what it is; a model with no outputs has nothing to export.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createContext } from "../../compiler/ir/context.js";
import { input, matmul, mse, param } from "../../compiler/dsl/core.js";
import { model, trace } from "../../compiler/dsl/model.js";
import { checkpointParams, exportOnnxGraph, initialParams } from "../../compiler/export/onnx.js";
import { saveCheckpoint } from "../../runtime/checkpoint.js";
import { differentiateBody } from "../../compiler/autodiff/scanBody.js";

const dir = mkdtempSync(path.join(tmpdir(), "gradc-export-params-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const traced = (outputs: boolean, width = 2) =>
  trace(
    model("tiny", () => {
      const x = input("x", ["batch", 3]);
      const W = param("W", [3, width]);
      const y = matmul(x, W);
      const all: Record<string, typeof y> = outputs ? { y } : {};
      return { loss: mse(y, 0), outputs: all };
    }),
    createContext({ differentiateBody }),
  );

describe("export parameters", () => {
  it("reads a float64 checkpoint, rounding its values to float32", () => {
    const file = path.join(dir, "tiny64.ckpt");
    const W = Float64Array.of(0.1, 0.2, 0.3, 0.4, 0.5, 1 / 3);
    saveCheckpoint(file, { spec: { name: "tiny", dtype: "f64", params: [{ name: "W", shape: [3, 2] }] }, params: { W }, step: 1 });
    expect(Array.from(checkpointParams(traced(true), file).get("W")!)).toEqual(Array.from(Float32Array.from(W)));
  });

  it("a float64 checkpoint whose parameter has another shape: the shapes, not the dtype, are the complaint", () => {
    const file = path.join(dir, "tiny64.ckpt");
    let error: unknown;
    try {
      checkpointParams(traced(true, 4), file);
    } catch (e) {
      error = e;
    }
    expect((error as { code?: string }).code).toBe("GC3004");
    expect((error as Error).message).toMatch(/param "W" has shape \[3, 2\] in the checkpoint but \[3, 4\]/);
  });

  it("a model with no outputs is a GC2007 error", () => {
    const g = traced(false);
    expect(() => exportOnnxGraph(g, initialParams(g, 0))).toThrow(/has no outputs: gradc export writes what forward\(\) computes/);
  });
});
