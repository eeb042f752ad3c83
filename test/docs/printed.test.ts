// The numbers the READMEs quote cannot drift: each example README's "What it prints" block is what
// its seeded main.ts prints today, the other seeds a README names reach what it says, and the
// summary tables (README.md, examples/README.md) agree with the examples' own READMEs. A change that
// moves a number must move its documentation in the same commit.
//
// How a quoted block is compared with a run: line by line, in order. Times and rates vary from run to
// run and machine to machine, so both sides have them replaced by placeholders first ("in 4.4s
// (28.6 steps/s)", "21.8 s", "45.1 ms", "9.02 µs"); everything else — losses, accuracies, counts,
// predictions — must be exactly as quoted. The block may begin anywhere in the output; a line "..." skips printed lines; a line "A ... B" stands
// for one printed line that starts with A and ends with B.
//
// Left out: charlm (its block is 10 epochs of an LSTM, minutes of CPU; test/examples/mains.test.ts
// runs 20 steps of it) and the timings themselves (never asserted).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { root, runMain } from "../examples/util.js";

/** A test's time limit: the CNN trains five epochs, minutes on a busy 2-core machine. */
const LONG = 900_000;

const out = mkdtempSync(path.join(tmpdir(), "gradc-printed-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const readme = (name: string) => readFileSync(path.join(root, "examples", name, "README.md"), "utf8");

/** The fenced block under the "## What it prints" heading of an example's README. */
function quotedBlock(name: string): string[] {
  const m = /^## What it prints[^\n]*\n[^]*?^```[^\n]*\n([^]*?)^```$/m.exec(readme(name));
  if (!m) throw new Error(`examples/${name}/README.md has no "What it prints" block`);
  return m[1]!.trimEnd().split("\n");
}

/** An example's main.ts, as runMain runs it, with room for the CNN's minutes on a busy machine. */
const run = (name: string, args: readonly string[] = []): string => runMain(name, args, { timeout: LONG });

/** A line with its times and rates replaced by placeholders. */
const untimed = (line: string): string =>
  line
    .replace(/\((?:[\d,.]+) steps\/s\)/g, "(‹rate› steps/s)")
    .replace(/\b\d[\d,]*(?:\.\d+)?(?:e[+-]?\d+)? ?(?:ms|µs|s)\b/g, "‹time›")
    .trimEnd();

/**
 * Where `quoted` (a README's block) does not match `printed`: undefined when every quoted line is
 * found in order, else a description of the first line that is not.
 */
function mismatch(quoted: readonly string[], printed: readonly string[]): string | undefined {
  const lines = printed.map(untimed);
  let at = 0;
  let skipping = true; // a block may start anywhere in the output (after the lines it leaves out)
  for (const raw of quoted) {
    const q = untimed(raw);
    if (q.trim() === "...") {
      skipping = true;
      continue;
    }
    const elided = q.indexOf(" ... ");
    const matches = (p: string) => (elided < 0 ? p === q : p.startsWith(q.slice(0, elided)) && p.endsWith(q.slice(elided + 5)));
    let found = -1;
    for (let i = at; i < (skipping ? lines.length : Math.min(at + 1, lines.length)); i++) {
      if (matches(lines[i]!)) {
        found = i;
        break;
      }
    }
    if (found < 0) return `quoted line ${JSON.stringify(raw)} is not what it prints${at < lines.length ? ` (next printed line: ${JSON.stringify(printed[at])})` : " (nothing more was printed)"}`;
    at = found + 1;
    skipping = false;
  }
  return undefined;
}

describe("the block comparison", () => {
  it("ignores times and rates, honours '...' and 'A ... B', and names the first line that differs", () => {
    const printed = ["epoch 1/2: 10 steps in 0.5s (20.1 steps/s), loss 0.5, accuracy 90.00%", "noise", "epoch 2/2: 10 steps in 0.4s (25.0 steps/s), loss 0.4, accuracy 91.00%", "done in 1.2 s"];
    expect(mismatch(["epoch 1/2: 10 steps in 9.9s (1.0 steps/s), loss 0.5, accuracy 90.00%", "...", "epoch 2/2: ... accuracy 91.00%", "done in 3 s"], printed)).toBeUndefined();
    expect(mismatch(["noise", "epoch 2/2: ... accuracy 91.00%"], printed)).toBeUndefined();
    expect(mismatch(["epoch 1/2: 10 steps in 0.5s (20.1 steps/s), loss 0.5, accuracy 90.00%", "epoch 2/2: ... accuracy 91.00%"], printed)).toMatch(/is not what it prints \(next printed line: "noise"\)/);
    expect(mismatch(["...", "epoch 2/2: ... accuracy 91.01%"], printed)).toMatch(/^quoted line "epoch 2\/2: \.\.\. accuracy 91\.01%"/);
    expect(mismatch(["done in 1.2 s", "more"], ["done in 1.2 s"])).toMatch(/nothing more was printed/);
  });
});

/** Each example whose README quotes its output, and the arguments that make main.ts print exactly that (seed 0 is every main's default). */
const quoted: Record<string, readonly string[]> = {
  simple: [],
  xor: [],
  sequence: [],
  cartpole: [],
  "mnist-mlp": ["--out", path.join(out, "mnist-mlp")],
  "mnist-cnn": ["--out", path.join(out, "mnist-cnn")],
};

const printed = new Map<string, string>();
const runOnce = (name: string): string => {
  // The README's run wrote to the default .gradc-out; this one to a temporary folder.
  if (!printed.has(name)) printed.set(name, run(name, quoted[name]).replaceAll(path.join(out, name), ".gradc-out"));
  return printed.get(name)!;
};

describe("each example README's \"What it prints\" is what its main.ts prints", () => {
  for (const name of Object.keys(quoted)) {
    it(`examples/${name}`, () => {
      const block = quotedBlock(name);
      expect(block.length).toBeGreaterThan(3);
      expect(mismatch(block, runOnce(name).trimEnd().split("\n"))).toBeUndefined();
    }, LONG);
  }
});

const finalAccuracy = (text: string): number => {
  const m = /final test accuracy ([\d.]+)%/.exec(text);
  if (!m) throw new Error(`no "final test accuracy" in:\n${text}`);
  return Number(m[1]);
};

describe("the numbers other documents quote", () => {
  it("mnist-cnn's other seeds reach the accuracies its README names", () => {
    const claims = [...readme("mnist-cnn").matchAll(/([\d.]+)% \(seed (\d+)\)/g)].map((m) => ({ accuracy: Number(m[1]), seed: m[2]! }));
    expect(claims.map((c) => c.seed)).toEqual(["1", "2"]);
    for (const { accuracy, seed } of claims) expect(finalAccuracy(run("mnist-cnn", ["--seed", seed, "--out", path.join(out, `cnn-${seed}`)])), `seed ${seed}`).toBe(accuracy);
  }, 2 * LONG);

  it("README.md and examples/README.md give the MNIST examples' accuracy and time as their READMEs do", () => {
    // The examples' own READMEs: the final accuracy of the quoted run, and the time they state.
    const mlp = { accuracy: finalAccuracy(runOnce("mnist-mlp").replace(/^test: loss [\d.]+ · accuracy ([\d.]+)%.*$/m, "final test accuracy $1%")), seconds: Number(/takes about (\d+) seconds/.exec(readme("mnist-mlp"))![1]) };
    const cnn = { accuracy: finalAccuracy(runOnce("mnist-cnn")), seconds: Number(/test accuracy in (\d+) seconds/.exec(readme("mnist-cnn"))![1]) };
    const top = readFileSync(path.join(root, "README.md"), "utf8");
    const examples = readFileSync(path.join(root, "examples", "README.md"), "utf8");
    for (const [name, fact] of [["mnist-mlp", mlp], ["mnist-cnn", cnn]] as const) {
      const row = (doc: string) => doc.split("\n").find((l) => l.startsWith("|") && l.includes(`${name}`) && l.includes("test accuracy"));
      for (const [docName, doc] of [["README.md", top], ["examples/README.md", examples]] as const) {
        const m = /([\d.]+)% test accuracy in 5 epochs, (\d+) s\b/.exec(row(doc) ?? "");
        expect(m, `${docName}: a table row for ${name} stating "N% test accuracy in 5 epochs, T s"`).not.toBeNull();
        expect(Number(m![1]), `${docName}, ${name}: accuracy`).toBe(Number(fact.accuracy.toFixed(1)));
        expect(Number(m![2]), `${docName}, ${name}: seconds`).toBe(fact.seconds);
      }
    }
    // The quick start's sentence about npm start.
    expect(top).toContain(`(${mlp.accuracy.toFixed(1)}% at the end, in about ${mlp.seconds} s on a 2-core machine)`);
  }, 2 * LONG);
});
