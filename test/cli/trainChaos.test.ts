// Chaos: a training run (runTraining, what `gradc train` runs after compiling, in a child process) is
// SIGKILLed at random moments — while it starts, steps, writes a checkpoint or a picture — and started
// again, resuming from whatever checkpoint is on disk, until one attempt finishes. The final
// checkpoint must equal the uninterrupted run's bit for bit (parameters, optimizer state, dropout
// generator, position, per-epoch losses), and no temporary file may be left behind. The kill moments
// come from a seeded generator, so a failure can be replayed.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ts } from "ts-morph";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { model, input, param, matmul, add, relu, dropout, softmaxCrossEntropy } from "../../compiler/dsl/index.js";
import { loadCheckpoint, type Checkpoint, type CheckpointSpec } from "../../runtime/checkpoint.js";
import { createRng } from "../../runtime/rng.js";
import { compileAndImport } from "../helpers/compiled.js";

const dist = fileURLToPath(new URL("../../dist/runtime/", import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), "gradc-chaos-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Big enough that a checkpoint (parameters and Adam's two moments, about 0.9 MB) takes a while to write.
const net = model("chaos", () => {
  const x = input("x", ["batch", 16]);
  const y = input("y", ["batch"], { dtype: "int" });
  const W1 = param("W1", [16, 256], { init: "he" });
  const b1 = param("b1", [256], { init: "zeros" });
  const W2 = param("W2", [256, 256], { init: "he" });
  const b2 = param("b2", [256], { init: "zeros" });
  const W3 = param("W3", [256, 4], { init: "xavier" });
  const b3 = param("b3", [4], { init: "zeros" });
  const h1 = dropout(relu(add(matmul(x, W1), b1)), 0.2);
  const h2 = relu(add(matmul(h1, W2), b2));
  return { loss: softmaxCrossEntropy(add(matmul(h2, W3), b3), y), outputs: { logits: add(matmul(h2, W3), b3) } };
});

const EPOCHS = 24;
const SCRIPT = `import { existsSync } from "node:fs";
import { fromArrays, runTraining } from ${JSON.stringify(pathToFileURL(path.join(dist, "node.js")).href)};
import * as module from "./chaos.gen.mjs";
const outDir = process.argv[2];
const x = [], y = [];
for (let i = 0; i < 120; i++) {
  for (let k = 0; k < 16; k++) x.push(Math.sin(i * 1.3 + k * 0.7) + (i % 4) * 0.25);
  y.push(i % 4);
}
const all = fromArrays({ x: { shape: [16], dtype: "f32", values: x }, y: { shape: [], dtype: "i32", values: y } });
const ckpt = outDir + "/chaos.ckpt";
runTraining({
  module, train: all, test: all, epochs: ${EPOCHS}, batchSize: 8, optimizer: { kind: "adam", lr: 0.002 }, seed: 5,
  outDir, progress: false, log: () => {}, ...(existsSync(ckpt) ? { resume: ckpt } : {}),
});
`;

let spec: CheckpointSpec;
beforeAll(async () => {
  const { code, module } = await compileAndImport(net, { dtype: "f32", runtime: pathToFileURL(path.join(dist, "index.js")).href });
  spec = module.spec as unknown as CheckpointSpec;
  const js = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  writeFileSync(path.join(dir, "chaos.gen.mjs"), js);
  writeFileSync(path.join(dir, "run.mjs"), SCRIPT);
});

/** Runs the training script into `out`; with `killAfter` (ms), SIGKILLs it then. Resolves with how it ended. */
function attempt(out: string, killAfter?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(dir, "run.mjs"), out], { cwd: dir });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = killAfter === undefined ? undefined : setTimeout(() => child.kill("SIGKILL"), killAfter);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr });
    });
  });
}

const bits = (a: ArrayLike<number> & { buffer: ArrayBufferLike; byteOffset: number; byteLength: number }) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("base64");

/** Everything of a checkpoint that must not depend on interruptions (not the epochs' wall-clock seconds). */
function essence(c: Checkpoint) {
  const fit = c.extra!.fit as { epoch: number; batch: number; step: number; history: { trainLoss: number; testLoss: number; testAccuracy: number }[] };
  return {
    params: Object.fromEntries(Object.entries(c.params).map(([k, v]) => [k, bits(v)])),
    optimizer: Object.fromEntries(Object.entries(c.optimizer!).map(([k, v]) => [k, Array.isArray(v) ? v.map((b) => bits(b as Float32Array)) : v])),
    rng: c.extra!.rng,
    position: [fit.epoch, fit.batch, fit.step, c.step, c.epoch],
    losses: fit.history.map((r) => [r.trainLoss, r.testLoss, r.testAccuracy]),
  };
}

describe("chaos: SIGKILL at random moments, then resume", () => {
  it("the result equals the uninterrupted run bit for bit, and no temporary file is left", async () => {
    const straightDir = path.join(dir, "straight");
    const started = performance.now();
    const straight = await attempt(straightDir);
    const duration = performance.now() - started;
    expect(straight.code, straight.stderr).toBe(0);
    const expected = essence(loadCheckpoint(path.join(straightDir, "chaos.ckpt"), spec));
    expect(expected.position.slice(0, 3)).toEqual([EPOCHS, 0, EPOCHS * 15]);

    const out = path.join(dir, "killed");
    const rng = createRng(20251206);
    let kills = 0;
    let resumedKills = 0;
    let temporariesSeen = 0;
    // Each attempt is killed within the first half of an uninterrupted run's time, so runs that resume
    // with little left to do are killed too; after 30 attempts (or one that finishes) a last one runs free.
    for (let k = 0; k < 30; k++) {
      const resumes = existsSync(path.join(out, "chaos.ckpt"));
      const r = await attempt(out, Math.floor(rng.uniform() * duration * 0.5));
      if (existsSync(out)) temporariesSeen += readdirSync(out).filter((f) => f.endsWith(".tmp")).length;
      if (r.signal !== "SIGKILL") {
        expect(r.code, r.stderr).toBe(0); // finished before its kill
        break;
      }
      kills++;
      if (resumes) resumedKills++;
    }
    const last = await attempt(out);
    expect(last.code, last.stderr).toBe(0);
    expect(kills).toBeGreaterThan(5);
    expect(resumedKills).toBeGreaterThan(0); // some runs were killed after resuming, so resumes were interrupted too
    expect(essence(loadCheckpoint(path.join(out, "chaos.ckpt"), spec))).toEqual(expected);
    expect(readdirSync(out).filter((f) => !/^chaos(\.ckpt|-curves\.svg)$/.test(f))).toEqual([]);
    // What the kills hit, for the curious reader of the test log (not asserted: it depends on timing).
    console.log(`chaos: ${kills} kills (${resumedKills} of resumed runs), ${temporariesSeen} temporaries left by kills and removed later; uninterrupted run ${Math.round(duration)} ms`);
  });
});
