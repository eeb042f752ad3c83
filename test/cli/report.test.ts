// gradc compile --report[=json]: passes with node and flop counts, stabilizing rewrites with their
// model.ts location, the memory plan and the emitted size.
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../compiler/cli.js";

const dir = mkdtempSync(path.join(tmpdir(), "gradc-report-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(args: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await main(args, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, cwd: dir });
  return { code, stdout, stderr };
}

describe("compile --report", () => {
  copyFileSync("examples/mnist-mlp/model.ts", path.join(dir, "mlp.ts"));
  writeFileSync(
    path.join(dir, "unstable.ts"),
    `import { model, input, param, matmul, softmax, log, mul, sum, neg, mean } from "gradc";
export default model("unstable", () => {
  const x = input("x", ["batch", 4]);
  const t = input("t", ["batch", 3]);
  const W = param("W", [4, 3]);
  const p = softmax(matmul(x, W));
  return { loss: mean(neg(sum(mul(t, log(p)), 1))) };
});
`,
  );

  it("prints the passes, the memory plan and the code size", async () => {
    const r = await run(["compile", "mlp.ts", "-o", "mlp.gen.ts", "--report"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/grad\s+nodes\s+\d+ → \d+\s+flops/);
    expect(r.stdout).toContain("memory plan");
    expect(r.stdout).toMatch(/dW1\s+100352\s+401408 B/);
    expect(r.stdout).toMatch(/emitted: \d+ lines, \d+ bytes/);
  });

  it("names the stabilizing rewrites and where they fired", async () => {
    const r = await run(["compile", "unstable.ts", "-o", "u.gen.ts", "--report"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("log(softmax(x)) → logSoftmax(x)  (unstable.ts:7:");
    expect(r.stdout).toContain("−Σ t·logSoftmax(x) → softmaxCE(x, t)");
  });

  it("--report=json is machine-readable", async () => {
    const r = await run(["compile", "mlp.ts", "-o", "mlp.gen.ts", "--report=json"]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.model).toBe("mnistMlp");
    expect(report.passes.map((p: { pass: string }) => p.pass)).toContain("grad");
    expect(report.memory.map((m: { pass: string }) => m.pass)).toEqual(["forward", "train", "evaluate"]);
    expect(report.emitted.bytes).toBeGreaterThan(1000);
  });

  it("rejects other report formats", async () => {
    const r = await run(["compile", "mlp.ts", "--report=xml"]);
    expect(r.code).toBe(2);
  });
});
