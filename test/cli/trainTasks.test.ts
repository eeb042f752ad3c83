// `gradc train` for what users bring: a regression on a CSV (chosen from the model's float y, or
// --task regression; MSE, MAE and R² per epoch), --val-split, gradient clipping, --threads (the parallel
// trainer, from a temporary module file that is removed afterwards), and data errors with their CSV line.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it, vi } from "vitest";
import { main } from "../../compiler/cli.js";
import { loadCheckpoint } from "../../runtime/checkpoint.js";

const bin = fileURLToPath(new URL("../../bin/gradc.js", import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), "gradc-train-tasks-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
vi.setConfig({ testTimeout: 240_000 });

const REGRESSION = `import { model, input, param, matmul, add, tanh, mse } from "gradc";
export default model("wave", () => {
  const x = input("x", ["batch", 2]);
  const y = input("y", ["batch", 1]);
  const W1 = param("W1", [2, 16], { init: "xavier" });
  const b1 = param("b1", [16], { init: "zeros" });
  const W2 = param("W2", [16, 1], { init: "xavier" });
  const b2 = param("b2", [1], { init: "zeros" });
  const out = add(matmul(tanh(add(matmul(x, W1), b1)), W2), b2);
  return { loss: mse(out, y), outputs: { out } };
});
`;
const CLASSIFIER = `import { model, input, param, matmul, add, tanh, softmaxCrossEntropy } from "gradc";
export default model("quadrants", () => {
  const x = input("x", ["batch", 2]);
  const y = input("y", ["batch"], { dtype: "int" });
  const W1 = param("W1", [2, 8], { init: "xavier" });
  const b1 = param("b1", [8], { init: "zeros" });
  const W2 = param("W2", [8, 2], { init: "xavier" });
  const b2 = param("b2", [2], { init: "zeros" });
  const logits = add(matmul(tanh(add(matmul(x, W1), b1)), W2), b2);
  return { loss: softmaxCrossEntropy(logits, y), outputs: { logits } };
});
`;
writeFileSync(path.join(dir, "wave.ts"), REGRESSION);
writeFileSync(path.join(dir, "quadrants.ts"), CLASSIFIER);
const rows = ["a,b,target,label"];
for (let i = 0; i < 300; i++) {
  const a = Math.sin(i * 1.7) * 2;
  const b = Math.cos(i * 2.3) * 2;
  rows.push(`${a},${b},${Math.sin(a) + 0.5 * b},${a * b > 0 ? 1 : 0}`);
}
writeFileSync(path.join(dir, "wave.csv"), rows.join("\n") + "\n");
// The target column only (the label column would be a feature).
writeFileSync(path.join(dir, "reg.csv"), rows.map((r) => r.split(",").slice(0, 3).join(",")).join("\n") + "\n");
writeFileSync(path.join(dir, "cls.csv"), rows.map((r) => { const c = r.split(","); return [c[0], c[1], c[3]].join(","); }).join("\n") + "\n");

async function run(args: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await main(args, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, cwd: dir });
  return { code, stdout, stderr };
}

function gradc(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [bin, "train", ...args], { cwd: dir, encoding: "utf8", env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const WAVE_SPEC = { name: "wave", dtype: "f32", params: [{ name: "W1", shape: [2, 16] }, { name: "b1", shape: [16] }, { name: "W2", shape: [16, 1] }, { name: "b2", shape: [1] }] } as const;
const fitConfig = (file: string) => (loadCheckpoint(path.join(dir, file), WAVE_SPEC).extra as { fit: { config: Record<string, unknown> } }).fit.config;

describe("gradc train: regression", () => {
  it("a model with a float y is a regression: MSE, MAE and R² per epoch and at the end, a seeded 80/20 split", async () => {
    const r = await run(["train", "wave.ts", "--data", "reg.csv", "--label", "target", "--epochs", "25", "--batch", "16", "--lr", "0.01", "-o", "reg"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/training model "wave" \(f32\) on 240 samples, testing on 60; regression;/);
    expect(r.stdout).toMatch(/epoch 25\/25: .*test MSE [\d.e-]+ · MAE [\d.e-]+ · R² [\d.-]+/);
    expect(r.stdout).not.toMatch(/accuracy/);
    const r2 = Number(/^test: loss [\d.]+ · MSE [\d.e-]+ · MAE [\d.e-]+ · R² ([\d.-]+) \(60 samples\)$/m.exec(r.stdout)![1]);
    expect(r2).toBeGreaterThan(0.9);
  });

  it("--val-split holds out that fraction (a regression's split is seeded: another seed, other rows)", async () => {
    const r = await run(["train", "wave.ts", "--data", "reg.csv", "--label", "target", "--epochs", "1", "--val-split", "0.3", "-o", "split"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/on 210 samples, testing on 90; regression/);
    const c = await run(["train", "quadrants.ts", "--data", "cls.csv", "--epochs", "1", "--val-split", "0.5", "-o", "split-cls"]);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toMatch(/on 150 samples, testing on 150; classification/);
  });

  it("--clip-grad-norm and --clip-grad-value reach the trainer: the checkpoint's run config records them", async () => {
    const r = await run(["train", "wave.ts", "--data", "reg.csv", "--label", "target", "--epochs", "2", "--clip-grad-norm", "0.5", "--clip-grad-value", "0.25", "-o", "clip"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/; gradient norm clipped to 0\.5, gradients clamped to ±0\.25$/m);
    expect(fitConfig("clip/wave.ckpt")).toMatchObject({ clipGradNorm: 0.5, clipGradValue: 0.25 });
    // Resuming without them says what changes.
    const resumed = await run(["train", "wave.ts", "--data", "reg.csv", "--label", "target", "--epochs", "3", "-o", "clip", "--resume", "clip/wave.ckpt"]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/warning: .*clipGradNorm off \(the saved run: 0\.5\), clipGradValue off \(the saved run: 0\.25\)/);
  });

  it("--threads 2 trains with the parallel trainer from a temporary module file, removed afterwards", () => {
    const temp = path.join(dir, "tmp");
    mkdirSync(temp);
    const args = ["wave.ts", "--data", "reg.csv", "--label", "target", "--epochs", "15", "--batch", "32", "--lr", "0.01"];
    const r = gradc([...args, "--threads", "2", "-o", "threads"], { TMPDIR: temp });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/regression; adam\(lr = 0\.01\), batch 32, 15 epochs; 2 threads$/m);
    expect(readdirSync(temp)).toEqual([]);
    const one = gradc([...args, "-o", "one-thread"]);
    expect(one.code, one.stderr).toBe(0);
    const r2 = (s: string) => Number(/R² ([\d.-]+) \(60 samples\)/.exec(s)![1]);
    // Another summation order, so not the same bits, but the same training.
    expect(Math.abs(r2(r.stdout) - r2(one.stdout))).toBeLessThan(0.02);
    expect(r2(r.stdout)).toBeGreaterThan(0.8);
  });
});

describe("gradc train: the task and its data, checked", () => {
  it("--task regression on a classifier, --task classification on a regression model, a regression on MNIST: refused, naming the input", async () => {
    const a = await run(["train", "quadrants.ts", "--data", "cls.csv", "--task", "regression"]);
    expect(a.code).toBe(1);
    expect(a.stderr).toMatch(/--task regression, but quadrants\.ts's input "y" takes integer class labels/);
    const b = await run(["train", "wave.ts", "--data", "reg.csv", "--label", "target", "--task", "classification"]);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/--task classification, but wave\.ts's input "y" takes float values/);
    const c = await run(["train", "wave.ts", "--data", "mnist"]);
    expect(c.code).toBe(1);
    expect(c.stderr).toMatch(/regression model .* but MNIST's targets are class labels/);
  });

  it("a regression target that is not a number, and a class label that is not an integer, are GC3005 at their CSV line", async () => {
    writeFileSync(path.join(dir, "bad-target.csv"), "a,b,target\n1,2,0.5\n\n3,4,n/a\n");
    const a = await run(["train", "wave.ts", "--data", "bad-target.csv", "--label", "target"]);
    expect(a.code).toBe(1);
    expect(a.stderr).toMatch(/bad-target\.csv:4 - error GC3005: column "target": "n\/a" is not a number/);
    writeFileSync(path.join(dir, "float-labels.csv"), "a,b,label\n1,2,0\n3,4,0.60304\n");
    const b = await run(["train", "quadrants.ts", "--data", "float-labels.csv"]);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/float-labels\.csv:3 - error GC3005: column "label": 0\.60304 is not an integer class label; for numeric targets, give the model a float input y \(a regression\) or pass --task regression/);
    expect(b.stderr).not.toMatch(/internal compiler error/);
  });

  it("a split that leaves nothing is GC3006 naming the split; bad option values are usage errors", async () => {
    writeFileSync(path.join(dir, "tiny.csv"), "a,b,target\n1,2,0.5\n");
    const a = await run(["train", "wave.ts", "--data", "tiny.csv", "--label", "target", "--val-split", "0.25"]);
    expect(a.code).toBe(1);
    expect(a.stderr).toMatch(/error GC3006: tiny\.csv has 1 row; split 75\/25, that leaves 0 for training and 1 for testing\. Give more rows, or another --val-split/);
    for (const [flag, value, message] of [
      ["--val-split", "1", /'--val-split' must be a fraction between 0 and 1/],
      ["--threads", "0", /'--threads' must be an integer from 1 to 256/],
      ["--clip-grad-norm", "0", /'--clip-grad-norm' must be a finite number > 0/],
      ["--task", "ranking", /'--task' must be classification or regression/],
    ] as const) {
      const r = await run(["train", "wave.ts", flag, value]);
      expect(r.code, flag).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    const m = await run(["train", "quadrants.ts", "--val-split", "0.3"]);
    expect(m.code).toBe(1);
    expect(m.stderr).toMatch(/--val-split applies to a CSV; MNIST comes with its own test set/);
  });

  it("--help lists the train options and what they mean", async () => {
    const r = await run(["--help"]);
    for (const line of [/--label COL +train: the CSV column that holds the target y/, /--task T +train: classification or regression/, /--val-split F +train: the fraction of a CSV held out/, /--clip-grad-norm X train: scale the gradients/, /--clip-grad-value X train: clamp every gradient element/, /--threads N +train: data-parallel training on N threads/]) {
      expect(r.stdout).toMatch(line);
    }
  });
});
