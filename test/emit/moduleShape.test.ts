// The generated module is the model's code (README "The generated module"): its passes and workspaces,
// with the exported functions and the optimizer update taken from gradc/runtime's bindModule, and the
// forward kernels written once — evaluatePass calls forwardPass and adds only the loss. Checked on every
// committed example module, and by running one: evaluate()'s outputs are forward()'s, bit for bit.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import * as d from "../../compiler/dsl/index.js";
import { model } from "../../compiler/dsl/model.js";
import { emitModule } from "../../compiler/emit/module.js";
import { compileAndImport } from "../helpers/compiled.js";
import { exampleModel } from "../examples/util.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const examples = readdirSync(path.join(root, "examples"), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .filter((name) => {
    try {
      readFileSync(path.join(root, "examples", name, "model.gen.ts"));
      return true;
    } catch {
      return false;
    }
  });

/** The text of a top-level function of the module, from its signature to its closing brace. */
function functionText(code: string, name: string): string {
  const start = code.indexOf(`\nfunction ${name}(`);
  if (start < 0) return "";
  const end = code.indexOf("\n}\n", start);
  return code.slice(start + 1, end + 2);
}

describe("the generated module is the model's code", () => {
  it("covers every example with a committed module", () => {
    expect(examples.length).toBeGreaterThanOrEqual(8);
  });

  for (const name of examples) {
    it(`${name}: the wrappers and the update come from gradc/runtime; the forward kernels are written once`, () => {
      const code = readFileSync(path.join(root, "examples", name, "model.gen.ts"), "utf8");
      expect(code).toMatch(/^import \{\s*bindModule\b[^}]*\} from "gradc\/runtime";$/m);
      // No update rule, clipping or wrapper of its own: those are the runtime's.
      expect(code).not.toMatch(/^(export )?function (applyUpdate|sgdUpdate|sgdMomentumUpdate|adamUpdate|clipGradNorm|clipGradValue|initParams|forward|evaluate|lossAndGrad|gradInto|createTrainer)\b/m);
      expect(code).toMatch(/^const bound = bindModule\(spec, passes\);$/m);
      for (const f of ["initParams", "forward", "evaluate", "lossAndGrad", "gradInto", "createTrainer"]) {
        expect(code).toMatch(new RegExp(`^export const ${f}: .* = bound\\.${f};$`, "m"));
      }
      const forwardPass = functionText(code, "forwardPass");
      const evaluatePass = functionText(code, "evaluatePass");
      expect(forwardPass).not.toBe("");
      // evaluate = forward, then the loss from the values the forward pass left in the workspace.
      expect(evaluatePass.split("\n")[1]).toBe("  forwardPass(params, ws, n, inputs);");
      const kernelComments = forwardPass.split("\n").filter((l) => /^\s+\/\/ .*\(model\.ts:\d+:\d+\)$/.test(l));
      expect(kernelComments.length).toBeGreaterThan(0);
      for (const c of kernelComments) expect(evaluatePass, c).not.toContain(c);
    });
  }

  it("evaluate() returns forward()'s outputs bit for bit and the loss of those outputs (xor: the loss reads logit, which the forward pass now keeps)", async () => {
    const { module, code } = await compileAndImport(exampleModel("xor"), { dtype: "f64" });
    expect(functionText(code, "forwardPass")).toContain("const logit = ws.logit;");
    expect(functionText(code, "evaluatePass")).toContain("const logit = ws.logit;");
    const params = module.initParams(3);
    const inputs = { x: [0, 0, 0, 1, 1, 0, 1, 1], y: [0, 1, 1, 0] };
    const evaluated = module.evaluate(params, inputs);
    const outputs = module.forward(params, { x: inputs.x });
    expect(Object.keys(evaluated.outputs)).toEqual(Object.keys(outputs));
    for (const [k, v] of Object.entries(outputs)) expect([...evaluated.outputs[k]!].every((e, i) => Object.is(e, v[i]))).toBe(true);
    // Binary cross-entropy with logits, the mean over the rows, in float64 as the model writes it.
    const logits = [...outputs["p"]!].map((p) => Math.log(p / (1 - p)));
    const expected = logits.reduce((s, z, i) => s + (Math.max(z, 0) - z * inputs.y[i]! + Math.log1p(Math.exp(-Math.abs(z)))), 0) / 4;
    expect(evaluated.loss).toBeCloseTo(expected, 10);
    expect(evaluated.loss).toBe(module.lossAndGrad(params, inputs).loss);
  });
});

describe("a model whose passes read no input", () => {
  it("still imports toArray for an output that is an input's own array, and returns that input", async () => {
    const def = model("echo", () => {
      const x = d.input("x", ["batch", 2]);
      const W = d.param("W", [2], { init: [1, -2] });
      return { loss: d.sum(d.mul(W, W)), outputs: { echo: x } };
    });
    for (const dtype of ["f64", "f32"] as const) {
      const { module, code } = await compileAndImport(def, { dtype });

      expect(code).not.toMatch(/^\s+const \w+ = toArray\(/m); // no pass reads an input ...
      expect(code).toMatch(/^import \{[^}]*\btoArray\b[^}]*\} from "gradc\/runtime";$/m); // ... yet the outputs need it
      const params = module.initParams(0);
      expect(Array.from(module.forward(params, { x: [1, 2, 3, 4] })["echo"]!)).toEqual([1, 2, 3, 4]);
      expect(Array.from(module.evaluate(params, { x: [1, 2, 3, 4] }).outputs["echo"]!)).toEqual([1, 2, 3, 4]);
    }
  });
});

// The runtime's update pairs the passes' gradients with the trainable parameters by position, so the
// emitter refuses a graph whose gradients are not exactly those parameters in their order — a bug of an
// earlier stage, which no model can cause: it is checked on a graph changed by hand.
describe("the gradients the module hands the optimizer", () => {
  it("must be the trainable parameters' in their order, or emitting is an internal error", async () => {
    const { optimized } = await compileAndImport("examples/worked/model.ts");
    const grads = optimized.graph.grads;
    expect(grads.length).toBeGreaterThan(2);
    const emitWith = (changed: typeof grads) => () => emitModule({ ...optimized, graph: { ...optimized.graph, grads: changed } }, { dtype: "f64", source: "model.ts" });
    expect(emitWith(grads)).not.toThrow();
    for (const changed of [[...grads].reverse(), grads.slice(1), [...grads, grads[0]!], [grads[1]!, grads[0]!, ...grads.slice(2)]]) {
      expect(emitWith(changed)).toThrow(/^internal: the gradients are not the trainable parameters in their order/);
    }
  });
});
