// concat(x₁, …, x_k) along one axis (attrs.axis, normalized), as torch.cat. Every other dimension
// agrees; the axis is static. The derivative hands each input its own part of the adjoint:
//   ∂L/∂x_m = g[…, o_m : o_m + len_m, …]        (o_m = len_1 + … + len_{m−1})
// Lowered to copy loops: the loops over the axes before `axis` are shared, then one copy per input.
import { formatShape, ShapeError, type Dim } from "../ir/shape.js";
import { sizeOf } from "../ir/tensor.js";
import { axisVars, loopNest, strided } from "./kernelLoops.js";
import { defineOp } from "./op.js";
import { sliceAxis } from "./slice.js";

export const concatOp = defineOp({
  name: "concat",
  kind: "kernel",
  carries: (n) => n.inputs.map((_, k) => k), // integer labels joined stay the same labels
  shape: (inputs, { axis }) => {
    const a = axis as number;
    const first = inputs[0];
    if (!first) throw new ShapeError("needs at least one tensor");
    if (!Number.isInteger(a) || a < 0 || a >= first.shape.length) throw new ShapeError(`axis ${String(axis)} is out of range for ${formatShape(first.shape)}`);
    const all = inputs.map((x) => formatShape(x.shape)).join(", ");
    let total = 0;
    for (const x of inputs) {
      if (x.dtype !== first.dtype) throw new ShapeError(`cannot join integer and float tensors (${all})`);
      if (x.shape.length !== first.shape.length) throw new ShapeError(`tensors of different ranks cannot be joined: ${all}`);
      const d = x.shape.findIndex((dim, k) => k !== a && dim !== first.shape[k]);
      if (d >= 0) throw new ShapeError(`along axis ${a}, every other dimension must agree: ${all} differ in dimension ${d}`);
      const len = x.shape[a]!;
      if (typeof len !== "number") throw new ShapeError(`cannot join along the batch dimension (axis ${a} of ${all})`);
      total += len;
    }
    return first.shape.map((d, k): Dim => (k === a ? total : d));
  },
  dtype: (inputs) => inputs[0]!.dtype,
  eval: (inputs, { axis }, shape) => {
    const a = axis as number;
    const outer = sizeOf(shape.slice(0, a));
    const out = new Float64Array(sizeOf(shape));
    let at = 0;
    for (let o = 0; o < outer; o++)
      for (const x of inputs) {
        const chunk = x.data.length / outer;
        out.set(x.data.subarray(o * chunk, (o + 1) * chunk), at);
        at += chunk;
      }
    return { shape, data: out };
  },
  vjp: (g, { inputs, attrs: { axis } }) => {
    const a = axis as number;
    let offset = 0;
    return inputs.map((x) => {
      const len = x.shape[a] as number;
      const part = x.dtype === "i" ? null : sliceAxis(g, a, offset, offset + len);
      offset += len;
      return part;
    });
  },
  lowerKernel(ctx, { axis }) {
    const a = axis as number;
    const out = ctx.output;
    const vars = axisVars(ctx, out.dims.length);
    return loopNest(out.dims.slice(0, a), vars, (outer) => {
      const lines: string[] = [];
      let offset = 0;
      for (const x of ctx.inputs) {
        const at = offset;
        lines.push(
          ...loopNest(x.dims.slice(a), vars.slice(a), (rest) => [`${out.at(...outer, strided(rest[0]!, at), ...rest.slice(1))} = ${x.at(...outer, ...rest)};`]),
        );
        offset += x.dims[a] as number;
      }
      return lines;
    });
  },
  notation: (args, { axis }) => `concat_axis${String(axis)}(${args.join(", ")})`,
});
