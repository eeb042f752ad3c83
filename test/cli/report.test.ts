// gradc compile --report[=json]: passes with node and flop counts, stabilizing rewrites with their
// model.ts location, the memory plan and the emitted size.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../compiler/cli.js";
import { decodeMappings } from "../../compiler/frontend/sourceMap.js";
import { exampleNames } from "../examples/util.js";

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

  it("says which forward values the training pass saves for its backward part (examples/worked)", async () => {
    copyFileSync("examples/worked/model.ts", path.join(dir, "worked.ts"));
    const json = JSON.parse((await run(["compile", "worked.ts", "-o", "worked.gen.ts", "--report=json"])).stdout);
    const train = json.memory.find((m: { pass: string }) => m.pass === "train");
    // σ' = σ(1 − σ) reuses the activations h1 and y, which the forward pass (called first) left in its
    // workspace; the loss's derivative reuses y − t, kept in a per-row local of the fused batch loop
    // (no buffer, but the bytes it would take are given).
    expect(train.savedForBackward).toEqual([
      { name: "h1", elements: "n * 2", storage: "buffer", math: "h1 = σ(x·W1 + b1)", bytesPerRow: 8, staticBytes: 0 },
      { name: "y", elements: "n", storage: "buffer", math: "y = σ(h1·W2 + b2)", bytesPerRow: 4, staticBytes: 0 },
      { name: "v1", elements: "n", storage: "row locals", math: "v1 = y − t", bytesPerRow: 4, staticBytes: 0 },
    ]);
    expect(train.readInPlace).toEqual(["x", "W2"]);
    expect(json.memory.find((m: { pass: string }) => m.pass === "forward").savedForBackward).toBeUndefined();

    const text = (await run(["compile", "worked.ts", "-o", "worked.gen.ts", "--dtype", "f64", "--report"])).stdout;
    expect(text).toMatch(/saved for backward \(forward values the backward part reads again\): 24 bytes per batch row \+ 0 bytes in buffers/);
    expect(text).toMatch(/h1\s+n \* 2\s+16 B\/row\s+h1 = σ\(x·W1 \+ b1\)/);
    expect(text).toMatch(/v1\s+n\s+8 B\/row if stored; kept in row locals, no buffer\s+v1 = y − t/);
    expect(text).toContain("read in place by the backward part (inputs and parameters, nothing saved): x, W2");
  });

  it("counts saved buffers in bytes when they are real buffers (mnist-mlp: the hidden activation)", async () => {
    const json = JSON.parse((await run(["compile", "mlp.ts", "-o", "mlp.gen.ts", "--report=json"])).stdout);
    const saved = json.memory.find((m: { pass: string }) => m.pass === "train").savedForBackward;
    expect(saved[0]).toEqual({ name: "h1", elements: "n * 128", storage: "buffer", math: "h1 = relu(x·W1 + b1)", bytesPerRow: 512, staticBytes: 0 });
    const text = (await run(["compile", "mlp.ts", "-o", "mlp.gen.ts", "--report"])).stdout;
    expect(text).toMatch(/saved for backward \(forward values the backward part reads again\): 552 bytes per batch row \+ 0 bytes in buffers/);
  });

  it("rejects other report formats", async () => {
    const r = await run(["compile", "mlp.ts", "--report=xml"]);
    expect(r.code).toBe(2);
  });
});

describe("every example: --report=json and --source-map", () => {
  for (const example of exampleNames()) {
    it(`${example}: the report names the passes and the memory plan; every mapping of the source map lands on a line of model.ts`, async () => {
      const model = path.join(dir, `${example}.ts`);
      copyFileSync(`examples/${example}/model.ts`, model);
      const r = await run(["compile", `${example}.ts`, "-o", `${example}.gen.ts`, "--report=json", "--source-map"]);
      expect(r.code, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as { passes: { pass: string }[]; memory: { pass: string; buffers: unknown[] }[] };
      expect(report.passes.map((p) => p.pass)).toContain("grad");
      expect(report.memory.map((m) => m.pass)).toEqual(["forward", "train", "evaluate"]);
      const map = JSON.parse(readFileSync(path.join(dir, `${example}.gen.ts.map`), "utf8")) as { version: number; sources: string[]; mappings: string };
      expect(map.version).toBe(3);
      const lines = readFileSync(model, "utf8").split("\n").length;
      const decoded = decodeMappings(map.mappings).flat();
      expect(decoded.length).toBeGreaterThan(10);
      for (const seg of decoded) expect(seg.line).toBeLessThan(lines); // 0-based lines of model.ts
    });
  }
});

describe("the memory plan shares arrays between values whose lifetimes do not overlap", () => {
  it("mnist-cnn's training workspace: arrays holding several values in turn, sized for the largest", async () => {
    copyFileSync("examples/mnist-cnn/model.ts", path.join(dir, "cnn.ts"));
    const r = await run(["compile", "cnn.ts", "-o", "cnn.gen.ts", "--report=json"]);
    expect(r.code, r.stderr).toBe(0);
    const train = (JSON.parse(r.stdout) as { memory: { pass: string; buffers: { name: string; elements: string; holds?: string[] }[] }[] }).memory.find((m) => m.pass === "train")!;
    const shared = train.buffers.filter((b) => b.holds);
    expect(shared.length).toBeGreaterThan(2);
    for (const b of shared) expect(b.holds![0]).toBe(b.name); // named after the first value it holds
    // Every value is held by exactly one array; results of the pass (the gradients) keep their own.
    const held = shared.flatMap((b) => b.holds!);
    expect(new Set(held).size).toBe(held.length);
    for (const result of ["dK1", "dK2", "dW", "db"]) expect(train.buffers.find((b) => b.name === result)?.holds).toBeUndefined();
    const code = readFileSync(path.join(dir, "cnn.gen.ts"), "utf8");
    expect(code).toMatch(/const (\w+) = ws\.(\w+); \/\/ reuses \2's array: \2 is no longer needed when \1 is written/);
  });
});
