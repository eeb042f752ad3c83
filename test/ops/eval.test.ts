// Hand-computed results of each op's reference eval (the interpreter), per op family, and a check that
// every elementwise op's scalar expression stays correct when its operands are themselves expressions
// (as they are once lowering fuses elementwise chains).

import { describe, expect, it } from "vitest";
import * as d from "../../compiler/dsl/core.js";
import { allOps } from "../../compiler/ops/index.js";
import { RUNTIME_MATH, type OpDef } from "../../compiler/ops/op.js";
import { evalNode } from "../helpers/evalNode.js";
import { mulberry32 } from "../helpers/rng.js";

const c = d.constant;
const close = (actual: readonly number[], expected: readonly number[], digits = 12) => {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((a, k) => expect(a, `element ${k}`).toBeCloseTo(expected[k]!, digits));
};
const value = (build: () => d.Tensor, bindings = {}) => evalNode(build, bindings);

describe("elementwise arithmetic", () => {
  it("add broadcasts a bias over rows and a scalar over everything", () => {
    expect(value(() => d.add(c([[1, 2], [3, 4]]), c([10, 20])))).toEqual({ shape: [2, 2], data: [11, 22, 13, 24] });
    expect(value(() => d.add(c([[1, 2], [3, 4]]), 0.5)).data).toEqual([1.5, 2.5, 3.5, 4.5]);
    expect(value(() => d.add(c([[1], [2]]), c([[10, 20, 30]])))).toEqual({ shape: [2, 3], data: [11, 21, 31, 12, 22, 32] });
  });
  it("sub, mul, div, pow", () => {
    expect(value(() => d.sub(c([5, 7]), c([[1, 2], [3, 4]]))).data).toEqual([4, 5, 2, 3]);
    expect(value(() => d.sub(1, c([0.25, 2]))).data).toEqual([0.75, -1]);
    expect(value(() => d.mul(c([[1, 2], [3, 4]]), c([[2], [-1]]))).data).toEqual([2, 4, -3, -4]);
    expect(value(() => d.div(c([1, 6]), c([4, -3]))).data).toEqual([0.25, -2]);
    expect(value(() => d.pow(c([2, 9, 4]), c([3, 0.5, -1]))).data).toEqual([8, 3, 0.25]);
  });
  it("neg, exp, log, sqrt, square, abs, sign", () => {
    expect(value(() => d.neg(c([1.5, -2]))).data).toEqual([-1.5, 2]);
    close(value(() => d.exp(c([0, 1, -1]))).data, [1, Math.E, 1 / Math.E]);
    close(value(() => d.log(c([1, Math.E, 0.5]))).data, [0, 1, -Math.LN2]);
    expect(value(() => d.sqrt(c([9, 0.25]))).data).toEqual([3, 0.5]);
    expect(value(() => d.square(c([-3, 0.5]))).data).toEqual([9, 0.25]);
    expect(value(() => d.abs(c([-2, 0, 3]))).data).toEqual([2, 0, 3]);
    expect(value(() => d.sign(c([-2, 0, 3]))).data).toEqual([-1, 0, 1]);
    expect(value(() => d.eq(c([1, 2, 3]), 2)).data).toEqual([0, 1, 0]);
  });
});

describe("activations", () => {
  it("sigmoid, tanh", () => {
    close(value(() => d.sigmoid(c([0, 2, -2]))).data, [0.5, 1 / (1 + Math.exp(-2)), 1 / (1 + Math.exp(2))]);
    close(value(() => d.tanh(c([0, 1]))).data, [0, (Math.E ** 2 - 1) / (Math.E ** 2 + 1)]);
  });
  it("relu, leakyRelu (alpha 0.1 and the default 0.01), step", () => {
    expect(value(() => d.relu(c([-1, 0, 2]))).data).toEqual([0, 0, 2]);
    close(value(() => d.leakyRelu(c([-1, 0, 2]), 0.1)).data, [-0.1, 0, 2]);
    close(value(() => d.leakyRelu(c([-3, 4]))).data, [-0.03, 4]);
    expect(value(() => d.step(c([-1, 0, 2]))).data).toEqual([0, 0, 1]);
    expect(value(() => d.step(c([-1, 0, 2]), 0.1)).data).toEqual([0.1, 0.1, 1]);
  });
  it("softplus = log(1 + eˣ)", () => {
    close(value(() => d.softplus(c([0, 1, -1, 3]))).data, [Math.LN2, Math.log(1 + Math.E), Math.log(1 + 1 / Math.E), Math.log(1 + Math.exp(3))]);
  });
});

describe("reductions", () => {
  const m = () => c([[1, 2, 3], [4, 5, 6]]);
  it("sum over all, axis 0, axis 1, keepdims", () => {
    expect(value(() => d.sum(m()))).toEqual({ shape: [], data: [21] });
    expect(value(() => d.sum(m(), 0))).toEqual({ shape: [3], data: [5, 7, 9] });
    expect(value(() => d.sum(m(), 1))).toEqual({ shape: [2], data: [6, 15] });
    expect(value(() => d.sum(m(), -1, true))).toEqual({ shape: [2, 1], data: [6, 15] });
    expect(value(() => d.sum(m(), 0, true))).toEqual({ shape: [1, 3], data: [5, 7, 9] });
    expect(value(() => d.sum(m(), undefined, true))).toEqual({ shape: [1, 1], data: [21] });
  });
  it("sum over the middle axis of a 3-D tensor", () => {
    // [2,2,2]: [[[1,2],[3,4]],[[5,6],[7,8]]] summed over axis 1 → [[4,6],[12,14]]
    expect(value(() => d.sum(c([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]), 1))).toEqual({ shape: [2, 2], data: [4, 6, 12, 14] });
  });
  it("max over all, axis 0, axis 1, keepdims; all-negative rows", () => {
    expect(value(() => d.max(m())).data).toEqual([6]);
    expect(value(() => d.max(m(), 0)).data).toEqual([4, 5, 6]);
    expect(value(() => d.max(m(), 1, true))).toEqual({ shape: [2, 1], data: [3, 6] });
    expect(value(() => d.max(c([[-5, -2], [-3, -9]]), 1)).data).toEqual([-2, -3]);
  });
  it("mean over all and along an axis", () => {
    expect(value(() => d.mean(m())).data).toEqual([3.5]);
    expect(value(() => d.mean(m(), 0)).data).toEqual([2.5, 3.5, 4.5]);
    expect(value(() => d.mean(m(), 1, true))).toEqual({ shape: [2, 1], data: [2, 5] });
  });
  it("mean over a symbolic batch divides by the run-time batch size", () => {
    expect(value(() => d.mean(d.input("x", ["batch", 2]), 0), { inputs: { x: [1, 2, 3, 4, 5, 9] } }).data).toEqual([3, 5]);
  });
});

describe("layout", () => {
  it("reshape keeps row-major order", () => {
    expect(value(() => d.reshape(c([[1, 2, 3], [4, 5, 6]]), [3, 2]))).toEqual({ shape: [3, 2], data: [1, 2, 3, 4, 5, 6] });
  });
  it("broadcastTo repeats along new and size-1 axes", () => {
    expect(value(() => d.broadcastTo(c([1, 2]), [2, 2])).data).toEqual([1, 2, 1, 2]);
    expect(value(() => d.broadcastTo(c([[1], [2]]), [2, 3])).data).toEqual([1, 1, 1, 2, 2, 2]);
    expect(value(() => d.broadcastTo(5, [1, 3])).data).toEqual([5, 5, 5]);
  });
  it("transpose 2-D and 3-D", () => {
    expect(value(() => d.transpose(c([[1, 2, 3], [4, 5, 6]])))).toEqual({ shape: [3, 2], data: [1, 4, 2, 5, 3, 6] });
    // x[i][j][k] = 100i + 10j + k, shape [2,3,2]; y = transpose(x, [2,0,1]) has y[k][i][j] = x[i][j][k]
    const x = [[[0, 1], [10, 11], [20, 21]], [[100, 101], [110, 111], [120, 121]]];
    expect(value(() => d.transpose(c(x), [2, 0, 1]))).toEqual({ shape: [2, 2, 3], data: [0, 10, 20, 100, 110, 120, 1, 11, 21, 101, 111, 121] });
    // perm [1,0,2]: y[j][i][k] = x[i][j][k]
    expect(value(() => d.transpose(c(x), [1, 0, 2]))).toEqual({ shape: [3, 2, 2], data: [0, 1, 100, 101, 10, 11, 110, 111, 20, 21, 120, 121] });
  });
});

describe("matmul", () => {
  const A = [[1, 2, 3], [4, 5, 6]]; // 2×3
  const B = [[7, 8], [9, 10], [11, 12]]; // 3×2
  const AB = [58, 64, 139, 154];
  const At = [[1, 4], [2, 5], [3, 6]];
  const Bt = [[7, 9, 11], [8, 10, 12]];
  it("A·B, with the operands stored transposed under each flag", () => {
    expect(value(() => d.matmul(c(A), c(B)))).toEqual({ shape: [2, 2], data: AB });
    expect(value(() => d.matmul(c(At), c(B), { transA: true }))).toEqual({ shape: [2, 2], data: AB });
    expect(value(() => d.matmul(c(A), c(Bt), { transB: true }))).toEqual({ shape: [2, 2], data: AB });
    expect(value(() => d.matmul(c(At), c(Bt), { transA: true, transB: true }))).toEqual({ shape: [2, 2], data: AB });
  });
  it("B·A is 3×3", () => {
    expect(value(() => d.matmul(c(B), c(A)))).toEqual({ shape: [3, 3], data: [39, 54, 69, 49, 68, 87, 59, 82, 105] });
  });
  it("vector·matrix and matrix·vector", () => {
    expect(value(() => d.matmul(c([1, 2, 3]), c(B)))).toEqual({ shape: [2], data: [58, 64] });
    expect(value(() => d.matmul(c(A), c([1, 0, -1])))).toEqual({ shape: [2], data: [-2, -2] });
  });
});

describe("softmax family", () => {
  const e = [Math.exp(1), Math.exp(2), Math.exp(3)];
  const z = e[0]! + e[1]! + e[2]!;
  it("softmax of [1, 2, 3], per row", () => {
    close(value(() => d.softmax(c([[1, 2, 3], [0, 0, 0]]))).data, [e[0]! / z, e[1]! / z, e[2]! / z, 1 / 3, 1 / 3, 1 / 3]);
    close(value(() => d.softmax(c([1, 2, 3]))).data, [0.09003057317038046, 0.24472847105479764, 0.6652409557748219]);
  });
  it("logSoftmax of [1, 2, 3]", () => {
    close(value(() => d.logSoftmax(c([[1, 2, 3]]))).data, [1 - Math.log(z), 2 - Math.log(z), 3 - Math.log(z)]);
  });
  it("softmaxCE: integer labels and float target rows, one value per row", () => {
    const labels = value(() => d.softmaxCrossEntropyRows(c([[1, 2, 3], [1, 2, 3]]), d.input("y", [2], { dtype: "int" })), { inputs: { y: [2, 0] } });
    expect(labels.shape).toEqual([2]);
    close(labels.data, [Math.log(z) - 3, Math.log(z) - 1]);
    const rows = value(() => d.softmaxCrossEntropyRows(c([[1, 2, 3]]), c([[0.5, 0, 0.5]])));
    close(rows.data, [Math.log(z) - 2]);
  });
  it("onehot", () => {
    expect(value(() => d.onehot(d.input("y", [2], { dtype: "int" }), 3), { inputs: { y: [1, 2] } })).toEqual({ shape: [2, 3], data: [0, 1, 0, 0, 0, 1] });
  });
});

describe("losses (DSL composites)", () => {
  it("mse is the mean over all elements", () => {
    close(value(() => d.mse(c([[1, 2], [3, 4]]), c([[1, 0], [0, 4]]))).data, [(0 + 4 + 9 + 0) / 4]);
  });
  it("crossEntropy of probabilities: labels and target rows", () => {
    const p = [[0.2, 0.8], [0.6, 0.4]];
    close(value(() => d.crossEntropy(c(p), d.input("y", [2], { dtype: "int" })), { inputs: { y: [1, 0] } }).data, [-(Math.log(0.8) + Math.log(0.6)) / 2]);
    close(value(() => d.crossEntropy(c(p), c([[0.5, 0.5], [0, 1]]))).data, [-(0.5 * Math.log(0.2) + 0.5 * Math.log(0.8) + Math.log(0.4)) / 2]);
  });
  it("softmaxCrossEntropy is the mean over rows", () => {
    close(value(() => d.softmaxCrossEntropy(c([[0, 0], [Math.log(3), 0]]), d.input("y", [2], { dtype: "int" })), { inputs: { y: [0, 0] } }).data, [(Math.LN2 + Math.log(4 / 3)) / 2]);
  });
  it("binaryCrossEntropy", () => {
    close(value(() => d.binaryCrossEntropy(c([0.9, 0.2]), c([1, 0]))).data, [-(Math.log(0.9) + Math.log(0.8)) / 2]);
  });
});

// ── scalar expressions compose ────────────────────────────────────────────────────────────────────

describe("elementwise expr: correct with compound operands (what fused lowering passes in)", () => {
  const elementwise = allOps.filter((o): o is OpDef & { expr: NonNullable<OpDef["expr"]> } => o.kind === "elementwise" && !!o.expr);
  const attrsOf: Record<string, Record<string, unknown>> = { leakyRelu: { alpha: 0.1 }, step: { below: 0.25 }, clamp: { min: -0.5, max: 1.2 }, gelu: { approximate: "none" } };
  const arity = (o: OpDef) => (o.name === "where" ? 3 : ["add", "sub", "mul", "div", "pow", "eq", "greater", "greaterEqual", "maximum", "minimum"].includes(o.name) ? 2 : 1);
  /** A function of `vars` returning `text`, with gradc/runtime's functions (erf) in scope as in a generated module. */
  const compile = (vars: readonly string[], text: string) =>
    (new Function(...Object.keys(RUNTIME_MATH), ...vars, `return ${text};`) as (...x: unknown[]) => number).bind(null, ...Object.values(RUNTIME_MATH)) as (...x: number[]) => number;
  /** The op as a function of numbers, through its own expression with plain identifiers. */
  const fn = (o: OpDef & { expr: NonNullable<OpDef["expr"]> }) => {
    const args = Array.from({ length: arity(o) }, (_, i) => `a${i}`);
    return compile(args, o.expr(args, attrsOf[o.name] ?? {}));
  };
  const same = (a: number, b: number) => a === b || (Number.isNaN(a) && Number.isNaN(b)) || Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b));

  it("every elementwise op has an expr", () => {
    expect(allOps.filter((o) => o.kind === "elementwise" && !o.expr).map((o) => o.name)).toEqual([]);
  });

  it.each(elementwise.map((o) => [o.name, o] as const))("%s(...) of every other op's expression, and of negative literals", (_, outer) => {
    const rng = mulberry32(11);
    const f = fn(outer);
    // Operand producers: every elementwise op's expression over fresh variables, and literals.
    const producers: { text: (vars: string[]) => string; value: (vals: number[]) => number; nvars: number; name: string }[] = [
      ...elementwise.map((inner) => ({ name: inner.name, nvars: arity(inner), text: (vars: string[]) => inner.expr(vars, attrsOf[inner.name] ?? {}), value: (vals: number[]) => fn(inner)(...vals) })),
      { name: "literal -0.5", nvars: 0, text: () => "-0.5", value: () => -0.5 },
      { name: "literal 1e-7", nvars: 0, text: () => "1e-7", value: () => 1e-7 },
    ];
    for (const p of producers) {
      const vars = Array.from({ length: arity(outer) * p.nvars }, (_, i) => `v${i}`);
      const operands = Array.from({ length: arity(outer) }, (_, k) => vars.slice(k * p.nvars, (k + 1) * p.nvars));
      let composed: (...x: number[]) => number;
      const text = outer.expr(operands.map((vs) => p.text(vs)), attrsOf[outer.name] ?? {});
      try {
        composed = compile(vars, text);
      } catch (e) {
        throw new Error(`${outer.name}(${p.name}(...)) does not parse: ${text}\n${(e as Error).message}`);
      }
      for (let trial = 0; trial < 5; trial++) {
        const vals = vars.map(() => 0.2 + 1.8 * rng()); // positive, so log/sqrt/pow are defined
        if (trial % 2) vals.forEach((v, i) => (vals[i] = i % 2 ? -v : v));
        const expected = f(...operands.map((vs) => p.value(vs.map((v) => vals[vars.indexOf(v)]!))));
        const got = composed(...vals);
        expect(same(got, expected), `${outer.name}(${p.name}) at ${vals.join(", ")}: ${text} gave ${got}, expected ${expected}`).toBe(true);
      }
    }
  });
});
