// The arithmetic of the data-parallel trainer (./parallel.ts) that makes its result independent of
// thread timing: the parameters copied into shared memory once, and the shards' gradients reduced in a
// fixed order, each element summed in double over the shards and rounded once into the parameter dtype.
import type { FloatArray } from "./init.js";
import { sharedArray } from "./parallelProtocol.js";

/** g = Σ_s w_s·g_s for parameter k, summed in double in shard order and rounded once when stored. */
export function reduceInto(out: FloatArray, shards: readonly (readonly FloatArray[])[], weights: readonly number[], k: number, acc: Float64Array | undefined): void {
  const n = out.length;
  if (shards.length === 1) {
    // One non-empty shard holds every row: its weight is exactly 1.
    out.set(shards[0][k]);
    return;
  }
  if (shards.length === 2) {
    const a = shards[0][k];
    const b = shards[1][k];
    const wa = weights[0];
    const wb = weights[1];
    for (let i = 0; i < n; i++) out[i] = wa * a[i] + wb * b[i];
    return;
  }
  const first = shards[0][k];
  const w0 = weights[0];
  for (let i = 0; i < n; i++) acc![i] = w0 * first[i];
  for (let s = 1; s < shards.length; s++) {
    const g = shards[s][k];
    const w = weights[s];
    for (let i = 0; i < n; i++) acc![i] += w * g[i];
  }
  out.set(acc!);
}

/** The params themselves when all already live in shared memory, else copies that do. */
export function toShared(specs: readonly { readonly name: string }[], params: Record<string, FloatArray>, dtype: "f32" | "f64"): Record<string, FloatArray> {
  if (specs.every((s) => params[s.name].buffer instanceof SharedArrayBuffer)) {
    return Object.fromEntries(specs.map((s) => [s.name, params[s.name]]));
  }
  const out: Record<string, FloatArray> = {};
  for (const s of specs) {
    const src = params[s.name];
    const a = sharedArray(dtype, src.length) as FloatArray;
    a.set(src);
    out[s.name] = a;
  }
  return out;
}
