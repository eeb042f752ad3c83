// Values the batch loop keeps in scalar locals (row scalars, see compiler/emit/module.ts emitPass) must be
// written outside any loop: `for (...) const t = …` does not parse, and a `const` in a loop's block is not
// seen after it. A row op over a last axis of size 1 writes its one element in its own loop over the row
// (j < 1); found by the random-model property test (test/property/models.property.test.ts), where a
// dense layer of one unit followed by softmax made `gradc compile` write a module that did not parse.
import { describe, expect, it } from "vitest";
import * as d from "../../compiler/dsl/core.js";
import { model } from "../../compiler/dsl/model.js";
import { checkCompiled } from "../helpers/checkCompiled.js";

/** x·W of one unit, a row op over it, plus a path around it so that W's gradient is not zero. */
const oneUnit = (op: "softmax" | "logSoftmax") =>
  model(`width1_${op}`, () => {
    const x = d.input("x", ["batch", 3]);
    const y = d.input("y", ["batch", 1]);
    const W = d.param("W", [3, 1]);
    const z = d.matmul(x, W);
    const out = d.add(d[op](z), d.tanh(z));
    return { loss: d.mse(out, y), outputs: { out } };
  });

describe("a row op over a last axis of size 1 inside the batch loop", () => {
  for (const op of ["softmax", "logSoftmax"] as const) {
    it(`${op}: the module parses, its gradients match finite differences, forward matches the interpreter`, async () => {
      const code = await checkCompiled(oneUnit(op), { x: [0.3, -1.2, 0.8, 1.5, 0.1, -0.4], y: [0.2, -0.7] });
      expect(code).not.toMatch(/\) const /);
    });
  }
});
