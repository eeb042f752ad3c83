// An integer input used as class labels or row indices gets a bound in the module's spec (`classes`),
// which the runtime checks on every batch (runtime/inputs.ts). The input may reach its use through
// slices, joins and reshapes, which move indices but never change them (compiler/emit/module.ts,
// classesOf): the bound follows it there.
import { describe, expect, it } from "vitest";
import * as d from "../../compiler/dsl/index.js";
import { model } from "../../compiler/dsl/model.js";
import { compileAndImport } from "../helpers/compiled.js";

const classesOf = (spec: { inputs: readonly { name: string }[] }, name: string) => (spec.inputs.find((i) => i.name === name) as { classes?: number } | undefined)?.classes;

describe("an integer input's class bound", () => {
  it("follows it through slice, concat and reshape to the cross-entropy that reads it, and is checked at run time", async () => {
    const def = model("classes", () => {
      const lab = d.input("lab", ["batch", 2], { dtype: "int" });
      const tok = d.input("tok", ["batch", 1], { dtype: "int" });
      const x = d.input("x", ["batch", 3]);
      const W = d.param("W", [3, 4]);
      const joined = d.concat([tok, d.slice(lab, { axis: 1, start: 1, end: 2 })], 1); // [tok, lab[:, 1]]
      const labels = d.reshape(d.slice(joined, { axis: 1, start: 1, end: 2 }), ["batch"]); // lab[:, 1]
      return { loss: d.softmaxCrossEntropy(d.matmul(x, W), labels) };
    });
    const { module } = await compileAndImport(def);
    expect(classesOf(module.spec, "lab")).toBe(4);
    // A join's inputs are all bounded (the bound is per input, not per column): tok too.
    expect(classesOf(module.spec, "tok")).toBe(4);
    const x = [1, 2, 3, -1, 0.5, 2];
    expect(Number.isFinite(module.evaluate(module.initParams(0), { lab: [3, 3, 0, 2], tok: [1, 0], x }).loss)).toBe(true);
    expect(() => module.evaluate(module.initParams(0), { lab: [0, 4, 0, 0], tok: [0, 0], x })).toThrow(/class index in \[0, 4\)/);
  });

  it("is the smallest of its uses' bounds, and no bound where no use needs one", async () => {
    const def = model("twoUses", () => {
      const lab = d.input("lab", ["batch"], { dtype: "int" });
      const count = d.input("count", ["batch", 1], { dtype: "int" });
      const x = d.input("x", ["batch", 3]);
      const W = d.param("W", [3, 5]);
      const V = d.param("V", [3, 3]);
      const ce5 = d.softmaxCrossEntropy(d.matmul(x, W), lab);
      const ce3 = d.softmaxCrossEntropy(d.matmul(x, V), lab);
      return { loss: d.add(d.add(ce5, ce3), d.mean(d.mul(count, 0))) };
    });
    const { module } = await compileAndImport(def);
    expect(classesOf(module.spec, "lab")).toBe(3);
    expect(classesOf(module.spec, "count")).toBeUndefined();
  });

  it("as an output, an integer input comes back in the module's float array type, which `Outputs` declares", async () => {
    const def = model("labelsOut", () => {
      const lab = d.input("lab", ["batch"], { dtype: "int" });
      const x = d.input("x", ["batch", 3]);
      const W = d.param("W", [3, 4]);
      return { loss: d.softmaxCrossEntropy(d.matmul(x, W), lab), outputs: { labels: lab } };
    });
    for (const dtype of ["f32", "f64"] as const) {
      const { module, code } = await compileAndImport(def, { dtype });
      const array = dtype === "f32" ? Float32Array : Float64Array;
      expect(code).toContain(`export type Outputs = { labels: ${array.name} };`);
      const inputs = { lab: Int32Array.from([3, 0, 2]), x: [1, 2, 3, -1, 0.5, 2, 0, 0, 1] };
      for (const labels of [module.forward(module.initParams(0), inputs)["labels"], module.evaluate(module.initParams(0), inputs).outputs["labels"]]) {
        expect(labels).toBeInstanceOf(array);
        expect(Array.from(labels!)).toEqual([3, 0, 2]);
      }
    }
  });
});
