// concat, slice, gather / embedding, layerNorm and variance: their values (hand-computed, Python's
// slicing rules, PyTorch's layer-norm formula), how the DSL normalizes its arguments, and the
// diagnostics for arguments that do not fit. Gradients are in ./gradients.test.ts (the table) and
// ./indexing.compiled.test.ts (through emitted code).
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import * as d from "../../compiler/dsl/core.js";
import * as ix from "../../compiler/dsl/indexing.js";
import { layerNorm, variance } from "../../compiler/dsl/normalization.js";
import { GradcError } from "../../compiler/diagnostics.js";
import { loadModelSource } from "../../compiler/frontend/load.js";
import type { Node } from "../../compiler/ir/node.js";
import { diagnostic, evalNode, inContext } from "../helpers/evalNode.js";
import { scatterAdd } from "../../compiler/ops/gather.js";
import { pickGrad } from "../../compiler/ops/pick.js";
import { sliceGrad } from "../../compiler/ops/slice.js";

const c = d.constant;
const value = (build: () => Node, inputs: Record<string, number[]> = {}) => evalNode(build, { inputs });
const close = (actual: readonly number[], expected: readonly number[], digits = 13) => {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((a, k) => expect(a, `element ${k}`).toBeCloseTo(expected[k]!, digits));
};

/** The GradcError a DSL call throws (its code and message). */

describe("concat", () => {
  it("joins along the last axis by default, and along any axis given (negative counts from the end)", () => {
    expect(value(() => ix.concat([c([[1, 2], [3, 4]]), c([[5], [6]])]))).toEqual({ shape: [2, 3], data: [1, 2, 5, 3, 4, 6] });
    expect(value(() => ix.concat([c([[1, 2]]), c([[3, 4], [5, 6]])], 0))).toEqual({ shape: [3, 2], data: [1, 2, 3, 4, 5, 6] });
    expect(value(() => ix.concat([c([[1, 2]]), c([[3, 4], [5, 6]])], -2)).data).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("three tensors along a middle axis", () => {
    const A = () => c([[[1, 2]], [[3, 4]]]); // [2,1,2]
    const B = () => c([[[5, 6], [7, 8]], [[9, 10], [11, 12]]]); // [2,2,2]
    const C = () => c([[[13, 14]], [[15, 16]]]); // [2,1,2]
    expect(value(() => ix.concat([A(), B(), C()], 1))).toEqual({ shape: [2, 4, 2], data: [1, 2, 5, 6, 7, 8, 13, 14, 3, 4, 9, 10, 11, 12, 15, 16] });
  });

  it("a batch dimension elsewhere than the axis; integer tensors stay integer", () => {
    const { result } = inContext(() => {
      const x = d.input("x", ["batch", 2]);
      const t = d.input("t", ["batch", 3], { dtype: "int" });
      return { floats: ix.concat([x, x, x]), ints: ix.concat([t, t], 1) };
    });
    expect(result.floats.shape).toEqual(["batch", 6]);
    expect(result.ints.dtype).toBe("i");
    expect(value(() => ix.concat([d.input("x", ["batch", 1]), d.input("y", ["batch", 2])]), { x: [1, 2], y: [3, 4, 5, 6] }).data).toEqual([1, 3, 4, 2, 5, 6]);
  });

  it("one tensor is itself: no node", () => {
    const { result } = inContext(() => {
      const x = d.input("x", [2, 3]);
      return [x, ix.concat([x], 0)];
    });
    expect(result[1]).toBe(result[0]);
  });

  it("diagnostics: shapes (GC2001) and arguments (GC2007)", () => {
    expect(diagnostic(() => ix.concat([c([[1, 2, 3], [4, 5, 6]]), c([[1], [2], [3]])], 1))).toEqual({
      code: "GC2001",
      message: "concat: along axis 1, every other dimension must agree: [2, 3], [3, 1] differ in dimension 0",
    });
    expect(diagnostic(() => ix.concat([c([1, 2]), c([[1, 2]])], 0)).message).toBe("concat: tensors of different ranks cannot be joined: [2], [1, 2]");
    expect(diagnostic(() => ix.concat([d.input("x", ["batch", 2]), d.input("y", ["batch", 2])], 0))).toEqual({
      code: "GC2001",
      message: "concat: cannot join along the batch dimension (axis 0 of [batch, 2], [batch, 2])",
    });
    expect(diagnostic(() => ix.concat([d.input("l", [2], { dtype: "int" }), c([1, 2])], 0)).message).toBe("concat: cannot join integer and float tensors ([2], [2])");
    expect(diagnostic(() => ix.concat([c([1]), c([2])], 1))).toEqual({ code: "GC2007", message: "concat: axis 1 is out of range for a tensor of rank 1" });
    expect(diagnostic(() => ix.concat([])).code).toBe("GC2007");
    expect(diagnostic(() => ix.concat([c([1]), 2 as unknown as Node])).message).toBe("concat: element 1 must be a tensor, got number");
  });
});

describe("slice", () => {
  const range10 = () => c([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  // The expected values are Python's: list(range(10))[start:end:step].
  it.each([
    [{ start: 1, end: 8, step: 3 }, [1, 4, 7]],
    [{ start: -3 }, [7, 8, 9]],
    [{ end: -7 }, [0, 1, 2]],
    [{ start: -100, end: 3 }, [0, 1, 2]],
    [{ start: 2, end: 100, step: 4 }, [2, 6]],
    [{ step: 3 }, [0, 3, 6, 9]],
    [{ start: 9 }, [9]],
    [{ start: -6, end: -1, step: 3 }, [4, 7]],
  ])("range(10)[%o] is Python's", (spec, expected) => {
    expect(value(() => ix.slice(range10(), spec)).data).toEqual(expected);
  });

  it("any axis of a matrix; the default is the last", () => {
    const m = () => c([[1, 2, 3], [4, 5, 6]]);
    expect(value(() => ix.slice(m(), { axis: 0, start: 1 }))).toEqual({ shape: [1, 3], data: [4, 5, 6] });
    expect(value(() => ix.slice(m(), { step: 2 }))).toEqual({ shape: [2, 2], data: [1, 3, 4, 6] });
    expect(value(() => ix.slice(m(), { axis: -1, start: 1, end: 2 }))).toEqual({ shape: [2, 1], data: [2, 5] });
  });

  it("slices of a batch-leading input keep the batch; integer inputs stay integer", () => {
    const { result } = inContext(() => ix.slice(d.input("t", ["batch", 5], { dtype: "int" }), { start: 1, step: 2 }));
    expect(result.shape).toEqual(["batch", 2]);
    expect(result.dtype).toBe("i");
    expect(value(() => ix.slice(d.input("t", ["batch", 5], { dtype: "int" }), { start: 1, step: 2 }), { t: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] }).data).toEqual([1, 3, 6, 8]);
  });

  it("is normalized: equal ranges are one node, the whole axis is x itself", () => {
    const { result } = inContext(() => {
      const x = d.input("x", [10]);
      return [x, ix.slice(x, { start: 1, end: 8, step: 3 }), ix.slice(x, { start: -9, end: 9, step: 3 }), ix.slice(x, { start: -10, end: 10 })];
    });
    const [x, a, b, whole] = result;
    expect(a).toBe(b);
    expect(a!.attrs).toEqual({ axis: 0, start: 1, end: 8, step: 3 });
    expect(whole).toBe(x);
  });

  it("sliceGrad puts g back at the sliced positions, zeros elsewhere", () => {
    expect(value(() => sliceGrad(c([1, 2, 3]), 0, 1, 3, 8)).data).toEqual([0, 1, 0, 0, 2, 0, 0, 3]);
    expect(value(() => sliceGrad(c([[1], [2]]), 1, 2, 1, 3))).toEqual({ shape: [2, 3], data: [0, 0, 1, 0, 0, 2] });
  });

  it("diagnostics", () => {
    expect(diagnostic(() => ix.slice(c([1, 2, 3]), { start: 2, end: 1 }))).toEqual({ code: "GC2001", message: "slice: [2:1] of axis 0 of [3] is empty" });
    expect(diagnostic(() => ix.slice(c([1, 2, 3]), { start: 5 })).message).toBe("slice: [5:] of axis 0 of [3] is empty");
    expect(diagnostic(() => ix.slice(c([1, 2, 3]), { step: 0 }))).toEqual({ code: "GC2007", message: "slice: step must be a positive integer, got 0" });
    expect(diagnostic(() => ix.slice(c([1, 2, 3]), { step: -1 })).code).toBe("GC2007");
    expect(diagnostic(() => ix.slice(c([1, 2, 3]), { start: 0.5 }))).toEqual({ code: "GC2007", message: "slice: start must be an integer, got 0.5" });
    expect(diagnostic(() => ix.slice(c([1, 2, 3]), { axis: 1 })).message).toBe("slice: axis 1 is out of range for a tensor of rank 1");
    expect(diagnostic(() => ix.slice(d.input("x", ["batch", 2]), { axis: 0, end: 1 }))).toEqual({ code: "GC2001", message: "slice: cannot slice the batch dimension (axis 0 of [batch, 2])" });
    expect(diagnostic(() => ix.slice(c([1, 2]), [0, 1] as unknown as ix.SliceSpec)).code).toBe("GC2007");
  });
});

describe("gather / embedding", () => {
  const table = () => c([[1, 2], [3, 4], [5, 6]]);
  it("picks rows; indices of any shape; repeats allowed", () => {
    expect(value(() => ix.gather(table(), d.input("i", [3], { dtype: "int" })), { i: [2, 0, 2] })).toEqual({ shape: [3, 2], data: [5, 6, 1, 2, 5, 6] });
    expect(value(() => ix.embedding(d.input("i", [2, 2], { dtype: "int" }), table()), { i: [1, 1, 0, 2] })).toEqual({ shape: [2, 2, 2], data: [3, 4, 3, 4, 1, 2, 5, 6] });
    expect(value(() => ix.gather(c([7, 8, 9]), d.input("i", [2], { dtype: "int" })), { i: [1, 2] })).toEqual({ shape: [2], data: [8, 9] });
  });

  it("gather and embedding are the same node", () => {
    const { result } = inContext(() => {
      const i = d.input("i", ["batch", 4], { dtype: "int" });
      const E = d.param("E", [10, 3]);
      return [ix.gather(E, i), ix.embedding(i, E)];
    });
    expect(result[0]).toBe(result[1]);
    expect(result[0]!.shape).toEqual(["batch", 4, 3]);
  });

  it("scatterAdd adds rows in order: a repeated index accumulates", () => {
    expect(value(() => scatterAdd(c([[1, 1], [2, 2], [3, 3]]), d.input("i", [3], { dtype: "int" }), 4), { i: [2, 0, 2] })).toEqual({ shape: [4, 2], data: [2, 2, 0, 0, 4, 4, 0, 0] });
  });

  it("the interpreter refuses an index outside the table", () => {
    expect(() => value(() => ix.gather(table(), d.input("i", [2], { dtype: "int" })), { i: [0, 3] })).toThrow("index 3 (element 1 of the indices) is outside [0, 3)");
    expect(() => value(() => ix.gather(table(), d.input("i", [1], { dtype: "int" })), { i: [-1] })).toThrow("outside [0, 3)");
  });

  it("diagnostics", () => {
    expect(diagnostic(() => ix.gather(table(), c([0, 1])))).toEqual({ code: "GC2007", message: 'gather: indices must be integers (an input declared with { dtype: "int" }), got a float tensor [2]' });
    expect(diagnostic(() => ix.embedding(c([0, 1]), table())).message).toMatch(/^embedding: indices must be integers/);
    expect(diagnostic(() => ix.gather(d.input("x", ["batch", 3]), d.input("i", [2], { dtype: "int" })))).toEqual({ code: "GC2001", message: "gather: the table's rows must be a static dimension, got [batch, 3]" });
    expect(diagnostic(() => ix.gather(table(), d.input("i", [], { dtype: "int" }))).message).toBe("gather: indices must have at least one dimension, got a scalar");
  });
});

describe("pick", () => {
  const scores = () => c([[1, 2, 3], [4, 5, 6]]);
  it("picks one element of each row, at the column its index names (torch.gather(x, -1, a[..., None])[..., 0])", () => {
    expect(value(() => ix.pick(scores(), d.input("a", [2], { dtype: "int" })), { a: [2, 0] })).toEqual({ shape: [2], data: [3, 4] });
    // rows over two axes: x [2, 2, 3] and indices [2, 2]
    const x = () => c([[[1, 2, 3], [4, 5, 6]], [[7, 8, 9], [10, 11, 12]]]);
    expect(value(() => ix.pick(x(), d.input("a", [2, 2], { dtype: "int" })), { a: [0, 1, 2, 2] })).toEqual({ shape: [2, 2], data: [1, 5, 9, 12] });
  });

  it("keeps the batch dimension of its rows", () => {
    const { result } = inContext(() => ix.pick(d.logSoftmax(d.input("z", ["batch", 2])), d.input("a", ["batch"], { dtype: "int" })));
    expect(result.shape).toEqual(["batch"]);
    expect(result.dtype).toBe("f");
  });

  it("pickGrad puts each value at its row's index and zeros elsewhere (onehot(a) ⊙ g)", () => {
    expect(value(() => pickGrad(c([7, 8]), d.input("a", [2], { dtype: "int" }), 3), { a: [2, 0] })).toEqual({ shape: [2, 3], data: [0, 0, 7, 8, 0, 0] });
  });

  it("the interpreter refuses an index outside the row", () => {
    expect(() => value(() => ix.pick(scores(), d.input("a", [2], { dtype: "int" })), { a: [0, 3] })).toThrow("index 3 (element 1 of the indices) is outside [0, 3)");
    expect(() => value(() => pickGrad(c([1, 1]), d.input("a", [2], { dtype: "int" }), 3), { a: [-1, 0] })).toThrow("outside [0, 3)");
  });

  it("diagnostics", () => {
    expect(diagnostic(() => ix.pick(scores(), c([0, 1])))).toEqual({ code: "GC2007", message: 'pick: indices must be integers (an input declared with { dtype: "int" }), got a float tensor [2]' });
    expect(diagnostic(() => ix.pick(scores(), d.input("a", [3], { dtype: "int" })))).toEqual({ code: "GC2001", message: "pick: indices [3] must have the shape of x's rows [2]" });
    expect(diagnostic(() => ix.pick(c([1, 2, 3]), d.input("a", [1], { dtype: "int" })))).toEqual({ code: "GC2001", message: "pick: x must be [rows…, C] with a static last axis, got [3]" });
    expect(diagnostic(() => ix.pick(d.input("x", [3, "batch"]), d.input("a", [3], { dtype: "int" }))).message).toBe("pick: x must be [rows…, C] with a static last axis, got [3, batch]");
    expect(diagnostic(() => ix.pick(d.input("x", ["batch", 3]), d.input("a", [4], { dtype: "int" }))).message).toBe("pick: indices [4] must have the shape of x's rows [batch]");
  });
});

describe("layerNorm (PyTorch's F.layer_norm) and variance", () => {
  /** The definition, written out: (x − μ)/√(σ² + eps)·γ + β per row, σ² the biased variance. */
  function reference(rows: number[][], gamma: number[], beta: number[], eps = 1e-5): number[] {
    return rows.flatMap((r) => {
      const mu = r.reduce((a, b) => a + b, 0) / r.length;
      const v = r.reduce((a, b) => a + (b - mu) ** 2, 0) / r.length;
      return r.map((x, j) => ((x - mu) / Math.sqrt(v + eps)) * gamma[j]! + beta[j]!);
    });
  }

  it("normalizes each row with the biased variance, then scales and shifts", () => {
    const x = [[1, 2, 3, 4], [2, 2, 2, 6], [-1, 0.5, 10, 3]];
    const got = value(() => layerNorm(c(x), c([1, 2, 1, 0.5]), c([0, 0, 1, -1])));
    expect(got.shape).toEqual([3, 4]);
    close(got.data, reference(x, [1, 2, 1, 0.5], [0, 0, 1, -1]));
    // row [1, 2, 3, 4]: μ = 2.5, σ² = 1.25 (biased; the unbiased 5/3 would give −1.161…)
    expect(got.data[0]).toBeCloseTo(-1.5 / Math.sqrt(1.25 + 1e-5), 14);
  });

  it("eps defaults to 1e-5 and sits inside the square root; γ and β are optional", () => {
    close(value(() => layerNorm(c([[0, 2]]))).data, [-1 / Math.sqrt(1 + 1e-5), 1 / Math.sqrt(1 + 1e-5)], 15);
    close(value(() => layerNorm(c([[0, 2]]), null, null, { eps: 3 })).data, [-0.5, 0.5], 15);
    close(value(() => layerNorm(c([[0, 2]]), undefined, c([1, 1]))).data, [1 - 1 / Math.sqrt(1 + 1e-5), 1 + 1 / Math.sqrt(1 + 1e-5)], 15);
  });

  it("over the last axis of any rank, with a batch", () => {
    const x = [[[1, 5, 2]], [[0, 0, 3]]];
    close(value(() => layerNorm(c(x), c([1, 1, 1]), c([0, 0, 0]))).data, reference([[1, 5, 2], [0, 0, 3]], [1, 1, 1], [0, 0, 0]));
    const { result } = inContext(() => layerNorm(d.input("h", ["batch", 3, 8]), d.param("g", [8]), d.param("b", [8])));
    expect(result.shape).toEqual(["batch", 3, 8]);
  });

  it("names its intermediates for emitted code (mu, centered, variance, std, xhat)", () => {
    const { result } = inContext(() => layerNorm(d.input("x", [2, 4])));
    const names = new Set<string>();
    const walk = (n: Node) => {
      if (n.name) names.add(n.name);
      n.inputs.forEach(walk);
    };
    walk(result);
    expect([...names].sort()).toEqual(["centered", "mu", "std", "variance", "x", "xhat"]);
  });

  it("variance: biased by default, correction 1 for the unbiased estimate", () => {
    expect(value(() => variance(c([1, 2, 3, 4]))).data[0]).toBeCloseTo(1.25, 15);
    expect(value(() => variance(c([1, 2, 3, 4]), 0, false, { correction: 1 })).data[0]).toBeCloseTo(5 / 3, 15);
    expect(value(() => variance(c([[1, 3], [2, 2]]), -1, true))).toEqual({ shape: [2, 1], data: [1, 0] });
    expect(value(() => variance(c([[1, 3], [5, 3]]), 0))).toEqual({ shape: [2], data: [4, 0] });
    expect(value(() => variance(d.input("x", ["batch", 1]), 0, false, { correction: 1 }), { x: [1, 2, 3, 6] }).data[0]).toBeCloseTo(14 / 3, 14);
  });

  it("diagnostics", () => {
    expect(diagnostic(() => layerNorm(c([[1, 2, 3]]), c([1, 1])))).toEqual({ code: "GC2001", message: "layerNorm: gamma must have shape [3] (the last axis of [1, 3]), got [2]" });
    expect(diagnostic(() => layerNorm(d.input("x", [2, "batch"])))).toEqual({ code: "GC2001", message: "layerNorm: needs a static last axis to normalize over, got [2, batch]" });
    expect(diagnostic(() => layerNorm(c([[1, 2]]), null, null, { eps: -1 })).code).toBe("GC2007");
    expect(diagnostic(() => layerNorm(c([[1, 2]]), { eps: 1 } as unknown as Node))).toEqual({ code: "GC2007", message: "layerNorm: gamma must be a tensor (or null), got object" });
    expect(diagnostic(() => variance(c([1, 2]), 0, false, { correction: -1 })).code).toBe("GC2007");
  });
});

describe("from model.ts (the frontend: types, names, locations)", () => {
  const file = path.join(os.tmpdir(), "gradc-indexing-virtual", "model.ts");
  const source = (body: string) => `import { model, input, param, matmul, reshape, softmaxCrossEntropy, concat, slice, embedding, gather, layerNorm, variance, type SliceSpec } from "gradc";
export default model("lm", () => {
  const tokens = input("tokens", ["batch", 4], { dtype: "int" });
  const E = param("E", [5, 3], { init: "normal" });
  const W = param("W", [9, 5], { init: "xavier" });
  const g = param("g", [3], { init: "ones" });
${body}
});
`;

  it("the new exports type-check, trace and name their nodes after the model's variables", () => {
    const g = loadModelSource(file, source(`  const spec: SliceSpec = { end: 3 };
  const context = slice(tokens, spec);
  const h = layerNorm(embedding(context, E), g, null, { eps: 1e-6 });
  const joined = concat([slice(h, { axis: 1, end: 1 }), slice(h, { axis: 1, start: 1 })], 1);
  const spread = variance(gather(E, context), -1);
  const target = reshape(slice(tokens, { start: -1 }), ["batch"]);
  const logits = matmul(reshape(joined, ["batch", 9]), W);
  return { loss: softmaxCrossEntropy(logits, target), outputs: { logits, spread } };`));
    const named = (name: string) => g.nodes.find((n) => n.name === name);
    expect(named("context")!.op).toBe("slice");
    expect(named("context")!.loc).toMatchObject({ line: 8, col: 19 });
    expect(named("h")!.op).toBe("mul"); // xhat ⊙ γ (no β)
    expect(named("xhat")!.loc).toMatchObject({ line: 9, col: 13 });
    expect(named("joined")!.op).toBe("concat");
    expect(named("target")!.dtype).toBe("i");
    expect(g.nodes.filter((n) => n.op === "gather")).toHaveLength(1); // embedding(context, E) is gather(E, context)
  });

  it("a diagnostic points at the call in model.ts", () => {
    let error: unknown;
    try {
      loadModelSource(file, source(`  const bad = slice(tokens, { axis: 0, end: 2 });
  return { loss: softmaxCrossEntropy(matmul(reshape(embedding(bad, E), ["batch", 9]), W), bad) };`));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GradcError);
    expect(error).toMatchObject({ code: "GC2001", message: "slice: cannot slice the batch dimension (axis 0 of [batch, 4])", loc: { line: 7, col: 15 } });
  });
});
