// Reductions along one axis (attrs.axis) or over everything (axis null), optionally keeping the
// reduced axis as size 1. sum' broadcasts the adjoint back; max' sends it to the maxima, shared
// equally among ties (as torch.amax). A NaN is the max of anything it is reduced with (torch.amax):
// `v > m || v !== v`, so a diverged value is never skipped.
// Lowering (lowerReduce below): accumulators over the input's loop nest, joining the pass's loop over
// batch rows; a sum over the batch accumulates across it.
import { codes, GradcError } from "../../runtime/errors.js";
import { fail, make } from "../ir/context.js";
import type { Attrs, Node } from "../ir/node.js";
import { normalizeAxis, type Dim, type Shape } from "../ir/shape.js";
import { sizeOf, type Tensor } from "../ir/tensor.js";
import { affine, stridesOf } from "./affine.js";
import { number, tensorOf, type Operand } from "./build.js";
import { isBatch, isSimple, unrolledNest, UNROLL_ELEMENTS, type Index } from "./kernelLoops.js";
import { defineOp, element, type Builders, type KernelContext, type KernelParts, type OpDef } from "./op.js";

export function reducedShape(s: Shape, { axis, keepdims }: Attrs): Dim[] {
  if (axis === null) return keepdims ? s.map(() => 1) : [];
  return keepdims ? s.map((d, i) => (i === axis ? 1 : d)) : s.filter((_, i) => i !== axis);
}

/** The adjoint reshaped so it broadcasts against the reduction's input. */
const kept = ({ reshape }: Builders, g: Node, x: Node, attrs: Attrs): Node => reshape(g, reducedShape(x.shape, { ...attrs, keepdims: true }));

function reduceEval(x: Tensor, attrs: Attrs, init: number, f: (acc: number, v: number) => number): Tensor {
  const axis = attrs.axis as number | null;
  const outer = axis === null ? 1 : sizeOf(x.shape.slice(0, axis));
  const len = axis === null ? sizeOf(x.shape) : x.shape[axis]!;
  const inner = axis === null ? 1 : sizeOf(x.shape.slice(axis + 1));
  const out = new Float64Array(outer * inner).fill(init);
  for (let o = 0; o < outer; o++)
    for (let k = 0; k < len; k++)
      for (let i = 0; i < inner; i++) out[o * inner + i] = f(out[o * inner + i]!, x.data[(o * len + k) * inner + i]!);
  return { shape: reducedShape(x.shape, attrs) as number[], data: out };
}

const axisNote = (a: Attrs) => (a.axis === null ? "" : `_axis${a.axis}`);

export const sumOp = defineOp({
  name: "sum",
  kind: "reduce",
  shape: ([x], a) => reducedShape(x!.shape, a),
  eval: ([x], a) => reduceEval(x!, a, 0, (s, v) => s + v),
  vjp: (g, { inputs: [x], attrs }, b) => [b.broadcastTo(kept(b, g, x!, attrs), x!.shape)],
  lowerKernel: (ctx) => lowerReduce(ctx),
  notation: ([a], attrs) => `Σ${axisNote(attrs)} ${a}`,
});

export const maxOp = defineOp({
  name: "max",
  kind: "reduce",
  shape: ([x], a) => reducedShape(x!.shape, a),
  eval: ([x], a) => reduceEval(x!, a, -Infinity, (m, v) => (v > m || v !== v ? v : m)),
  vjp: (g, node, b) => {
    const { broadcastTo, div, eq, mul, sum } = b;
    const x = node.inputs[0]!;
    const isMax = eq(x, broadcastTo(kept(b, node, x, node.attrs), x.shape));
    const ties = kept(b, sum(isMax, node.attrs.axis === null ? undefined : (node.attrs.axis as number), true), x, { ...node.attrs, keepdims: true });
    return [mul(isMax, broadcastTo(div(kept(b, g, x, node.attrs), ties), x.shape))];
  },
  lowerKernel: (ctx) => lowerReduce(ctx),
  notation: ([a], attrs) => `max${axisNote(attrs)} ${a}`,
});

// ── lowering ──────────────────────────────────────────────────────────────────────────────────────

function lowerReduce(ctx: KernelContext): KernelParts | string[] {
  const n = ctx.node;
  const x = n.inputs[0]!;
  const axis = n.attrs.axis as number | null;
  const isMax = n.op === "max";
  const init = isMax ? "-Infinity" : "0";
  // max: NaN wins (torch.amax), so a diverged value is never skipped.
  const combine = (acc: string, v: string) => (isMax ? `if (${v} > ${acc} || ${v} !== ${v}) ${acc} = ${v};` : `${acc} += ${v};`);
  const dims = x.shape;
  const overBatch = axis === null ? dims.some(isBatch) : isBatch(dims[axis]);
  const point = (target: (idx: readonly Index[]) => string) => (idx: readonly Index[], suffix: string) => {
    const { lines, value } = ctx.value(x, idx, suffix);
    let v = value;
    if (isMax && !isSimple(v)) {
      // max reads its operand three times: once, into a local.
      const t = ctx.local(`v${suffix}`);
      lines.push(`const ${t} = ${v};`);
      v = t;
    }
    return [...lines, combine(target(idx), v)];
  };
  // A reduction to a scalar is a full reduction whatever its axis (`sum(v, 0)` of a [batch] vector):
  // one accumulator, which may be the scalar local itself (a scalar has no array to fill).
  if (axis === null || n.shape.length === 0) {
    const scalarLocal = ctx.scalarLocal(n);
    const scalar = scalarLocal !== undefined;
    const acc = scalar ? scalarLocal : ctx.local("acc");
    const loops = unrolledNest(dims, point(() => acc));
    const finish = scalar ? [] : [`${ctx.write(n, n.shape.map(() => 0))} = ${acc};`];
    return { pre: [`let ${acc} = ${init};`], ...loops, post: [...(loops.post ?? []), ...finish], accumulates: overBatch };
  }
  // One axis: accumulate into the output, iterating the input in row-major order.
  const keep = dims.map((d, i) => (i === axis ? 1 : d));
  const strides = stridesOf(keep);
  const flat = (idx: readonly Index[]) => affine(keep.map((d, k) => [d === 1 ? 0 : idx[k]!, strides[k]!] as const));
  const rowSize = dims.slice(1).reduce<number>((s, d) => (typeof d === "number" ? s * d : Infinity), 1);
  const simd = simdColumnSums(ctx, rowSize);
  if (simd) return simd;
  if (axis === 0 && isBatch(dims[0]) && rowSize <= UNROLL_ELEMENTS && ctx.scalarLocal(n) === undefined) {
    // A small sum over the batch (a bias gradient) runs in scalar locals and is stored once.
    const sums = Array.from({ length: rowSize }, (_, q) => ctx.local(`${ctx.array(n)}_${q}`));
    const loops = unrolledNest(dims, point((idx) => sums[Number(flat(idx))]!));
    return { pre: sums.map((s) => `let ${s} = ${init};`), ...loops, post: [`// ${ctx.label(n)}: store the sums over the batch`, ...sums.map((s, q) => `${ctx.array(n)}[${q}] = ${s};`)], accumulates: true };
  }
  const target = (idx: readonly Index[]) => element(ctx.array(n), flat(idx)); // read and updated in place
  return { pre: [`${ctx.array(n)}.fill(${init});`], ...unrolledNest(dims, point(target)), accumulates: overBatch };
}

/**
 * float32 modules: a sum over the batch of a stored float32 array with rows longer than UNROLL_ELEMENTS
 * (a wide layer's bias gradient, Σ over the batch of its δ) on the runtime's WebAssembly (`columnSums`,
 * scripts/sums-wat.js; `sumRows` copies x in and the sums out): its rows added in order into zeroed sums, four
 * columns at a time. The same float32 additions in the same order as lowerReduce's JavaScript
 * loop (`s[j] += x[i, j]` into a Float32Array), so the same bits; ~10× faster than it on the MNIST
 * CNN's 4,608 columns. Null when it does not apply (max, another axis, a value computed inline or in
 * per-row locals, which the JavaScript loop sums in double precision as it goes).
 */
function simdColumnSums(ctx: KernelContext, rowSize: number): string[] | null {
  const n = ctx.node;
  const x = n.inputs[0]!;
  if (!ctx.simdGemm || n.op !== "sum" || n.attrs.axis !== 0 || !isBatch(x.shape[0]) || !Number.isFinite(rowSize) || rowSize <= UNROLL_ELEMENTS) return null;
  const array = ctx.stored(x); // none for integers
  if (array === undefined) return null;
  return [`// the rows added in order on the runtime's WebAssembly (four columns a vector)`, `${ctx.simdGemm}.sumRows(${array}, n, ${rowSize}, ${ctx.array(n)});`];
}

// ── the DSL functions (model.ts imports them from "gradc": ../dsl/index.ts re-exports them) ─────────

export function sum(x: Operand, axis?: number, keepdims = false): Node {
  return reduce(sumOp, tensorOf(x), axis, keepdims);
}
export function max(x: Operand, axis?: number, keepdims = false): Node {
  return reduce(maxOp, tensorOf(x), axis, keepdims);
}

function reduce(op: OpDef, x: Node, axis: number | undefined, keepdims: boolean): Node {
  if (axis === undefined || axis === null) return make(op, [x], { axis: null, keepdims });
  try {
    return make(op, [x], { axis: normalizeAxis(number(axis, `${op.name} axis`), x.shape.length), keepdims });
  } catch (e) {
    if (e instanceof GradcError) throw e;
    return fail(codes.badArgument, `${op.name}: ${(e as Error).message}`);
  }
}

/** Sums `g` down to `shape`: the adjoint of broadcasting `shape` up to g's shape. */
export function sumTo(g: Node, shape: Shape): Node {
  let r = g;
  const extra = g.shape.length - shape.length;
  for (let i = 0; i < extra; i++) r = sum(r, 0);
  for (let i = 0; i < shape.length; i++) if (shape[i] === 1 && r.shape[i] !== 1) r = sum(r, i, true);
  return r;
}
