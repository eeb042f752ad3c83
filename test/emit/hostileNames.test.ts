// Names chosen by the model author are data: quotes, comment terminators, newlines and code in a
// parameter, input or output name must neither break nor change the generated module.
import { ts } from "ts-morph";
import { describe, expect, it } from "vitest";
import * as d from "../../compiler/dsl/core.js";
import { model } from "../../compiler/dsl/model.js";
import { compileAndImport } from "../helpers/compiled.js";

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
