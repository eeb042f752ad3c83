// The index arithmetic every lowering writes with (compiler/ops/affine.ts, kernelLoops.ts), checked
// as text: these strings are the emitted code, so a wrong fold ("i * 1", "+ 0", a missing parenthesis)
// is either slower or wrong code in every module. Whole modules are checked by the compiled tables.
import { describe, expect, it } from "vitest";
import { affine, broadcastOffset, sizeExpr, stridesOf } from "../../compiler/ops/affine.js";
import { addOffset, blocks, isSimple, lin, loopNest, plus, scaledByBatch, strided, times, unrolledNest } from "../../compiler/ops/kernelLoops.js";

describe("affine: Σ index·stride, folded", () => {
  it.each([
    [[], "0"],
    [[[2, 3], [1, 5]], "11"], // numbers fold into one constant
    [[["i", 4], ["j", 1]], "i * 4 + j"],
    [[["i", 4], [2, 1]], "i * 4 + 2"], // the constant goes last
    [[[0, "n"], ["j", 0]], "0"], // a zero index or a zero stride is no term
    [[[1, "n * 4"], ["j", 1]], "n * 4 + j"], // index 1: the stride alone (a product needs no parentheses in a sum)
    [[["i", "n * 4"]], "i * (n * 4)"], // a compound stride in parentheses
    [[["t + 1", 8], [3, 2]], "(t + 1) * 8 + 6"], // a compound index too
    [[["i", 1], [-2, 1]], "i + -2"],
  ] as const)("%j → %s", (terms, code) => {
    expect(affine(terms as never)).toBe(code);
  });
});

describe("strides, sizes and broadcast offsets of shapes with the batch dimension", () => {
  it("gives row-major strides, with n for each batch dimension after an axis", () => {
    expect(stridesOf([2, 3, 4])).toEqual([12, 4, 1]);
    expect(stridesOf(["batch", 3, 4])).toEqual([12, 4, 1]);
    expect(stridesOf([3, "batch", 4])).toEqual(["n * 4", 4, 1]);
    expect(stridesOf(["batch", "batch"])).toEqual(["n", 1]);
    expect(stridesOf([2, "batch", "batch"])).toEqual(["n * n", "n", 1]);
    expect(stridesOf([])).toEqual([]);
  });
  it("writes a shape's size as code", () => {
    expect(sizeExpr([2, 3])).toBe("6");
    expect(sizeExpr(["batch", 3])).toBe("n * 3");
    expect(sizeExpr(["batch", 1])).toBe("n");
    expect(sizeExpr(["batch", "batch", 2])).toBe("n * n * 2");
    expect(sizeExpr([])).toBe("1");
  });
  it("reads a broadcast operand right-aligned, size-1 axes at 0", () => {
    expect(broadcastOffset([4], ["i", "j"])).toBe("j");
    expect(broadcastOffset([1, 4], ["i", "j"])).toBe("j");
    expect(broadcastOffset(["batch", 1], ["i", "j"])).toBe("i");
    expect(broadcastOffset(["batch", 3, 4], ["i", 2, "k"])).toBe("i * 12 + k + 8");
    expect(broadcastOffset([1], ["i", 3])).toBe("0");
  });
});

describe("kernelLoops' expression helpers", () => {
  it("strided: step·v + start without the parts that are 0 or 1", () => {
    expect(strided("j", 0)).toBe("j");
    expect(strided("j", 3)).toBe("j + 3");
    expect(strided("j", 0, 2)).toBe("2 * j");
    expect(strided("j", 1, 2)).toBe("2 * j + 1");
    expect(strided(4, 1, 2)).toBe(9);
  });
  it("lin: Σ coef·term + constant, identifiers bare and expressions in parentheses, a negative constant subtracted", () => {
    expect(lin([])).toBe("0");
    expect(lin([], 5)).toBe("5");
    expect(lin([["i", 1]])).toBe("i");
    expect(lin([["i", 3], ["j", 1]], 2)).toBe("i * 3 + j + 2");
    expect(lin([["i + 1", 3], ["$k", 1]])).toBe("(i + 1) * 3 + $k");
    expect(lin([["i", 2]], -4)).toBe("i * 2 - 4");
    expect(lin([["row", 4], ["col", 1]])).toBe("row * 4 + col"); // names of any length need no parentheses
    expect(lin([["i", 0], [0, 7], [2, 3], ["a.b", 1]])).toBe("(a.b) + 6");
    expect(lin([[2, 3]], -6)).toBe("0");
  });
  it("plus, addOffset and times leave out a zero offset and a unit factor", () => {
    expect(plus("b", 0)).toBe("b");
    expect(plus("b", 2)).toBe("b + 2");
    expect(addOffset("b", 0)).toBe("b");
    expect(addOffset("b", "c0")).toBe("b + c0");
    expect(times("v", 1)).toBe("v");
    expect(times("v", 3)).toBe("v * 3");
  });
  it("scaledByBatch: n to a power times a number, the number left out when it is 1", () => {
    expect(scaledByBatch(0, 4)).toBe("4");
    expect(scaledByBatch(0, 1)).toBe("1");
    expect(scaledByBatch(1, 1)).toBe("n");
    expect(scaledByBatch(1, 6)).toBe("n * 6");
    expect(scaledByBatch(2, 1)).toBe("n * n");
  });
  it("isSimple: identifiers, property paths and numbers are read twice without a local", () => {
    for (const s of ["x", "ws.h1", "$a_2", "3", "-1.5", "1e-8"]) expect(isSimple(s), s).toBe(true);
    for (const s of ["a + b", "x[i]", "(y)", "-x", "f(x)"]) expect(isSimple(s), s).toBe(false);
  });
});

describe("loop nests", () => {
  const body = (index: readonly (string | number)[]) => [`y[${index.join(", ")}] = 0;`];
  it("loopNest: one loop per axis, none for a size-1 axis (index 0), the batch bound n", () => {
    expect(loopNest(["n", 1, 3], ["i0", "i1", "i2"], body)).toEqual([
      "for (let i0 = 0; i0 < n; i0++) {",
      "for (let i2 = 0; i2 < 3; i2++) {",
      "y[i0, 0, i2] = 0;",
      "}",
      "}",
    ]);
    expect(loopNest([1], ["i0"], body)).toEqual(["y[0] = 0;"]);
  });
  it("unrolledNest: the innermost static axes unrolled up to 16 points, the batch axis as the pass's loop", () => {
    const at = (idx: readonly (string | number)[], suffix: string) => [`y${suffix}[${idx.join(", ")}]`];
    expect(unrolledNest(["batch", 2, 3], at)).toEqual({ loop: ["y_0_0[i, 0, 0]", "y_0_1[i, 0, 1]", "y_0_2[i, 0, 2]", "y_1_0[i, 1, 0]", "y_1_1[i, 1, 1]", "y_1_2[i, 1, 2]"] });
    expect(unrolledNest(["batch", 4, 8], at)).toEqual({
      loop: ["for (let j = 0; j < 4; j++) {", ...Array.from({ length: 8 }, (_, k) => `y_${k}[i, j, ${k}]`), "}"],
    });
    expect(unrolledNest([3, 17], at)).toEqual({ post: ["for (let i = 0; i < 3; i++) {", "for (let j = 0; j < 17; j++) {", "y[i, j]", "}", "}"] });
    expect(unrolledNest([16], at).post).toHaveLength(16);
    expect(unrolledNest([1], at)).toEqual({ post: ["y[0]"] });
  });
  it("blocks: a loop over the full blocks (or the one block at 0), then the remainder at its literal offset", () => {
    const names: string[] = [];
    const nm = (hint: string) => (names.push(hint), `${hint}${names.length}`);
    const emit = (at: string | number, width: number) => [`take(${at}, ${width});`];
    expect(blocks(nm, "c", 12, 4, emit)).toEqual(["for (let c1 = 0; c1 < 12; c1 += 4) {", "take(c1, 4);", "}"]);
    expect(blocks(nm, "c", 4, 4, emit)).toEqual(["take(0, 4);"]);
    expect(blocks(nm, "c", 3, 4, emit)).toEqual(["take(0, 3);"]);
    expect(blocks(nm, "c", 6, 4, emit)).toEqual(["{", "take(0, 4);", "}", "{", "take(4, 2);", "}"]);
    expect(blocks(nm, "c", 9, 4, emit)).toEqual(["for (let c2 = 0; c2 < 8; c2 += 4) {", "take(c2, 4);", "}", "{", "take(8, 1);", "}"]);
  });
});
