// Joining, cutting and indexing tensors: concat, slice, gather / embedding, pick (the ops are in
// ../ops/concat.ts, ../ops/slice.ts, ../ops/gather.ts, ../ops/pick.ts), and the internal ops their
// derivative rules use (sliceAxis, sliceGrad, scatterAdd, pickGrad) live in those op files.
import { codes, GradcError } from "../diagnostics.js";
import type { Node } from "../ir/node.js";
import { formatShape, normalizeAxis } from "../ir/shape.js";
import { fail, make } from "../ir/context.js";
import type { Tensor } from "./core.js";
import { concatOp } from "../ops/concat.js";
import { sliceAxis } from "../ops/slice.js";
import { gatherOp } from "../ops/gather.js";
import { pickOp } from "../ops/pick.js";

const isTensor = (x: unknown): x is Tensor => !!x && typeof x === "object" && "op" in x && "shape" in x;

function tensorArg(x: unknown, what: string): Tensor {
  if (!isTensor(x)) fail(codes.badArgument, `${what} must be a tensor, got ${x === null ? "null" : Array.isArray(x) ? "an array" : typeof x}`);
  return x;
}

function axisOf(axis: unknown, rank: number, what: string): number {
  if (typeof axis !== "number" || !Number.isInteger(axis)) fail(codes.badArgument, `${what}: axis must be an integer, got ${String(axis)}`);
  try {
    return normalizeAxis(axis, rank);
  } catch (e) {
    if (e instanceof GradcError) throw e;
    return fail(codes.badArgument, `${what}: ${(e as Error).message}`);
  }
}

// ── concat ──────────────────────────────────────────────────────────────────────────────────────

/**
 * Joins tensors along `axis` (default −1, the last; negative counts from the end), as torch.cat:
 * every other dimension must agree. The axis must be static (not the symbolic batch dimension).
 * Integer tensors (class labels, token ids) may be joined too; float and integer may not be mixed.
 */
export function concat(tensors: readonly Tensor[], axis = -1): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) fail(codes.badArgument, "concat: expects a non-empty array of tensors");
  const ts = tensors.map((x, k) => tensorArg(x, `concat: element ${k}`));
  const a = axisOf(axis, ts[0]!.shape.length, "concat");
  return ts.length === 1 ? ts[0]! : make(concatOp, ts, { axis: a });
}

// ── slice ───────────────────────────────────────────────────────────────────────────────────────

/** One axis of a slice: Python's x[start:end:step] along `axis`. */
export interface SliceSpec {
  /** The axis to slice (default −1, the last; negative counts from the end). */
  readonly axis?: number;
  /** First index kept (default 0); negative counts from the end. */
  readonly start?: number;
  /** One past the last index (default: the axis' size); negative counts from the end. */
  readonly end?: number;
  /** Distance between kept indices (default 1); a positive integer. */
  readonly step?: number;
}

/**
 * Python/NumPy slicing along one axis: `slice(x, { axis: 1, start: 2, end: -1, step: 2 })` is
 * `x[:, 2:-1:2]`. Negative start/end count from the end and out-of-range bounds are clamped to the
 * axis, as in Python; an empty result is an error, as is slicing the symbolic batch dimension.
 * Slice several axes by chaining calls.
 */
export function slice(x: Tensor, spec: SliceSpec): Tensor {
  const xt = tensorArg(x, "slice: x");
  if (!spec || typeof spec !== "object" || Array.isArray(spec)) fail(codes.badArgument, "slice: expects { axis?, start?, end?, step? } as its second argument");
  const axis = axisOf(spec.axis ?? -1, xt.shape.length, "slice");
  const size = xt.shape[axis]!;
  if (typeof size !== "number") fail(codes.shape, `slice: cannot slice the batch dimension (axis ${axis} of ${formatShape(xt.shape)})`);
  const int = (v: unknown, what: string) => {
    if (typeof v !== "number" || !Number.isInteger(v)) fail(codes.badArgument, `slice: ${what} must be an integer, got ${String(v)}`);
    return v;
  };
  const step = int(spec.step ?? 1, "step");
  if (step < 1) fail(codes.badArgument, `slice: step must be a positive integer, got ${step}`);
  const bound = (v: number) => Math.min(size, Math.max(0, v < 0 ? v + size : v));
  const start = bound(int(spec.start ?? 0, "start"));
  const end = bound(int(spec.end ?? size, "end"));
  const length = Math.max(0, Math.ceil((end - start) / step));
  if (length === 0) {
    fail(codes.shape, `slice: [${spec.start ?? ""}:${spec.end ?? ""}${step > 1 ? `:${step}` : ""}] of axis ${axis} of ${formatShape(xt.shape)} is empty`);
  }
  if (length === size) return xt;
  return sliceAxis(xt, axis, start, start + (length - 1) * step + 1, step);
}

// ── gather / embedding ──────────────────────────────────────────────────────────────────────────

/**
 * Rows of `table` picked by integer `indices` (NumPy's table[indices], torch.index_select on axis 0):
 * table [rows, ...rest] and indices of any shape give [...indices.shape, ...rest]. The indices must be
 * integers (an input declared with { dtype: "int" }) in [0, rows); they get no gradient.
 */
export function gather(table: Tensor, indices: Tensor): Tensor {
  const tt = tensorArg(table, "gather: table");
  const it = tensorArg(indices, "gather: indices");
  if (it.dtype !== "i") fail(codes.badArgument, `gather: indices must be integers (an input declared with { dtype: "int" }), got a float tensor ${formatShape(it.shape)}`);
  return make(gatherOp, [tt, it]);
}

/** An embedding lookup, as torch.nn.functional.embedding(indices, table): gather(table, indices). */
export function embedding(indices: Tensor, table: Tensor): Tensor {
  const it = tensorArg(indices, "embedding: indices");
  const tt = tensorArg(table, "embedding: table");
  if (it.dtype !== "i") fail(codes.badArgument, `embedding: indices must be integers (an input declared with { dtype: "int" }), got a float tensor ${formatShape(it.shape)}`);
  return make(gatherOp, [tt, it]);
}

// ── pick ────────────────────────────────────────────────────────────────────────────────────────

/**
 * One element of each row of `x`, at the column an integer index names: x [..., C] and indices [...]
 * (x's shape without its last axis) give [...], with pick(x, a)[r] = x[r, a[r]] — torch.gather(x, -1,
 * a.unsqueeze(-1)).squeeze(-1), NumPy's take_along_axis on the last axis, MXNet's `pick`. The
 * log-probability of the action taken is `pick(logSoftmax(logits), actions)`. The indices must be
 * integers in [0, C); they get no gradient.
 */
export function pick(x: Tensor, indices: Tensor): Tensor {
  const xt = tensorArg(x, "pick: x");
  const it = tensorArg(indices, "pick: indices");
  if (it.dtype !== "i") fail(codes.badArgument, `pick: indices must be integers (an input declared with { dtype: "int" }), got a float tensor ${formatShape(it.shape)}`);
  return make(pickOp, [xt, it]);
}
