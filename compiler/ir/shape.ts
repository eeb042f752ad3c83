// Shapes are static: every dimension is a number, except the one named batch dimension, which stays
// a string (its name) until run time or until `--batch N` fixes it.

export type Dim = number | string;
export type Shape = readonly Dim[];

/** Raised by shape rules; the tracer turns it into a GC2001 diagnostic at the call's location. */
export class ShapeError extends Error {}

export const formatShape = (s: Shape): string => `[${s.join(", ")}]`;

export const sameShape = (a: Shape, b: Shape): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

export const isStatic = (s: Shape): boolean => s.every((d) => typeof d === "number");

/** Number of elements, or null when the batch dimension is part of the shape. */
export function staticSize(s: Shape): number | null {
  let n = 1;
  for (const d of s) {
    if (typeof d !== "number") return null;
    n *= d;
  }
  return n;
}

/** Product of the static dimensions (the size of one batch row when the batch is symbolic). */
export const staticPart = (s: Shape): number => s.reduce<number>((n, d) => (typeof d === "number" ? n * d : n), 1);

/**
 * How many times the symbolic batch dimension occurs in a shape: a value of the shape holds
 * n^batchDims · staticPart elements (a similarity matrix [batch, batch] holds n², not n).
 */
export const batchDims = (s: Shape): number => s.reduce<number>((k, d) => (typeof d === "number" ? k : k + 1), 0);

/** NumPy broadcasting: align on the right; equal dims, or one of them 1. */
export function broadcastShapes(a: Shape, b: Shape): Shape {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const da = i < rank - a.length ? 1 : a[i - (rank - a.length)]!;
    const db = i < rank - b.length ? 1 : b[i - (rank - b.length)]!;
    if (da === db || db === 1) out.push(da);
    else if (da === 1) out.push(db);
    else throw new ShapeError(`shapes ${formatShape(a)} and ${formatShape(b)} do not broadcast (dimension ${i}: ${da} vs ${db})`);
  }
  return out;
}

/** Normalizes a possibly negative axis; throws for an axis outside the rank. */
export function normalizeAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new ShapeError(`axis ${axis} is out of range for a tensor of rank ${rank}`);
  return a;
}

/** Row-major strides; a symbolic dimension contributes its name as a factor. */
export function strides(s: Shape): Dim[][] {
  const out: Dim[][] = [];
  let acc: Dim[] = [];
  for (let i = s.length - 1; i >= 0; i--) {
    out[i] = acc;
    acc = s[i] === 1 ? acc : [...acc, s[i]!];
  }
  return out;
}
