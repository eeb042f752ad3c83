// Layout: reshape (free on row-major data), broadcastTo and transpose (index arithmetic when lowered:
// a transpose that is stored is a copy loop, lowerKernel below; the others are read in place).
import { make } from "../ir/context.js";
import { broadcastShapes, formatShape, sameShape, ShapeError, staticPart, type Dim, type Shape } from "../ir/shape.js";
import { broadcastIndex, sizeOf, stridesOf } from "../ir/tensor.js";
import { resolveShape, tensorOf, type Operand, type Tensor } from "./build.js";
import { unrolledNest } from "./kernelLoops.js";
import { defineOp, type KernelParts } from "./op.js";

export const reshapeOp = defineOp({
  name: "reshape",
  kind: "view",
  carries: () => [0],
  shape: ([x], { shape }) => {
    const s = shape as Dim[];
    const symbolic = (t: Shape) => t.filter((d) => typeof d !== "number").length;
    if (staticPart(s) !== staticPart(x!.shape) || symbolic(s) !== symbolic(x!.shape)) {
      throw new ShapeError(`cannot reshape ${formatShape(x!.shape)} to ${formatShape(s)}`);
    }
    return s;
  },
  dtype: ([x]) => x!.dtype, // a reshaped tensor of class labels or token ids is still integer
  eval: ([x], _, shape) => ({ shape, data: x!.data }),
  vjp: (g, { inputs: [x] }, { reshape }) => [reshape(g, x!.shape)],
  notation: ([a]) => a!,
});

export const broadcastToOp = defineOp({
  name: "broadcastTo",
  kind: "layout",
  shape: ([x], { shape }) => {
    const s = shape as Dim[];
    if (!sameShape(broadcastShapes(x!.shape, s), s)) throw new ShapeError(`cannot broadcast ${formatShape(x!.shape)} to ${formatShape(s)}`);
    return s;
  },
  eval: ([x], _, shape) => {
    const idx = broadcastIndex(x!.shape, shape);
    return { shape, data: Float64Array.from(idx, (k) => x!.data[k]!) };
  },
  vjp: (g, { inputs: [x] }, { sumTo }) => [sumTo(g, x!.shape)],
  notation: ([a]) => a!,
});

export const transposeOp = defineOp({
  name: "transpose",
  kind: "layout",
  shape: ([x], { perm }) => {
    const p = perm as number[];
    if (p.length !== x!.shape.length || [...p].sort().some((v, i) => v !== i)) {
      throw new ShapeError(`[${p.join(", ")}] is not a permutation of the ${x!.shape.length} axes of ${formatShape(x!.shape)}`);
    }
    return p.map((i) => x!.shape[i]!);
  },
  eval: ([x], { perm }, shape) => {
    const p = perm as number[];
    const inStrides = stridesOf(x!.shape);
    const out = new Float64Array(sizeOf(shape));
    const idx = new Array<number>(shape.length).fill(0);
    for (let k = 0; k < out.length; k++) {
      let src = 0;
      for (let d = 0; d < shape.length; d++) src += idx[d]! * inStrides[p[d]!]!;
      out[k] = x!.data[src]!;
      for (let d = shape.length - 1; d >= 0; d--) {
        if (++idx[d]! < shape[d]!) break;
        idx[d] = 0;
      }
    }
    return { shape, data: out };
  },
  vjp: (g, { attrs: { perm } }, { transpose }) => {
    const p = perm as number[];
    const inverse = p.map((_, i) => p.indexOf(i));
    return [transpose(g, inverse)];
  },
  // A stored transpose: a copy loop, out[idx] = x[idx permuted back]; a batch loop here runs on its
  // own after the pass's fused loop, not inside it.
  lowerKernel(ctx, { perm }): KernelParts {
    const n = ctx.node, x = n.inputs[0]!;
    const p = perm as number[];
    const code = unrolledNest(n.shape, (idx) => {
      const src = p.map((_, d) => idx[p.indexOf(d)]!);
      return [`${ctx.write(n, idx)} = ${ctx.read(x, src)};`];
    });
    return code.loop ? { post: ["for (let i = 0; i < n; i++) {", ...code.loop, "}"] } : code;
  },
  notation: ([a]) => `${a}ᵀ`,
});

// ── the DSL functions (model.ts imports them from "gradc": ../dsl/index.ts re-exports them) ─────────

export function reshape(x: Operand, shape: readonly Dim[]): Tensor {
  const xt = tensorOf(x);
  return make(reshapeOp, [xt], { shape: resolveShape(shape, "reshape", xt) });
}

export function transpose(x: Operand, perm?: readonly number[]): Tensor {
  const xt = tensorOf(x);
  const p = perm ?? xt.shape.map((_, i) => xt.shape.length - 1 - i);
  if (p.every((a, i) => a === i)) return xt;
  return make(transposeOp, [xt], { perm: [...p] });
}

export function broadcastTo(x: Operand, shape: Shape): Tensor {
  const xt = tensorOf(x);
  return xt.shape.length === shape.length && xt.shape.every((d, i) => d === shape[i]) ? xt : make(broadcastToOp, [xt], { shape: [...shape] });
}
