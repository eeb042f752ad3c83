// Every DSL function: the public ones model.ts imports from "gradc" (re-exported by ./index.ts) and
// the internal ones derivative rules use (broadcastTo, sumTo, step, eq, onehot, dim).
//
// A DSL call adds one node to the ambient builder (see ./context.ts); numbers become constants.

import { codes, GradcError } from "../diagnostics.js";
import type { Loc } from "../ir/loc.js";
import type { Node } from "../ir/node.js";
import { batchDims, broadcastShapes, formatShape, normalizeAxis, staticPart, type Dim, type Shape } from "../ir/shape.js";
import { callerLoc, context, fail, make } from "./context.js";
import { resolveInit, type InitOption } from "./init.js";

export type Tensor = Node;
export type Operand = Tensor | number;

const t = (x: Operand): Tensor => (typeof x === "number" ? scalar(x) : checkTensor(x));

function checkTensor(x: unknown): Tensor {
  if (!x || typeof x !== "object" || !("op" in x) || !("shape" in x)) {
    fail(codes.badArgument, `expected a tensor or a number, got ${describe(x)}`);
  }
  return x as Tensor;
}

const describe = (x: unknown): string => (x === null ? "null" : Array.isArray(x) ? "an array" : typeof x);

// ── leaves ──────────────────────────────────────────────────────────────────────────────────────

export const scalar = (value: number): Tensor => {
  if (typeof value !== "number" || Number.isNaN(value)) fail(codes.badArgument, `a constant must be a number, got ${String(value)}`);
  return make("const", [], { value });
};

/** A constant tensor from nested arrays (or a flat array with an explicit shape). */
export function constant(values: number | readonly unknown[], shape?: readonly number[]): Tensor {
  if (typeof values === "number") return scalar(values);
  const flat = flatten(values);
  const s = shape ?? nestedShape(values);
  if (flat.length !== s.reduce((a, b) => a * b, 1)) fail(codes.badArgument, `constant: ${flat.length} values do not fill shape ${formatShape(s)}`);
  return make("const", [], { values: flat, shape: s });
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
  const node = make("input", [], { name, shape: resolved, dtype }, name);
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
  const node = make("param", [], { name, shape: [...shape], init }, name);
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
  return fixed !== undefined ? scalar(fixed) : make("dim", [], { name });
};

// ── elementwise ─────────────────────────────────────────────────────────────────────────────────

const unary = (op: string) => (x: Operand): Tensor => make(op, [t(x)]);
const binary = (op: string) => (a: Operand, b: Operand): Tensor => make(op, [t(a), t(b)]);

export const add = binary("add");
export const sub = binary("sub");
export const mul = binary("mul");
export const div = binary("div");
export const pow = binary("pow");
export const neg = unary("neg");
export const exp = unary("exp");
export const log = unary("log");
export const sqrt = unary("sqrt");
export const square = unary("square");
export const abs = unary("abs");
export const sign = unary("sign");
export const sigmoid = unary("sigmoid");
export const tanh = unary("tanh");
export const relu = unary("relu");
export const softplus = unary("softplus");
export const leakyRelu = (x: Operand, alpha = 0.01): Tensor => make("leakyRelu", [t(x)], { alpha: number(alpha, "leakyRelu alpha") });
/** [x > 0] as 1 or `below` (relu' and leakyRelu'). */
export const step = (x: Operand, below = 0): Tensor => make("step", [t(x)], { below });
/** [a = b] as 1 or 0 (which elements attain a max). */
export const eq = binary("eq");
/** The error function (2/√π)∫₀ˣ e^(−t²) dt, as torch.erf. */
export const erf = unary("erf");

/**
 * GELU, x·Φ(x) with Φ the standard normal CDF (torch's nn.GELU): `approximate: "none"` (the default) is
 * the exact form ½x(1 + erf(x/√2)), `"tanh"` the approximation ½x(1 + tanh(√(2/π)(x + 0.044715x³))).
 */
export function gelu(x: Operand, options: { approximate?: "none" | "tanh" } = {}): Tensor {
  if (!options || typeof options !== "object") fail(codes.badArgument, `gelu: options must be an object like { approximate: "tanh" }, got ${describe(options)}`);
  for (const k of Object.keys(options)) if (k !== "approximate") fail(codes.badArgument, `gelu: unknown option "${k}" (approximate)`);
  const approximate = options.approximate ?? "none";
  if (approximate !== "none" && approximate !== "tanh") fail(codes.badArgument, `gelu: approximate must be "none" or "tanh" (as torch's nn.GELU), got ${JSON.stringify(approximate)}`);
  return make("gelu", [t(x)], { approximate });
}

// ── comparisons and selection (see ../ops/compare.ts) ──────────────────────────────────────────────

/** [a > b] as 1 or 0 (a float: a mask to multiply with, or a condition for `where`); no gradient. NaN compares false. */
export const greater = binary("greater");
/** [a ≥ b] as 1 or 0. */
export const greaterEqual = binary("greaterEqual");
/** [a < b] as 1 or 0: greater(b, a). */
export const less = (a: Operand, b: Operand): Tensor => greater(b, a);
/** [a ≤ b] as 1 or 0: greaterEqual(b, a). */
export const lessEqual = (a: Operand, b: Operand): Tensor => greaterEqual(b, a);
/** [a = b] as 1 or 0 (NaN equals nothing). */
export const equal = eq;

/** a where `condition` is non-zero (as torch.where(condition.bool(), a, b): NaN counts as true), else b; all three broadcast. */
export const where = (condition: Operand, a: Operand, b: Operand): Tensor => make("where", [t(condition), t(a), t(b)]);
/** The elementwise maximum (torch.maximum): NaN if either is NaN; ties split the gradient equally. */
export const maximum = binary("maximum");
/** The elementwise minimum (torch.minimum): NaN if either is NaN; ties split the gradient equally. */
export const minimum = binary("minimum");

/**
 * x limited to [min, max] (torch.clamp; give either bound or both, as numbers; ±Infinity is allowed):
 * NaN stays NaN, min > max gives max everywhere, and the gradient passes where min ≤ x ≤ max (bounds
 * included). For tensor bounds use maximum and minimum.
 */
export function clamp(x: Operand, min?: number | null, max?: number | null): Tensor {
  const lo = min ?? null, hi = max ?? null;
  for (const [v, what] of [[lo, "min"], [hi, "max"]] as const) {
    if (v === null) continue;
    if (typeof v !== "number") fail(codes.badArgument, `clamp: ${what} must be a number${typeof v === "object" ? " (for a tensor bound use maximum/minimum)" : ""}, got ${describe(v)}`);
    if (Number.isNaN(v)) fail(codes.badArgument, `clamp: ${what} must be a number, got NaN`);
  }
  if (lo === null && hi === null) fail(codes.badArgument, "clamp: give a min, a max or both (clamp(x, 0, 6), clamp(x, 0), clamp(x, null, 1))");
  return make("clamp", [t(x)], { min: lo, max: hi });
}

// ── reductions ──────────────────────────────────────────────────────────────────────────────────

export const sum = (x: Operand, axis?: number, keepdims = false): Tensor => reduce("sum", t(x), axis, keepdims);
export const max = (x: Operand, axis?: number, keepdims = false): Tensor => reduce("max", t(x), axis, keepdims);

function reduce(op: string, x: Tensor, axis: number | undefined, keepdims: boolean): Tensor {
  if (axis === undefined || axis === null) return make(op, [x], { axis: null, keepdims });
  try {
    return make(op, [x], { axis: normalizeAxis(number(axis, `${op} axis`), x.shape.length), keepdims });
  } catch (e) {
    if (e instanceof GradcError) throw e;
    return fail(codes.badArgument, `${op}: ${(e as Error).message}`);
  }
}

/** Mean over one axis or over all elements: sum divided by the count (the batch size is a run-time value). */
export function mean(x: Operand, axis?: number, keepdims = false): Tensor {
  const xt = t(x);
  const dims = axis === undefined || axis === null ? xt.shape : [xt.shape[normalizeAxisOrFail(axis, xt.shape.length)]!];
  return div(sum(xt, axis, keepdims), count(dims));
}

const normalizeAxisOrFail = (axis: number, rank: number): number => {
  try {
    return normalizeAxis(axis, rank);
  } catch (e) {
    return fail(codes.badArgument, (e as Error).message);
  }
};

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

// ── layout ──────────────────────────────────────────────────────────────────────────────────────

export function reshape(x: Operand, shape: readonly Dim[]): Tensor {
  const xt = t(x);
  return make("reshape", [xt], { shape: resolveShape(shape, "reshape", xt) });
}

export function transpose(x: Operand, perm?: readonly number[]): Tensor {
  const xt = t(x);
  const p = perm ?? xt.shape.map((_, i) => xt.shape.length - 1 - i);
  if (p.every((a, i) => a === i)) return xt;
  return make("transpose", [xt], { perm: [...p] });
}

export const broadcastTo = (x: Operand, shape: Shape): Tensor => {
  const xt = t(x);
  return xt.shape.length === shape.length && xt.shape.every((d, i) => d === shape[i]) ? xt : make("broadcastTo", [xt], { shape: [...shape] });
};

/** Sums `g` down to `shape`: the adjoint of broadcasting `shape` up to g's shape. */
export function sumTo(g: Tensor, shape: Shape): Tensor {
  let r = g;
  const extra = g.shape.length - shape.length;
  for (let i = 0; i < extra; i++) r = sum(r, 0);
  for (let i = 0; i < shape.length; i++) if (shape[i] === 1 && r.shape[i] !== 1) r = sum(r, i, true);
  return r;
}

// ── linear algebra ──────────────────────────────────────────────────────────────────────────────

/** Matrix product; a vector on the left is a row (x·W), on the right a column (W·v). */
export function matmul(a: Operand, b: Operand, options: { transA?: boolean; transB?: boolean } = {}): Tensor {
  const at = t(a), bt = t(b);
  if (at.shape.length === 1 && bt.shape.length === 2) return reshape(matmul(reshape(at, [1, at.shape[0]!]), bt, options), [bt.shape[options.transB ? 0 : 1]!]);
  if (at.shape.length === 2 && bt.shape.length === 1) return reshape(matmul(at, reshape(bt, [bt.shape[0]!, 1]), options), [at.shape[options.transA ? 1 : 0]!]);
  return make("matmul", [at, bt], { transA: !!options.transA, transB: !!options.transB });
}

// ── softmax and losses ──────────────────────────────────────────────────────────────────────────

export const softmax = (x: Operand): Tensor => make("softmax", [t(x)]);
export const logSoftmax = (x: Operand): Tensor => make("logSoftmax", [t(x)]);

/**
 * log Σ exp(x) along one axis, or over every element when axis is omitted (torch.logsumexp), computed
 * stably: the largest element is factored out (not when it is ±∞, as torch). The op works along the
 * last axis (../ops/softmax.ts); another axis is moved last with a transpose, and "every element"
 * is one axis after another, last first.
 */
export function logSumExp(x: Operand, axis?: number, keepdims = false): Tensor {
  const xt = t(x);
  const rank = xt.shape.length;
  if (axis === undefined || axis === null) {
    if (rank === 0) return make("logSumExp", [reshape(xt, [1])]);
    let r = xt;
    while (r.shape.length > 0) r = make("logSumExp", [r]);
    return keepdims ? reshape(r, xt.shape.map(() => 1)) : r;
  }
  const a = normalizeAxisOrFail(number(axis, "logSumExp axis"), rank);
  const last = a === rank - 1 ? xt : transpose(xt, [...xt.shape.keys()].filter((k) => k !== a).concat(a));
  const r = make("logSumExp", [last]);
  return keepdims ? reshape(r, xt.shape.map((d, k) => (k === a ? 1 : d))) : r;
}
export const onehot = (labels: Tensor, classes: number): Tensor => make("onehot", [labels], { classes });

/** Per-row −Σ targets·logSoftmax(logits): integer labels [rows] or target rows [rows, classes]. */
export const softmaxCrossEntropyRows = (logits: Operand, targets: Tensor): Tensor => make("softmaxCE", [t(logits), checkTensor(targets)]);

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

function number(v: unknown, what: string): number {
  if (typeof v !== "number" || !Number.isFinite(v)) fail(codes.badArgument, `${what} must be a finite number, got ${String(v)}`);
  return v;
}

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

/** Checks dims; names the symbolic batch dimension (one name per model) or fixes it with --batch. */
function resolveShape(shape: readonly Dim[], what: string, like?: Tensor): Dim[] {
  const ctx = context();
  if (!Array.isArray(shape)) fail(codes.badArgument, `${what}: shape must be an array, got ${describe(shape)}`);
  return shape.map((d) => {
    if (typeof d === "number") {
      if (!Number.isInteger(d) || d <= 0) fail(codes.badArgument, `${what}: dimensions must be positive integers, got ${d}`);
      return d;
    }
    if (typeof d !== "string" || !d) fail(codes.badArgument, `${what}: a dimension must be a number or the batch name, got ${describe(d)}`);
    if (ctx.batchDim && ctx.batchDim !== d) fail(codes.batch, `${what}: only one symbolic dimension is allowed ("${ctx.batchDim}"), got "${d}"`);
    ctx.batchDim = d;
    void like;
    return ctx.fixedBatch ?? d;
  });
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
