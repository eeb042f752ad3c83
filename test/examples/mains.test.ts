// The example programs and `npm start`, run the way their READMEs say: plain node with the TypeScript
// hook, training the committed model.gen.ts (or, for npm start, a module the CLI has just compiled).
// The committed modules import "gradc/runtime", i.e. dist/runtime/: test/globalSetup.ts builds dist/ from
// the current sources before any test runs, so npm start finds it up to date and rebuilds nothing.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { root, runMain } from "./util.js";
import { expected, printedNumbers } from "./workedByHand.js";
import { nonEmpty } from "../helpers/nonEmpty.js";

const number = (text: string, re: RegExp): number => Number(re.exec(text)?.[1]);

describe("example programs", () => {
  it("examples/simple/main.ts trains the loss below 1e-6 and predicts y = x/2", () => {
    const out = runMain("simple");
    expect(number(out, /final loss (\S+)/)).toBeLessThan(1e-6);
    expect(out).toMatch(/x = 1 +prediction 0\.500000/);
    expect(out).toMatch(/x = 3 +prediction 1\.500000/);
  });

  it("every number examples/worked/main.ts prints equals the hand derivation to 1e-12", () => {
    const printed = printedNumbers(runMain("worked"));
    expect([...printed.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [label, want] of expected) {
      expect(Math.abs(printed.get(label)! - want), `${label} = ${printed.get(label)}, by hand ${want}`).toBeLessThanOrEqual(1e-12);
    }
  });

  it("examples/xor/main.ts reaches 100% accuracy", () => {
    const out = runMain("xor");
    expect(out).toMatch(/final loss [\d.]+, accuracy 100%/);
    expect(number(out, /final loss ([\d.]+)/)).toBeLessThan(0.01);
  });

  it("examples/sequence/main.ts: the LSTM adds every test pair exactly within 400 steps", () => {
    const out = runMain("sequence", ["--steps", "400", "--every", "200"]);
    expect(out).toContain("LSTM(16) adding 8-bit numbers");
    expect(number(out, /trained in [\d.]+ s; ([\d.]+)% of 1000 test sums exactly right/)).toBe(100);
    // The four sample sums it prints are right.
    for (const m of nonEmpty(out.matchAll(/(\d+) \+ (\d+) = (\d+)\s+predicted (\d+)/g), "printed sample sums", 4)) expect(Number(m[4])).toBe(Number(m[1]) + Number(m[2]));
  });

  it("examples/cartpole/main.ts: 300 episodes of seed 0 lift the average episode well above a random policy's 22 steps", () => {
    const out = runMain("cartpole", ["--seed", "0", "--episodes", "300", "--every", "100"]);
    expect(out).toContain("CartPole-v1, REINFORCE with a value baseline");
    expect(out).toMatch(/^episode +100 +last length +\d+ +average of the last 100 +[\d.]+/m);
    expect(out).toContain("not solved within 300 episodes");
    const lines = out.trimEnd().split("\n");
    expect(lines.at(-1)).toMatch(/^average episode length over the last 100 episodes: \d+\.\d$/); // the contract's last line
    // The seeded run reaches 123.7 (deterministic); a random policy averages 22.
    expect(number(lines.at(-1)!, /: ([\d.]+)$/)).toBeGreaterThan(66);
  });

  it("examples/charlm/main.ts: 20 steps lower the training loss and the held-out bits per character; the sample uses the text's alphabet", () => {
    const out = runMain("charlm", ["--seed", "0", "--epochs", "1", "--steps", "20", "--every", "1", "--length", "300", "--temperature", "1"]);
    const losses = [...out.matchAll(/^ +step +\d+ +training loss ([\d.]+) bits\/char$/gm)].map((m) => Number(m[1]));
    expect(losses).toHaveLength(20);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    // Seeded: 5.2 bits on average over the first five steps (uniform over 59 characters is 5.88), 3.8 over the last five;
    // held out, 5.91 before and 3.61 after.
    expect(mean(losses.slice(-5))).toBeLessThan(mean(losses.slice(0, 5)) - 0.8);
    const before = number(out, /before training: held-out ([\d.]+) bits\/char/);
    const after = number(out, /epoch +1\/1 +train [\d.]+ bits\/char +held-out ([\d.]+) bits\/char/);
    expect(before).toBeGreaterThan(5.5);
    expect(after).toBeLessThan(before - 1);
    const sample = out.split(/^sample \(temperature 1, 300 characters\):\n/m)[1]!.replace(/\n$/, "");
    expect(sample).toHaveLength(300);
    const alphabet = new Set(readFileSync(path.join(root, "examples/charlm/shakespeare.txt"), "utf8"));
    expect([...sample].filter((c) => !alphabet.has(c))).toEqual([]);
  });

  it("examples/mnist-cnn/main.ts trains the CNN on MNIST (one epoch here) past 90%", () => {
    const out = mkdtempSync(path.join(tmpdir(), "gradc-cnn-"));
    try {
      const text = runMain("mnist-cnn", ["--epochs", "1", "--out", out]);
      expect(text).toContain("MNIST: 7996 training and 2004 test digits");
      expect(text).toMatch(/epoch 1\/1: .*test accuracy \d+\.\d+%/);
      expect(number(text, /final test accuracy ([\d.]+)%/)).toBeGreaterThan(90);
      for (const f of ["mnistCnn-curves.svg", "mnistCnn-misclassified.svg", "mnistCnn.ckpt"]) expect(existsSync(path.join(out, f)), f).toBe(true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it("npm start compiles examples/mnist-mlp with the CLI and trains it on MNIST (one epoch here)", () => {
    const out = mkdtempSync(path.join(tmpdir(), "gradc-start-"));
    try {
      const r = spawnSync(process.execPath, ["scripts/start.js", "--epochs", "1", "--out", out], { cwd: root, encoding: "utf8", timeout: 300_000 });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain("gradc compile examples/mnist-mlp/model.ts -o .gradc-out/mnist-mlp.gen.ts --dtype f32");
      expect(r.stdout).toContain("MNIST: 7996 training and 2004 test digits");
      expect(r.stdout).toMatch(/epoch 1\/1: .*test accuracy \d+\.\d+%/);
      expect(number(r.stdout, /final test accuracy ([\d.]+)%/)).toBeGreaterThan(85);
      for (const f of ["mnistMlp-curves.svg", "mnistMlp-misclassified.svg", "mnistMlp.ckpt"]) expect(existsSync(path.join(out, f)), f).toBe(true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
