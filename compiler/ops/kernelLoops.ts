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
