// The first-step check of bench/run.ts: how far an implementation's loss and updated parameters are from
// gradc f32's after one step from the same initial parameters on the same batch.

import type { ParamArrays } from "./peers/impl.js";

/** |a − b| / |b| (b the reference). */
export function relDiff(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-30);
}

/**
 * max |p − ref| / max |ref − p₀| over all parameters but `skip`: the largest difference from the
 * reference's parameters after the step, relative to the largest change the reference's step made
 * (to the compared parameters).
 */
export function paramsDiff(p: ParamArrays, ref: ParamArrays, p0: ParamArrays, skip: readonly string[] = []): number {
  let diff = 0;
  let update = 0;
  for (const name of Object.keys(ref)) {
    if (skip.includes(name)) continue;
    const a = p[name];
    const r = ref[name]!;
    const s = p0[name];
    if (!a || !s || a.length !== r.length || s.length !== r.length) throw new Error(`paramsDiff: parameter ${name} is missing or has another size`);
    for (let i = 0; i < r.length; i++) {
      diff = Math.max(diff, Math.abs(a[i]! - r[i]!));
      update = Math.max(update, Math.abs(r[i]! - s[i]!));
    }
  }
  return diff / Math.max(update, 1e-30);
}
