// An integer input used as class labels or row indices gets a bound in the module's spec (`classes`),
// which the runtime checks on every batch (runtime/inputs.ts). The input may reach its use through
// slices, joins and reshapes, which move indices but never change them (compiler/emit/module.ts,
// classesOf): the bound follows it there.
import { describe, expect, it } from "vitest";
import * as d from "../../compiler/dsl/index.js";
import * as ix from "../../compiler/dsl/indexing.js";
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

  // Each use below is the input's only one: in a training graph a cross-entropy's labels also reach the
  // onehot of its derivative, and a gather's or pick's indices their derivative's scatterAdd or pickGrad.
  const x = [1, 2, 3, -1, 0.5, 2];
  it.each([
    ["pick as an output", () => ({ loss: d.mean(d.square(d.matmul(d.input("x", ["batch", 3]), d.param("W", [3, 4])))), outputs: { chosen: ix.pick(d.matmul(d.input("z", ["batch", 3]), d.param("V", [3, 4])), d.input("i", ["batch"], { dtype: "int" })) } }), { z: x }],
    ["gather as an output", () => ({ loss: d.mean(d.square(d.matmul(d.input("x", ["batch", 3]), d.param("W", [3, 4])))), outputs: { rows: ix.gather(d.param("T", [4, 2]), d.input("i", ["batch"], { dtype: "int" })) } }), {}],
    ["crossEntropy of probabilities not from a softmax (a onehot of the labels; of a softmax it becomes softmaxCrossEntropy)", () => ({ loss: d.crossEntropy(d.sigmoid(d.matmul(d.input("x", ["batch", 3]), d.param("W", [3, 4]))), d.input("i", ["batch"], { dtype: "int" })) }), {}],
    ["softmaxCrossEntropy of logits that are an input (no derivative reads the labels)", () => ({ loss: d.add(d.softmaxCrossEntropy(d.input("z", ["batch", 4]), d.input("i", ["batch"], { dtype: "int" })), d.mean(d.square(d.matmul(d.input("x", ["batch", 3]), d.param("W", [3, 4]))))) }), { z: [0, 1, 2, 3, 3, 2, 1, 0] }],
  ] as const)("%s bounds its indices, and the bound is checked", async (_, build, extra) => {
    const { module } = await compileAndImport(model("alone", build));
    expect(classesOf(module.spec, "i")).toBe(4);
    const params = module.initParams(0);
    expect(Number.isFinite(module.evaluate(params, { x, i: [3, 0], ...extra }).loss)).toBe(true);
    expect(() => module.evaluate(params, { x, i: [1, 4], ...extra })).toThrow(/in \[0, 4\)/);
  });

  it("labels looked up in an integer table bound the table's values (and the indices by its length)", async () => {
    const def = model("lookup", () => {
      const table = d.input("table", [6], { dtype: "int" });
      const i = d.input("i", ["batch"], { dtype: "int" });
      const logits = d.matmul(d.input("x", ["batch", 3]), d.param("W", [3, 4]));
      return { loss: d.softmaxCrossEntropy(logits, ix.gather(table, i)) };
    });
    const { module } = await compileAndImport(def);
    expect([classesOf(module.spec, "table"), classesOf(module.spec, "i")]).toEqual([4, 6]);
    const params = module.initParams(0);
    expect(Number.isFinite(module.evaluate(params, { table: [0, 1, 2, 3, 3, 1], i: [5, 0], x }).loss)).toBe(true);
    // A label of 9 in the table read the logits outside their row: a NaN loss, until the table was bounded.
    expect(() => module.evaluate(params, { table: [0, 1, 2, 3, 9, 1], i: [4, 0], x })).toThrow(/"table".* is 9, expected an integer class index in \[0, 4\)/);
  });

  it("float targets of softmaxCrossEntropy (probabilities) get no bound", async () => {
    const def = model("soft", () => ({ loss: d.softmaxCrossEntropy(d.matmul(d.input("x", ["batch", 3]), d.param("W", [3, 4])), d.input("t", ["batch", 4])) }));
    const { module } = await compileAndImport(def);
    expect(classesOf(module.spec, "t")).toBeUndefined();
    expect(module.spec.inputs.map((i) => i.name)).toContain("t");
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
