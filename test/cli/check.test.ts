// gradc check: every example passes at the default tolerance through the built CLI (a child process);
// a model whose customGradient is wrong fails, naming the parameters before it; integer inputs are
// drawn within their range; kinks are skipped; --param, --points, --seed and the usage errors.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkFile } from "../../compiler/check.js";
import { formatCheck } from "../../compiler/checkFormat.js";
import { main } from "../../compiler/cli.js";
import { exampleModel, exampleNames, root } from "../examples/util.js";

const fixtures = fileURLToPath(new URL("../fixtures/models/", import.meta.url));
const LAST_LINE = /^(\d+) parameters? checked: worst relative error (\S+) \((\S+)\)$/;

/** `node bin/gradc.js check …` from the repository root. */
function gradc(args: readonly string[]) {
  const r = spawnSync(process.execPath, [path.join(root, "bin/gradc.js"), "check", ...args], { cwd: root, encoding: "utf8", timeout: 600_000 });
  const lines = r.stdout.trimEnd().split("\n");
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, last: lines[lines.length - 1]! };
}

/** The table's row for a parameter: [entries, kinks, max abs, max rel, result]. */
const row = (stdout: string, param: string): string[] => {
  const line = stdout.split("\n").find((l) => l.startsWith(`${param} `));
  if (!line) throw new Error(`no row for ${param} in:\n${stdout}`);
  return line.trim().split(/\s{2,}/).slice(1);
};

describe("gradc check on every example (the built CLI)", { timeout: 600_000 }, () => {
  it.each(exampleNames())("%s passes at the default --tol 1e-6", (name) => {
    const r = gradc([path.relative(root, exampleModel(name))]);
    expect(r.stderr).toBe("");
    expect(r.code, r.stdout).toBe(0);
    const m = LAST_LINE.exec(r.last);
    expect(m, r.last).not.toBeNull();
    expect(Number(m![2])).toBeLessThanOrEqual(1e-6);
    expect(r.stdout).not.toMatch(/FAIL/);
    expect(r.stdout).toMatch(/^parameter {2,}entries {2,}kinks skipped {2,}max abs error {2,}max rel error {2,}result$/m);
  }, 600_000);
});

describe("a model whose customGradient is wrong", () => {
  it("fails with exit 1, naming the parameters before it and listing their worst entries", () => {
    const r = gradc([path.join(fixtures, "wrongVjp.ts")]);
    expect(r.code).toBe(1);
    expect(row(r.stdout, "W1").at(-1)).toBe("FAIL");
    expect(row(r.stdout, "W1")[1]).toBe("0"); // no failure hidden as a kink
    expect(row(r.stdout, "b1").at(-1)).toBe("FAIL");
    expect(row(r.stdout, "W2").at(-1)).toBe("ok");
    expect(row(r.stdout, "b2").at(-1)).toBe("ok");
    expect(r.stdout).toContain("error: the gradients of W1, b1 disagree with central finite differences (relative error above --tol 1e-6)");
    expect(r.stdout).toMatch(/^W1: the worst entries \(index, analytic, numeric, relative error\):\n {2}W1\[\d, \d\] {2}\S+ {2}\S+ {2}\S+$/m);
    expect(r.last).toMatch(/^4 parameters checked: worst relative error \S+ \((W1|b1)\)$/);
  }, 120_000);

  it("--param restricts the check: W2 alone passes, b1 alone fails", () => {
    const ok = gradc([path.join(fixtures, "wrongVjp.ts"), "--param", "W2"]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).not.toMatch(/^(W1|b1|b2) /m);
    expect(ok.last).toMatch(/^1 parameter checked: worst relative error \S+ \(W2\)$/);
    const bad = gradc([path.join(fixtures, "wrongVjp.ts"), "--param", "b1"]);
    expect(bad.code).toBe(1);
    expect(bad.last).toMatch(/\(b1\)$/);
  }, 120_000);

  it("the same network with the right vjp passes", () => {
    const r = gradc([path.join(fixtures, "rightVjp.ts")]);
    expect(r.code, r.stdout).toBe(0);
  }, 120_000);

  it("an unknown --param is an error listing the parameters", () => {
    const r = gradc([path.join(fixtures, "wrongVjp.ts"), "--param", "W3"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/error GC2007: no parameter named "W3"; parameters: W1, b1, W2, b2\n$/);
  }, 120_000);
});

describe("gradc check in-process", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "gradc-check-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  it("integer inputs are drawn within the range the graph implies: class labels, gather indices", async () => {
    const file = write("tokens.ts", `import { model, input, param, embedding, matmul, reshape, softmaxCrossEntropy } from "gradc";
export default model("tokens", () => {
  const tokens = input("tokens", ["batch", 4], { dtype: "int" });
  const label = input("label", ["batch"], { dtype: "int" });
  const E = param("E", [7, 3]);
  const W = param("W", [12, 5]);
  const logits = matmul(reshape(embedding(tokens, E), ["batch", 12]), W);
  return { loss: softmaxCrossEntropy(logits, label) };
});
`);
    const r = await checkFile(file, { points: 6, seed: 3 });
    expect(r.inputs).toEqual([
      { name: "tokens", shape: [6, 4], drawn: "integers in [0, 7)" },
      { name: "label", shape: [6], drawn: "integers in [0, 5)" },
    ]);
    expect(r.ok).toBe(true);
    expect(r.rows).toBe(6);
    expect(r.params.map((p) => [p.name, p.checked])).toEqual([["E", 21], ["W", 60]]);
  });

  it("dropout and batchNorm: the training loss is differentiated (the same masks at every evaluation)", async () => {
    const file = write("modes.ts", `import { model, input, param, matmul, tanh, mse, dropout, batchNorm } from "gradc";
export default model("modes", () => {
  const x = input("x", ["batch", 3]);
  const y = input("y", ["batch", 2]);
  const W = param("W", [3, 4]);
  const V = param("V", [4, 2]);
  const h = dropout(tanh(batchNorm(matmul(x, W), "bn")), 0.3);
  return { loss: mse(matmul(h, V), y) };
});
`);
    const r = await checkFile(file, { points: 5 });
    expect(r.params.map((p) => p.name)).toEqual(["W", "V", "bn.weight", "bn.bias"]); // not the running statistics
    expect(r.ok, formatCheck(r)).toBe(true);
    expect(r.params.every((p) => p.checked === p.size && p.kinks === 0), formatCheck(r)).toBe(true);
  });

  it("entries on a kink are skipped and counted; the rest are checked", async () => {
    // relu(W) at W = 0 is a kink for every entry; V's entries are smooth.
    const file = write("kinks.ts", `import { model, param, relu, mul, add, sum, tanh, constant } from "gradc";
export default model("kinks", () => {
  const W = param("W", [2, 3], { init: "zeros" });
  const V = param("V", [3], { init: "uniform", low: -1, high: 1 });
  return { loss: add(sum(mul(relu(W), constant([[1, -2, 3], [0.5, 2, -1]]))), sum(tanh(V))) };
});
`);
    const r = await checkFile(file);
    const [W, V] = r.params;
    expect(W).toMatchObject({ name: "W", checked: 0, kinks: 6, ok: true });
    expect(V).toMatchObject({ name: "V", checked: 3, kinks: 0, ok: true });
    expect(r.worst?.param).toBe("V");
    expect(formatCheck(r)).toMatch(/^W {2,}0 {2,}6 {2,}- {2,}- {2,}unchecked$/m);
    expect(formatCheck(r)).toContain("note: every entry of W sits on a kink of the loss (relu at 0, a max, |x|), so nothing of it could be compared;");
    expect(formatCheck(r)).toContain("initParams(0), no inputs;");
  });

  it("a model without a batch dimension: --points separate draws; the same seed gives the same report", async () => {
    const file = write("static.ts", `import { model, input, param, matmul, tanh, mse } from "gradc";
export default model("fixed", () => {
  const x = input("x", [2, 3]);
  const y = input("y", [2, 1]);
  const W = param("W", [3, 1]);
  return { loss: mse(tanh(matmul(x, W)), y) };
});
`);
    const r = await checkFile(file, { points: 4 });
    expect(r.rows).toBeNull();
    expect(r.params[0]).toMatchObject({ name: "W", size: 3, checked: 12, ok: true });
    expect(formatCheck(r)).toContain("initParams(0), 4 draws of the inputs;");
    expect(formatCheck(await checkFile(file, { points: 4 }))).toBe(formatCheck(r));
    expect(formatCheck(await checkFile(file, { points: 4, seed: 1 }))).not.toBe(formatCheck(r));
  });

  it("a tolerance tighter than float64 finite differences can meet fails, naming the worst parameter", async () => {
    const r = await checkFile(path.join(fixtures, "rightVjp.ts"), { tol: 1e-16 });
    expect(r.ok).toBe(false);
    expect(formatCheck(r).trimEnd().split("\n").at(-1)).toMatch(/^4 parameters checked: worst relative error \S+ \((W1|b1|W2|b2)\)$/);
  });

  it("a loss that is not finite at the drawn point is reported, not compared", async () => {
    const file = write("nan.ts", `import { model, input, param, log, sum, sub } from "gradc";
export default model("nan", () => {
  const W = param("W", [2], { init: "zeros" });
  return { loss: sum(log(sub(W, 1))) };
});
`);
    const r = await checkFile(file);
    expect(r.ok).toBe(false);
    expect(r.problem).toBe("the loss at the drawn parameters and inputs is NaN, so no gradient can be compared; try another --seed");
    const text = formatCheck(r);
    expect(text).toContain("error: the loss at the drawn parameters");
  });

  it("usage errors exit 2; --help lists the command", async () => {
    const run = async (argv: string[]) => {
      let stdout = "", stderr = "";
      const code = await main(argv, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, cwd: fixtures });
      return { code, stdout, first: stderr.split("\n")[0] };
    };
    expect(await run(["check", "wrongVjp.ts", "--points", "0"])).toMatchObject({ code: 2, first: "gradc: error GC3002: option '--points' must be a positive integer, got '0'" });
    expect(await run(["check", "wrongVjp.ts", "--tol", "abc"])).toMatchObject({ code: 2, first: "gradc: error GC3002: option '--tol' must be a finite number > 0, got 'abc'" });
    expect(await run(["check", "wrongVjp.ts", "--seed", "-1"])).toMatchObject({ code: 2 });
    expect(await run(["check", "wrongVjp.ts", "--dtype", "f32"])).toMatchObject({ code: 2, first: "gradc: error GC3002: option '--dtype' does not apply to check" });
    expect(await run(["check"])).toMatchObject({ code: 2, first: "gradc: error GC3002: check: missing the model file (gradc check model.ts)" });
    const help = await run(["--help"]);
    expect(help.stdout).toContain("gradc check <model.ts> [--param NAME] [--points N] [--seed N] [--tol X]");
  });
});
