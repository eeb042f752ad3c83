// pick (one element of each row, chosen by an integer index) and its adjoint pickGrad.
//   pick(x, a)[…]        = x[…, a[…]]                x [..., C], a integers [...] (x's shape without the last axis)
//   pick'ᵀ g             = pickGrad(g, a):   ∂L/∂x[…, j] = g[…]·[j = a[…]]   (onehot(a) ⊙ g)
//   pickGrad'ᵀ h         = pick(h, a)
// It is torch.gather(x, -1, a.unsqueeze(-1)).squeeze(-1), NumPy's take_along_axis on the last axis and
// MXNet's `pick`: the log-probability of the action taken, log π(aₜ|sₜ) = pick(logSoftmax(z), a), or
// of the next character. `gather` is a different thing (whole rows of a table, as F.embedding). The
// indices get no gradient.
import { make } from "../ir/context.js";
import type { Node } from "../ir/node.js";
import { formatShape, sameShape, ShapeError } from "../ir/shape.js";
import { sizeOf } from "../ir/tensor.js";
import { defineOp } from "./op.js";

function checkIndices(indices: Node, rows: Node["shape"], what: string): void {
  if (indices.dtype !== "i") throw new ShapeError(`indices must be integers, got a float tensor ${formatShape(indices.shape)}`);
  if (!sameShape(indices.shape, rows)) throw new ShapeError(`indices ${formatShape(indices.shape)} must have the shape of ${what} ${formatShape(rows)}`);
}

/** The element an index selects, checked: the reference interpreter refuses what generated code would misread. */
function columnOf(v: number, r: number, classes: number): number {
  if (!(Number.isInteger(v) && v >= 0 && v < classes)) throw new RangeError(`index ${v} (element ${r} of the indices) is outside [0, ${classes})`);
  return v;
}

export const pickOp = defineOp({
  name: "pick",
  kind: "rowwise",
  indexBounds: (n) => [[1, n.inputs[0]!.shape.at(-1) as number]],
  carries: () => [0],
  shape: ([x, indices]) => {
    const s = x!.shape;
    if (s.length < 2 || typeof s[s.length - 1] !== "number") throw new ShapeError(`x must be [rows…, C] with a static last axis, got ${formatShape(s)}`);
    checkIndices(indices!, s.slice(0, -1), "x's rows");
    return indices!.shape;
  },
  dtype: ([x]) => x!.dtype,
  eval: ([x, indices], _, shape) => {
    const c = x!.shape[x!.shape.length - 1]!;
    const out = new Float64Array(sizeOf(shape));
    indices!.data.forEach((v, r) => (out[r] = x!.data[r * c + columnOf(v, r, c)]!));
    return { shape, data: out };
  },
  vjp: (g, { inputs: [x, indices] }) => [pickGrad(g, indices!, x!.shape[x!.shape.length - 1] as number), null],
  lowerRow: (ctx) => [`${ctx.output("0")} = ${ctx.input(0, ctx.rowScalar(1))};`],
  notation: ([x, indices]) => `pick(${x}, ${indices})`,
});

export const pickGradOp = defineOp({
  name: "pickGrad",
  kind: "rowwise",
  indexBounds: (n) => [[1, n.attrs.classes as number]],
  shape: ([g, indices], { classes }) => {
    if (typeof classes !== "number" || !Number.isInteger(classes) || classes < 1) throw new ShapeError(`classes must be a positive integer, got ${String(classes)}`);
    checkIndices(indices!, g!.shape, "the values");
    return [...g!.shape, classes];
  },
  eval: ([g, indices], { classes }, shape) => {
    const c = classes as number;
    const out = new Float64Array(sizeOf(shape));
    indices!.data.forEach((v, r) => (out[r * c + columnOf(v, r, c)] = g!.data[r]!));
    return { shape, data: out };
  },
  vjp: (h, { inputs: [, indices] }) => [pickAt(h, indices!), null],
  lowerRow(ctx) {
    const j = ctx.local("j");
    return [`for (let ${j} = 0; ${j} < ${ctx.len}; ${j}++) ${ctx.output(j)} = ${ctx.rowScalar(1)} === ${j} ? ${ctx.rowScalar(0)} : 0;`];
  },
  notation: ([g, indices]) => `onehot(${indices}) ⊙ ${g}`,
});

/** Element indices[…] of each row of x (the DSL's pick, ../dsl/indexing.ts, checks a model's arguments first). */
export const pickAt = (x: Node, indices: Node): Node => make(pickOp, [x, indices]);

/** pick's adjoint: g [...] placed at column indices[...] of zero rows of length `classes` (onehot(indices) ⊙ g). */
export const pickGrad = (g: Node, indices: Node, classes: number): Node => make(pickGradOp, [g, indices], { classes });
