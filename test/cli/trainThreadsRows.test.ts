// `gradc train --threads N` with a model whose loss mixes rows of the batch (batchNorm in training
// mode): refused before any training with GC4002 naming the op's model.ts place and why, nothing written,
// no temporary module left; without --threads the same model trains. Through the real CLI.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const bin = fileURLToPath(new URL("../../bin/gradc.js", import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), "gradc-train-rows-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

writeFileSync(
  path.join(dir, "bn.ts"),
  [
    'import { model, input, param, matmul, relu, batchNorm, softmaxCrossEntropy } from "gradc";',
    'export default model("bnc", () => {',
    '  const x = input("x", ["batch", 2]);',
    '  const y = input("y", ["batch"], { dtype: "int" });',
    '  const W = param("W", [2, 4], { init: "he" });',
    '  const V = param("V", [4, 2], { init: "xavier" });',
    '  const h = relu(batchNorm(matmul(x, W), "bn1"));',
    "  const logits = matmul(h, V);",
    "  return { loss: softmaxCrossEntropy(logits, y), outputs: { logits } };",
    "});",
    "",
  ].join("\n"),
);
writeFileSync(path.join(dir, "data.csv"), ["a,b,label", ...Array.from({ length: 40 }, (_, i) => `${Math.sin(i)},${Math.cos(3 * i)},${i % 2}`)].join("\n") + "\n");

const gradc = (args: string[], env: Record<string, string> = {}) => {
  const r = spawnSync(process.execPath, [bin, "train", "bn.ts", "--data", "data.csv", "--epochs", "1", "--batch", "8", ...args], { cwd: dir, encoding: "utf8", timeout: 120_000, env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe("gradc train --threads and a model that mixes rows", { timeout: 240_000 }, () => {
  it("--threads 2: GC4002 naming batchNorm's place and why, exit 1, nothing written, no temporary module left", () => {
    const temp = path.join(dir, "tmp");
    mkdirSync(temp);
    const r = gradc(["--threads", "2", "-o", "two"], { TMPDIR: temp });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/^gradc: error GC4002: createParallelTrainer: model "bnc" mixes rows of the batch: a value over the whole batch is combined with every row \(sub at bn\.ts:7:18\)\. /m);
    expect(r.stderr).toContain("batchNorm would normalize with a shard's statistics");
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(existsSync(path.join(dir, "two", "bnc.ckpt"))).toBe(false);
    expect(readdirSync(temp)).toEqual([]);
  });

  it("without --threads the same model trains", () => {
    const r = gradc(["-o", "one"]);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(path.join(dir, "one", "bnc.ckpt"))).toBe(true);
  });
});
