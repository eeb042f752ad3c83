// Helpers for kernel templates (lowerKernel): loop nests over a tensor's dimensions, written the way
// a person would write them. A dimension of size 1 gets no loop (its index is the literal 0); the
// batch dimension's bound is the run-time `n`.
import type { KernelContext } from "./op.js";

export type Index = string | number;

/**
 * Loop variables named after the axis they run over: `${hint}0`, `${hint}1`, … (made unique by
 * ctx.local). Sibling loops over the same axis can share a name.
 */
export const axisVars = (ctx: KernelContext, rank: number, hint = "i"): string[] =>
  Array.from({ length: rank }, (_, k) => ctx.local(`${hint}${k}`));

/**
 * `for` loops over `dims` (outermost first) around `body(index)`, whose index has one entry per
 * dimension: the loop variable `vars[k]`, or 0 for a dimension of size 1 (no loop).
 */
export function loopNest(dims: readonly (number | "n")[], vars: readonly string[], body: (index: Index[]) => string[]): string[] {
  const index: Index[] = [];
  const open: string[] = [];
  dims.forEach((d, k) => {
    if (d === 1) {
      index.push(0);
      return;
    }
    const v = vars[k]!;
    index.push(v);
    open.push(`for (let ${v} = 0; ${v} < ${d}; ${v}++) {`);
  });
  return [...open, ...body(index), ...open.map(() => "}")];
}

/** `step·v + start` as an index expression, without the parts that are 0 or 1. */
export function strided(v: Index, start: number, step = 1): Index {
  if (typeof v === "number") return start + v * step;
  const scaled = step === 1 ? v : `${step} * ${v}`;
  return start === 0 ? scaled : `${scaled} + ${start}`;
}

/**
 * `n^power · elements` as code: "4", "n * 4", "n * n" (a value with the batch dimension twice, such as
 * a similarity matrix [batch, batch], has n² elements).
 */
export function scaledByBatch(power: number, elements: number): string {
  const factors = Array.from({ length: power }, () => "n");
  if (elements !== 1 || !power) factors.push(String(elements));
  return factors.join(" * ");
}

// ── loops over a kernel's whole iteration domain, shared by the pass emitter's elementwise kernels
// (../emit/kernels.ts) and the lowerings that join its batch loop (matmul, reduce, transpose) ──

/** Unroll the innermost static loops when they cover at most this many elements. */
export const UNROLL_ELEMENTS = 16;

/** Whether a dimension is the batch (symbolic) one. */
export const isBatch = (d: number | string | undefined): boolean => typeof d === "string";
/** A dimension as a loop bound: a number, or the run-time batch size `n`. */
export const bound = (d: number | string): string => (typeof d === "number" ? String(d) : "n");
/** A dimension as a stride factor: a number, or the run-time batch size `n`. */
export const dim = (d: number | string): number | string => (typeof d === "number" ? d : "n");
/** An expression that needs no local of its own to be read twice: an identifier, a property path or a number. */
export const isSimple = (s: string): boolean => /^[\w$.]+$/.test(s) || /^-?\d/.test(s);

/**
 * Loops over `dims` (row-major), unrolling the innermost static dims whose product is small.
 * `body(idx, suffix)` gives the statements for one point. A leading batch dimension becomes the
 * `loop` part (index i: the body of the pass's loop over batch rows); the rest is in `post`.
 */
export function unrolledNest(dims: readonly (number | string)[], body: (idx: readonly Index[], suffix: string) => string[]): { loop?: string[]; post?: string[] } {
  let unrollFrom = dims.length;
  let product = 1;
  while (unrollFrom > 0) {
    const d = dims[unrollFrom - 1]!;
    if (typeof d !== "number" || product * d > UNROLL_ELEMENTS) break;
    product *= d;
    unrollFrom--;
  }
  const inner = dims.slice(unrollFrom) as number[];
  let points: number[][] = [[]];
  for (const d of inner) points = points.flatMap((p) => Array.from({ length: d }, (_, k) => [...p, k]));
  const vars = ["i", "j", "k", "l", "m", "q"].slice(0, unrollFrom);
  const lines: string[] = [];
  for (const p of points) lines.push(...body([...vars, ...p], points.length > 1 ? `_${p.join("_")}` : ""));
  const loopsFrom = isBatch(dims[0]) ? 1 : 0;
  const open = vars.slice(loopsFrom).map((v, d) => `for (let ${v} = 0; ${v} < ${bound(dims[d + loopsFrom]!)}; ${v}++) {`);
  const code = [...open, ...lines, ...open.map(() => "}")];
  return loopsFrom ? { loop: code } : { post: code };
}
