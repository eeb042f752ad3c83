// How the emitter writes a number into generated code (kernels.ts's literal): a negative number in
// parentheses (x * (-2) stays x * (-2) after any operator), and the values String() gets wrong or
// ambiguous: −0 keeps its sign (x · −0 is −0 for positive x, as in the model), ±∞ by name.
import { describe, expect, it } from "vitest";
import { literal } from "../../compiler/emit/kernels.js";

describe("literal", () => {
  it("writes numbers as JavaScript reads them back, sign of zero and infinities included", () => {
    expect(literal(3)).toBe("3");
    expect(literal(0.5)).toBe("0.5");
    expect(literal(-2.5)).toBe("(-2.5)");
    expect(literal(0)).toBe("0");
    expect(literal(-0)).toBe("-0");
    expect(literal(Infinity)).toBe("Infinity");
    expect(literal(-Infinity)).toBe("-Infinity");
    for (const v of [3, -2.5, 0, -0, Infinity, -Infinity, 1e-300, -1.7976931348623157e308]) expect(Object.is(Number(eval(literal(v))), v), String(v)).toBe(true);
  });
});
