// The numbers the report's sections read from the workload children's results: an implementation's
// result, and the medians of its rates (main-thread CPU time, wall clock), by workload and implementation id.
// NaN where that implementation did not run, so a ratio with it is NaN and its cell says so.

import { median } from "./format.js";
import type { ChildResult, ImplResult } from "./results.js";

export interface Medians {
  readonly impl: (w: string, id: string) => ImplResult | undefined;
  /** Median steps per CPU-second. */
  readonly cpu: (w: string, id: string) => number;
  /** Median steps per wall-clock second. */
  readonly wall: (w: string, id: string) => number;
}

export function medians(results: ReadonlyMap<string, ChildResult>): Medians {
  const impl = (w: string, id: string) => results.get(w)?.impls.find((x) => x.id === id);
  const cpu = (w: string, id: string) => {
    const i = impl(w, id);
    return i ? median(i.cpuRates) : NaN;
  };
  const wall = (w: string, id: string) => {
    const i = impl(w, id);
    return i ? median(i.rates) : NaN;
  };
  return { impl, cpu, wall };
}
