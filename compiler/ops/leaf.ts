// Leaves: values that exist before any loop runs. The interpreter and the emitter bind them.
import type { Dim } from "../ir/shape.js";
import { defineOp } from "./op.js";

const bound = (what: string) => () => {
  throw new Error(`${what} has no intrinsic value: the interpreter binds it`);
};

/** A named model input; attrs { name, shape, dtype }. */
export const inputOp = defineOp({
  name: "input",
  kind: "leaf",
  shape: (_, a) => a.shape as Dim[],
  dtype: (_, a) => a.dtype as "f" | "i",
  eval: bound("input"),
  notation: (_, a) => String(a.name),
});

/** A trainable parameter; attrs { name, shape, init }. */
export const paramOp = defineOp({
  name: "param",
  kind: "leaf",
  shape: (_, a) => a.shape as number[],
  eval: bound("param"),
  notation: (_, a) => String(a.name),
});

/** A constant: attrs { value } for a scalar, { values, shape } for a tensor. */
export const constOp = defineOp({
  name: "const",
  kind: "leaf",
  shape: (_, a) => (a.shape as number[] | undefined) ?? [],
  eval: (_, a, shape) => ({ shape, data: Float64Array.from((a.values as number[] | undefined) ?? [a.value as number]) }),
  notation: (_, a) => (a.values ? `C${JSON.stringify(a.shape)}` : formatNumber(a.value as number)),
});

/** The run-time size of the symbolic batch dimension; attrs { name }. */
export const dimOp = defineOp({
  name: "dim",
  kind: "leaf",
  shape: () => [],
  eval: bound("dim"),
  notation: () => "N",
});

/** A constant as notation shows it: an integer exactly, others to 6 significant digits (tiny ones as 1.000e-4). */
export function formatNumber(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 1e-3 ? String(+v.toPrecision(6)) : v.toExponential(3);
}
