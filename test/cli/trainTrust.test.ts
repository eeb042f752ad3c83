// `gradc train` as a user meets it (node bin/gradc.js as a child process, small CSVs): a finished run
// is never replaced unasked, resuming says what it does, a diverging run stops with the operation and
// the model.ts line and keeps its last finite checkpoint, and every bad input — a CSV cell or label
// (with its line, past blank lines and quoted line breaks), a missing file, a corrupt or foreign
// checkpoint, a split that leaves nothing — is `error GCnnnn: …` with exit 1 and no stack trace.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it, vi } from "vitest";
import { loadCheckpoint, saveCheckpoint } from "../../runtime/checkpoint.js";

const bin = fileURLToPath(new URL("../../bin/gradc.js", import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), "gradc-train-trust-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A gradc train run takes about 2 s of CPU; on a loaded machine much longer.
vi.setConfig({ testTimeout: 240_000 });

function gradc(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, "train", ...args], { cwd: dir, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A user error: exit 1, the code on stderr, no stack trace and no internal error. */
function expectUserError(r: ReturnType<typeof gradc>, code: string): string {
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr).toContain(`error ${code}: `);
  expect(r.stderr).not.toMatch(/internal compiler error|^\s+at /m);
  return r.stderr;
}

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
// exp(x·W + b) as class scores: with SGD at lr 1 the weights grow until exp overflows float32 in epoch 7.
const GROW = `import { model, input, param, matmul, add, exp, softmaxCrossEntropy } from "gradc";
export default model("grow", () => {
  const x = input("x", ["batch", 2]);
  const y = input("y", ["batch"], { dtype: "int" });
  const W = param("W", [2, 2], { init: "xavier" });
  const b = param("b", [2], { init: "zeros" });
  const scores = exp(add(matmul(x, W), b));
  return { loss: softmaxCrossEntropy(scores, y), outputs: { scores } };
});
`;
writeFileSync(path.join(dir, "model.ts"), MODEL);
writeFileSync(path.join(dir, "grow.ts"), GROW);
const rows = ["a,b,label"];
for (let i = 0; i < 200; i++) {
  const a = Math.sin(i * 1.7) * 2;
  const b = Math.cos(i * 2.3) * 2;
  rows.push(`${a},${b},${a * b > 0 ? 1 : 0}`);
  if (i === 50) rows.push("");
}
writeFileSync(path.join(dir, "data.csv"), rows.join("\n") + "\n");

const bytes = (f: string) => readFileSync(path.join(dir, f));

const SPEC = { name: "quadrants", dtype: "f32" as const, params: [{ name: "W1", shape: [2, 8] }, { name: "b1", shape: [8] }, { name: "W2", shape: [8, 2] }, { name: "b2", shape: [2] }] };
const GROW_SPEC = { name: "grow", dtype: "f32" as const, params: [{ name: "W", shape: [2, 2] }, { name: "b", shape: [2] }] };
const snapshot = (sub: string) => readdirSync(path.join(dir, sub)).sort().map((f) => [f, statSync(path.join(dir, sub, f)).mtimeMs, bytes(`${sub}/${f}`).toString("base64")]);

// Each gradc train compiles its model (about 2 s of CPU), so the steps below share one run's folder.
describe("no lost files, and resuming tells the truth", () => {
  const train = (...args: string[]) => gradc("model.ts", "--data", "data.csv", "--batch", "16", ...args);

  it("a finished run: refused without --resume (GC3007, saying how to resume or start over), nothing changed", () => {
    expect(train("--epochs", "2", "-o", "runs").code).toBe(0);
    const before = snapshot("runs");
    const refused = expectUserError(train("--epochs", "1", "-o", "runs"), "GC3007");
    expect(refused).toContain('already holds a checkpoint of model "quadrants"');
    expect(refused).toContain("epoch 2, step 20");
    expect(refused).toMatch(/--resume \S*runs\/quadrants\.ckpt/);
    expect(refused).toContain("--overwrite");
    expect(snapshot("runs")).toEqual(before);
  });

  it("resuming a run that already reached --epochs says so and writes nothing", () => {
    const before = snapshot("runs");
    const r = train("--epochs", "2", "-o", "runs", "--resume", "runs/quadrants.ckpt");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/has already trained 2 epochs, and this run asks for 2: nothing to do, nothing written/);
    expect(r.stdout).not.toMatch(/wrote/);
    expect(snapshot("runs")).toEqual(before);
  });

  it("resuming with other settings is allowed and said plainly, naming what differs and how to reproduce the saved run", () => {
    const r = gradc("model.ts", "--data", "data.csv", "--epochs", "3", "--batch", "8", "--lr", "0.01", "--optimizer", "sgd", "-o", "runs", "--resume", "runs/quadrants.ckpt");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /warning: checkpoint \S+: resuming with settings that differ from the saved run's: optimizer sgd \(the saved run: adam; its adam state is not restored, sgd starts without state\), learning rate 0\.01 \(the saved run: 0\.001\), batch size 8 \(the saved run: 16\)\. .*To continue the saved run exactly, resume with optimizer adam, learning rate 0\.001, batch size 16/,
    );
    expect(r.stdout).toMatch(/epoch 3\/3/);
    expect(loadCheckpoint(path.join(dir, "runs/quadrants.ckpt"), SPEC).epoch).toBe(3);
  });

  it("resuming another folder's checkpoint into a folder that holds one is refused too; --overwrite starts over", () => {
    mkdirSync(path.join(dir, "copy"), { recursive: true });
    writeFileSync(path.join(dir, "copy/quadrants.ckpt"), bytes("runs/quadrants.ckpt"));
    expectUserError(train("--epochs", "4", "-o", "runs", "--resume", "copy/quadrants.ckpt"), "GC3007");
    const over = train("--epochs", "1", "-o", "runs", "--overwrite");
    expect(over.code, over.stderr).toBe(0);
    expect(loadCheckpoint(path.join(dir, "runs/quadrants.ckpt"), SPEC).epoch).toBe(1);
  });

  it("a crafted batch position is GC3004 naming the file and the field (not a RangeError)", () => {
    const file = path.join(dir, "copy/quadrants.ckpt");
    const c = loadCheckpoint(file, SPEC);
    const fit = { ...(c.extra!.fit as Record<string, unknown>), batch: 4096 };
    saveCheckpoint(file, { spec: SPEC, params: c.params, optimizer: c.optimizer!, step: c.step, epoch: c.epoch!, extra: { ...c.extra, fit } });
    const err = expectUserError(train("--epochs", "5", "-o", "copy", "--resume", "copy/quadrants.ckpt"), "GC3004");
    expect(err).toMatch(/checkpoint \S*copy\/quadrants\.ckpt: the training state's "batch" is 4096, but an epoch of 159 samples in batches of 8 \(the saved run's batch size\) has 20 batches/);
  });

  it("a truncated and a missing checkpoint: GC3004 and GC3001; an output folder that cannot be made: GC3001", () => {
    writeFileSync(path.join(dir, "copy/cut.ckpt"), bytes("runs/quadrants.ckpt").subarray(0, 100));
    expect(expectUserError(train("-o", "cut", "--resume", "copy/cut.ckpt"), "GC3004")).toMatch(/checkpoint \S*copy\/cut\.ckpt is corrupt: truncated/);
    expect(expectUserError(train("-o", "cut", "--resume", "copy/none.ckpt"), "GC3001")).toMatch(/cannot resume: \S*copy\/none\.ckpt does not exist/);
    writeFileSync(path.join(dir, "afile"), "x");
    expect(expectUserError(train("--epochs", "1", "-o", "afile/out"), "GC3001")).toMatch(/cannot create the output folder \S*afile\/out: ENOTDIR/);
  });
});

describe("divergence", () => {
  it("stops with exit 1 at the step, names the first operation that overflowed with its model.ts line, keeps the last finite checkpoint", () => {
    const r = gradc("grow.ts", "--data", "data.csv", "--epochs", "8", "--batch", "16", "--optimizer", "sgd", "--lr", "1", "-o", "grow");
    const err = expectUserError(r, "GC4001");
    expect(err).toMatch(/^grow\.ts:7:18 - error GC4001: training diverged at epoch 7, step 68 \(batch 8 of 10 in the epoch\): the loss is NaN\n/);
    expect(err).toMatch(/\nthe first non-finite value of the step is in the forward pass: scores = exp\(x·W \+ b\) at grow\.ts:7:18: it is Infinity at \[\d+, \d\] \(sample \d+ of the batch, data\.csv:\d+\), where x·W \+ b = [\d.e+]+\n/);
    expect(err).toMatch(/\nno checkpoint was written for the failing epoch; \S*grow\/grow\.ckpt holds epoch 6, whose parameters are finite\n/);
    expect(err).toMatch(/\nhint: lower the learning rate \(it is 1\), or clip the gradients\n/);
    expect(err).toContain("7   const scores = exp(add(matmul(x, W), b));");
    const c = loadCheckpoint(path.join(dir, "grow/grow.ckpt"), GROW_SPEC);
    expect(c.epoch).toBe(6);
    expect(Object.values(c.params).every((p) => p.every(Number.isFinite))).toBe(true);
    expect(existsSync(path.join(dir, "grow/grow-curves.svg"))).toBe(false);
    // The data line it names holds that sample.
    const line = Number(/data\.csv:(\d+)/.exec(err)![1]);
    expect(readFileSync(path.join(dir, "data.csv"), "utf8").split("\n")[line - 1]).toMatch(/^-?[\d.]+(e-?\d+)?,-?[\d.]+(e-?\d+)?,[01]$/);
  });

  it("--check-finite off still never writes a checkpoint with non-finite parameters; a bad value is a usage error", () => {
    const r = gradc("grow.ts", "--data", "data.csv", "--epochs", "8", "--batch", "16", "--optimizer", "sgd", "--lr", "1", "-o", "growOff", "--check-finite", "off");
    expect(expectUserError(r, "GC4001")).toMatch(/so the checkpoint \S*growOff\/grow\.ckpt is not written \(the run's finite checks were off\)/);
    const c = loadCheckpoint(path.join(dir, "growOff/grow.ckpt"), GROW_SPEC);
    expect(Object.values(c.params).every((p) => p.every(Number.isFinite))).toBe(true);
    const u = gradc("grow.ts", "--check-finite", "sometimes");
    expect(u.code).toBe(2);
    expect(u.stderr).toContain("option '--check-finite' must be off, epoch or step, got 'sometimes'");
  });

  it("a checkpoint of another model is GC3004", () => {
    expect(expectUserError(gradc("model.ts", "--data", "data.csv", "-o", "foreign", "--resume", "grow/grow.ckpt"), "GC3004")).toMatch(/is for model "grow", not "quadrants"/);
  });
});

describe("bad data is a located diagnostic", () => {
  it("a bad cell: data.csv:LINE, the line in the file past blank lines and a quoted line break, and the line shown", () => {
    // Line 4 opens a quoted field that ends on line 5 (a number and a line break: valid).
    writeFileSync(path.join(dir, "cells.csv"), 'a,b,label\n1,2,0\n\n"3\n",4,1\n\n\n5,oops,1\n');
    const err = expectUserError(gradc("model.ts", "--data", "cells.csv", "--label", "label", "-o", "cells"), "GC3005");
    expect(err).toBe('cells.csv:8 - error GC3005: column "b": "oops" is not a number\n\n8 5,oops,1\n\n');
  });

  it("a label the model has no class for: its CSV line, not its position in a shuffled batch", () => {
    const lines = ["a,b,label"];
    for (let i = 0; i < 30; i++) lines.push(`${i / 10},${-i / 10},${i === 17 ? 5 : i % 2}`, ...(i % 7 === 0 ? [""] : []));
    writeFileSync(path.join(dir, "labels.csv"), lines.join("\n") + "\n");
    const line = lines.findIndex((l) => l.endsWith(",5")) + 1;
    const err = expectUserError(gradc("model.ts", "--data", "labels.csv", "-o", "labels"), "GC3005");
    expect(err.split("\n")[0]).toBe(`labels.csv:${line} - error GC3005: label 5 is not a class of model model.ts: its input "y" takes class indices 0 … 1`);
  });

  it("a missing data file is GC3001; a table where no class has two rows is GC3006; a header alone is GC3006", () => {
    expect(expectUserError(gradc("model.ts", "--data", "nothere.csv"), "GC3001")).toMatch(/--data: cannot read \S*nothere\.csv \(no such file\)/);
    writeFileSync(path.join(dir, "tiny.csv"), "a,b,label\n1,2,0\n3,4,1\n");
    expect(expectUserError(gradc("model.ts", "--data", "tiny.csv", "-o", "tiny"), "GC3006")).toContain(
      "tiny.csv has 2 rows; split 80/20 within each class, that leaves 0 for training and 2 for testing. Each class needs enough rows for both parts (at least 2)",
    );
    writeFileSync(path.join(dir, "header.csv"), "a,b,label\n\n");
    expect(expectUserError(gradc("model.ts", "--data", "header.csv"), "GC3006")).toMatch(/^header\.csv:1 - error GC3006: the file has a header but no data rows\n/);
    expect(existsSync(path.join(dir, "tiny"))).toBe(false);
  });
});
