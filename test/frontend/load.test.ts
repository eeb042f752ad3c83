import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { GradcError } from "../../compiler/diagnostics.js";
import { loadModel, loadModelSource } from "../../compiler/frontend/load.js";
import type { Graph } from "../../compiler/ir/graph.js";
import type { Node } from "../../compiler/ir/node.js";

const fixtures = fileURLToPath(new URL("../fixtures/models/", import.meta.url));
const fixture = (name: string) => path.join(fixtures, name);

/** "op line:col name" for every node, in creation order. */
const describeNodes = (g: Graph) => g.nodes.map((n) => `${n.op} ${n.loc.line}:${n.loc.col}${n.name ? ` ${n.name}` : ""}`);
const byName = (g: Graph, name: string): Node[] => g.nodes.filter((n) => n.name === name);

describe("locations", () => {
  test("every node points at the start of the DSL call that made it", async () => {
    const g = await loadModel(fixture("simple.ts"));
    expect(g.nodes.every((n) => n.loc.file === fixture("simple.ts"))).toBe(true);
    expect(describeNodes(g)).toEqual([
      "input 4:13 x",
      "input 5:13 y",
      "param 6:14 W1",
      "param 7:14 b1",
      "param 8:14 W2",
      "param 9:14 b2",
      "matmul 10:18", //   const z1 = add(matmul(x, W1), b1);
      "add 10:14 z1",
      "relu 11:14 h1",
      "matmul 12:19",
      "add 12:15 out",
      "sub 13:16", //        const loss = mse(out, y);   mse builds sub, square, sum, dim, div
      "square 13:16",
      "sum 13:16",
      "dim 13:16",
      "div 13:16 loss",
    ]);
  });

  test("nested calls, namespace calls, calls over several lines", async () => {
    const g = await loadModel(fixture("nested.ts"));
    // line 11:   const out = add(matmul(relu(add(matmul(x, W1), b1)), W2), b2);
    //                        ^15 ^19    ^26  ^31 ^35
    const at = (op: string) => g.nodes.filter((n) => n.op === op && n.loc.line === 11).map((n) => n.loc.col);
    expect(at("matmul")).toEqual([35, 19]);
    expect(at("add")).toEqual([31, 15]);
    expect(at("relu")).toEqual([26]);
    // line 12:   const scaled = g.mul(\n    out,\n    2,\n  );   — the call starts at `g`
    const scaled = byName(g, "scaled");
    expect(scaled.map((n) => [n.op, n.loc.line, n.loc.col])).toEqual([["mul", 12, 18]]);
    expect(scaled[0]!.inputs[1]!.loc).toMatchObject({ line: 12, col: 18 }); // the constant 2
  });

  test("the same locations without the type-checker", async () => {
    const a = await loadModel(fixture("nested.ts"));
    const b = await loadModel(fixture("nested.ts"), { typecheck: false });
    expect(describeNodes(b)).toEqual(describeNodes(a));
  });

  test("a model outside the package resolves \"gradc\" too", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "gradc-load-"));
    try {
      const file = path.join(dir, "model.ts");
      copyFileSync(fixture("simple.ts"), file);
      const g = await loadModel(file);
      expect(g.name).toBe("simple");
      expect(byName(g, "z1")[0]!.loc).toEqual({ file, line: 10, col: 14 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("variable names", () => {
  test("const NAME = call(...) names the call's result, not its intermediate nodes", async () => {
    const g = await loadModel(fixture("simple.ts"));
    expect(byName(g, "z1").map((n) => n.op)).toEqual(["add"]);
    expect(byName(g, "h1").map((n) => n.op)).toEqual(["relu"]);
    expect(byName(g, "out").map((n) => n.op)).toEqual(["add"]);
    expect(byName(g, "loss")).toEqual([g.loss]);
    expect(g.outputs.map(([k, n]) => [k, n.name])).toEqual([["out", "out"]]);
    // parameters keep their declared names even when the variable differs
    expect(g.params.map((p) => p.name)).toEqual(["W1", "b1", "W2", "b2"]);
  });

  test("a helper called once per layer names each layer's result", async () => {
    const g = await loadModel(fixture("helper.ts"));
    expect(byName(g, "z").map((n) => n.op)).toEqual(["add", "add"]);
    expect(g.params.map((p) => p.name)).toEqual(["W_1", "b_1", "W_2", "b_2"]);
    expect(byName(g, "out")).toEqual([]); // `out` is dense(...)'s return value, made inside dense
  });

  test("a hostile parameter name is data: it traces like any other", async () => {
    const g = await loadModel(fixture("hostile.ts"));
    expect(g.params.map((p) => p.attrs.name)).toEqual(['W"; process.exit(1); //']);
    expect(g.params[0]!.name).toBe('W"; process.exit(1); //');
    expect(g.params[0]!.shape).toEqual([1, 1]);
  });
});

describe("options", () => {
  test("--batch fixes the batch dimension", async () => {
    const g = await loadModel(fixture("simple.ts"), { batch: 8 });
    expect(g.batchDim).toBeNull();
    expect(g.inputs.map((i) => i.shape)).toEqual([[8, 1], [8, 1]]);
  });

  test.each([0, -1, 1.5, Number.NaN])("--batch %s is refused", async (batch) => {
    await expect(loadModel(fixture("simple.ts"), { batch })).rejects.toMatchObject({ code: "GC2008", loc: undefined });
  });

  test("loadModelSource needs no file on disk", () => {
    const file = path.join(fixtures, "virtual.ts");
    const text = `import { model, input, param, matmul, mse } from "gradc";
export default model("v", () => {
  const x = input("x", [2, 1]);
  const W = param("W", [1, 1]);
  const out = matmul(x, W);
  return { loss: mse(out, x), outputs: { out } };
});
`;
    const g = loadModelSource(file, text);
    expect(byName(g, "out")[0]!.loc).toEqual({ file, line: 5, col: 15 });
  });

  test("a missing file", async () => {
    const err = await loadModel(fixture("nope.ts")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GradcError);
    expect(err).toMatchObject({ code: "GC3001" });
    expect((err as Error).message).toMatch(/cannot read .*nope\.ts: no such file/);
  });
});

describe("model code", () => {
  const file = path.join(fixtures, "inline.ts");
  const wrap = (body: string, top = "") => `import { model, input, param, matmul, mse } from "gradc";
import * as g from "gradc";
${top}
export default model("inline", () => {
  const x = input("x", ["batch", 2]);
  const W = param("W", [2, 1]);
${body}
  const out = matmul(x, W);
  return { loss: mse(out, x), outputs: { out } };
});
`;
  const failure = (text: string): GradcError => {
    try {
      loadModelSource(file, text);
    } catch (e) {
      if (e instanceof GradcError) return e;
      throw e;
    }
    throw new Error("no error");
  };

  test("console works without node's types; process and node modules with them", () => {
    expect(() => loadModelSource(file, wrap(`  console.log("tracing", x.shape);`))).not.toThrow();
    expect(() => loadModelSource(file, wrap("", `import { cpus } from "node:os";\nconst units = Number(process.env.GRADC_UNITS ?? cpus().length);\nvoid units;`))).not.toThrow();
  });

  test("a throw at the top level: GC1003 at the call that threw", () => {
    const e = failure(wrap("", `const config = JSON.parse("{");`));
    expect(e.code).toBe("GC1003");
    expect(e.message).toMatch(/^uncaught SyntaxError: /);
    expect(e.loc).toMatchObject({ line: 3, col: 16 });
  });

  test("a DSL call outside model(...) is GC1003 at that call", () => {
    const e = failure(wrap("", `const early = input("early", [1]);`));
    expect(e).toMatchObject({ code: "GC1003", loc: { line: 3, col: 15 } });
    expect(e.message).toBe("uncaught Error: gradc DSL functions can only be called inside model(...) while gradc compiles it");
  });

  test("throwing a non-Error falls back to the model(...) call", () => {
    const e = failure(wrap(`  if (x) throw "no";`));
    expect(e).toMatchObject({ code: "GC1003", message: 'uncaught exception: "no"', loc: { line: 4, col: 16 } });
  });

  test("an unknown op through a namespace import", () => {
    const e = failure(wrap(`  const h = g.sigmod(x);`));
    expect(e).toMatchObject({ code: "GC2002", loc: { line: 7, col: 15 } });
    expect(e.message).toMatch(/^unknown op 'sigmod': .*did you mean 'sigmoid'\?$/);
  });

  test("no default export", () => {
    const e = failure(`import { model } from "gradc";\nexport const m = 1;\n`);
    expect(e).toMatchObject({ code: "GC1004", loc: { line: 1, col: 1 } });
    expect(e.message).toMatch(/^inline\.ts has no default export: write `export default model/);
  });
});
