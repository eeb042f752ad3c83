// How the playground writes a value in one short line (the step table of ./stepView.ts, the notes on the
// step's graph in ./step.ts): in full when small, else its norm and range. Its own file so the page's
// bundle (main.ts) shares it with the compile worker's (step.ts) without importing the compiler.
import type { StepValue } from "./protocol.js";

/** Tensors of at most this many elements are shown in full; larger ones by their norm, range and a heat map. */
export const FULL = 16;

/** What a value is shown by: every element when it has at most FULL, else null and its norm and range. */
export type ValueSummary = Pick<StepValue, "values" | "norm" | "min" | "max">;

export function summarize(data: ArrayLike<number>): ValueSummary {
  let [norm, min, max] = [0, Infinity, -Infinity];
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    norm += v * v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  return { values: data.length <= FULL ? Array.from(data) : null, norm: Math.sqrt(norm), min, max };
}

/** A value in one short line: in full when small, else its norm and range. */
export function valueText(v: ValueSummary): string {
  const n = (x: number) => String(Number(x.toPrecision(5)));
  if (v.values) return v.values.length === 1 ? n(v.values[0]!) : `[${v.values.map(n).join(", ")}]`;
  return `‖·‖ = ${n(v.norm)}, min ${n(v.min)}, max ${n(v.max)}`;
}
