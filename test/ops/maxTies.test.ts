// max's gradient goes to the elements equal to the max (split evenly among ties, as torch's amax). The
// test for "equal" is eq, which a float32 module makes on float32-rounded values (a value kept in a
// double local must equal the max it produced, which was rounded when stored) and a float64 module on
// the values as they are: two values 2⁻⁴⁰ apart are a tie only in float32.
import { describe, expect, it } from "vitest";
import * as d from "../../compiler/dsl/core.js";
import { model } from "../../compiler/dsl/model.js";
import { compileAndImport } from "../helpers/compiled.js";

const rowMax = model("rowMax", () => {
  const x = d.input("x", ["batch", 2]);
  const W = d.param("W", [2]);
  return { loss: d.sum(d.max(d.mul(x, W), 1)), outputs: {} };
});

describe("max's gradient and its ties", () => {
  it("float64: values 2⁻⁴⁰ apart are not a tie, the larger gets the whole gradient", async () => {
    const { module } = await compileAndImport(rowMax, { dtype: "f64" });
    const W = Float64Array.of(1, 1 + 2 ** -40);
    const { grads } = module.lossAndGrad({ W }, { x: [1, 1, 2, 2] });
    expect(Array.from(grads.W!)).toEqual([0, 3]);
  });
  it("float32: the same weights round to one value, a tie, split evenly", async () => {
    const { module } = await compileAndImport(rowMax, { dtype: "f32" });
    const W = Float32Array.of(1, 1 + 2 ** -40);
    const { grads } = module.lossAndGrad({ W }, { x: [1, 1, 2, 2] });
    expect(Array.from(grads.W!)).toEqual([1.5, 1.5]);
  });
});
