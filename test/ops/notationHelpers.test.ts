// The helpers every op's notation is written with (compiler/ops/leaf.ts formatNumber, op.ts texParen):
// what `gradc explain`, the graph drawings and the emitted comments show for constants and operands.
import { describe, expect, it } from "vitest";
import { formatNumber } from "../../compiler/ops/leaf.js";
import { texParen } from "../../compiler/ops/op.js";

describe("formatNumber", () => {
  it.each([
    [0, "0"],
    [-3, "-3"],
    [123456789, "123456789"], // an integer exactly (it was shown as 123457000)
    [0.5, "0.5"],
    [1 / 3, "0.333333"],
    [0.001, "0.001"],
    [0.0025, "0.0025"],
    [1e-4, "1.000e-4"],
    [-1e-4, "-1.000e-4"],
  ])("%s → %s", (v, text) => {
    expect(formatNumber(v)).toBe(text);
  });
});

describe("texParen", () => {
  it.each([
    ["x", "x"],
    ["a + b", "\\left(a + b\\right)"],
    ["(a + b)", "(a + b)"], // the space is inside brackets
    ["f(a, b)", "f(a, b)"],
    ["x_{i j}", "x_{i j}"],
    ["[a b] c", "\\left([a b] c\\right)"],
    [" x", " x"], // a space at either end is not between two operands
    ["x ", "x "],
  ])("%j → %j", (s, tex) => {
    expect(texParen(s)).toBe(tex);
  });
});
