// The DSL functions that are not one op's own: the leaves a model declares (input, param, constant,
// zeros, dim) and the compositions of ops (mean, count, the losses). Each op's own function lives in
// the op's file (../ops/*.ts: `export const softplus = unary(softplusOp)`) and is re-exported here, so
// the DSL's files and the tests import one place; ./index.ts is what model.ts sees ("gradc").
//
// A DSL call adds one node to the ambient builder (see ../ir/context.ts); numbers become constants.

import { codes, GradcError } from "../diagnostics.js";
import { callerLoc, context, fail, make } from "../ir/context.js";
import type { Loc } from "../ir/loc.js";
import { batchDims, broadcastShapes, formatShape, staticPart, type Dim, type Shape } from "../ir/shape.js";
import { checkTensor, describe, normalizeAxisOrFail, resolveShape, scalar, tensorOf as t, type Operand, type Tensor } from "../ops/build.js";
import { onehot, softmaxCrossEntropyRows } from "../ops/crossEntropy.js";
import { broadcastTo } from "../ops/layout.js";
import { constOp, dimOp, inputOp, paramOp } from "../ops/leaf.js";
import { add, div, log, mul, neg, square, sub } from "../ops/math.js";
import { sum } from "../ops/reduce.js";
import { resolveInit, type InitOption } from "./init.js";

export type { Operand, Tensor } from "../ops/build.js";
export { scalar } from "../ops/build.js";
export { add, sub, mul, div, pow, neg, exp, log, sqrt, square, abs, sign, eq, erf } from "../ops/math.js";
export { sigmoid, tanh, relu, softplus, leakyRelu, step, gelu } from "../ops/activations.js";
export { greater, greaterEqual, less, lessEqual, equal, where, maximum, minimum, clamp } from "../ops/compare.js";
export { sum, max, sumTo } from "../ops/reduce.js";
export { reshape, transpose, broadcastTo } from "../ops/layout.js";
export { matmul } from "../ops/matmul.js";
export { softmax, logSoftmax, logSumExp } from "../ops/softmax.js";
export { onehot, softmaxCrossEntropyRows } from "../ops/crossEntropy.js";

// ── leaves ──────────────────────────────────────────────────────────────────────────────────────

/** A constant tensor from nested arrays (or a flat array with an explicit shape). */
export function constant(values: number | readonly unknown[], shape?: readonly number[]): Tensor {
  if (typeof values === "number") return scalar(values);
  const flat = flatten(values);
  const s = shape ?? nestedShape(values);
  if (flat.length !== s.reduce((a, b) => a * b, 1)) fail(codes.badArgument, `constant: ${flat.length} values do not fill shape ${formatShape(s)}`);
  return make(constOp, [], { values: flat, shape: s });
}

export function input(name: string, shape: readonly Dim[], options: { dtype?: "float" | "int" } = {}): Tensor {
  const ctx = context();
  declare(name, "input");
  const dtype = options.dtype === "int" ? "i" : "f";
  if (options.dtype !== undefined && options.dtype !== "int" && options.dtype !== "float") {
    fail(codes.badArgument, `input "${name}": dtype must be "float" or "int", got ${JSON.stringify(options.dtype)}`);
  }
  const resolved = resolveShape(shape, `input "${name}"`);
  // The batch size is read from an input's length: n·k values, never n². Values may have the batch
  // dimension twice (a [batch, batch] similarity matrix); inputs may not.
  if (batchDims(resolved) > 1) fail(codes.batch, `input "${name}": the batch dimension may appear only once in an input's shape (its length gives the batch size), got ${formatShape(resolved)}`);
  const node = make(inputOp, [], { name, shape: resolved, dtype }, name);
  ctx.inputs.push(node);
  return node;
}

export function param(name: string, shape: readonly number[], options: { init?: InitOption; [k: string]: unknown } = {}): Tensor {
  const ctx = context();
  declare(name, "param");
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    fail(codes.badArgument, `param "${name}": shape must be positive integers, got ${JSON.stringify(shape)}`);
  }
  const init = resolveInit(name, shape, options);
  const node = make(paramOp, [], { name, shape: [...shape], init }, name);
  ctx.params.push(node);
  return node;
}

/** A tensor of zeros; the shape may name the batch dimension (`zeros(["batch", 16])`, an RNN's first state). */
export function zeros(shape: readonly Dim[]): Tensor {
  return broadcastTo(scalar(0), resolveShape(shape, "zeros"));
}

/** The run-time size of the batch dimension, as a scalar. */
export const dim = (name: string): Tensor => {
  const fixed = context().fixedBatch;
  return fixed !== undefined ? scalar(fixed) : make(dimOp, [], { name });
};

// ── reductions ──────────────────────────────────────────────────────────────────────────────────

/** Mean over one axis or over all elements: sum divided by the count (the batch size is a run-time value). */
export function mean(x: Operand, axis?: number, keepdims = false): Tensor {
  const xt = t(x);
  const dims = axis === undefined || axis === null ? xt.shape : [xt.shape[normalizeAxisOrFail(axis, xt.shape.length)]!];
  return div(sum(xt, axis, keepdims), count(dims));
}

/** The number of elements in `dims`, a constant unless the batch dimension is among them. */
export function count(dims: Shape): Tensor {
  let k = 1;
  let n: Tensor | null = null;
  for (const d of dims) {
    if (typeof d === "number") k *= d;
    else n = n ? mul(n, dim(d)) : dim(d);
  }
  return n ? (k === 1 ? n : mul(n, k)) : scalar(k);
}

// ── softmax and losses ──────────────────────────────────────────────────────────────────────────

/** Cross-entropy of logits against class labels or one-hot rows, averaged over the rows (PyTorch's CrossEntropyLoss). */
export const softmaxCrossEntropy = (logits: Operand, labels: Tensor): Tensor => mean(softmaxCrossEntropyRows(logits, labels));

/** Mean squared error over all elements (PyTorch's MSELoss). */
export function mse(prediction: Operand, target: Operand): Tensor {
  const p = t(prediction), y = t(target);
  checkLossOperands("mse", p, y);
  return mean(square(sub(p, y)));
}

/** −mean over rows of Σ targets·log(probabilities); labels may be integer classes. */
export function crossEntropy(probabilities: Operand, targets: Tensor): Tensor {
  const p = t(probabilities);
  const tt = checkTensor(targets).dtype === "i" ? onehot(targets, classesOf(p)) : targets;
  checkLossOperands("crossEntropy", p, tt);
  return mean(neg(sum(mul(tt, log(p)), -1)));
}

/** −mean(t·log p + (1−t)·log(1−p)) over all elements (PyTorch's BCELoss, without its clamp at −100). */
export function binaryCrossEntropy(probabilities: Operand, targets: Operand): Tensor {
  const p = t(probabilities), y = t(targets);
  checkLossOperands("binaryCrossEntropy", p, y);
  return mean(neg(add(mul(y, log(p)), mul(sub(1, y), log(sub(1, p))))));
}

/**
 * A loss compares each prediction with its target, so the two may broadcast only to the shape of one of
 * them (a scalar target, a target row shared by every example). Broadcasting to a larger shape than
 * either changes what the loss means: mse(pred [batch, 1], y [batch]) would compare every prediction
 * with every target, a [batch, batch] loss (PyTorch only warns). That is a GC2009 error saying how to
 * give them one shape. Shapes that do not broadcast at all are left to the op's own GC2001.
 */
function checkLossOperands(loss: string, prediction: Tensor, target: Tensor): void {
  let both: Shape;
  try {
    both = broadcastShapes(prediction.shape, target.shape);
  } catch {
    return;
  }
  if (!isLarger(both, prediction.shape) || !isLarger(both, target.shape)) return;
  const targetName = target.op === "input" || target.op === "param" ? String(target.attrs.name) : "target";
  const sameSize = batchDims(prediction.shape) === batchDims(target.shape) && staticPart(prediction.shape) === staticPart(target.shape);
  const fix = sameSize
    ? `give them one shape, e.g. reshape(${targetName}, ${dslShape(prediction.shape)})`
    : `give them one shape: the prediction has ${elementsPerExample(prediction.shape)} and the target ${elementsPerExample(target.shape)}`;
  fail(
    codes.lossBroadcast,
    `${loss}: the prediction ${formatShape(prediction.shape)} and the target ${formatShape(target.shape)} broadcast to ${formatShape(both)}, ` +
      `which would compare every prediction with every target; ${fix}`,
  );
}

/** Whether shape a has more elements than b at every batch size (n² beats any n·k). */
const isLarger = (a: Shape, b: Shape): boolean => batchDims(a) > batchDims(b) || (batchDims(a) === batchDims(b) && staticPart(a) > staticPart(b));

/** A shape as model.ts writes it: ["batch", 1]. */
const dslShape = (s: Shape): string => `[${s.map((d) => JSON.stringify(d)).join(", ")}]`;

const elementsPerExample = (s: Shape): string => {
  const k = staticPart(s);
  const what = `${k} element${k === 1 ? "" : "s"}`;
  return batchDims(s) ? `${what} per example` : `${what} in all`;
};

const classesOf = (p: Tensor): number => {
  const c = p.shape[p.shape.length - 1];
  if (typeof c !== "number") fail(codes.shape, `the class dimension must be static, got ${formatShape(p.shape)}`);
  return c;
};

// ── helpers ─────────────────────────────────────────────────────────────────────────────────────

function declare(name: unknown, kind: string): void {
  const ctx = context();
  if (typeof name !== "string" || name.length === 0) fail(codes.badArgument, `${kind} name must be a non-empty string, got ${describe(name)}`);
  checkNotReserved(name, kind);
  const earlier = ctx.names.get(name);
  if (earlier) fail(codes.duplicate, `duplicate name "${name}": already declared at ${earlier.line}:${earlier.col}`);
  ctx.names.set(name, callerLoc());
}

/**
 * Names every JavaScript object already has, from Object.prototype: `__proto__`, `constructor`,
 * `toString`, `hasOwnProperty`, `valueOf`, … Inputs, params and outputs are keys of plain objects in
 * the generated module, the runtime and the user's own code (`{ x, y }`, `params.W1`, checkpoints), where
 * such a key is not an ordinary property: `{ __proto__: w }` sets a prototype instead of a field, and a
 * missing `inputs.constructor` reads Object instead of undefined. Rather than make every one of those
 * objects null-prototype (the user's included, which we cannot), these names are refused (GC2010).
 */
const RESERVED_NAMES: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));

/** "proto" for "__proto__", "constructor_" for "constructor". */
const alternative = (name: string): string => (name.startsWith("__") ? name.replace(/_/g, "") : `${name}_`);

/** Refuses a name that collides with Object.prototype (see RESERVED_NAMES). */
export function checkNotReserved(name: string, kind: string, loc?: Loc): void {
  if (!RESERVED_NAMES.has(name)) return;
  const message =
    `${kind} name "${name}" is reserved: every JavaScript object already has a "${name}" (from Object.prototype), ` +
    `so the objects that hold inputs, parameters and outputs by name could not hold this one; choose another name, e.g. "${alternative(name)}"`;
  if (loc) throw new GradcError(codes.reservedName, message, loc);
  fail(codes.reservedName, message);
}

function flatten(v: readonly unknown[]): number[] {
  const out: number[] = [];
  const walk = (x: unknown) => {
    if (Array.isArray(x) || ArrayBuffer.isView(x)) for (const e of Array.from(x as ArrayLike<unknown>)) walk(e);
    else if (typeof x === "number" && Number.isFinite(x)) out.push(x);
    else fail(codes.badArgument, `constant values must be finite numbers, got ${String(x)}`);
  };
  walk(v);
  return out;
}

function nestedShape(v: unknown): number[] {
  const s: number[] = [];
  let x: unknown = v;
  while (Array.isArray(x)) {
    s.push(x.length);
    x = x[0];
  }
  return s;
}
