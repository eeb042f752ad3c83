// What an op file's DSL function is made of (`export const softplus = unary(softplusOp)`): an operand
// is a tensor or a number (a constant), checked where the model passes it; `make` (../ir/context.ts)
// adds the node to the ambient builder, located at the model.ts call. Shared by every op file, so an
// op's DSL function lives in the op's own file and no op file imports compiler/dsl.
// A DSL function written by hand is a function declaration, not an arrow-function const: models are
// type-checked against these sources, and a declaration's type is its signature whatever its body
// becomes (under mutation testing an arrow const's type turned into a union with `() => undefined`).
import { codes } from "../../runtime/errors.js";
import { context, fail, make } from "../ir/context.js";
import type { Node } from "../ir/node.js";
import { normalizeAxis, type Dim } from "../ir/shape.js";
import { constOp } from "./leaf.js";
import type { OpDef, Operand } from "./op.js";

export type Tensor = Node;
export type { Operand } from "./op.js";

/** A tensor operand as a node: a number becomes a constant; anything else is a located error (codes.badArgument). */
export function tensorOf(x: Operand): Tensor {
  return typeof x === "number" ? scalar(x) : checkTensor(x);
}

export function checkTensor(x: unknown): Tensor {
  if (!x || typeof x !== "object" || !("op" in x) || !("shape" in x)) {
    fail(codes.badArgument, `expected a tensor or a number, got ${describe(x)}`);
  }
  return x as Tensor;
}

export function describe(x: unknown): string {
  return x === null ? "null" : Array.isArray(x) ? "an array" : typeof x;
}

/** A scalar constant. */
export function scalar(value: number): Tensor {
  if (typeof value !== "number" || Number.isNaN(value)) fail(codes.badArgument, `a constant must be a number, got ${String(value)}`);
  return make(constOp, [], { value });
}

/** The DSL function of an op of one or two tensor operands. */
export function unary(op: OpDef): (x: Operand) => Tensor {
  return (x) => make(op, [tensorOf(x)]);
}
export function binary(op: OpDef): (a: Operand, b: Operand) => Tensor {
  return (a, b) => make(op, [tensorOf(a), tensorOf(b)]);
}

/** A finite number argument, or a located error naming it. */
export function number(v: unknown, what: string): number {
  if (typeof v !== "number" || !Number.isFinite(v)) fail(codes.badArgument, `${what} must be a finite number, got ${String(v)}`);
  return v;
}

/** An axis normalized (negative counts from the end), or a located error. */
export const normalizeAxisOrFail = (axis: number, rank: number): number => {
  try {
    return normalizeAxis(axis, rank);
  } catch (e) {
    return fail(codes.badArgument, (e as Error).message);
  }
};

/** Checks dims; names the symbolic batch dimension (one name per model) or fixes it with --batch. */
export function resolveShape(shape: readonly Dim[], what: string, like?: Tensor): Dim[] {
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
