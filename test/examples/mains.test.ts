// The example programs and `npm start`, run the way their READMEs say: plain node with the TypeScript
// hook, training the committed model.gen.ts (or, for npm start, a module the CLI has just compiled).
// They are in one file so they run one after another: npm start may rebuild dist/, which the others import.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { ensureRuntimeBuilt, root, runMain } from "./util.js";
import { expected, printedNumbers } from "./workedByHand.js";

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

  it("npm start compiles examples/simple with the CLI and trains it", () => {
    ensureRuntimeBuilt();
    const r = spawnSync(process.execPath, ["scripts/start.js", "--steps", "4000", "--every", "1000"], { cwd: root, encoding: "utf8", timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("gradc compile examples/simple/model.ts -o .gradc-out/simple.gen.ts --dtype f64");
    expect(r.stdout).toContain(".gradc-out/simple.gen.ts: model \"simple\" (f64)");
    expect(number(r.stdout, /final loss (\S+)/)).toBeLessThan(1e-6);
  });
});
