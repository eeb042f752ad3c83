// What the bench's processes hand each other: each workload child prints one line, `BENCH_RESULT <json>`,
// holding one of the results below, and the parent keeps them all in bench/.out/results*.json (SavedRun)
// for `--report-only`. One file for the shapes, so the writer and the readers cannot drift apart.

import type { Dtype } from "./options.js";
import type { Sgemm, TorchProbe } from "./peers/torch.js";

/** The stdout line of a workload child that carries its result. */
export const RESULT_PREFIX = "BENCH_RESULT ";

/** Prints this child's result for the parent (the one line it looks for). */
export function sendResult(result: ChildResult | DtypeResult | SpeedupResult | AloneResult): void {
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
}

export interface Check {
  readonly loss: number;
  /** |loss − gradc f32's| / |gradc f32's|, or null when not comparable (brain.js). */
  readonly lossRel: number | null;
  /** max |p − p_gradc| after the first step / max |p_gradc − p₀| (the update's size), or null. */
  readonly paramsRel: number | null;
  /** Parameters left out of paramsRel, and why. */
  readonly unchecked?: { readonly names: readonly string[]; readonly why: string };
}

export interface ImplResult {
  readonly id: string;
  readonly label: string;
  readonly note?: string;
  readonly check: Check;
  readonly stepsPerRep: number;
  /** steps per wall-clock second of each repetition, in run order. */
  readonly rates: readonly number[];
  /** steps per second of the main thread's CPU time (or the process's, see cpuClock) of each repetition. */
  readonly cpuRates: readonly number[];
  /** For a peer in its own process (PyTorch): its whole process's CPU time over its main thread's, timed repetitions. */
  readonly processCpuRatio?: number;
}

/** A peer that did not run in a workload, and why. */
export interface Skipped {
  readonly id: string;
  readonly label: string;
  readonly reason: string;
}

export interface ChildResult {
  readonly workload: string;
  readonly impls: readonly ImplResult[];
  readonly skipped?: readonly Skipped[];
  readonly peakRssKb: number;
  /** Over the timed repetitions: the main thread's run-queue wait / (run + wait); 0 on a quiet machine. */
  readonly waitFraction: number;
  /** Whether CPU time is the main thread's (schedstat) or the whole process's. */
  readonly cpuClock: "main thread" | "process";
  /** The TF.js WASM backend's threading in this process (its feature test and thread count). */
  readonly wasmThreading?: { readonly multithread: boolean; readonly threads: number };
}

export interface DtypeResult {
  /** firstLoss: the loss of the first step on batch 0 (both dtypes start from the same parameters), compared across the two processes. */
  readonly entries: readonly { readonly workload: string; readonly dtype: Dtype; readonly rates: readonly number[]; readonly cpuRates: readonly number[]; readonly firstLoss?: number }[];
  readonly waitFraction: number;
  readonly reps: number;
}

/** Phase 2c: gradc f32 with 1 and with PARALLEL_THREADS threads at a large batch, one workload. */
export interface SpeedupResult {
  readonly workload: string;
  readonly batch: number;
  readonly impls: readonly { readonly id: string; readonly label: string; readonly check: Check; readonly rates: readonly number[]; readonly cpuRates: readonly number[] }[];
  readonly waitFraction: number;
}

export interface AloneResult {
  readonly workload: string;
  readonly impl: string;
  readonly peakRssKb: number;
  /** Whether peakRssKb is the peer's own process's (PyTorch), not this harness process's. */
  readonly ownProcess?: boolean;
}

export interface CompileResult {
  /** Wall-clock ms, spawn to exit. */
  readonly times: number[];
  /** CPU ms of the compiler process (user + system, all its threads). */
  readonly cpu: number[];
  readonly bytes: number;
}

/** Suffix of an `rss` key whose value is the peer's own process's peak RSS (PyTorch's Python), not a harness process's. */
export const OWN_PROCESS = "@own";

/** What the parent learned about the peers that may be missing: PyTorch (and its BLAS's SGEMM) and jax-js. */
export interface PeersInfo {
  readonly torch: { ok: true; interpreter: string; probe: TorchProbe; sgemm: Sgemm } | { ok: false; reason: string };
  readonly jax: { ok: true; version: string } | { ok: false; reason: string };
}

export interface RunInfo {
  readonly loadBefore: number[];
  readonly loadAfter: number[];
  readonly seconds: number;
  readonly date: string;
  readonly peers?: PeersInfo;
}

/** bench/.out/results*.json: the whole run's raw results, as `--report-only` reads them back. */
export interface SavedRun {
  readonly selected: string[];
  readonly compiled: [string, CompileResult][];
  readonly results: [string, ChildResult][];
  readonly rss: [string, number][];
  readonly run: RunInfo;
  readonly dtypes?: DtypeResult;
  readonly speedups?: [string, SpeedupResult][];
}
