// A reduction along the only axis of a [batch] vector — `sum(v, 0)`, `mean(v, 0)`, `max(v, 0)`, with
// or without keepdims — reduces every element, like `sum(v)`. The kernel emitter once wrote it as an
// axis reduction into an array that a scalar loss never gets (`loss.fill(0)` of an undeclared name: a
// ReferenceError at the first call). Each model is compiled to a float64 module whose lossAndGrad must
// equal central finite differences of the interpreter's loss, and whose forward() and evaluate() must
// equal the interpreter, at several batch sizes; as the loss itself, and as an output beside the loss.
import { describe, expect, it } from "vitest";
import * as d from "../../compiler/dsl/core.js";
import { model, type ModelDef } from "../../compiler/dsl/model.js";
import type { Node } from "../../compiler/ir/node.js";
import { evaluate } from "../../compiler/ir/interpret.js";
import { compileAndImport } from "../helpers/compiled.js";
import { checkGradients, lossAt, traceModel } from "../helpers/gradcheck.js";
import { mulberry32, uniformArray } from "../helpers/rng.js";

/** v = tanh(x·W) as a [batch] vector: one number per row. */
function rowValue(): Node {
  const x = d.input("x", ["batch", 3]);
  const W = d.param("W", [3, 1], { init: "xavier" });
  return d.reshape(d.tanh(d.matmul(x, W)), ["batch"]);
}

const reductions: [string, (v: Node) => Node][] = [
  ["sum(v, 0)", (v) => d.sum(v, 0)],
  ["mean(v, 0)", (v) => d.mean(v, 0)],
  ["max(v, 0)", (v) => d.max(v, 0)],
  ["sum(v, 0, keepdims) [1]", (v) => d.sum(d.sum(v, 0, true))],
  ["mean(v, 0, keepdims) [1]", (v) => d.sum(d.mean(v, 0, true))],
];

/** The reduction as the loss itself (a scalar local of the pass). */
const asLoss = (_: string, f: (v: Node) => Node): ModelDef => model("reduction", () => ({ loss: f(d.square(rowValue())), outputs: {} }));
/** The reduction as an output too, and a loss built on it (the reduced value lives in a buffer). */
const asOutput = (_: string, f: (v: Node) => Node): ModelDef =>
  model("reduction", () => {
    const r = f(rowValue());
    return { loss: d.square(d.sum(r)), outputs: { r } };
  });

const W0 = [0.7, -0.4, 0.25];

describe("a full reduction of a [batch] vector along axis 0 compiles and runs", () => {
  for (const [name, f] of reductions) {
    for (const [where, build] of [["the loss", asLoss], ["an output", asOutput]] as const) {
      it(`${name} as ${where}`, async () => {
        const def = build(name, f);
        const { module } = await compileAndImport(def);
        const g = traceModel(def);
        for (const batch of [1, 2, 5]) {
          const rng = mulberry32(batch * 7 + name.length);
          // Distinct values: no ties for max (a tie is a kink of the loss).
          const x = uniformArray(rng, 3 * batch, -1, 1).map((v, k) => v + 0.05 * k);
          const values = { inputs: { x }, params: { W: W0 } };
          const params = { W: Float64Array.from(W0) };
          const got = module.lossAndGrad(params, values.inputs);
          expect(got.loss).toBeCloseTo(lossAt(g, values), 12);
          checkGradients(def, values, { analytic: () => got });
          expect(module.evaluate(params, values.inputs).loss).toBeCloseTo(got.loss, 12);
          if (where === "an output") {
            const reference = evaluate(g, values).get(g.outputs[0]![1])!.data;
            const out = module.forward(params, values.inputs).r!;
            expect(reference.length).toBe(1);
            expect(out.length).toBe(1);
            expect(out[0]).toBeCloseTo(reference[0]!, 12);
          }
        }
      });
    }
  }
});
