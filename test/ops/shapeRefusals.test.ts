// The shape rules' refusals of the layout, indexing, joining and product ops (reshape, broadcastTo,
// transpose, matmul, slice, sliceGrad, concat, gather, scatterAdd, pick, pickGrad, customGradient),
// each reached through the op itself (make) as well as through the DSL where the DSL lets it through,
// and the derivative rules' "no gradient for integers". Found untested by mutation testing
// (test/MUTATION.md, ops-shape): the DSL checks most arguments first, so an op's own rule was reached
// only by passes and derivative rules that build nodes directly.
import { describe, expect, it } from "vitest";
import * as d from "../../compiler/dsl/core.js";
import { make } from "../../compiler/ir/context.js";
import type { Node } from "../../compiler/ir/node.js";
import { concatOp } from "../../compiler/ops/concat.js";
import { customGradientOp } from "../../compiler/ops/customGradient.js";
import { gatherOp, scatterAddOp } from "../../compiler/ops/gather.js";
import { getOp } from "../../compiler/ops/index.js";
import { broadcastToOp, reshapeOp, transposeOp } from "../../compiler/ops/layout.js";
import { matmulOp } from "../../compiler/ops/matmul.js";
import { pickGradOp, pickOp } from "../../compiler/ops/pick.js";
import { sliceGradOp, sliceOp } from "../../compiler/ops/slice.js";
import { refusal } from "../helpers/refusal.js";
import { inFreshContext } from "../passes/util.js";

/** The shape `build`'s result has, built in a fresh trace context. */
const shapeOf = (build: () => Node) => inFreshContext(build).shape;

let inputs = 0;
/** A float or an integer input of this shape (each with a name of its own). */
const F = (shape: (number | string)[]) => d.input(`x${++inputs}`, shape) as Node;
const I = (shape: (number | string)[]) => d.input(`i${++inputs}`, shape, { dtype: "int" }) as Node;
const B = "batch";

describe("reshape, broadcastTo and transpose", () => {
  it("reshape keeps the number of static elements and of batch dimensions", () => {
    expect(refusal(() => make(reshapeOp, [F([2, 3])], { shape: [7] }))).toBe("GC2001 reshape: cannot reshape [2, 3] to [7]");
    expect(refusal(() => make(reshapeOp, [F([B, 3])], { shape: [3] }))).toBe("GC2001 reshape: cannot reshape [batch, 3] to [3]");
    expect(refusal(() => make(reshapeOp, [F([B, 3])], { shape: [B, B, 3] }))).toBe("GC2001 reshape: cannot reshape [batch, 3] to [batch, batch, 3]");
    expect(shapeOf(() => make(reshapeOp, [F([B, 2, 3])], { shape: [B, 6] }))).toEqual([B, 6]);
    expect(inFreshContext(() => make(reshapeOp, [I([2, 3])], { shape: [6] })).dtype).toBe("i");
  });
  it("reshape's shape argument: an array of positive integers and the batch name, each refusal naming reshape", () => {
    expect(refusal(() => d.reshape(F([2, 3]), 6 as never))).toBe("GC2007 reshape: shape must be an array, got number");
    expect(refusal(() => d.reshape(F([2, 3]), [2.5, 2]))).toBe("GC2007 reshape: dimensions must be positive integers, got 2.5");
    expect(refusal(() => d.reshape(F([2, 3]), [0, 6]))).toBe("GC2007 reshape: dimensions must be positive integers, got 0");
  });
  it("broadcastTo only adds or stretches dimensions of size 1", () => {
    expect(refusal(() => make(broadcastToOp, [F([2, 3])], { shape: [3, 3] }))).toMatch(/^GC2001 broadcastTo: .*\[2, 3\].*\[3, 3\]/);
    expect(refusal(() => make(broadcastToOp, [F([2, 3])], { shape: [3] }))).toBe("GC2001 broadcastTo: cannot broadcast [2, 3] to [3]");
    expect(shapeOf(() => make(broadcastToOp, [F([1, 3])], { shape: [4, 3] }))).toEqual([4, 3]);
    inFreshContext(() => {
      // To its own shape it is the tensor itself (no node); to another shape a node.
      const x = F([2, 3]);
      expect(d.broadcastTo(x, [2, 3])).toBe(x);
      expect(d.broadcastTo(F([1, 3]), [2, 3]).op).toBe("broadcastTo");
      expect(d.broadcastTo(F([3]), [1, 3]).op).toBe("broadcastTo");
    });
  });
  it("transpose takes a permutation of all the axes; the identity permutation is the tensor itself", () => {
    const message = (p: string, r: number, s: string) => `GC2001 transpose: [${p}] is not a permutation of the ${r} axes of ${s}`;
    expect(refusal(() => make(transposeOp, [F([2, 3])], { perm: [0] }))).toBe(message("0", 2, "[2, 3]"));
    expect(refusal(() => make(transposeOp, [F([2, 3])], { perm: [0, 1, 2] }))).toBe(message("0, 1, 2", 2, "[2, 3]"));
    expect(refusal(() => make(transposeOp, [F([2, 3])], { perm: [0, 0] }))).toBe(message("0, 0", 2, "[2, 3]"));
    expect(refusal(() => make(transposeOp, [F([2, 3])], { perm: [1, 2] }))).toBe(message("1, 2", 2, "[2, 3]"));
    expect(refusal(() => d.transpose(F([2, 3]), [1, 1]))).toBe(message("1, 1", 2, "[2, 3]"));
    expect(shapeOf(() => make(transposeOp, [F([2, 3, 4])], { perm: [2, 0, 1] }))).toEqual([4, 2, 3]);
    inFreshContext(() => {
      const x = F([2, 3]);
      expect(d.transpose(x, [0, 1])).toBe(x);
      expect(d.transpose(x).shape).toEqual([3, 2]);
    });
  });
  it("transpose's value permutes the elements (a rank-3 case of the reference interpreter)", () => {
    const data = Float64Array.from({ length: 24 }, (_, k) => k);
    const { shape, data: out } = transposeOp.eval([{ shape: [2, 3, 4], data }], { perm: [2, 0, 1] }, [4, 2, 3]);
    expect(shape).toEqual([4, 2, 3]);
    // out[c, a, b] = x[a, b, c] = 12a + 4b + c
    const expected: number[] = [];
    for (let c = 0; c < 4; c++) for (let a = 0; a < 2; a++) for (let b = 0; b < 3; b++) expected.push(12 * a + 4 * b + c);
    expect([...out]).toEqual(expected);
  });
});

describe("matmul", () => {
  it("multiplies matrices whose inner dimensions agree, naming both (and the transposes) when they do not", () => {
    expect(refusal(() => make(matmulOp, [F([2, 3]), F([4, 5])], { transA: false, transB: false }))).toBe("GC2001 matmul: inner dimensions differ: [2, 3] · [4, 5] (3 vs 4)");
    expect(refusal(() => make(matmulOp, [F([2, 3]), F([4, 5])], { transA: true, transB: true }))).toBe("GC2001 matmul: inner dimensions differ: [2, 3]ᵀ · [4, 5]ᵀ (2 vs 5)");
    const notMatrices = (a: string, b: string) => `GC2001 matmul: expects matrices (or a vector and a matrix, or a sequence and a matrix), got ${a} and ${b}`;
    expect(refusal(() => make(matmulOp, [F([2, 3]), F([3])], { transA: false, transB: false }))).toBe(notMatrices("[2, 3]", "[3]"));
    expect(refusal(() => make(matmulOp, [F([3, 2]), F([2, 3, 5])], { transA: false, transB: false }))).toBe(notMatrices("[3, 2]", "[2, 3, 5]"));
    // A vector is a matrix only through the DSL (which reshapes it); the op itself takes none.
    expect(refusal(() => make(matmulOp, [F([3]), F([3, 5])], { transA: false, transB: false }))).toBe(notMatrices("[3]", "[3, 5]"));
  });
  it("a sequence [..., K] times a matrix is multiplied at every position; with transA two sequences sum over them", () => {
    expect(shapeOf(() => make(matmulOp, [F([B, 3, 4]), F([4, 5])], { transA: false, transB: false }))).toEqual([B, 3, 5]);
    expect(shapeOf(() => make(matmulOp, [F([B, 3, 4]), F([5, 4])], { transA: false, transB: true }))).toEqual([B, 3, 5]);
    expect(shapeOf(() => make(matmulOp, [F([B, 3, 4]), F([B, 3, 5])], { transA: true, transB: false }))).toEqual([4, 5]);
    expect(refusal(() => make(matmulOp, [F([B, 3, 4]), F([5, 4])], { transA: false, transB: false }))).toBe("GC2001 matmul: inner dimensions differ: [batch, 3, 4] · [5, 4] (4 vs 5)");
    expect(refusal(() => make(matmulOp, [F([B, 3, 4]), F([4, 5])], { transA: false, transB: true }))).toBe("GC2001 matmul: inner dimensions differ: [batch, 3, 4] · [4, 5]ᵀ (4 vs 5)");
    const sum = (b: string, t = "") => `GC2001 matmul: a sum over positions [batch, 3, 4]ᵀ · D needs D of the same leading axes, not transposed, got ${b}${t}`;
    expect(refusal(() => make(matmulOp, [F([B, 3, 4]), F([B, 2, 5])], { transA: true, transB: false }))).toBe(sum("[batch, 2, 5]"));
    expect(refusal(() => make(matmulOp, [F([B, 3, 4]), F([3, 5])], { transA: true, transB: false }))).toBe(sum("[3, 5]"));
    expect(refusal(() => make(matmulOp, [F([B, 3, 4]), F([B, 3, 5])], { transA: true, transB: true }))).toBe(sum("[batch, 3, 5]", "ᵀ"));
    // Two sequences multiply only as a sum over positions (transA): position by position, a sequence times a sequence is not a product here.
    expect(refusal(() => make(matmulOp, [F([2, 3, 4]), F([4, 5, 6])], { transA: false, transB: false }))).toBe("GC2001 matmul: expects matrices (or a vector and a matrix, or a sequence and a matrix), got [2, 3, 4] and [4, 5, 6]");
  });
  it("a sequence's product in the reference interpreter: every position's row times W, and the sum over positions", () => {
    const x = { shape: [2, 2, 3], data: Float64Array.from({ length: 12 }, (_, k) => k + 1) };
    const W = { shape: [3, 2], data: Float64Array.from([1, 0, 0, 1, 1, 1]) };
    expect([...matmulOp.eval([x, W], { transA: false, transB: false }, [2, 2, 2]).data]).toEqual([4, 5, 10, 11, 16, 17, 22, 23]);
    const y = { shape: [2, 2, 1], data: Float64Array.from([1, 2, 3, 4]) };
    // Σₚ xₚᵀ·yₚ over the four positions p (rows of x): column k of x weighted by y.
    expect([...matmulOp.eval([x, y], { transA: true, transB: false }, [3, 1]).data]).toEqual([1 + 8 + 21 + 40, 2 + 10 + 24 + 44, 3 + 12 + 27 + 48]);
  });
  it("two vectors are refused, not a dot product by accident", () => {
    expect(refusal(() => d.matmul(F([3]), F([3])))).toBe("GC2001 matmul: expects matrices (or a vector and a matrix, or a sequence and a matrix), got [3] and [3]");
  });
  it("a vector is a row on the left and a column on the right, also with transposes", () => {
    expect(shapeOf(() => d.matmul(F([3]), F([3, 5])) as Node)).toEqual([5]);
    expect(shapeOf(() => d.matmul(F([3]), F([5, 3]), { transB: true }) as Node)).toEqual([5]);
    expect(shapeOf(() => d.matmul(F([5, 3]), F([3])) as Node)).toEqual([5]);
    expect(shapeOf(() => d.matmul(F([3, 5]), F([3]), { transA: true }) as Node)).toEqual([5]);
  });
  it("its notation and LaTeX mark transposes", () => {
    expect(getOp("matmul").notation(["x", "W"], { transA: false, transB: true })).toBe("x·Wᵀ");
    expect(getOp("matmul").notation(["x", "W"], { transA: true, transB: false })).toBe("xᵀ·W");
    expect(getOp("matmul").latex!(["x", "W"], { transA: true, transB: false })).toBe("{x}^{\\top} W");
    expect(getOp("transpose").notation(["W"], { perm: [1, 0] })).toBe("Wᵀ");
  });
});

describe("slice and sliceGrad", () => {
  it("slice takes a non-empty range of a static axis within the rank", () => {
    const s = (axis: unknown, start: unknown, end: unknown, step: unknown) => () => make(sliceOp, [F([2, 5])], { axis, start, end, step });
    expect(refusal(s(2, 0, 1, 1))).toBe("GC2001 slice: axis 2 is out of range for [2, 5]");
    expect(refusal(s(-1, 0, 1, 1))).toBe("GC2001 slice: axis -1 is out of range for [2, 5]");
    expect(refusal(s(0.5, 0, 1, 1))).toBe("GC2001 slice: axis 0.5 is out of range for [2, 5]");
    expect(refusal(() => make(sliceOp, [F([B, 5])], { axis: 0, start: 0, end: 1, step: 1 }))).toBe("GC2001 slice: cannot slice the batch dimension (axis 0 of [batch, 5])");
    const range = (r: string) => `GC2001 slice: [${r}] is not a non-empty range of axis 1 of [2, 5]`;
    expect(refusal(s(1, 0, 5, 0))).toBe(range("0:5:0"));
    expect(refusal(s(1, -1, 5, 1))).toBe(range("-1:5:1"));
    expect(refusal(s(1, 0, 0, 1))).toBe(range("0:0:1"));
    expect(refusal(s(1, 3, 3, 1))).toBe(range("3:3:1"));
    expect(refusal(s(1, 4, 2, 1))).toBe(range("4:2:1"));
    expect(refusal(s(1, 0, 6, 1))).toBe(range("0:6:1"));
    expect(refusal(s(1, 0, 2.5, 1))).toBe(range("0:2.5:1"));
    expect(shapeOf(s(1, 0, 5, 1) as () => Node)).toEqual([2, 5]);
    expect(shapeOf(s(1, 4, 5, 1) as () => Node)).toEqual([2, 1]);
    expect(shapeOf(s(1, 1, 5, 2) as () => Node)).toEqual([2, 2]);
    expect(shapeOf(s(1, 0, 5, 2) as () => Node)).toEqual([2, 3]);
  });
  it("sliceGrad places its elements within an axis of the given size", () => {
    const g = (start: unknown, step: unknown, size: unknown) => () => make(sliceGradOp, [F([2, 3])], { axis: 1, start, step, size });
    expect(refusal(() => make(sliceGradOp, [F([2, 3])], { axis: 2, start: 0, step: 1, size: 3 }))).toBe("GC2001 sliceGrad: axis 2 is out of range for [2, 3]");
    expect(refusal(g(0, 2, 4))).toBe("GC2001 sliceGrad: 3 elements at 0, 0 + 2, … do not fit in an axis of size 4");
    expect(shapeOf(g(0, 2, 5) as () => Node)).toEqual([2, 5]);
    expect(refusal(g(1, 1, 3))).toBe("GC2001 sliceGrad: 3 elements at 1, 1 + 1, … do not fit in an axis of size 3");
    expect(refusal(g(0, 0, 5))).toBe("GC2001 sliceGrad: 3 elements at 0, 0 + 0, … do not fit in an axis of size 5");
    expect(refusal(g(-1, 1, 5))).toBe("GC2001 sliceGrad: 3 elements at -1, -1 + 1, … do not fit in an axis of size 5");
    expect(refusal(g(0, 1, 0))).toBe("GC2001 sliceGrad: 3 elements at 0, 0 + 1, … do not fit in an axis of size 0");
    expect(shapeOf(g(0, 2, 6) as () => Node)).toEqual([2, 6]);
    expect(shapeOf(g(2, 1, 5) as () => Node)).toEqual([2, 5]);
  });
});

describe("concat", () => {
  it("joins tensors of one dtype and rank that agree off the axis, along a static axis", () => {
    const c = (inputs: Node[], axis: unknown) => () => make(concatOp, inputs, { axis });
    expect(refusal(c([], 0))).toBe("GC2001 concat: needs at least one tensor");
    expect(refusal(() => make(concatOp, [F([2, 3]), F([2, 3])], { axis: 2 }))).toBe("GC2001 concat: axis 2 is out of range for [2, 3]");
    expect(refusal(() => make(concatOp, [F([2, 3]), F([2, 3])], { axis: -1 }))).toBe("GC2001 concat: axis -1 is out of range for [2, 3]");
    expect(refusal(() => make(concatOp, [F([2, 3]), F([2, 3])], { axis: 0.5 }))).toBe("GC2001 concat: axis 0.5 is out of range for [2, 3]");
    expect(refusal(() => make(concatOp, [F([2, 3]), I([2, 3])], { axis: 1 }))).toBe("GC2001 concat: cannot join integer and float tensors ([2, 3], [2, 3])");
    expect(refusal(() => make(concatOp, [F([2, 3]), F([2, 3, 1])], { axis: 1 }))).toBe("GC2001 concat: tensors of different ranks cannot be joined: [2, 3], [2, 3, 1]");
    expect(refusal(() => make(concatOp, [F([2, 3]), F([4, 3])], { axis: 1 }))).toBe("GC2001 concat: along axis 1, every other dimension must agree: [2, 3], [4, 3] differ in dimension 0");
    expect(refusal(() => make(concatOp, [F([B, 3]), F([B, 3])], { axis: 0 }))).toBe("GC2001 concat: cannot join along the batch dimension (axis 0 of [batch, 3], [batch, 3])");
    expect(shapeOf(() => make(concatOp, [F([B, 3]), F([B, 4]), F([B, 1])], { axis: 1 }))).toEqual([B, 8]);
    expect(shapeOf(() => make(concatOp, [F([2, 3])], { axis: 1 }))).toEqual([2, 3]);
  });
  it("integer inputs get no gradient; float inputs get their own part of the adjoint", () => {
    inFreshContext(() => {
      const ints = make(concatOp, [I([2, 3]), I([2, 1])], { axis: 1 });
      expect(concatOp.vjp!(F([2, 4]), ints, {} as never)).toEqual([null, null]);
      const floats = make(concatOp, [F([2, 3]), F([2, 1])], { axis: 1 });
      const parts = concatOp.vjp!(F([2, 4]), floats, {} as never) as Node[];
      expect(parts.map((p) => [p.op, p.attrs.start, p.attrs.end, p.shape])).toEqual([
        ["slice", 0, 3, [2, 3]],
        ["slice", 3, 4, [2, 1]],
      ]);
    });
  });
});

describe("gather and scatterAdd", () => {
  it("gather's indices are integers of at least one axis; the table has static rows; the batch dimension is in one of them", () => {
    expect(refusal(() => make(gatherOp, [F([5, 3]), F([2])], {}))).toBe("GC2001 gather: indices must be integers, got a float tensor [2]");
    expect(refusal(() => make(gatherOp, [F([5, 3]), I([])], {}))).toBe("GC2001 gather: indices must have at least one dimension, got a scalar");
    expect(refusal(() => make(gatherOp, [F([]), I([2])], {}))).toBe("GC2001 gather: the table must have rows: got a scalar");
    expect(refusal(() => make(gatherOp, [F([B, 3]), I([2])], {}))).toBe("GC2001 gather: the table's rows must be a static dimension, got [batch, 3]");
    expect(refusal(() => make(gatherOp, [F([5, B]), I([B, 2])], {}))).toBe("GC2001 gather: the table [5, batch] and the indices [batch, 2] both have the batch dimension");
    expect(refusal(() => make(gatherOp, [F([5, 4, B]), I([2, B])], {}))).toBe("GC2001 gather: the table [5, 4, batch] and the indices [2, batch] both have the batch dimension");
    expect(shapeOf(() => make(gatherOp, [F([5, 4, B]), I([2, 3])], {}))).toEqual([2, 3, 4, B]);
    expect(shapeOf(() => make(gatherOp, [F([5, 4]), I([B, 2])], {}))).toEqual([B, 2, 4]);
    expect(shapeOf(() => make(gatherOp, [F([5]), I([B])], {}))).toEqual([B]);
  });
  it("scatterAdd needs a positive whole number of rows and values that start with the indices' shape", () => {
    const s = (g: () => Node, idx: () => Node, rows: unknown) => () => make(scatterAddOp, [g(), idx()], { rows });
    for (const rows of ["5", 2.5, 0, -1, null]) {
      expect(refusal(s(() => F([2, 3]), () => I([2]), rows))).toBe(`GC2001 scatterAdd: rows must be a positive integer, got ${String(rows)}`);
    }
    expect(refusal(s(() => F([2, 3]), () => F([2]), 5))).toBe("GC2001 scatterAdd: indices must be integers, got a float tensor [2]");
    expect(refusal(s(() => F([2]), () => I([2, 3]), 5))).toBe("GC2001 scatterAdd: the values [2] must start with the indices' shape [2, 3]");
    expect(refusal(s(() => F([3, 4]), () => I([2]), 5))).toBe("GC2001 scatterAdd: the values [3, 4] must start with the indices' shape [2]");
    expect(refusal(s(() => F([2, 4, 3]), () => I([2, 3]), 5))).toBe("GC2001 scatterAdd: the values [2, 4, 3] must start with the indices' shape [2, 3]");
    expect(shapeOf(s(() => F([2, 3, 4]), () => I([2, 3]), 5) as () => Node)).toEqual([5, 4]);
    expect(shapeOf(s(() => F([B, 4]), () => I([B]), 1) as () => Node)).toEqual([1, 4]);
  });
  it("an integer table gets no gradient; a float table gets the adjoint scattered back to its rows", () => {
    inFreshContext(() => {
      const ints = make(gatherOp, [I([5, 3]), I([2])], {});
      expect(gatherOp.vjp!(F([2, 3]), ints, {} as never)).toEqual([null, null]);
      const floats = make(gatherOp, [F([5, 3]), I([2])], {});
      const [dTable, dIndices] = gatherOp.vjp!(F([2, 3]), floats, {} as never) as [Node, null];
      expect([dTable.op, dTable.attrs.rows, dTable.shape, dIndices]).toEqual(["scatterAdd", 5, [5, 3], null]);
    });
  });
});

describe("pick and pickGrad", () => {
  it("x is [rows…, C] with a static C; the indices are integers shaped like x's rows", () => {
    expect(refusal(() => make(pickOp, [F([4]), I([])], {}))).toBe("GC2001 pick: x must be [rows…, C] with a static last axis, got [4]");
    expect(refusal(() => make(pickOp, [F([4, B]), I([4])], {}))).toBe("GC2001 pick: x must be [rows…, C] with a static last axis, got [4, batch]");
    expect(refusal(() => make(pickOp, [F([B, 3]), F([B])], {}))).toBe("GC2001 pick: indices must be integers, got a float tensor [batch]");
    expect(refusal(() => make(pickOp, [F([B, 3]), I([B, 1])], {}))).toBe("GC2001 pick: indices [batch, 1] must have the shape of x's rows [batch]");
    expect(shapeOf(() => make(pickOp, [F([B, 2, 3]), I([B, 2])], {}))).toEqual([B, 2]);
  });
  it("pickGrad's classes are a positive whole number, and its indices are shaped like the values", () => {
    for (const classes of ["3", 2.5, 0, -1, null]) {
      expect(refusal(() => make(pickGradOp, [F([B]), I([B])], { classes }))).toBe(`GC2001 pickGrad: classes must be a positive integer, got ${String(classes)}`);
    }
    expect(refusal(() => make(pickGradOp, [F([B, 2]), I([B])], { classes: 3 }))).toBe("GC2001 pickGrad: indices [batch] must have the shape of the values [batch, 2]");
  });
  it("pickGrad puts each row's value at its index in a row of C", () => {
    const refused = refusal(() => make(pickGradOp, [F([B]), F([B])], { classes: 3 }));
    expect(refused).toBe("GC2001 pickGrad: indices must be integers, got a float tensor [batch]");
    expect(shapeOf(() => make(pickGradOp, [F([B, 2]), I([B, 2])], { classes: 3 }))).toEqual([B, 2, 3]);
  });
});

describe("the notation of slices and stopGradient", () => {
  it("prints Python's slice with its step, sliceGrad as the adjoint's placement, sg(x) in LaTeX", () => {
    expect(getOp("slice").notation(["x"], { axis: 1, start: 1, end: 5, step: 2 })).toBe("x[:, 1:5:2]");
    expect(getOp("slice").notation(["x"], { axis: 0, start: 0, end: 3, step: 1 })).toBe("x[0:3]");
    expect(getOp("sliceGrad").notation(["g"], { axis: 1, start: 1, step: 2, size: 6 })).toBe("(g at [:, 1::2], 0 elsewhere)");
    expect(getOp("stopGradient").notation(["x"], {})).toBe("sg(x)");
    expect(getOp("stopGradient").latex!(["x"], {})).toBe("\\operatorname{sg}\\left(x\\right)");
  });
});

describe("customGradient", () => {
  // A vjp traced for one input of [2, 3]: placeholders g and x (the first input is y itself).
  const vjp = () => ({ graph: { inputs: [F([2, 3]), F([2, 3]), F([2, 3])], nodes: [], outputs: [] }, arity: 1 });
  it("its inputs match the placeholders the vjp was traced with, in number and shape", () => {
    expect(refusal(() => make(customGradientOp, [F([2, 3])], { vjp: vjp() }))).toBe("GC2001 customGradient: 1 inputs for a vjp of 2");
    expect(refusal(() => make(customGradientOp, [F([2, 3]), F([3, 2])], { vjp: vjp() }))).toBe(
      "GC2001 customGradient: input 1 has shape [3, 2], the vjp was traced for [2, 3]",
    );
    expect(refusal(() => make(customGradientOp, [F([2, 2]), F([2, 3])], { vjp: vjp() }))).toBe(
      "GC2001 customGradient: input 0 has shape [2, 2], the vjp was traced for [2, 3]",
    );
    expect(shapeOf(() => make(customGradientOp, [F([2, 3]), F([2, 3])], { vjp: vjp() }))).toEqual([2, 3]);
  });
  it("prints as customGradient(y) in text and LaTeX", () => {
    expect(getOp("customGradient").notation(["y"], {})).toBe("customGradient(y)");
    expect(getOp("customGradient").latex!(["y"], {})).toBe("\\operatorname{customGradient}\\left(y\\right)");
  });
});
