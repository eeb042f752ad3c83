// The bench's command-line options and what they set: every process of `npm run bench` (the parent and
// each workload child, which is started with the parent's --quick and --relaxed-simd) parses the same
// options here, so the settings, the output folder and the generated modules' names agree between them.
// The options themselves are described in run.ts's header.

import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { Workload } from "./workloads.js";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const OUT = path.join(ROOT, "bench", ".out");
export const DTYPES = ["f32", "f64"] as const;
export type Dtype = (typeof DTYPES)[number];

export const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    child: { type: "string" },
    alone: { type: "string" },
    impls: { type: "string" },
    "no-memory": { type: "boolean", default: false },
    "report-only": { type: "boolean", default: false },
    "dtype-compare": { type: "boolean", default: false },
    "child-dtypes": { type: "string" },
    // With --child-dtypes: the one dtype that child trains.
    dtype: { type: "string" },
    "child-speedup": { type: "string" },
    "no-speedup": { type: "boolean", default: false },
    "no-torch": { type: "boolean", default: false },
    "no-jax": { type: "boolean", default: false },
    "relaxed-simd": { type: "boolean", default: false },
    // Internal: the Python interpreter with torch that the parent found (children run the PyTorch peer with it).
    python: { type: "string" },
  },
});
export const quick = args.quick ?? false;

export interface Settings {
  readonly reps: number;
  readonly repMs: number;
  readonly warmupMs: number;
  readonly maxWarmupMs: number;
  readonly compileReps: number;
  readonly aloneMs: number;
}
export const SETTINGS: Settings = quick
  ? { reps: 3, repMs: 150, warmupMs: 500, maxWarmupMs: 2000, compileReps: 1, aloneMs: 300 }
  : { reps: 9, repMs: 400, warmupMs: 2500, maxWarmupMs: 8000, compileReps: 3, aloneMs: 1000 };

/**
 * Phase 2b's repetitions per dtype process; each dtype runs in two processes (f32 f64 f64 f32), so
 * twice as many in all: two neighbours differ by a few percent, more repetitions than phase 2.
 */
export const DTYPE_REPS = Math.ceil((SETTINGS.reps + 6) / 2);

/** Threads of the data-parallel gradc rows (the machine's 2 cores). */
export const PARALLEL_THREADS = 2;

export const genFile = (w: Workload, dtype: Dtype) => path.join(OUT, `${w.id.toLowerCase()}.${dtype}.gen.ts`);
