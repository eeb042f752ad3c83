// softmax and logSoftmax over the last axis, computed stably (subtract the row max first).
//   softmax'ᵀg    = y ⊙ (g − Σ_j g⊙y)          (y = softmax(x), the forward value)
//   logSoftmax'ᵀg = g − softmax(x) ⊙ Σ_j g
import { broadcastTo, mul, softmax, sub, sum } from "../dsl/core.js";
import type { Node } from "../ir/node.js";
import { ShapeError } from "../ir/shape.js";
import type { Tensor } from "../ir/tensor.js";
import { defineOp, type RowContext } from "./op.js";

/** Rows along the last axis, which may be the batch dimension (attention over a batch: [batch, batch]). */
const lastAxisShape = ([x]: readonly Node[]) => {
  if (x!.shape.length < 1) throw new ShapeError(`needs at least one axis, got a scalar`);
  return x!.shape;
};

/** Σ over the last axis, kept and broadcast back: the row sums each element of a row sees. */
export const rowSum = (x: Node): Node => broadcastTo(sum(x, -1, true), x.shape);

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
  vjp: (g, y) => [mul(y, sub(g, rowSum(mul(g, y))))],
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
  vjp: (g, { inputs: [x] }) => [sub(g, mul(softmax(x!), rowSum(g)))],
  lowerRow(ctx) {
    const { m, s, lines } = rowMaxAndSum(ctx);
    const j = ctx.local("j"), ls = ctx.local("logSum");
    return [...lines, `const ${ls} = Math.log(${s});`, `for (let ${j} = 0; ${j} < ${ctx.len}; ${j}++) ${ctx.output(j)} = ${ctx.input(0, j)} - ${m} - ${ls};`];
  },
  notation: ([a]) => `logSoftmax(${a})`,
});
