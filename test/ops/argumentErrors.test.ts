// The DSL's refusals of bad arguments in the element-wise, comparison, cross-entropy and reduction ops
// (each a GradcError with its code and a message that says what was given and what is expected), and
// the notation of the ops no example prints (clamp's, pow's, …): found untested by mutation testing
// (test/MUTATION.md).
import { describe, expect, it } from "vitest";
import * as d from "../../compiler/dsl/core.js";
import type { Dim } from "../../compiler/ir/shape.js";
import { getOp } from "../../compiler/ops/index.js";
import { select } from "../../compiler/dsl/training.js";
import { refusal } from "../helpers/refusal.js";
import { inFreshContext } from "../passes/util.js";

const X = () => d.param("X", [2, 3]);

describe("gelu's options", () => {
  it("must be an object with only `approximate`, which is none or tanh", () => {
    expect(refusal(() => d.gelu(X(), 5 as never))).toBe('GC2007 gelu: options must be an object like { approximate: "tanh" }, got number');
    expect(refusal(() => d.gelu(X(), null as never))).toBe('GC2007 gelu: options must be an object like { approximate: "tanh" }, got null');
    expect(refusal(() => d.gelu(X(), { approx: "tanh" } as never))).toBe('GC2007 gelu: unknown option "approx" (approximate)');
    expect(refusal(() => d.gelu(X(), { approximate: "erf" } as never))).toBe('GC2007 gelu: approximate must be "none" or "tanh" (as torch\'s nn.GELU), got "erf"');
  });
});

describe("clamp's bounds", () => {
  it("are numbers (a tensor bound is maximum/minimum's job), not NaN, and at least one is given", () => {
    expect(refusal(() => d.clamp(X(), d.param("Y", [2, 3]) as never, 1))).toBe("GC2007 clamp: min must be a number (for a tensor bound use maximum/minimum), got object");
    expect(refusal(() => d.clamp(X(), 0, "6" as never))).toBe("GC2007 clamp: max must be a number, got string");
    expect(refusal(() => d.clamp(X(), NaN, 1))).toBe("GC2007 clamp: min must be a number, got NaN");
    expect(refusal(() => d.clamp(X(), 0, NaN))).toBe("GC2007 clamp: max must be a number, got NaN");
    expect(refusal(() => d.clamp(X()))).toBe("GC2007 clamp: give a min, a max or both (clamp(x, 0, 6), clamp(x, 0), clamp(x, null, 1))");
    expect(refusal(() => d.clamp(X(), null, null))).toBe("GC2007 clamp: give a min, a max or both (clamp(x, 0, 6), clamp(x, 0), clamp(x, null, 1))");
  });
});

describe("cross-entropy's and onehot's shapes", () => {
  it("logits are [rows, classes] with static classes; labels [rows] integers or targets of the logits' shape", () => {
    const labels = (shape: Dim[]) => d.input("y", shape, { dtype: "int" });
    expect(refusal(() => d.softmaxCrossEntropyRows(d.param("Z", [2, 3, 4]), labels([2])))).toMatch(/^GC2001 .*logits must be \[rows, classes\] with static classes, got \[2, 3, 4\]/);
    expect(refusal(() => d.softmaxCrossEntropyRows(X(), labels([3])))).toMatch(/^GC2001 .*logits \[2, 3\] need labels \[2\] \(integers\) or targets \[2, 3\], got \[3\] integers/);
    expect(refusal(() => d.softmaxCrossEntropyRows(X(), d.param("T", [2, 4])))).toMatch(/^GC2001 .*logits \[2, 3\] need labels \[2\] \(integers\) or targets \[2, 3\], got \[2, 4\]$/);
  });
  it("onehot takes integer labels of one axis", () => {
    expect(refusal(() => d.onehot(d.param("L", [2]), 3))).toMatch(/^GC2001 .*onehot needs integer labels \[rows\], got \[2\]/);
    expect(refusal(() => d.onehot(d.input("y", [2, 2], { dtype: "int" }), 3))).toMatch(/^GC2001 .*onehot needs integer labels \[rows\], got \[2, 2\]/);
  });
});

describe("a reduction's axis", () => {
  it("is a number within the rank (negative counts from the end)", () => {
    expect(refusal(() => d.sum(X(), 2))).toMatch(/^GC2007 sum: .*axis 2.*rank 2/);
    expect(refusal(() => d.max(X(), -3))).toMatch(/^GC2007 max: .*axis -3.*rank 2/);
    expect(refusal(() => d.sum(X(), "1" as never))).toBe("GC2007 sum axis must be a finite number, got 1");
    expect(refusal(() => d.logSumExp(X(), Infinity))).toBe("GC2007 logSumExp axis must be a finite number, got Infinity");
  });
});

describe("other arguments and shapes", () => {
  it("leakyRelu's slope is a finite number; softmax and logSumExp need an axis to run along", () => {
    expect(refusal(() => d.leakyRelu(X(), NaN))).toBe("GC2007 leakyRelu alpha must be a finite number, got NaN");
    const scalar = () => d.sum(X());
    expect(refusal(() => d.softmax(scalar()))).toMatch(/^GC2001 .*needs at least one axis, got a scalar/);
    expect(refusal(() => d.logSoftmax(scalar()))).toMatch(/^GC2001 .*needs at least one axis, got a scalar/);
  });
});

describe("the notation explain and the emitted comments print, and LaTeX where an op has its own", () => {
  const cases: [op: string, args: string[], attrs: Record<string, unknown>, text: string, latex?: string][] = [
    ["leakyRelu", ["z"], { alpha: 0.2 }, "leakyRelu_0.2(z)"],
    ["step", ["z"], { below: 0 }, "[z > 0]"],
    ["step", ["z"], { below: 0.01 }, "[z > 0 | 0.01]"],
    ["greaterEqual", ["a", "b"], {}, "[a ≥ b]", "[a \\geq b]"],
    ["pow", ["a", "b"], {}, "a^b", "{a}^{b}"],
    ["pow", ["a + b", "c − d"], {}, "(a + b)^(c − d)", "{\\left(a + b\\right)}^{c − d}"],
    ["log", ["x"], {}, "log(x)"],
    ["sqrt", ["x"], {}, "√x", "\\sqrt{x}"],
    ["sqrt", ["a + b"], {}, "√(a + b)", "\\sqrt{a + b}"],
    ["abs", ["x"], {}, "|x|"],
    ["sign", ["x"], {}, "sign(x)"],
    ["eq", ["a", "b"], {}, "[a = b]"],
    ["max", ["x"], { axis: 1, keepdims: false }, "max_axis1 x"],
    ["max", ["x"], { axis: null, keepdims: false }, "max x"],
  ];
  for (const [op, args, attrs, text, latex] of cases) {
    it(`${op}(${args.join(", ")})${attrs.alpha ?? attrs.below ?? attrs.axis ?? ""}: ${text}`, () => {
      expect(getOp(op).notation(args, attrs as never)).toBe(text);
      if (latex !== undefined) expect(getOp(op).latex!(args, attrs as never)).toBe(latex);
    });
  }
});

describe("clamp's notation", () => {
  it("writes a missing or infinite bound as ∞ (−∞ below), and a negative one with a minus sign", () => {
    const note = (min: number | null, max: number | null) => {
      const n = inFreshContext(() => d.clamp(X(), min, max));
      return [getOp(n.op).notation(["x"], n.attrs), getOp(n.op).latex!(["x"], n.attrs)];
    };
    expect(note(-0.5, 0.8)).toEqual(["clamp(x, −0.5, 0.8)", "\\operatorname{clamp}(x, -0.5, 0.8)"]);
    expect(note(0, null)).toEqual(["clamp(x, 0, ∞)", "\\operatorname{clamp}(x, 0, \\infty)"]);
    expect(note(null, 1)).toEqual(["clamp(x, −∞, 1)", "\\operatorname{clamp}(x, -\\infty, 1)"]);
    expect(note(-Infinity, Infinity)).toEqual(["clamp(x, −∞, ∞)", "\\operatorname{clamp}(x, -\\infty, \\infty)"]);
    expect(note(Infinity, -Infinity)).toEqual(["clamp(x, ∞, −∞)", "\\operatorname{clamp}(x, \\infty, -\\infty)"]);
  });
});

describe("an operand that is neither a tensor nor a number", () => {
  it.each([
    ["null", null, "null"],
    ["undefined", undefined, "undefined"],
    ["a string", "x", "string"],
    ["an array", [1, 2], "an array"],
    ["an object without op and shape", { op: "add" }, "object"],
  ])("%s is a located refusal, not a TypeError", (_, value, kind) => {
    expect(refusal(() => d.add(X(), value as never))).toMatch(new RegExp(`^GC2007 .*expected a tensor or a number, got ${kind}$`));
    expect(refusal(() => d.tanh(value as never))).toMatch(new RegExp(`^GC2007 .*expected a tensor or a number, got ${kind}$`));
  });
});

describe("constants and shapes as the builder checks them", () => {
  it("a constant is a number, not NaN", () => {
    expect(refusal(() => d.add(X(), NaN))).toMatch(/^GC2007 .*a constant must be a number, got NaN$/);
    expect(refusal(() => d.scalar("3" as never))).toMatch(/^GC2007 .*a constant must be a number, got 3$/);
    expect(inFreshContext(() => d.scalar(Infinity).attrs.value)).toBe(Infinity); // infinities are values (a mask's −∞)
  });
  it("a dimension is a positive integer or the batch name, and a model has one batch name", () => {
    expect(refusal(() => d.input("x", [null as never, 2]))).toMatch(/^GC2007 .*input "x": a dimension must be a number or the batch name, got null$/);
    expect(refusal(() => d.input("x", ["", 2]))).toMatch(/^GC2007 .*input "x": a dimension must be a number or the batch name, got string$/);
    expect(refusal(() => d.input("x", [2, 0]))).toMatch(/^GC2007 .*input "x": dimensions must be positive integers, got 0$/);
    expect(refusal(() => { d.input("x", ["batch", 2]); d.input("y", ["rows", 2]); })).toMatch(/^GC\d+ .*input "y": only one symbolic dimension is allowed \("batch"\), got "rows"$/);
    expect(inFreshContext(() => { d.input("x", ["batch", 2]); return d.input("y", ["batch", 3]).shape; })).toEqual(["batch", 3]);
  });
});

describe("select(train, infer)", () => {
  it("takes a training and an inference value of one shape", () => {
    expect(refusal(() => select(d.param("A", [2, 3]), d.param("B", [3, 2])))).toMatch(/^GC2001 .*the training and inference values differ in shape: \[2, 3\] vs \[3, 2\]$/);
    expect(inFreshContext(() => select(d.param("A", [2, 3]), d.param("B", [2, 3])).shape)).toEqual([2, 3]);
  });
});

describe("an axis out of range", () => {
  it("is GC2007 with the rank, from every op that takes an axis", () => {
    expect(refusal(() => d.sum(X(), 2))).toMatch(/^GC2007 .*axis 2.*rank 2/);
    expect(refusal(() => d.logSumExp(X(), -3))).toMatch(/^GC2007 .*axis -3.*rank 2/);
  });
});
