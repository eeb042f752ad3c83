// The helpers every op's notation is written with (compiler/ops/leaf.ts formatNumber, op.ts texParen):
// what `gradc explain`, the graph drawings and the emitted comments show for constants and operands.
import { describe, expect, it } from "vitest";
import { formatNumber } from "../../compiler/ops/leaf.js";
import { texParen } from "../../compiler/ops/op.js";
import { constOp, dimOp } from "../../compiler/ops/leaf.js";
import { dropoutMaskOp, selectOp } from "../../compiler/ops/mode.js";
import { partOp, scanOp } from "../../compiler/ops/scan.js";
import type { Attrs } from "../../compiler/ir/node.js";

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

describe("the notation of ops without operands to write and of the mode ops", () => {
  it.each([
    ["a constant tensor: C and its shape", () => constOp.notation([], { values: [1, 2, 3, 4, 5, 6], shape: [2, 3] }), "C[2,3]"],
    ["a scalar constant: its value", () => constOp.notation([], { value: 0.25 }), "0.25"],
    ["the batch size as a value (mean's divisor): N", () => dimOp.notation([], {}), "N"],
    ["select: both values, as `gradc graph` draws them before specialize keeps one", () => selectOp.notation(["μ_batch", "μ_running"], {}), "(train: μ_batch | infer: μ_running)"],
    ["a dropout mask: its p", () => dropoutMaskOp.notation([], { p: 0.3, shape: ["batch", 4] }), "mask_p=0.3"],
  ])("%s", (_, write, text) => {
    expect(write()).toBe(text);
  });
});

describe("scan's and part's notation (what `gradc explain` writes for a recurrence), text and LaTeX", () => {
  const attrs = (reverse: boolean) => ({ body: { carries: 2 }, length: 6, reverse }) as unknown as Attrs;
  it.each([
    [false, "scan_{t=1..6}(h₀, c₀; xs, W)", "\\operatorname{scan}_{t=1,\\dots,6}\\left(h_0, c_0;\\ xs, W\\right)"],
    [true, "scanᴿ_{t=1..6}(h₀, c₀; xs, W)", "\\operatorname{scan}_{t=6,\\dots,1}\\left(h_0, c_0;\\ xs, W\\right)"],
  ])("reverse %s: the carries, then the sequences and captures", (reverse, text, tex) => {
    expect(scanOp.notation(["h₀", "c₀", "xs", "W"], attrs(reverse))).toBe(text);
    expect(scanOp.latex!(["h_0", "c_0", "xs", "W"], attrs(reverse))).toBe(tex);
  });
  it("part k of a scan", () => {
    expect(partOp.notation(["s"], { index: 1 })).toBe("s[1]");
    expect(partOp.latex!(["s"], { index: 1 })).toBe("{s}_{[1]}");
  });
});
