// softmax, logSoftmax and logSumExp over the last axis, computed stably (subtract the row max first).
//   softmax'ᵀg    = y ⊙ (g − Σ_j g⊙y)          (y = softmax(x), the forward value)
//   logSoftmax'ᵀg = g − softmax(x) ⊙ Σ_j g
//   logSumExp'ᵀg  = g ⊙ exp(x − y)             (y = logSumExp(x), one value per row: softmax from the forward value)
import { make } from "../ir/context.js";
import type { Node } from "../ir/node.js";
import { ShapeError } from "../ir/shape.js";
import type { Tensor } from "../ir/tensor.js";
import { normalizeAxisOrFail, number, tensorOf, type Operand } from "./build.js";
import { reshape, transpose } from "./layout.js";
import { defineOp, type Builders, type RowContext } from "./op.js";

/** Rows along the last axis, which may be the batch dimension (attention over a batch: [batch, batch]). */
const lastAxisShape = ([x]: readonly Node[]) => {
  if (x!.shape.length < 1) throw new ShapeError(`needs at least one axis, got a scalar`);
  return x!.shape;
};

/** Σ over the last axis, kept and broadcast back: the row sums each element of a row sees. */
export const rowSum = ({ broadcastTo, sum }: Builders, x: Node): Node => broadcastTo(sum(x, -1, true), x.shape);

/** For each row of the last axis: (row max, Σ exp(x − max)). */
export function rowStats(x: Tensor, f: (row: Float64Array, max: number, sumExp: number, r: number) => void): void {
  const c = x.shape[x.shape.length - 1]!;
  for (let r = 0; r * c < x.data.length; r++) {
    const row = x.data.subarray(r * c, r * c + c);
    let m = -Infinity;
    for (const v of row) if (v > m) m = v;
    let s = 0;
    for (const v of row) s += Math.exp(v - m);
    f(row, m, s, r);
  }
}

/** The statements every stable row op starts with: m = max_j x_j, s = Σ_j exp(x_j − m). */
export function rowMaxAndSum(ctx: RowContext): { m: string; s: string; lines: string[] } {
  const m = ctx.local("max"), s = ctx.local("sumExp"), j = ctx.local("j");
  return {
    m, s,
    lines: [
      `let ${m} = -Infinity;`,
      `for (let ${j} = 0; ${j} < ${ctx.len}; ${j}++) if (${ctx.input(0, j)} > ${m}) ${m} = ${ctx.input(0, j)};`,
      `let ${s} = 0;`,
      `for (let ${j} = 0; ${j} < ${ctx.len}; ${j}++) ${s} += Math.exp(${ctx.input(0, j)} - ${m});`,
    ],
  };
}

export const softmaxOp = defineOp({
  name: "softmax",
  kind: "rowwise",
  shape: lastAxisShape,
  eval: ([x]) => {
    const out = new Float64Array(x!.data.length);
    const c = x!.shape[x!.shape.length - 1]!;
    rowStats(x!, (row, m, s, r) => row.forEach((v, j) => (out[r * c + j] = Math.exp(v - m) / s)));
    return { shape: x!.shape, data: out };
  },
  vjp: (g, y, b) => [b.mul(y, b.sub(g, rowSum(b, b.mul(g, y))))],
  lowerRow(ctx) {
    const { m, s, lines } = rowMaxAndSum(ctx);
    const j = ctx.local("j");
    return [...lines, `for (let ${j} = 0; ${j} < ${ctx.len}; ${j}++) ${ctx.output(j)} = Math.exp(${ctx.input(0, j)} - ${m}) / ${s};`];
  },
  notation: ([a]) => `softmax(${a})`,
});

export const logSoftmaxOp = defineOp({
  name: "logSoftmax",
  kind: "rowwise",
  shape: lastAxisShape,
  eval: ([x]) => {
    const out = new Float64Array(x!.data.length);
    const c = x!.shape[x!.shape.length - 1]!;
    rowStats(x!, (row, m, s, r) => row.forEach((v, j) => (out[r * c + j] = v - m - Math.log(s))));
    return { shape: x!.shape, data: out };
  },
  vjp: (g, { inputs: [x] }, b) => [b.sub(g, b.mul(b.softmax(x!), rowSum(b, g)))],
  lowerRow(ctx) {
    const { m, s, lines } = rowMaxAndSum(ctx);
    const j = ctx.local("j"), ls = ctx.local("logSum");
    return [...lines, `const ${ls} = Math.log(${s});`, `for (let ${j} = 0; ${j} < ${ctx.len}; ${j}++) ${ctx.output(j)} = ${ctx.input(0, j)} - ${m} - ${ls};`];
  },
  notation: ([a]) => `logSoftmax(${a})`,
});

/**
 * log Σ_j exp(x_j) of each row, one value per row (the last axis is reduced), as torch.logsumexp:
 * m + log Σ exp(x − m) with m the row max, except that an infinite max is not factored out (m = 0 then),
 * so a row of −∞ gives −∞ and a row holding +∞ gives +∞ instead of ∞ − ∞. A NaN makes its row NaN.
 * The derivative is torch's, exp(x − y) ⊙ g, which is NaN on a row whose value is infinite.
 */
export const logSumExpOp = defineOp({
  name: "logSumExp",
  kind: "rowwise",
  shape: ([x]) => lastAxisShape([x!]).slice(0, -1),
  eval: ([x], _, shape) => {
    const c = x!.shape[x!.shape.length - 1]!;
    const out = new Float64Array(x!.data.length / c);
    for (let r = 0; r < out.length; r++) {
      const row = x!.data.subarray(r * c, r * c + c);
      let m = -Infinity;
      for (const v of row) if (v > m) m = v;
      if (m === Infinity || m === -Infinity) m = 0;
      let s = 0;
      for (const v of row) s += Math.exp(v - m);
      out[r] = Math.log(s) + m;
    }
    return { shape, data: out };
  },
  vjp: (g, y, { broadcastTo, reshape, mul, exp, sub }) => {
    const x = y.inputs[0]!;
    const perRow = (v: Node) => broadcastTo(reshape(v, [...y.shape, 1]), x.shape);
    return [mul(perRow(g), exp(sub(x, perRow(y))))];
  },
  lowerRow(ctx) {
    const m = ctx.local("max"), s = ctx.local("sumExp"), j = ctx.local("j");
    return [
      `let ${m} = -Infinity;`,
      `for (let ${j} = 0; ${j} < ${ctx.len}; ${j}++) if (${ctx.input(0, j)} > ${m}) ${m} = ${ctx.input(0, j)};`,
      `if (${m} === Infinity || ${m} === -Infinity) ${m} = 0; // an infinite max is not factored out (torch.logsumexp)`,
      `let ${s} = 0;`,
      `for (let ${j} = 0; ${j} < ${ctx.len}; ${j}++) ${s} += Math.exp(${ctx.input(0, j)} - ${m});`,
      `${ctx.output("0")} = Math.log(${s}) + ${m};`,
    ];
  },
  notation: ([a]) => `logsumexp(${a})`,
});

// ── the DSL functions (model.ts imports them from "gradc": ../dsl/index.ts re-exports them) ─────────

export function softmax(x: Operand): Node {
  return make(softmaxOp, [tensorOf(x)]);
}
export function logSoftmax(x: Operand): Node {
  return make(logSoftmaxOp, [tensorOf(x)]);
}

/**
 * log Σ exp(x) along one axis, or over every element when axis is omitted (torch.logsumexp), computed
 * stably: the largest element is factored out (not when it is ±∞, as torch). The op works along the
 * last axis (logSumExpOp, above); another axis is moved last with a transpose, and "every element"
 * is one axis after another, last first.
 */
export function logSumExp(x: Operand, axis?: number, keepdims = false): Node {
  const xt = tensorOf(x);
  const rank = xt.shape.length;
  if (axis === undefined || axis === null) {
    if (rank === 0) return make(logSumExpOp, [reshape(xt, [1])]);
    let r = xt;
    while (r.shape.length > 0) r = make(logSumExpOp, [r]);
    return keepdims ? reshape(r, xt.shape.map(() => 1)) : r;
  }
  const a = normalizeAxisOrFail(number(axis, "logSumExp axis"), rank);
  const last = a === rank - 1 ? xt : transpose(xt, [...xt.shape.keys()].filter((k) => k !== a).concat(a));
  const r = make(logSumExpOp, [last]);
  return keepdims ? reshape(r, xt.shape.map((d, k) => (k === a ? 1 : d))) : r;
}
