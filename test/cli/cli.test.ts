// The gradc command, run in-process: usage errors, diagnostics, and atomic output.
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { main, type CliIO, type CompileFileFn } from "../../compiler/cli.js";
import { loadModel } from "../../compiler/frontend/load.js";

const fixtures = fileURLToPath(new URL("../fixtures/models/", import.meta.url));
const pkg = JSON.parse(readFileSync(fileURLToPath(new URL("../../package.json", import.meta.url)), "utf8")) as { version: string };

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "gradc-cli-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Copies fixtures into the temp dir as model files. */
const place = (fixture: string, as = "model.ts") => {
  copyFileSync(path.join(fixtures, fixture), path.join(dir, as));
  return as;
};

/** A compiler whose output is known: it loads the model (so model errors surface) and returns fixed text. */
const stubCompile: CompileFileFn = async (file, options) => {
  await loadModel(file, options.batch !== undefined ? { batch: options.batch } : {});
  return { code: `// compiled ${path.basename(file)} ${options.dtype} ${options.batch ?? "-"}\n` };
};

async function run(argv: string[], extra: Partial<CliIO> = {}) {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    cwd: dir,
    ...extra,
  });
  return { code, stdout, stderr, first: stderr.split("\n")[0] };
}

const listing = () => readdirSync(dir).sort();

describe("help, version, usage errors", () => {
  test("--help and -h print the usage and exit 0", async () => {
    for (const flag of ["--help", "-h"]) {
      const r = await run([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Usage: gradc <command>/);
      expect(r.stdout).toContain("gradc compile <model.ts> [-o <out.gen.ts>] [--dtype f32|f64] [--batch N]");
      expect(r.stderr).toBe("");
    }
    expect((await run(["compile", "--help"])).code).toBe(0);
  });

  test("--version prints package.json's version", async () => {
    const r = await run(["--version"]);
    expect(r).toMatchObject({ code: 0, stdout: `${pkg.version}\n`, stderr: "" });
    expect((await run(["-v"])).stdout).toBe(`${pkg.version}\n`);
  });

  test.each([
    [[], "gradc: error GC3002: missing command (compile, explain, graph, train, export, check, summary or init)"],
    [["build", "model.ts"], "gradc: error GC3002: unknown command 'build' (expected compile, explain, graph, train, export, check, summary or init)"],
    [["compile"], "gradc: error GC3002: compile: missing the model file (gradc compile model.ts)"],
    [["compile", "model.ts", "extra.ts"], "gradc: error GC3002: compile: unexpected argument 'extra.ts'"],
    [["compile", "model.ts", "--fast"], "gradc: error GC3002: unknown option '--fast'"],
    [["compile", "model.ts", "-x"], "gradc: error GC3002: unknown option '-x'"],
    [["compile", "model.ts", "-o"], "gradc: error GC3002: option '-o, --out' needs a value"],
    [["compile", "model.ts", "--dtype", "f16"], "gradc: error GC3002: option '--dtype' must be f32 or f64, got 'f16'"],
    [["compile", "model.ts", "--param", "W"], "gradc: error GC3002: option '--param' does not apply to compile"],
    [["explain", "model.ts", "-o", "x.ts"], "gradc: error GC3002: option '--out' does not apply to explain"],
    [["compile", "model.ts", "--help=yes"], "gradc: error GC3002: option '-h, --help' does not take a value"],
    [["compil", "model.ts"], "gradc: error GC3002: unknown command 'compil' (expected compile, explain, graph, train, export, check, summary or init); did you mean 'compile'?"],
    [["explian", "model.ts"], "gradc: error GC3002: unknown command 'explian' (expected compile, explain, graph, train, export, check, summary or init); did you mean 'explain'?"],
    [["compile", "model.ts", "--timout", "3"], "gradc: error GC3002: unknown option '--timout'; did you mean '--timeout'?"],
    // bad option values: the range each option takes (a negative number after an option is its value)
    [["train", "model.ts", "--lr", "Infinity"], "gradc: error GC3002: option '--lr' must be a finite number >= 0, got 'Infinity'"],
    [["train", "model.ts", "--lr", "NaN"], "gradc: error GC3002: option '--lr' must be a finite number >= 0, got 'NaN'"],
    [["train", "model.ts", "--lr", "-0.1"], "gradc: error GC3002: option '--lr' must be a finite number >= 0, got '-0.1'"],
    [["train", "model.ts", "--lr=0x10"], "gradc: error GC3002: option '--lr' must be a finite number >= 0, got '0x10'"],
    [["train", "model.ts", "--momentum", "-Infinity"], "gradc: error GC3002: option '--momentum' must be a finite number >= 0, got '-Infinity'"],
    [["train", "model.ts", "--epochs", "1e3"], "gradc: error GC3002: option '--epochs' must be an integer >= 1, got '1e3'"],
    [["train", "model.ts", "--epochs", "0"], "gradc: error GC3002: option '--epochs' must be an integer >= 1, got '0'"],
    [["train", "model.ts", "--seed", "-1"], "gradc: error GC3002: option '--seed' must be an integer from 0 to 4294967295, got '-1'"],
    [["train", "model.ts", "--seed", "4294967296"], "gradc: error GC3002: option '--seed' must be an integer from 0 to 4294967295, got '4294967296'"],
    [["compile", "model.ts", "--timeout", "0"], "gradc: error GC3002: option '--timeout' must be a number of seconds > 0 and at most 2147483 (24 days), got '0'"],
    [["explain", "model.ts", "--timeout", "-5"], "gradc: error GC3002: option '--timeout' must be a number of seconds > 0 and at most 2147483 (24 days), got '-5'"],
    [["graph", "model.ts", "--timeout", "soon"], "gradc: error GC3002: option '--timeout' must be a number of seconds > 0 and at most 2147483 (24 days), got 'soon'"],
    [["compile", "model.ts", "--max-memory", "8"], "gradc: error GC3002: option '--max-memory' must be an integer number of MB from 16 to 1048576, got '8'"],
    [["compile", "model.ts", "--trust-model=yes"], "gradc: error GC3002: option '--trust-model' does not take a value"],
  ])("%j is a usage error", async (argv, first) => {
    place("simple.ts");
    const r = await run(argv, { compileFile: stubCompile });
    expect(r.code).toBe(2);
    expect(r.first).toBe(first);
    expect(r.stderr).toContain("Usage: gradc <command>");
    expect(r.stdout).toBe("");
    expect(listing()).toEqual(["model.ts"]);
  });

  test.each(["0", "-3", "1.5", "abc", "4x"])("--batch %s is refused (GC2008)", async (n) => {
    place("simple.ts");
    for (const argv of [["compile", "model.ts", `--batch=${n}`], ["compile", "model.ts", "--batch", n]]) {
      const r = await run(argv, { compileFile: stubCompile });
      expect(r.code).toBe(2);
      expect(r.first).toBe(`gradc: error GC2008: --batch must be a positive integer, got '${n}'`);
      expect(listing()).toEqual(["model.ts"]);
    }
  });

  test("values in range pass: fractional seconds, exponents, the box options on every model command", async () => {
    place("simple.ts");
    const r = await run(["compile", "model.ts", "--timeout", "2.5", "--max-memory", "512", "--trust-model"], { compileFile: stubCompile });
    expect(r).toMatchObject({ code: 0, stderr: "" });
    for (const command of ["explain", "graph"]) {
      const calls: string[] = [];
      const s = await run([command, "model.ts", "--timeout=1e2", "--trust-model"], {
        explainFile: async (file) => (calls.push(file), "explained"),
        graphFile: async (file) => (calls.push(file), "graphed\n"),
      });
      expect(s.code, s.stderr).toBe(0);
      expect(calls).toEqual([path.join(dir, "model.ts")]);
    }
  });

  test("-o naming the model itself is refused", async () => {
    place("simple.ts");
    const before = readFileSync(path.join(dir, "model.ts"), "utf8");
    const r = await run(["compile", "model.ts", "-o", "model.ts"], { compileFile: stubCompile });
    expect(r.code).toBe(2);
    expect(r.first).toBe("gradc: error GC3002: the output model.ts is the model file itself; choose another -o");
    expect(readFileSync(path.join(dir, "model.ts"), "utf8")).toBe(before);
  });
});

describe("compile", () => {
  test("writes the module (default name next to the model) and exits 0", async () => {
    place("simple.ts");
    const r = await run(["compile", "model.ts", "--dtype", "f64", "--batch", "4"], { compileFile: stubCompile });
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(listing()).toEqual(["model.gen.ts", "model.ts"]);
    expect(readFileSync(path.join(dir, "model.gen.ts"), "utf8")).toBe("// compiled model.ts f64 4\n");
  });

  test("-o replaces an existing output and leaves no temporary file; creates missing directories", async () => {
    place("simple.ts");
    writeFileSync(path.join(dir, "out.gen.ts"), "old");
    expect((await run(["compile", "model.ts", "-o", "out.gen.ts"], { compileFile: stubCompile })).code).toBe(0);
    expect(readFileSync(path.join(dir, "out.gen.ts"), "utf8")).toBe("// compiled model.ts f32 -\n");
    expect((await run(["compile", "model.ts", "-o", "gen/deep/out.gen.ts"], { compileFile: stubCompile })).code).toBe(0);
    expect(existsSync(path.join(dir, "gen/deep/out.gen.ts"))).toBe(true);
    expect(listing()).toEqual(["gen", "model.ts", "out.gen.ts"]);
  });

  test("a scan whose body changes the carry's shape: the diagnostic points at the scan call", async () => {
    place("scanCarryShape.ts", "model.ts");
    const r = await run(["compile", "model.ts", "-o", "model.gen.ts"]);
    expect(r.code).toBe(1);
    expect(r.first).toBe("model.ts:7:21 - error GC2001: scan: carry 0 changes shape from [batch, 2] to [batch, 3]");
    expect(r.stderr).toContain("7   const { carry } = scan((h, x) => ({ carry: tanh(matmul(x, W)) }), zeros([\"batch\", 2]), xs);");
    expect(listing()).toEqual(["model.ts"]);
  });

  test("a compile error prints the diagnostic, exits 1, writes nothing, leaves an existing output untouched", async () => {
    place("shapeMismatch.ts", "model.ts");
    // the real compiler (compiler/compile.ts): the error comes from loading, before any emitting
    let r = await run(["compile", "model.ts", "-o", "model.gen.ts"]);
    expect(r.code).toBe(1);
    expect(r.first).toBe("model.ts:7:15 - error GC2001: matmul: inner dimensions differ: [batch, 3] · [2, 1] (3 vs 2)");
    expect(r.stderr).toBe(
      [
        "model.ts:7:15 - error GC2001: matmul: inner dimensions differ: [batch, 3] · [2, 1] (3 vs 2)",
        "",
        "7   const out = matmul(x, W);",
        "                ~~~~~~~~~~~~",
        "",
        "",
      ].join("\n"),
    );
    expect(listing()).toEqual(["model.ts"]);

    writeFileSync(path.join(dir, "model.gen.ts"), "// the previous good build\n");
    r = await run(["compile", "model.ts"]);
    expect(r.code).toBe(1);
    expect(readFileSync(path.join(dir, "model.gen.ts"), "utf8")).toBe("// the previous good build\n");
    expect(listing()).toEqual(["model.gen.ts", "model.ts"]);
  });

  test.each([
    ["unknownOp.ts", `model.ts:1:39 - error GC2002: unknown op 'sigmod': "gradc" has no export of that name; did you mean 'sigmoid'?`],
    ["duplicate.ts", `model.ts:7:13 - error GC2004: duplicate name "W": already declared at 6:13`],
    ["parseError.ts", "model.ts:6:26 - error GC1001: ')' expected."],
    ["throws.ts", "model.ts:4:9 - error GC1003: uncaught Error: no hidden units configured"],
  ])("%s: exit 1 with the diagnostic, relative to the working directory", async (fixture, first) => {
    place(fixture);
    const r = await run(["compile", "model.ts"], { compileFile: stubCompile });
    expect(r.code).toBe(1);
    expect(r.first).toBe(first);
    expect(listing()).toEqual(["model.ts"]);
  });

  test("paths in diagnostics are relative to the working directory", async () => {
    place("shapeMismatch.ts", "model.ts");
    const r = await run(["compile", path.join(dir, "model.ts")], { compileFile: stubCompile, cwd: path.dirname(dir) });
    expect(r.first).toBe(`${path.basename(dir)}/model.ts:7:15 - error GC2001: matmul: inner dimensions differ: [batch, 3] · [2, 1] (3 vs 2)`);
  });

  test("a missing model file", async () => {
    const r = await run(["compile", "nope.ts"], { compileFile: stubCompile });
    expect(r.code).toBe(1);
    expect(r.first).toMatch(/^gradc: error GC3001: cannot read .*nope\.ts: no such file$/);
    expect(listing()).toEqual([]);
  });

  test("an output that cannot be written is GC3001 and leaves nothing behind", async () => {
    place("simple.ts");
    writeFileSync(path.join(dir, "blocker"), "a file where a directory should be");
    const r = await run(["compile", "model.ts", "-o", "blocker/out.gen.ts"], { compileFile: stubCompile });
    expect(r.code).toBe(1);
    expect(r.first).toMatch(/^gradc: error GC3001: cannot write blocker\/out\.gen\.ts: /);
    expect(listing()).toEqual(["blocker", "model.ts"]);
  });

  test("an internal error is reported as one, with exit 1", async () => {
    place("simple.ts");
    const r = await run(["compile", "model.ts"], {
      compileFile: async () => {
        throw new TypeError("emitter fell over");
      },
    });
    expect(r.code).toBe(1);
    expect(r.first).toBe("gradc: internal compiler error: TypeError: emitter fell over");
    expect(r.stderr).toMatch(/^This is a bug in gradc, not in your model\. Please report it .*, with the command you ran and your model\.ts \(GRADC_DEBUG=1 gradc … shows the stack\)\.$/m);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(listing()).toEqual(["model.ts"]);
  });

  test("GRADC_DEBUG=1 shows the stack of an internal error, and of a user's error", async () => {
    place("simple.ts");
    const saved = process.env.GRADC_DEBUG;
    process.env.GRADC_DEBUG = "1";
    try {
      const r = await run(["compile", "model.ts"], {
        compileFile: async () => {
          throw new TypeError("emitter fell over");
        },
      });
      expect(r.code).toBe(1);
      expect(r.first).toBe("gradc: internal compiler error: TypeError: emitter fell over");
      expect(r.stderr).toMatch(/^TypeError: emitter fell over\n\s+at .*cli\.test\.ts/m);
      const u = await run(["compile", "nope.ts"], { compileFile: stubCompile });
      expect(u.first).toMatch(/^gradc: error GC3001: cannot read /);
      expect(u.stderr).toMatch(/^GradcError: cannot read [^]*\n\s+at /m);
    } finally {
      if (saved === undefined) delete process.env.GRADC_DEBUG;
      else process.env.GRADC_DEBUG = saved;
    }
  });
});

describe("explain", () => {
  test("prints what explainFile returns, passing --param and --batch", async () => {
    place("simple.ts");
    const calls: unknown[] = [];
    const r = await run(["explain", "model.ts", "--param", "W1", "--batch", "2"], {
      explainFile: async (file, options) => {
        calls.push([path.basename(file), options]);
        return "∂L/∂W1 = xᵀ·∂L/∂z1";
      },
    });
    expect(r).toMatchObject({ code: 0, stdout: "∂L/∂W1 = xᵀ·∂L/∂z1\n", stderr: "" });
    expect(calls).toEqual([["model.ts", { param: "W1", batch: 2 }]]);
  });

  test("model errors are diagnostics there too", async () => {
    place("noLoss.ts");
    const r = await run(["explain", "model.ts"], {
      explainFile: async (file) => {
        await loadModel(file);
        return "";
      },
    });
    expect(r.code).toBe(1);
    expect(r.first).toBe("model.ts:7:3 - error GC2005: the model returns no loss: return { loss: ..., outputs: { ... } }");
  });
});
