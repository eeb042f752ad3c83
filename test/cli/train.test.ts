// gradc train: compile in memory, train on a CSV or MNIST, report per epoch, write curves and a
// checkpoint, resume from it; a model whose inputs do not fit the data is refused clearly.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../compiler/cli.js";

const dir = mkdtempSync(path.join(tmpdir(), "gradc-train-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MODEL = `import { model, input, param, matmul, add, tanh, softmaxCrossEntropy } from "gradc";
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

async function run(args: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await main(args, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, cwd: dir });
  return { code, stdout, stderr };
}

describe("gradc train", () => {
  const model = path.join(dir, "model.ts");
  writeFileSync(model, MODEL);
  const rows = ["a,b,label"];
  for (let i = 0; i < 200; i++) {
    const a = Math.sin(i * 1.7) * 2, b = Math.cos(i * 2.3) * 2;
    rows.push(`${a},${b},${a * b > 0 ? 1 : 0}`);
  }
  writeFileSync(path.join(dir, "data.csv"), rows.join("\n") + "\n");

  it("trains on a CSV, prints each epoch and writes the curves and a checkpoint", async () => {
    const r = await run(["train", "model.ts", "--data", "data.csv", "--epochs", "30", "--batch", "16", "--optimizer", "adam", "--lr", "0.03", "-o", "out"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/training model "quadrants" \(f32\) on 1\d\d samples, testing on \d\d;/);
    expect(r.stdout).toMatch(/epoch 30\/30: .*test accuracy/);
    expect(Number(/accuracy ([\d.]+)% \(/.exec(r.stdout)![1])).toBeGreaterThan(85);
    expect(existsSync(path.join(dir, "out", "quadrants-curves.svg"))).toBe(true);
    expect(existsSync(path.join(dir, "out", "quadrants.ckpt"))).toBe(true);
  });

  it("--resume continues from the checkpoint's epoch", async () => {
    const r = await run(["train", "model.ts", "--data", "data.csv", "--epochs", "32", "--batch", "16", "--lr", "0.03", "-o", "out", "--resume", "out/quadrants.ckpt"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("resuming");
    expect(r.stdout).toMatch(/epoch 31\/32/);
    expect(r.stdout).not.toMatch(/epoch 1\/32/);
  });

  it("refuses a model whose inputs the data set does not provide", async () => {
    const r = await run(["train", "model.ts", "--data", "mnist", "--epochs", "1"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/input "x" has 2 values per sample, the data set's field has 784/);
  });

  it("rejects a bad optimizer name as a usage error", async () => {
    const r = await run(["train", "model.ts", "--optimizer", "rmsprop"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("'--optimizer' must be sgd, adam or adamw");
  });
});
