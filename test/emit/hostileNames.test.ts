// Names chosen by the model author are data: quotes, comment terminators, newlines and code in a
// parameter, input or output name must neither break nor change the generated module; names that
// collide with Object.prototype are refused.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ts } from "ts-morph";
import { describe, expect, it } from "vitest";
import * as d from "../../compiler/dsl/core.js";
import { model } from "../../compiler/dsl/model.js";
import type { Node } from "../../compiler/ir/node.js";
import { commentText, Names } from "../../compiler/emit/names.js";
import { isGradcError } from "../../runtime/errors.js";
import { loadCheckpoint, restoreInto, saveCheckpoint, type CheckpointSpec } from "../../runtime/checkpoint.js";
import { compileAndImport } from "../helpers/compiled.js";
import { diagnostic } from "../helpers/evalNode.js";
import { traceModel } from "../helpers/gradcheck.js";

const EVIL_PARAM = 'W"; globalThis.__pwned = 1; //';
const EVIL_BIAS = "b`${globalThis.__pwned = 2}`\n*/ /*";
const EVIL_INPUT = "x'];\u2028globalThis.__pwned = 3;//";
const EVIL_OUTPUT = "out\r\n// */ constructor __proto__";

const hostile = model("hostile", () => {
  const x = d.input(EVIL_INPUT, ["batch", 2]);
  const y = d.input("y", ["batch", 1]);
  const W = d.param(EVIL_PARAM, [2, 1], { init: "xavier" });
  const b = d.param(EVIL_BIAS, [1], { init: "zeros" });
  const out = d.add(d.matmul(x, W), b);
  return { loss: d.mse(out, y), outputs: { [EVIL_OUTPUT]: out } };
});

describe("hostile names", () => {
  it("compile to a module that runs, with the names only as data", async () => {
    const { module, code } = await compileAndImport(hostile);
    expect((globalThis as Record<string, unknown>).__pwned).toBeUndefined();
    const params = module.initParams(1);
    expect(Object.keys(params).sort()).toEqual([EVIL_PARAM, EVIL_BIAS].sort());
    const inputs = { [EVIL_INPUT]: [1, 2, 3, 4], y: [1, 2] };
    const out = module.forward(params, inputs)[EVIL_OUTPUT]!;
    const W = params[EVIL_PARAM]!, b = params[EVIL_BIAS]!;
    expect(Array.from(out)).toEqual([1 * W[0]! + 2 * W[1]! + b[0]!, 3 * W[0]! + 4 * W[1]! + b[0]!]);
    const { grads } = module.lossAndGrad(params, inputs);
    expect(Object.keys(grads).sort()).toEqual([EVIL_PARAM, EVIL_BIAS].sort());
    expect((globalThis as Record<string, unknown>).__pwned).toBeUndefined();
    // The smuggled code is nowhere in the module's syntax: `globalThis` occurs only inside string literals.
    const identifiers: string[] = [];
    const visit = (node: ts.Node): void => {
      if (ts.isIdentifier(node)) identifiers.push(node.text);
      ts.forEachChild(node, visit);
    };
    visit(ts.createSourceFile("m.ts", code, ts.ScriptTarget.ES2022, true));
    expect(identifiers).not.toContain("globalThis");
    expect(identifiers).toContain("initParams");
  });

  it("errors about a hostile input name quote it", async () => {
    const { module } = await compileAndImport(hostile);
    expect(() => module.forward(module.initParams(), {})).toThrow(JSON.stringify(EVIL_INPUT).slice(1, 5));
  });
});

// Names every JavaScript object already has (Object.prototype's: __proto__, constructor, toString, …)
// cannot be keys of the plain objects that hold inputs, params and outputs — in the generated module,
// the runtime, checkpoints and the user's own code (`{ __proto__: w }` sets a prototype, a missing
// `inputs.constructor` reads Object). They are refused at compile time with a located GC2010; names
// that merely resemble them work everywhere.
describe("names that collide with Object.prototype", () => {
  const reserved = Object.getOwnPropertyNames(Object.prototype);
  const netModel = (names: { x?: string; W?: string; out?: string }) =>
    model("net", () => {
      const x = d.input(names.x ?? "x", ["batch", 2]);
      const y = d.input("y", ["batch", 1]);
      const W = d.param(names.W ?? "W", [2, 1], { init: "xavier" });
      const out = d.matmul(x, W);
      return { loss: d.mse(out, y), outputs: { [names.out ?? "out"]: out } };
    });

  it("the list is Object.prototype's own names, __proto__ and constructor among them", () => {
    expect(reserved).toEqual(expect.arrayContaining(["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf", "isPrototypeOf", "toLocaleString", "propertyIsEnumerable", "__defineGetter__"]));
  });

  it.each(reserved)("%s is refused as an input, a param and an output name (GC2010)", (name) => {
    const hint = name.startsWith("__") ? name.replace(/_/g, "") : `${name}_`;
    const tail = `is reserved: every JavaScript object already has a "${name}" (from Object.prototype), so the objects that hold inputs, parameters and outputs by name could not hold this one; choose another name, e.g. "${hint}"`;
    expect(diagnostic(() => d.input(name, ["batch", 2]))).toEqual({ code: "GC2010", message: `input name "${name}" ${tail}` });
    expect(diagnostic(() => d.param(name, [2, 1]))).toEqual({ code: "GC2010", message: `param name "${name}" ${tail}` });
    const err = (() => {
      try {
        traceModel(netModel({ out: name }));
      } catch (e) {
        return e as { code?: string; message: string; loc?: { line: number } };
      }
      throw new Error("the output name was accepted");
    })();
    expect(isGradcError(err)).toBe(true);
    expect([err.code, err.message]).toEqual(["GC2010", `output name "${name}" ${tail}`]);
  });

  it("`outputs: { __proto__: y }` (which sets a prototype, not a field) is refused, at the output's line", () => {
    const literal = model("literal", () => {
      const x = d.input("x", ["batch", 1]);
      const W = d.param("W", [1, 1]);
      const out = d.matmul(x, W);
      return { loss: d.mean(out), outputs: { __proto__: out } as Record<string, Node> };
    });
    let err: unknown;
    try {
      traceModel(literal);
    } catch (e) {
      err = e;
    }
    expect(isGradcError(err) && [err.code, err.message]).toEqual(["GC2010", 'outputs: { __proto__: … } sets the object\'s prototype in JavaScript, not an output named "__proto__"; choose another name, e.g. "proto"']);
  });

  it("through the real CLI: a located error, exit 1, nothing written", () => {
    const root = fileURLToPath(new URL("../..", import.meta.url));
    const dir = mkdtempSync(path.join(tmpdir(), "gradc-reserved-"));
    try {
      writeFileSync(
        path.join(dir, "model.ts"),
        `import { model, input, param, matmul, mse } from "gradc";\n\nexport default model("m", () => {\n  const x = input("x", ["batch", 2]);\n  const y = input("y", ["batch", 1]);\n  const W = param("constructor", [2, 1]);\n  return { loss: mse(matmul(x, W), y) };\n});\n`,
      );
      const r = spawnSync(process.execPath, [path.join(root, "bin/gradc.js"), "compile", "model.ts", "-o", "model.gen.ts"], { cwd: dir, encoding: "utf8" });
      expect(r.status).toBe(1);
      expect(r.stderr.split("\n")[0]).toMatch(/^model\.ts:6:13 - error GC2010: param name "constructor" is reserved: /);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(path.join(dir, "model.gen.ts"))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("names that only resemble them work everywhere: initParams, forward, evaluate, lossAndGrad, a trainer, a checkpoint", async () => {
    const names = { x: "__proto", W: "Constructor", out: "toString_" };
    const { module } = await compileAndImport(netModel(names));
    const params = module.initParams(2);
    expect(Object.keys(params)).toEqual(["Constructor"]);
    const inputs = { __proto: [1, 2, 3, 4], y: [1, 0] };
    const W = params.Constructor!;
    const expected = [W[0]! + 2 * W[1]!, 3 * W[0]! + 4 * W[1]!];
    expect(Array.from(module.forward(params, inputs).toString_!)).toEqual(expected);
    expect(Array.from(module.evaluate(params, inputs).outputs.toString_!)).toEqual(expected);
    expect(Object.keys(module.lossAndGrad(params, inputs).grads)).toEqual(["Constructor"]);
    const trainer = module.createTrainer(params, { optimizer: { kind: "sgd", lr: 0.1 } });
    const before = Array.from(W);
    expect(Number.isFinite(trainer.step(inputs))).toBe(true);
    expect(Array.from(trainer.params.Constructor!)).not.toEqual(before);
    const dir = mkdtempSync(path.join(tmpdir(), "gradc-names-ckpt-"));
    try {
      const file = path.join(dir, "net.ckpt");
      const spec = module.spec as CheckpointSpec;
      saveCheckpoint(file, { spec, params: trainer.params, step: 1 });
      const restored = module.initParams(9);
      restoreInto(loadCheckpoint(file, spec), restored);
      expect(Array.from(restored.Constructor!)).toEqual(Array.from(trainer.params.Constructor!));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("Names.fresh: an identifier for any hint", () => {
  it.each([
    ["W1", "W1"],
    ["3x", "_3x"], // an identifier cannot start with a digit
    ["lstm.Wih", "lstm_Wih"],
    ["a-b c", "a_b_c"],
    ["", "t"],
    ["$", "_"], // never a `$`: kernelLoops' deep loop variables (q$1, …) have one
    ["x".repeat(50), "x".repeat(40)], // long hints are cut to 40 characters
    ["Math", "Math_2"], // a reserved name gets a suffix
  ])("%j → %j", (hint, name) => {
    expect(new Names().fresh(hint)).toBe(name);
  });
  it("counts suffixes per base: matmul, matmul_2, matmul_3; a 40-character cut shares its base", () => {
    const names = new Names();
    expect([names.fresh("matmul"), names.fresh("matmul"), names.fresh("matmul")]).toEqual(["matmul", "matmul_2", "matmul_3"]);
    expect([names.fresh("y".repeat(45)), names.fresh("y".repeat(41))]).toEqual(["y".repeat(40), `${"y".repeat(40)}_2`]);
  });
  it("commentText: one printable line", () => {
    expect(commentText("a\nb\u2028c\u0000d")).toBe("a b c d");
  });
});
