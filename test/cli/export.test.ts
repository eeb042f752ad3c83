// gradc export --onnx through the real command (node bin/gradc.js as a child process): the file it
// writes runs in ONNX Runtime and agrees with forward(), from initParams or from a checkpoint that
// `gradc train` wrote; a missing, foreign or unreadable checkpoint, an option clash or an op with no
// export is a clear error with exit 1 (2 for usage) and nothing written.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../compiler/cli.js";
import { createContext } from "../../compiler/ir/context.js";
import { add, input, matmul, mse, param } from "../../compiler/dsl/core.js";

import { model, trace } from "../../compiler/dsl/model.js";
import { exportOnnxGraph, initialParams } from "../../compiler/export/onnx.js";
import { loadCheckpoint } from "../../runtime/checkpoint.js";
import { compileAndImport } from "../helpers/compiled.js";
import { expectClose, inspect, randomInputs, runOnnx, type InputSpec } from "../export/onnxRun.js";
import { sliceGrad } from "../../compiler/ops/slice.js";
import { differentiateBody } from "../../compiler/autodiff/scanBody.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), "gradc-export-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function gradc(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(root, "bin/gradc.js"), ...args], { cwd: dir, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const QUADRANTS = `import { model, input, param, matmul, add, tanh, softmax, softmaxCrossEntropy } from "gradc";
export default model("quadrants", () => {
  const x = input("x", ["batch", 2]);
  const y = input("y", ["batch"], { dtype: "int" });
  const W1 = param("W1", [2, 8], { init: "xavier" });
  const b1 = param("b1", [8], { init: "zeros" });
  const W2 = param("W2", [8, 2], { init: "xavier" });
  const b2 = param("b2", [2], { init: "zeros" });
  const logits = add(matmul(tanh(add(matmul(x, W1), b1)), W2), b2);
  return { loss: softmaxCrossEntropy(logits, y), outputs: { logits, p: softmax(logits) } };
});
`;

describe("gradc export --onnx (the command)", () => {
  const simple = path.join(dir, "simple.ts");
  copyFileSync(path.join(root, "examples/simple/model.ts"), simple);
  writeFileSync(path.join(dir, "quadrants.ts"), QUADRANTS);

  it("writes <model>.onnx next to the model by default; ONNX Runtime computes forward()", async () => {
    const r = gradc("export", "simple.ts", "--onnx");
    expect(r.code, r.stderr).toBe(0);
    const { module } = await compileAndImport(simple, { dtype: "f32" });
    const inputs = { x: Float32Array.of(-1, 0.25, 2) };
    expectClose((await runOnnx(path.join(dir, "simple.onnx"), inputs, { x: ["batch", 1] })).out!, module.forward(module.initParams(0), inputs).out!, "out");
  });

  it("exports a model trained one epoch by gradc train from its checkpoint", async () => {
    const rows = ["a,b,label"];
    for (let i = 0; i < 120; i++) {
      const a = Math.sin(i * 1.7) * 2, b = Math.cos(i * 2.3) * 2;
      rows.push(`${a},${b},${a * b > 0 ? 1 : 0}`);
    }
    writeFileSync(path.join(dir, "data.csv"), rows.join("\n") + "\n");
    const t = gradc("train", "quadrants.ts", "--data", "data.csv", "--epochs", "1", "--batch", "8", "--lr", "0.05", "-o", "run");
    expect(t.code, t.stderr).toBe(0);
    const r = gradc("export", "quadrants.ts", "--onnx", "--checkpoint", "run/quadrants.ckpt", "-o", "trained.onnx");
    expect(r.code, r.stderr).toBe(0);
    const { module } = await compileAndImport(path.join(dir, "quadrants.ts"), { dtype: "f32" });
    const trained = loadCheckpoint(path.join(dir, "run/quadrants.ckpt"), module.spec as never).params as Record<string, Float32Array>;
    const initial = module.initParams(0);
    expect(Array.from(trained.W1!)).not.toEqual(Array.from(initial.W1!)); // it did train
    const bytes = readFileSync(path.join(dir, "trained.onnx"));
    const m = inspect(bytes);
    expect(m.inputs.map((i) => i.name)).toEqual(["x"]);
    expect(Array.from(m.initializers.find((i) => i.name === "W1")!.values!)).toEqual(Array.from(trained.W1!));
    for (const batch of [5, 32]) {
      const inputs = randomInputs(module.spec.inputs as readonly InputSpec[], batch, batch);
      const ours = module.forward(trained, inputs);
      const theirs = await runOnnx(bytes, inputs, { x: ["batch", 2] });
      expectClose(theirs.logits!, ours.logits!, `logits, batch ${batch}`);
      expectClose(theirs.p!, ours.p!, `p, batch ${batch}`);
    }
  });

  const before = "an existing file that a failed export must not touch";
  const refused = (args: string[], code: number, message: RegExp) => {
    writeFileSync(path.join(dir, "kept.onnx"), before);
    const r = gradc("export", ...args, "-o", "kept.onnx");
    expect(r.code, r.stderr).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/internal compiler error|\n\s+at /);
    expect(readFileSync(path.join(dir, "kept.onnx"), "utf8")).toBe(before);
  };

  it("a missing checkpoint: GC3001, exit 1, nothing written", () => {
    refused(["simple.ts", "--onnx", "--checkpoint", "nowhere.ckpt"], 1, /^gradc: error GC3001: cannot read checkpoint .*nowhere\.ckpt: no such file\n$|^error GC3001: cannot read checkpoint .*nowhere\.ckpt: no such file\n$/);
  });

  it("a file that is no checkpoint: GC3004, exit 1, nothing written", () => {
    writeFileSync(path.join(dir, "notes.ckpt"), "hello");
    refused(["simple.ts", "--onnx", "--checkpoint", "notes.ckpt"], 1, /GC3004: .*notes\.ckpt is not a gradc checkpoint/);
  });

  it("a checkpoint of another model: GC3004 naming both, exit 1, nothing written", () => {
    refused(["simple.ts", "--onnx", "--checkpoint", "run/quadrants.ckpt"], 1, /GC3004: checkpoint .*quadrants\.ckpt is for model "quadrants", not "simple"/);
  });

  it("usage errors exit 2: no format, --checkpoint with --seed, a bad --opset", () => {
    refused(["simple.ts"], 2, /GC3002: export: say which format to write: --onnx/);
    refused(["simple.ts", "--onnx", "--seed", "1", "--checkpoint", "run/quadrants.ckpt"], 2, /GC3002: export: give --checkpoint .* or --seed .*, not both/);
    refused(["simple.ts", "--onnx", "--opset", "9"], 2, /GC3002: option '--opset' must be an integer from 13 to 21, got '9'/);
    refused(["simple.ts", "--onnx", "--opset", "x"], 2, /GC3002: option '--opset' must be an integer from 13 to 21, got 'x'/);
  });

  it("an op with no export: a located GC2011 naming the op, exit 1, nothing written", async () => {
    // No public DSL function makes a derivative-only op in a forward graph, so the real exporter is
    // given a traced graph holding one (sliceGrad) through main()'s hook, and main() does the rest.
    const def = model("grads", () => {
      const x = input("x", ["batch", 3]);
      const W = param("W", [3, 2]);
      const y = add(matmul(x, W), 1);
      return { loss: mse(y, 0), outputs: { widened: sliceGrad(y, 1, 0, 2, 4) } };
    });
    const traced = trace(def, createContext({ differentiateBody, modelFile: fileURLToPath(import.meta.url) }));
    writeFileSync(path.join(dir, "kept.onnx"), before);
    let stderr = "";
    const code = await main(["export", "simple.ts", "--onnx", "-o", "kept.onnx"], {
      cwd: dir,
      stdout: { write: () => true },
      stderr: { write: (s: string) => (stderr += s) },
      exportOnnxFile: async () => exportOnnxGraph(traced, initialParams(traced, 0)),
    });
    expect(code).toBe(1);
    expect(stderr).toMatch(/export\.test\.ts:\d+:\d+ - error GC2011: sliceGrad has no ONNX export: a derivative \(∂L\/∂x of slice\)/);
    expect(readFileSync(path.join(dir, "kept.onnx"), "utf8")).toBe(before);
    expect(existsSync(path.join(dir, "simple.onnx"))).toBe(true);
  });
});
