// slice: x[start:end:step] along one axis (Python semantics; attrs normalized by the DSL so that
// 0 ≤ start < end ≤ size, step ≥ 1 and end − 1 is the last index taken), and its adjoint sliceGrad,
// which places g back at those positions in zeros of x's shape. Each is the other's transpose:
//   slice'ᵀ g     = sliceGrad(g)  (g at [start:end:step], 0 elsewhere)
//   sliceGrad'ᵀ g = slice(g)
import { make } from "../ir/context.js";
import type { Attrs, Node } from "../ir/node.js";
import { formatShape, ShapeError, type Dim, type Shape } from "../ir/shape.js";
import { sizeOf } from "../ir/tensor.js";
import { axisVars, loopNest, strided } from "./kernelLoops.js";
import { defineOp } from "./op.js";

const isCount = (v: unknown, min: number): v is number => typeof v === "number" && Number.isInteger(v) && v >= min;

/** The number of indices start, start + step, … below end. */
const lengthOf = (start: number, end: number, step: number) => Math.ceil((end - start) / step);

function checkAxis(shape: Shape, axis: unknown): number {
  if (!isCount(axis, 0) || axis >= shape.length) throw new ShapeError(`axis ${String(axis)} is out of range for ${formatShape(shape)}`);
  if (typeof shape[axis] !== "number") throw new ShapeError(`cannot slice the batch dimension (axis ${axis} of ${formatShape(shape)})`);
  return axis;
}

/** Python's notation for the slice: x[:, 1:5:2]. */
const range = ({ axis, start, end, step }: Attrs) => `[${":, ".repeat(axis as number)}${String(start)}:${String(end)}${step === 1 ? "" : `:${String(step)}`}]`;

/** For each element of the dense (sliced) tensor, its flat index and that of its place in the wide one. */
function stridedCopy(wide: readonly number[], dense: readonly number[], axis: number, start: number, step: number, f: (dense: number, wide: number) => void): void {
  const outer = sizeOf(wide.slice(0, axis)), inner = sizeOf(wide.slice(axis + 1));
  const len = dense[axis]!, size = wide[axis]!;
  for (let o = 0; o < outer; o++)
    for (let k = 0; k < len; k++)
      for (let i = 0; i < inner; i++) f((o * len + k) * inner + i, (o * size + start + k * step) * inner + i);
}

export const sliceOp = defineOp({
  name: "slice",
  kind: "kernel",
  carries: () => [0],
  shape: ([x], { axis, start, end, step }) => {
    const a = checkAxis(x!.shape, axis);
    const size = x!.shape[a] as number;
    if (!isCount(step, 1) || !isCount(start, 0) || !isCount(end, 1) || start >= end || end > size) {
      throw new ShapeError(`[${String(start)}:${String(end)}:${String(step)}] is not a non-empty range of axis ${a} of ${formatShape(x!.shape)}`);
    }
    return x!.shape.map((d, k): Dim => (k === a ? lengthOf(start, end, step) : d));
  },
  dtype: ([x]) => x!.dtype,
  eval: ([x], { axis, start, step }, shape) => {
    const out = new Float64Array(sizeOf(shape));
    stridedCopy(x!.shape, shape, axis as number, start as number, step as number, (dense, wide) => (out[dense] = x!.data[wide]!));
    return { shape, data: out };
  },
  vjp: (g, { inputs: [x], attrs: { axis, start, step } }) => [
    x!.dtype === "i" ? null : sliceGrad(g, axis as number, start as number, step as number, x!.shape[axis as number] as number),
  ],
  lowerKernel(ctx, { axis, start, step }) {
    const [x] = ctx.inputs;
    const out = ctx.output;
    const a = axis as number;
    return loopNest(out.dims, axisVars(ctx, out.dims.length), (idx) => {
      const from = idx.map((v, k) => (k === a ? strided(v, start as number, step as number) : v));
      return [`${out.at(...idx)} = ${x!.at(...from)};`];
    });
  },
  notation: ([x], attrs) => `${x}${range(attrs)}`,
});

export const sliceGradOp = defineOp({
  name: "sliceGrad",
  kind: "kernel",
  shape: ([g], { axis, start, step, size }) => {
    const a = checkAxis(g!.shape, axis);
    const len = g!.shape[a] as number;
    if (!isCount(step, 1) || !isCount(start, 0) || !isCount(size, 1) || start + (len - 1) * step >= size) {
      throw new ShapeError(`${len} elements at ${String(start)}, ${String(start)} + ${String(step)}, … do not fit in an axis of size ${String(size)}`);
    }
    return g!.shape.map((d, k): Dim => (k === a ? size : d));
  },
  eval: ([g], { axis, start, step }, shape) => {
    const out = new Float64Array(sizeOf(shape));
    stridedCopy(shape, g!.shape, axis as number, start as number, step as number, (dense, wide) => (out[wide] = g!.data[dense]!));
    return { shape, data: out };
  },
  vjp: (g, { inputs: [x], attrs: { axis, start, step } }) => {
    const len = x!.shape[axis as number] as number;
    return [sliceAxis(g, axis as number, start as number, (start as number) + (len - 1) * (step as number) + 1, step as number)];
  },
  lowerKernel(ctx, { axis, start, step }) {
    const [g] = ctx.inputs;
    const out = ctx.output;
    const a = axis as number;
    return [
      `${out.array}.fill(0);`,
      ...loopNest(g!.dims, axisVars(ctx, g!.dims.length), (idx) => {
        const to = idx.map((v, k) => (k === a ? strided(v, start as number, step as number) : v));
        return [`${out.at(...to)} = ${g!.at(...idx)};`];
      }),
    ];
  },
  notation: ([g], { axis, start, step }) => `(${g} at ${range({ axis, start, end: "", step })}, 0 elsewhere)`,
});

/** x[start:end:step] along a normalized axis, with 0 ≤ start < end ≤ size and end − 1 the last index taken. */
export const sliceAxis = (x: Node, axis: number, start: number, end: number, step = 1): Node =>
  make(sliceOp, [x], { axis, start, end, step });

/** slice's adjoint: g placed at [start::step] of `axis` in a zero tensor whose axis has `size` elements. */
export const sliceGrad = (g: Node, axis: number, start: number, step: number, size: number): Node =>
  make(sliceGradOp, [g], { axis, start, step, size });
