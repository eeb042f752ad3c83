// A loss whose prediction and target broadcast to a larger shape than either (mse(pred [batch, 1],
// y [batch]) would be a [batch, batch] loss, every prediction against every target) is a located
// GC2009 error that says how to give them one shape; broadcasts that keep the meaning still compile.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import * as d from "../../compiler/dsl/core.js";
import { diagnostic, inContext } from "../helpers/evalNode.js";

describe("losses refuse a broadcast that changes their meaning (GC2009)", () => {
  it.each([
    ["mse", () => d.mse(d.input("pred", ["batch", 1]), d.input("y", ["batch"])), 'mse: the prediction [batch, 1] and the target [batch] broadcast to [batch, batch], which would compare every prediction with every target; give them one shape, e.g. reshape(y, ["batch", 1])'],
    ["mse, the other way round", () => d.mse(d.input("pred", ["batch"]), d.input("y", ["batch", 1])), 'mse: the prediction [batch] and the target [batch, 1] broadcast to [batch, batch], which would compare every prediction with every target; give them one shape, e.g. reshape(y, ["batch"])'],
    ["binaryCrossEntropy", () => d.binaryCrossEntropy(d.sigmoid(d.input("z", ["batch", 1])), d.input("t", ["batch"])), 'binaryCrossEntropy: the prediction [batch, 1] and the target [batch] broadcast to [batch, batch], which would compare every prediction with every target; give them one shape, e.g. reshape(t, ["batch", 1])'],
    ["crossEntropy with float targets", () => d.crossEntropy(d.softmax(d.input("z", ["batch", 3])), d.input("t", [2, 1, 3])), "crossEntropy: the prediction [batch, 3] and the target [2, 1, 3] broadcast to [2, batch, 3], which would compare every prediction with every target; give them one shape: the prediction has 3 elements per example and the target 6 elements in all"],
    ["static shapes: [4, 1] against [4]", () => d.mse(d.input("pred", [4, 1]), d.input("y", [4])), 'mse: the prediction [4, 1] and the target [4] broadcast to [4, 4], which would compare every prediction with every target; give them one shape, e.g. reshape(y, [4, 1])'],
    ["a computed target is named as such", () => d.mse(d.input("pred", ["batch", 1]), d.mul(d.input("y", ["batch"]), 2)), 'mse: the prediction [batch, 1] and the target [batch] broadcast to [batch, batch], which would compare every prediction with every target; give them one shape, e.g. reshape(target, ["batch", 1])'],
  ])("%s", (_, build, message) => {
    expect(diagnostic(build)).toEqual({ code: "GC2009", message });
  });

  it("softmaxCrossEntropy never broadcasts: one-hot targets of another shape are a shape error (GC2001)", () => {
    expect(diagnostic(() => d.softmaxCrossEntropy(d.input("z", ["batch", 3]), d.input("t", ["batch", 1]))).code).toBe("GC2001");
  });

  it.each([
    ["equal shapes", () => d.mse(d.input("pred", ["batch", 2]), d.input("y", ["batch", 2]))],
    ["a number target", () => d.mse(d.input("pred", ["batch", 2]), 0)],
    ["one target row for every example", () => d.mse(d.input("pred", ["batch", 3]), d.input("y", [3]))],
    ["a per-example target against [batch, 3] predictions", () => d.binaryCrossEntropy(d.sigmoid(d.input("z", ["batch", 3])), d.input("t", ["batch", 1]))],
    ["integer labels (made one-hot)", () => d.crossEntropy(d.softmax(d.input("z", ["batch", 3])), d.input("t", ["batch"], { dtype: "int" }))],
    ["a rank change that keeps the elements: [2, 3] and [1, 2, 3]", () => d.mse(d.input("pred", [2, 3]), d.input("y", [1, 2, 3]))],
  ])("still compiles: %s", (_, build) => {
    expect(inContext(build).result.shape).toEqual([]);
  });
});

describe("through the real CLI", () => {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  const dir = mkdtempSync(path.join(tmpdir(), "gradc-loss-broadcast-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const source = (target: string) => `import { model, input, param, matmul, mse, reshape } from "gradc";

export default model("regression", () => {
  const x = input("x", ["batch", 2]);
  const y = input("y", ["batch"]);
  const W = param("W", [2, 1]);
  const pred = matmul(x, W);
  return { loss: mse(pred, ${target}), outputs: { pred } };
});
`;
  const compile = () => spawnSync(process.execPath, [path.join(root, "bin/gradc.js"), "compile", "model.ts", "-o", "model.gen.ts"], { cwd: dir, encoding: "utf8" });

  it("a located error with the fix, exit 1, nothing written; the fix compiles", () => {
    writeFileSync(path.join(dir, "model.ts"), source("y"));
    const r = compile();
    expect(r.status).toBe(1);
    expect(r.stderr.split("\n")[0]).toBe('model.ts:8:18 - error GC2009: mse: the prediction [batch, 1] and the target [batch] broadcast to [batch, batch], which would compare every prediction with every target; give them one shape, e.g. reshape(y, ["batch", 1])');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(existsSync(path.join(dir, "model.gen.ts"))).toBe(false);
    writeFileSync(path.join(dir, "model.ts"), source('reshape(y, ["batch", 1])'));
    const fixed = compile();
    expect(fixed.status, fixed.stderr).toBe(0);
    expect(existsSync(path.join(dir, "model.gen.ts"))).toBe(true);
  });
});
