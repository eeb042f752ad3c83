// `npm run bench` — gradc's generated trainers side by side with TF.js (CPU and WASM backends), brain.js,
// the hand-written W3 trainer, PyTorch on the CPU (a Python child process, bench/peers/torch.py) and
// jax-js (wasm), on the workloads of bench/workloads.ts.
//
//   npm run bench                 full run (~4–6 min on 2 cores), writes bench/RESULTS.md
//   npm run bench -- --quick      fewer, shorter repetitions (~1.5 min), writes bench/.out/RESULTS.quick.md
//   npm run bench -- --only W3    some workloads only (comma-separated ids), writes bench/.out/RESULTS.partial.md
//   npm run bench -- --report-only   the tables again from the last full run's raw results (bench/.out/results.json)
//   npm run bench -- --no-speedup    skip phase 2c (the 2-thread speed-up at large batches)
//   npm run bench -- --no-torch / --no-jax   without the PyTorch / jax-js peer (each is also skipped, with
//                                    the reason in the report, when it cannot run here)
//   npm run bench -- --dtype-compare   only gradc f32 vs f64 storage, W1–W4 in one process (phase 2b),
//                                      writes bench/.out/RESULTS.dtypes.md (the full run includes it)
//   npm run bench -- --relaxed-simd    children run node --experimental-wasm-relaxed-simd (Node 20; Node 22+
//                                      has relaxed SIMD anyway): adds the row "gradc f32 fastMath" (the
//                                      fused kernel, runtime/gemm.ts); jax-js then uses its relaxed madd too
//
// Phases:
//   1. compile: every model with the real CLI, `node bin/gradc.js compile <model> -o bench/.out/<id>.<dtype>.gen.ts
//      --dtype f32|f64`, each in a fresh process (cold), timed from spawn to exit; emitted bytes.
//   2. compare: one child process per workload (`node --import ./scripts/register-ts.js
//      bench/run.ts --child W3`) holds every implementation. Each starts from gradc's initParams (seed 7;
//      brain.js from its own init), takes one checked step on batch 0 (the loss before the update, and
//      the parameters after it, compared with gradc f32), warms up, then runs repetitions round by
//      round, the order rotated every round; steps/s = steps / wall time, and steps / CPU time of the
//      main thread (robust to other processes competing for the CPUs). No forced GC between repetitions: a
//      full gc() made TF.js 2–3× slower for a while afterwards.
//   2b. f32 vs f64: one child process (`--child-dtypes`) holds gradc's f32 and f64 trainers of every
//      workload and interleaves all of them round by round (order rotated), timed like phase 2.
//   2c. 2 threads at a large batch: per workload with a `speedup` entry, one child (`--child-speedup W4`)
//      holding gradc f32's createTrainer and createParallelTrainer (2 threads) at that batch, interleaved.
//      (Phase 2 also runs the 2-thread trainer at each W3–W5 batch, next to the peers.)
//   3. memory: one short child per implementation alone (and one with none, the harness's baseline),
//      reporting its peak RSS.
// No timing thresholds anywhere: the targets are reported, not asserted.

import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { WORKLOADS, type Workload } from "./workloads.js";
import type { Impl, ParamArrays } from "./peers/impl.js";
import { SEED, gradcImpl, gradcParallelImpl, loadGenerated } from "./peers/gradc.js";
import { paramsDiff, relDiff } from "./check.js";
import { describeBlas, type Sgemm, type TorchProbe } from "./peers/torch.js";
import { replaceSection, scalingSection } from "./resultsSections.js";
import { fastMathAvailable } from "../runtime/gemm.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const OUT = path.join(ROOT, "bench", ".out");
const DTYPES = ["f32", "f64"] as const;
type Dtype = (typeof DTYPES)[number];

const { values: args } = parseArgs({
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
    "child-speedup": { type: "string" },
    "no-speedup": { type: "boolean", default: false },
    "no-torch": { type: "boolean", default: false },
    "no-jax": { type: "boolean", default: false },
    "relaxed-simd": { type: "boolean", default: false },
    // Internal: the Python interpreter with torch that the parent found (children run the PyTorch peer with it).
    python: { type: "string" },
  },
});
const quick = args.quick ?? false;

interface Settings {
  readonly reps: number;
  readonly repMs: number;
  readonly warmupMs: number;
  readonly maxWarmupMs: number;
  readonly compileReps: number;
  readonly aloneMs: number;
}
const SETTINGS: Settings = quick
  ? { reps: 3, repMs: 150, warmupMs: 500, maxWarmupMs: 2000, compileReps: 1, aloneMs: 300 }
  : { reps: 9, repMs: 400, warmupMs: 2500, maxWarmupMs: 8000, compileReps: 3, aloneMs: 1000 };

/** Threads of the data-parallel gradc rows (the machine's 2 cores). */
const PARALLEL_THREADS = 2;

const genFile = (w: Workload, dtype: Dtype) => path.join(OUT, `${w.id.toLowerCase()}.${dtype}.gen.ts`);

// ── results exchanged between the child processes and the parent ─────────────────────────────────

interface Check {
  readonly loss: number;
  /** |loss − gradc f32's| / |gradc f32's|, or null when not comparable (brain.js). */
  readonly lossRel: number | null;
  /** max |p − p_gradc| after the first step / max |p_gradc − p₀| (the update's size), or null. */
  readonly paramsRel: number | null;
  /** Parameters left out of paramsRel, and why. */
  readonly unchecked?: { readonly names: readonly string[]; readonly why: string };
}

interface ImplResult {
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
interface Skipped {
  readonly id: string;
  readonly label: string;
  readonly reason: string;
}

interface ChildResult {
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

interface DtypeResult {
  readonly entries: readonly { readonly workload: string; readonly dtype: Dtype; readonly rates: readonly number[]; readonly cpuRates: readonly number[] }[];
  readonly waitFraction: number;
  readonly reps: number;
}

/** Phase 2c: gradc f32 with 1 and with PARALLEL_THREADS threads at a large batch, one workload. */
interface SpeedupResult {
  readonly workload: string;
  readonly batch: number;
  readonly impls: readonly { readonly id: string; readonly label: string; readonly check: Check; readonly rates: readonly number[]; readonly cpuRates: readonly number[] }[];
  readonly waitFraction: number;
}

interface AloneResult {
  readonly workload: string;
  readonly impl: string;
  readonly peakRssKb: number;
  /** Whether peakRssKb is the peer's own process's (PyTorch), not this harness process's. */
  readonly ownProcess?: boolean;
}

// ── child: one workload, every implementation, interleaved ───────────────────────────────────────

async function makeImpls(w: Workload, only?: readonly string[]): Promise<{ impls: Impl[]; skipped: Skipped[]; init: ParamArrays; paramShapes: { name: string; shape: readonly number[] }[] }> {
  const batches = w.data();
  const f32 = await loadGenerated(genFile(w, "f32"));
  const init = f32.initParams(SEED);
  const paramShapes = f32.spec.params.map((p) => ({ name: p.name, shape: p.shape }));
  const want = (id: string) => only === undefined || only.includes(id);
  const impls: Impl[] = [];
  if (want("gradc-f32")) impls.push(gradcImpl(f32, "f32", w, batches));
  const skipped: Skipped[] = [];
  // fastMath, where the module has matrix products on the SIMD GEMM and this node has relaxed SIMD.
  if (want("gradc-f32-fastmath") && /\bGEMM\.product/.test(readFileSync(genFile(w, "f32"), "utf8"))) {
    if (fastMathAvailable()) impls.push(gradcImpl(f32, "f32", w, batches, true));
    else skipped.push({ id: "gradc-f32-fastmath", label: "gradc f32 fastMath", reason: `no WebAssembly relaxed SIMD in node ${process.version} (npm run bench -- --relaxed-simd)` });
  }
  if (want("gradc-f64")) impls.push(gradcImpl(await loadGenerated(genFile(w, "f64")), "f64", w, batches));
  if (w.parallel && want(`gradc-f32-t${PARALLEL_THREADS}`)) impls.push(await gradcParallelImpl(genFile(w, "f32"), f32, PARALLEL_THREADS, w, batches));
  if (w.handwritten && want("handwritten")) {
    const { handwrittenImpl } = await import("./peers/handwritten.js");
    impls.push(handwrittenImpl(init, w, batches));
  }
  for (const backend of ["cpu", "wasm"] as const) {
    if (!want(`tfjs-${backend}`)) continue;
    const { tfImpl } = await import("./peers/tfjs.js");
    impls.push(await tfImpl(backend, w, init, paramShapes, batches));
  }
  if (w.brain && want("brain")) {
    const { brainImpl } = await import("./peers/brain.js");
    impls.push(brainImpl(w, batches));
  }
  if (want("torch")) {
    if (args.python) {
      const { probeTorch, torchImpl } = await import("./peers/torch.js");
      const probe = probeTorch();
      if (probe.ok) impls.push(await torchImpl(probe.interpreter, probe.probe, w, init, paramShapes, batches));
      else skipped.push({ id: "torch", label: "PyTorch", reason: probe.reason });
    } else skipped.push({ id: "torch", label: "PyTorch", reason: args["no-torch"] ? "--no-torch" : "no Python with torch (see the peers line)" });
  }
  if (want("jax-wasm")) {
    if (args["no-jax"]) skipped.push({ id: "jax-wasm", label: "jax-js", reason: "--no-jax" });
    else {
      try {
        const { jaxImpl } = await import("./peers/jax.js");
        impls.push(await jaxImpl(w, init, paramShapes, batches));
      } catch (e) {
        // Not installed (npm ci without dev dependencies) or not loadable here: a reason in the table, not a failed run.
        skipped.push({ id: "jax-wasm", label: "jax-js", reason: `@jax-js/jax did not load: ${(e as Error).message.split("\n")[0]}` });
      }
    }
  }
  return { impls, skipped, init, paramShapes };
}

/**
 * The main thread's CPU time and run-queue wait so far, in ns (Linux: /proc/PID/task/PID/schedstat), or
 * the whole process's CPU time (all threads) where that file does not exist.
 */
const SCHEDSTAT = `/proc/${process.pid}/task/${process.pid}/schedstat`;
let haveSchedstat = true;
function threadTimes(): { run: number; wait: number } {
  if (haveSchedstat) {
    try {
      const f = readFileSync(SCHEDSTAT, "utf8").split(" ");
      return { run: Number(f[0]), wait: Number(f[1]) };
    } catch {
      haveSchedstat = false;
    }
  }
  const c = process.cpuUsage();
  return { run: (c.user + c.system) * 1000, wait: 0 };
}

/**
 * Run time and run-queue wait (ns) of every thread of this process (Linux /proc/PID/task/TID/schedstat),
 * keyed by thread id; empty where that does not exist. Used to time multi-threaded implementations.
 */
function allThreadTimes(): Map<string, { run: number; wait: number }> {
  const out = new Map<string, { run: number; wait: number }>();
  try {
    for (const tid of readdirSync(`/proc/${process.pid}/task`)) {
      try {
        const f = readFileSync(`/proc/${process.pid}/task/${tid}/schedstat`, "utf8").split(" ");
        out.set(tid, { run: Number(f[0]), wait: Number(f[1]) });
      } catch {
        /* the thread ended */
      }
    }
  } catch {
    /* not Linux */
  }
  return out;
}

/** Totals over the timed repetitions of this process: main-thread run time and run-queue wait (ns). */
const contention = { run: 0, wait: 0 };

/**
 * Runs `steps` steps; returns steps per wall-clock second and per second of main-thread CPU time. For a
 * multi-threaded implementation (impl.threads > 1) the CPU time is the busiest thread's: the largest
 * run time of any thread of this process over the repetition (main thread or worker), i.e. what a step
 * costs when each thread has a core to itself, without the waits for each other (an optimistic bound of
 * its speed on an idle machine; wall clock is the pessimistic one under load).
 */
async function timeSteps(impl: Impl, steps: number, record = false): Promise<{ wall: number; cpu: number; processCpuNs?: number; cpuNs?: number }> {
  await impl.before?.();
  if (impl.timed) {
    // In its own process (PyTorch): its own clocks, the same kind (main thread's schedstat, wall clock).
    const t = await impl.timed(steps);
    if (record) {
      contention.run += t.cpuNs;
      contention.wait += t.waitNs;
    }
    return { wall: (t.done / t.wallMs) * 1000, cpu: (t.done / Math.max(t.cpuNs, 1)) * 1e9, processCpuNs: t.processCpuNs, cpuNs: t.cpuNs };
  }
  const multi = (impl.threads ?? 1) > 1 && haveSchedstat;
  const all0 = multi ? allThreadTimes() : null;
  const c0 = threadTimes();
  const t0 = performance.now();
  const done = await impl.run(steps);
  const ms = performance.now() - t0;
  const c1 = threadTimes();
  let busiest = c1.run - c0.run;
  if (all0) {
    for (const [tid, t] of allThreadTimes()) busiest = Math.max(busiest, t.run - (all0.get(tid)?.run ?? 0));
  }
  if (record) {
    contention.run += c1.run - c0.run;
    contention.wait += c1.wait - c0.wait;
  }
  return { wall: (done / ms) * 1000, cpu: (done / Math.max(busiest, 1)) * 1e9 };
}

/**
 * Warm-up, one implementation at a time: chunks of ~repMs/2 (the first ones growing from 1 step) until
 * the last three chunks agree within 10% (CPU time) after at least warmupMs, or for at most
 * maxWarmupMs. TF.js needs seconds: its W1 steps/s still rise 3–5× over its first 3–4 s.
 * Returns the steps per timed repetition (~repMs of CPU time).
 */
async function warmUp(impl: Impl, log: (s: string) => void, repMs = SETTINGS.repMs): Promise<number> {
  let steps = 1;
  const recent: number[] = [];
  let rate = 0;
  const start = performance.now();
  for (;;) {
    const t = await timeSteps(impl, steps);
    rate = t.cpu;
    recent.push(t.cpu);
    if (recent.length > 3) recent.shift();
    const elapsed = performance.now() - start;
    const stable = recent.length === 3 && Math.max(...recent) / Math.min(...recent) < 1.1;
    if (elapsed >= SETTINGS.maxWarmupMs || (elapsed >= SETTINGS.warmupMs && stable)) break;
    steps = Math.max(1, Math.min(steps * 2, Math.round((t.wall * repMs) / 2000)));
  }
  const perRep = Math.max(1, Math.round((rate * repMs) / 1000));
  log(`${impl.label.padEnd(42)} warm-up ${((performance.now() - start) / 1000).toFixed(1)} s, ${rate.toPrecision(4)} steps/CPU-s → ${perRep} steps per repetition`);
  return perRep;
}

/** Phase 2b: gradc f32 and f64 of every given workload in this one process, interleaved. */
async function dtypeChild(ids: readonly string[]): Promise<void> {
  const log = (s: string) => process.stderr.write(`  [dtypes] ${s}\n`);
  const entries: { workload: string; dtype: Dtype; impl: Impl }[] = [];
  for (const id of ids) {
    const w = WORKLOADS.find((x) => x.id === id)!;
    for (const dtype of DTYPES) entries.push({ workload: id, dtype, impl: gradcImpl(await loadGenerated(genFile(w, dtype)), dtype, w, w.data()) });
  }
  const perRep = new Map<Impl, number>();
  for (const e of entries) perRep.set(e.impl, await warmUp(e.impl, (s) => log(`${e.workload} ${s}`)));
  const rates = new Map<Impl, number[]>(entries.map((e) => [e.impl, []]));
  const cpuRates = new Map<Impl, number[]>(entries.map((e) => [e.impl, []]));
  const reps = SETTINGS.reps + 6; // two neighbours differ by a few percent: more repetitions than phase 2
  for (let r = 0; r < reps; r++) {
    for (let k = 0; k < entries.length; k++) {
      const e = entries[(k + r) % entries.length]!;
      const t = await timeSteps(e.impl, perRep.get(e.impl)!, true);
      rates.get(e.impl)!.push(t.wall);
      cpuRates.get(e.impl)!.push(t.cpu);
    }
    log(`round ${r + 1}/${reps}`);
  }
  const result: DtypeResult = {
    entries: entries.map((e) => ({ workload: e.workload, dtype: e.dtype, rates: rates.get(e.impl)!, cpuRates: cpuRates.get(e.impl)! })),
    waitFraction: contention.wait / Math.max(contention.run + contention.wait, 1),
    reps,
  };
  process.stdout.write(`BENCH_RESULT ${JSON.stringify(result)}\n`);
}

async function child(id: string): Promise<void> {
  const w = WORKLOADS.find((x) => x.id === id);
  if (!w) throw new Error(`unknown workload ${id}`);
  const log = (s: string) => process.stderr.write(`  [${w.id}] ${s}\n`);
  const { impls, skipped, init } = await makeImpls(w, args.impls?.split(","));
  for (const s of skipped) log(`${s.label} skipped: ${s.reason}`);
  const copy = (p: ParamArrays): ParamArrays => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, v.slice()]));
  const p0 = copy(init);

  // The first step, checked against gradc f32.
  const checks = new Map<string, Check>();
  let refLoss = NaN;
  let refParams: ParamArrays | null = null;
  for (const impl of impls) {
    await impl.before?.();
    const loss = await impl.stepWithLoss();
    const comparable = impl.id !== "brain";
    if (impl.id === "gradc-f32") {
      refLoss = loss;
      refParams = copy(await impl.params!());
    }
    const lossRel = comparable ? relDiff(loss, refLoss) : null;
    const unchecked = impl.uncheckedParams;
    const paramsRel = comparable && impl.params && refParams ? paramsDiff(await impl.params(), refParams, p0, unchecked?.names) : null;
    checks.set(impl.id, { loss, lossRel, paramsRel, ...(unchecked ? { unchecked } : {}) });
    log(`${impl.label.padEnd(42)} first-step loss ${loss.toPrecision(8)}${lossRel === null ? " (not comparable)" : `  rel ${lossRel.toExponential(1)}  params ${paramsRel?.toExponential(1)}`}`);
  }

  const stepsPerRep = new Map<string, number>();
  for (const impl of impls) stepsPerRep.set(impl.id, await warmUp(impl, log));

  // Repetitions, interleaved round by round, the order rotated each round.
  const rates = new Map<string, number[]>(impls.map((i) => [i.id, []]));
  const cpuRates = new Map<string, number[]>(impls.map((i) => [i.id, []]));
  const ownCpu = new Map<string, { process: number; main: number }>();
  for (let r = 0; r < SETTINGS.reps; r++) {
    for (let k = 0; k < impls.length; k++) {
      const impl = impls[(k + r) % impls.length]!;
      const t = await timeSteps(impl, stepsPerRep.get(impl.id)!, true);
      rates.get(impl.id)!.push(t.wall);
      cpuRates.get(impl.id)!.push(t.cpu);
      if (t.processCpuNs !== undefined) {
        const o = ownCpu.get(impl.id) ?? { process: 0, main: 0 };
        ownCpu.set(impl.id, { process: o.process + t.processCpuNs, main: o.main + t.cpuNs! });
      }
    }
    log(`round ${r + 1}/${SETTINGS.reps}: ${impls.map((i) => `${i.id} ${rates.get(i.id)!.at(-1)!.toPrecision(4)}`).join(", ")}`);
  }

  const result: ChildResult = {
    workload: w.id,
    impls: impls.map((i) => ({
      id: i.id,
      label: i.label,
      ...(i.note ? { note: i.note } : {}),
      check: checks.get(i.id)!,
      stepsPerRep: stepsPerRep.get(i.id)!,
      rates: rates.get(i.id)!,
      cpuRates: cpuRates.get(i.id)!,
      ...(ownCpu.has(i.id) ? { processCpuRatio: ownCpu.get(i.id)!.process / Math.max(ownCpu.get(i.id)!.main, 1) } : {}),
    })),
    ...(skipped.length ? { skipped } : {}),
    peakRssKb: process.resourceUsage().maxRSS,
    waitFraction: contention.wait / Math.max(contention.run + contention.wait, 1),
    cpuClock: haveSchedstat ? "main thread" : "process",
    ...(impls.some((i) => i.id === "tfjs-wasm") ? { wasmThreading: await (await import("./peers/tfjs.js")).wasmThreading() } : {}),
  };
  for (const impl of impls) await impl.close?.();
  process.stdout.write(`BENCH_RESULT ${JSON.stringify(result)}\n`);
}

/**
 * Phase 2c: the 2-thread speed-up at a large batch (the workload's `speedup`): gradc f32 through
 * createTrainer and through createParallelTrainer, first step checked, interleaved repetitions of
 * ~2.5 × repMs (a step takes 0.1–0.5 s at these batches).
 */
async function speedupChild(id: string): Promise<void> {
  const w0 = WORKLOADS.find((x) => x.id === id)!;
  const s = w0.speedup!;
  const w: Workload = { ...w0, batch: s.batch };
  const log = (m: string) => process.stderr.write(`  [${w.id} batch ${s.batch}] ${m}\n`);
  const batches = s.data();
  const f32 = await loadGenerated(genFile(w, "f32"));
  const impls = [gradcImpl(f32, "f32", w, batches), await gradcParallelImpl(genFile(w, "f32"), f32, PARALLEL_THREADS, w, batches)];
  const checks: Check[] = [];
  let ref = NaN;
  for (const impl of impls) {
    const loss = await impl.stepWithLoss();
    if (Number.isNaN(ref)) ref = loss;
    checks.push({ loss, lossRel: relDiff(loss, ref), paramsRel: null });
    log(`${impl.label.padEnd(42)} first-step loss ${loss.toPrecision(8)}`);
  }
  const repMs = SETTINGS.repMs * 2.5;
  const perRep = [];
  for (const impl of impls) perRep.push(await warmUp(impl, log, repMs));
  const rates: number[][] = impls.map(() => []);
  const cpuRates: number[][] = impls.map(() => []);
  for (let r = 0; r < SETTINGS.reps; r++) {
    for (let k = 0; k < impls.length; k++) {
      const j = (k + r) % impls.length;
      const t = await timeSteps(impls[j]!, perRep[j]!, true);
      rates[j]!.push(t.wall);
      cpuRates[j]!.push(t.cpu);
    }
    log(`round ${r + 1}/${SETTINGS.reps}: ${impls.map((i, j) => `${i.id} ${rates[j]!.at(-1)!.toPrecision(4)}`).join(", ")}`);
  }
  for (const impl of impls) await impl.close?.();
  const result: SpeedupResult = {
    workload: w.id,
    batch: s.batch,
    impls: impls.map((i, j) => ({ id: i.id, label: i.label, check: checks[j]!, rates: rates[j]!, cpuRates: cpuRates[j]! })),
    waitFraction: contention.wait / Math.max(contention.run + contention.wait, 1),
  };
  process.stdout.write(`BENCH_RESULT ${JSON.stringify(result)}\n`);
}

/** One implementation alone in this process (or none: "baseline"), a short run, then the peak RSS. */
async function alone(id: string, implId: string): Promise<void> {
  const w = WORKLOADS.find((x) => x.id === id)!;
  if (implId !== "baseline") {
    const { impls } = await makeImpls(w, [implId]);
    const impl = impls[0];
    if (!impl) throw new Error(`${id}: no implementation ${implId}`);
    await impl.stepWithLoss();
    const start = performance.now();
    let steps = 1;
    while (performance.now() - start < SETTINGS.aloneMs) {
      await timeSteps(impl, steps);
      steps *= 2;
    }
    const own = await impl.peakRssKb?.();
    await impl.close?.();
    if (own !== undefined) {
      process.stdout.write(`BENCH_RESULT ${JSON.stringify({ workload: id, impl: implId, peakRssKb: own, ownProcess: true } satisfies AloneResult)}\n`);
      return;
    }
  } else {
    await loadGenerated(genFile(w, "f32"));
  }
  const result: AloneResult = { workload: id, impl: implId, peakRssKb: process.resourceUsage().maxRSS };
  process.stdout.write(`BENCH_RESULT ${JSON.stringify(result)}\n`);
}

// ── parent ───────────────────────────────────────────────────────────────────────────────────────

interface CompileResult {
  /** Wall-clock ms, spawn to exit. */
  readonly times: number[];
  /** CPU ms of the compiler process (user + system, all its threads). */
  readonly cpu: number[];
  readonly bytes: number;
}

/** CPU ms used by this process's waited-for children so far (Linux /proc/self/stat cutime + cstime), or NaN. */
function childrenCpuMs(): number {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[13]) + Number(f[14])) * 10; // USER_HZ = 100
  } catch {
    return NaN;
  }
}

function compileCold(w: Workload, dtype: Dtype): { wall: number; cpu: number } {
  const c0 = childrenCpuMs();
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [path.join(ROOT, "bin", "gradc.js"), "compile", w.model, "-o", genFile(w, dtype), "--dtype", dtype], {
    cwd: ROOT,
    encoding: "utf8",
  });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`gradc compile ${w.model} --dtype ${dtype} failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
  return { wall: ms, cpu: childrenCpuMs() - c0 };
}

function runChild(extra: string[]): unknown {
  const relaxed = args["relaxed-simd"] ? ["--experimental-wasm-relaxed-simd"] : [];
  const r = spawnSync(process.execPath, [...relaxed, "--import", "./scripts/register-ts.js", "bench/run.ts", ...extra, ...(quick ? ["--quick"] : []), ...(args["relaxed-simd"] ? ["--relaxed-simd"] : [])], {
    cwd: ROOT,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 64 * 1024 * 1024,
  });
  const line = r.stdout.split("\n").find((l) => l.startsWith("BENCH_RESULT "));
  if (r.status !== 0 || !line) throw new Error(`bench child ${extra.join(" ")} failed (exit ${r.status}):\n${r.stdout}`);
  return JSON.parse(line.slice("BENCH_RESULT ".length));
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 1e5) return Math.round(x).toLocaleString("en-US");
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toPrecision(2);
}

function ratio(x: number): string {
  return x >= 100 ? `${Math.round(x).toLocaleString("en-US")}×` : `${x.toPrecision(3)}×`;
}

function machine(date: string): string[] {
  let cpu = os.cpus()[0]?.model ?? "?";
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (m) cpu = m[1]!.trim();
  } catch {
    /* not Linux */
  }
  return [
    `- date: ${date}`,
    `- machine: ${os.type()} ${os.release()} ${os.arch()}, ${cpu}, ${os.cpus().length} logical CPUs, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- node ${process.version} (V8 ${process.versions.v8})${args["relaxed-simd"] ? ", workload processes with --experimental-wasm-relaxed-simd (gradc f32 fastMath's fused kernel; jax-js's relaxed madd)" : ""}`,
  ];
}

/** Suffix of an `rss` key whose value is the peer's own process's peak RSS (PyTorch's Python), not a harness process's. */
const OWN_PROCESS = "@own";

/** What the parent learned about the peers that may be missing: PyTorch (and its BLAS's SGEMM) and jax-js. */
interface PeersInfo {
  readonly torch: { ok: true; interpreter: string; probe: TorchProbe; sgemm: Sgemm } | { ok: false; reason: string };
  readonly jax: { ok: true; version: string } | { ok: false; reason: string };
}

interface RunInfo {
  readonly loadBefore: number[];
  readonly loadAfter: number[];
  readonly seconds: number;
  readonly date: string;
  readonly peers?: PeersInfo;
}

/** The size of the SGEMM that measures the single-core limit. */
const SGEMM_N = 1024;

async function probePeers(say: (s: string) => void): Promise<PeersInfo> {
  let torch: PeersInfo["torch"];
  if (args["no-torch"]) torch = { ok: false, reason: "--no-torch" };
  else {
    const { probeTorch, measureSgemm } = await import("./peers/torch.js");
    const p = probeTorch();
    if (p.ok) {
      const sgemm = measureSgemm(p.interpreter, SGEMM_N);
      torch = { ...p, sgemm };
      say(`PyTorch ${p.probe.torch} (${p.interpreter}), BLAS ${describeBlas(sgemm.blas)}; SGEMM ${SGEMM_N}³ on 1 thread: ${sgemm.gflops.toFixed(1)} GFLOP/s (best ${sgemm.best.toFixed(1)})`);
    } else {
      torch = p;
      say(`PyTorch skipped: ${p.reason}`);
    }
  }
  let jax: PeersInfo["jax"];
  if (args["no-jax"]) jax = { ok: false, reason: "--no-jax" };
  else {
    try {
      const { jaxVersion } = await import("./peers/jax.js");
      jax = { ok: true, version: jaxVersion() };
    } catch (e) {
      jax = { ok: false, reason: `@jax-js/jax did not load: ${(e as Error).message.split("\n")[0]}` };
      say(`jax-js skipped: ${jax.reason}`);
    }
  }
  return { torch, jax };
}

async function main(): Promise<void> {
  const selected = args.only ? WORKLOADS.filter((w) => args.only!.split(",").includes(w.id)) : WORKLOADS;
  if (selected.length === 0) throw new Error(`--only ${args.only}: no such workload (have ${WORKLOADS.map((w) => w.id).join(", ")})`);
  mkdirSync(OUT, { recursive: true });
  const started = performance.now();
  const loadBefore = os.loadavg();
  const say = (s: string) => process.stderr.write(`${s}\n`);
  say(`gradc bench${quick ? " (quick)" : ""}: ${selected.map((w) => w.id).join(", ")}; ${SETTINGS.reps} repetitions of ~${SETTINGS.repMs} ms per implementation`);

  // 1. compile, cold
  const compiled = new Map<string, CompileResult>();
  for (const w of selected) {
    for (const dtype of DTYPES) {
      const times: number[] = [];
      const cpu: number[] = [];
      const reps = dtype === "f32" ? SETTINGS.compileReps : 1;
      for (let r = 0; r < reps; r++) {
        const c = compileCold(w, dtype);
        times.push(c.wall);
        cpu.push(c.cpu);
      }
      const bytes = statSync(genFile(w, dtype)).size;
      compiled.set(`${w.id}.${dtype}`, { times, cpu, bytes });
      say(`compile ${w.id} ${dtype}: ${times.map((t, i) => `${(t / 1000).toFixed(2)} s (CPU ${(cpu[i]! / 1000).toFixed(2)} s)`).join(", ")}; ${bytes} bytes`);
    }
  }

  // The PyTorch peer: which Python has torch, what BLAS it loaded, and that BLAS's single-core SGEMM.
  const peers = await probePeers(say);
  const pythonArg = peers.torch.ok ? ["--python", peers.torch.interpreter] : [];

  // 2b. f32 vs f64 storage, all selected workloads in one process (alone with --dtype-compare)
  say(`f32 vs f64: ${selected.map((w) => w.id).join(", ")} in one process`);
  const dtypes = runChild(["--child-dtypes", selected.map((w) => w.id).join(",")]) as DtypeResult;
  if (args["dtype-compare"]) {
    const file = path.join(OUT, "RESULTS.dtypes.md");
    const text = `# gradc f32 vs f64 storage\n\nWritten by \`npm run bench -- --dtype-compare\`${quick ? " --quick" : ""} (bench/run.ts).\n\n${machine(new Date().toISOString()).join("\n")}\n- load average (1 min) before / after: ${loadBefore[0]!.toFixed(2)} / ${os.loadavg()[0]!.toFixed(2)} on ${os.cpus().length} CPUs\n\n${renderDtypes(selected, dtypes, null).join("\n")}\n`;
    process.stdout.write(text);
    writeFileSync(file, text);
    say(`\nwritten to ${path.relative(ROOT, file)}`);
    return;
  }

  // 2. compare
  const results = new Map<string, ChildResult>();
  for (const w of selected) {
    say(`${w.id}: ${w.title}`);
    results.set(w.id, runChild(["--child", w.id, ...pythonArg]) as ChildResult);
  }

  // 2c. the 2-thread speed-up at a large batch
  const speedups = new Map<string, SpeedupResult>();
  if (!args["no-speedup"]) {
    for (const w of selected.filter((x) => x.speedup)) {
      say(`${w.id}: 1 vs ${PARALLEL_THREADS} threads at batch ${w.speedup!.batch}`);
      speedups.set(w.id, runChild(["--child-speedup", w.id]) as SpeedupResult);
    }
  }

  // 3. memory, each implementation alone
  const rss = new Map<string, number>();
  if (!args["no-memory"]) {
    for (const w of selected) {
      for (const impl of ["baseline", ...results.get(w.id)!.impls.map((i) => i.id)]) {
        const r = runChild(["--child", w.id, "--alone", impl, ...pythonArg]) as AloneResult;
        rss.set(`${w.id}.${impl}${r.ownProcess ? OWN_PROCESS : ""}`, r.peakRssKb);
      }
      say(`memory ${w.id}: ${[...rss].filter(([k]) => k.startsWith(`${w.id}.`)).map(([k, v]) => `${k.slice(w.id.length + 1).replace(OWN_PROCESS, " (own process)")} ${(v / 1024).toFixed(0)} MB`).join(", ")}`);
    }
  }
  const loadAfter = os.loadavg();

  const runInfo: RunInfo = { loadBefore, loadAfter, seconds: (performance.now() - started) / 1000, date: new Date().toISOString(), peers };
  writeFileSync(path.join(OUT, quick ? "results.quick.json" : args.only ? "results.partial.json" : "results.json"), JSON.stringify({ selected: selected.map((w) => w.id), compiled: [...compiled], results: [...results], rss: [...rss], run: runInfo, dtypes, speedups: [...speedups] }));
  const report = render(selected, compiled, results, rss, runInfo, dtypes, speedups);
  process.stdout.write(report);
  const file = quick ? path.join(OUT, "RESULTS.quick.md") : args.only ? path.join(OUT, "RESULTS.partial.md") : path.join(ROOT, "bench", "RESULTS.md");
  writeFileSync(file, file === path.join(ROOT, "bench", "RESULTS.md") ? keepScalingSection(report) : report);
  say(`\nwritten to ${path.relative(ROOT, file)}`);
}

/** The report, followed by the compile-time scaling section bench/RESULTS.md has now (npm run bench:scaling writes it). */
function keepScalingSection(report: string): string {
  const file = path.join(ROOT, "bench", "RESULTS.md");
  const kept = scalingSection(existsSync(file) ? readFileSync(file, "utf8") : "");
  return kept ? replaceSection(report, kept) : report;
}

function render(
  selected: readonly Workload[],
  compiled: Map<string, CompileResult>,
  results: Map<string, ChildResult>,
  rss: Map<string, number>,
  run: RunInfo,
  dtypes: DtypeResult | undefined,
  speedups: Map<string, SpeedupResult> = new Map(),
): string {
  const out: string[] = [];
  const line = (s = "") => out.push(s);
  const impl = (w: string, id: string) => results.get(w)?.impls.find((x) => x.id === id);
  const limit = run.peers?.torch.ok ? run.peers.torch.sgemm.gflops : NaN;
  /** GFLOP/s at `rate` steps/s, with its share of the single-core SGEMM limit when that was measured. */
  const gflops = (w: Workload, rate: number) => {
    const g = (rate * w.flopsPerStep) / 1e9;
    return Number.isFinite(limit) ? `${fmt(g)} (${fmt((g / limit) * 100)}%)` : fmt(g);
  };
  const cpu = (w: string, id: string) => {
    const i = impl(w, id);
    return i ? median(i.cpuRates) : NaN;
  };
  const wall = (w: string, id: string) => {
    const i = impl(w, id);
    return i ? median(i.rates) : NaN;
  };
  line("# gradc benchmark results");
  line();
  line(`Written by \`npm run bench${quick ? " -- --quick" : ""}\` (bench/run.ts); do not edit by hand.`);
  line();
  for (const m of machine(run.date)) line(m);
  let versions = "";
  try {
    const lock = JSON.parse(readFileSync(path.join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { version?: string }> };
    const v = (p: string) => lock.packages[`node_modules/${p}`]?.version ?? "?";
    versions = `@tensorflow/tfjs ${v("@tensorflow/tfjs")} (tfjs-core ${v("@tensorflow/tfjs-core")}, tfjs-backend-cpu ${v("@tensorflow/tfjs-backend-cpu")}, tfjs-backend-wasm ${v("@tensorflow/tfjs-backend-wasm")}), brain.js ${v("brain.js")}`;
  } catch {
    versions = "?";
  }
  const peers = run.peers;
  const sgemm = peers?.torch.ok ? peers.torch.sgemm : null;
  if (peers) {
    const t = peers.torch;
    versions += t.ok
      ? `, PyTorch ${t.probe.torch} (Python ${t.probe.python}, ${t.interpreter}; torch.set_num_threads(1): ${t.probe.threads} thread, ${t.probe.interopThreads} inter-op; CPU capability ${t.probe.capability}; oneDNN ${t.probe.mkldnn ? "on" : "off"}; BLAS ${describeBlas(t.sgemm.blas)})`
      : `, PyTorch skipped: ${t.reason}`;
    versions += peers.jax.ok ? `, @jax-js/jax ${peers.jax.version} (wasm backend)` : `, jax-js skipped: ${peers.jax.reason}`;
  }
  line(`- peers: ${versions}`);
  if (sgemm) line(`- single-core SGEMM limit: torch.mm of two ${sgemm.n}×${sgemm.n} float32 matrices on 1 thread through that BLAS, ${sgemm.gflops.toFixed(1)} GFLOP/s (median of 7 repetitions of ~0.3 s CPU; best ${sgemm.best.toFixed(1)}); the GFLOP/s below give their share of it in parentheses`);
  line(`- load average (1 min) before / after: ${run.loadBefore[0]!.toFixed(2)} / ${run.loadAfter[0]!.toFixed(2)} on ${os.cpus().length} CPUs; whole run ${run.seconds.toFixed(0)} s`);
  line(`- method: ${SETTINGS.reps} repetitions of ~${SETTINGS.repMs} ms per implementation after a warm-up of ${SETTINGS.warmupMs / 1000}–${SETTINGS.maxWarmupMs / 1000} s (until three chunks agree within 10%); all implementations of a workload in one process, interleaved round by round (order rotated each round), no forced GC (a forced full GC between repetitions made TF.js 2–3× slower for a while afterwards). Each repetition is timed twice: wall clock, and the CPU time of the main thread (Linux schedstat: time it actually ran). Where other processes compete for the CPUs, wall-clock rates drop and scatter while main-thread CPU-time rates stay close to what a quiet machine shows; ratios and targets use the CPU-time medians, wall-clock ratios are given beside them. Main-thread CPU time leaves out work V8 does on helper threads (concurrent marking, parallel scavenging), which only allocation-heavy peers (TF.js) cause; it also keeps one implementation's leftover GC work from being charged to the next.`);
  line(`- contention during the timed repetitions (main thread waiting for a CPU / (running + waiting)): ${selected.map((w) => `${w.id} ${((results.get(w.id)!.waitFraction ?? NaN) * 100).toFixed(0)}%`).join(", ")}; CPU clock: ${[...new Set(selected.map((w) => results.get(w.id)!.cpuClock))].join(", ")}`);
  line();

  line("## Throughput");
  line();
  line(`One step = forward + backward + optimizer update on one batch. steps/CPU-s: steps per second of main-thread CPU time, median [min–max] of the repetitions; wall: steps per wall-clock second, median. samples/s and GFLOP/s from the CPU-time median; GFLOP/s counts 6·batch·Σ in·out per step for dense layers (2 per forward matmul, 2 per backward matmul, the first layer's unneeded ∂x included) and likewise 3 × 2·outputs·kh·kw·Cin per convolution (forward, ∂K, ∂x; the first convolution's unneeded ∂x included; ReLU, pooling, bias, softmax not counted) and 6·batch·T·(in + H)·4H for an LSTM (its two gate matmuls per step, forward and backward; gate functions not counted)${sgemm ? ", with its share of the single-core SGEMM limit" : ""}. "gradc ÷ this" is gradc f32's median over this row's (CPU time; wall clock). First-step check: the loss before the first update, its difference relative to gradc f32's, and the largest parameter difference after the update relative to the largest update. Rows marked **${PARALLEL_THREADS} threads** are gradc's data-parallel trainer (createParallelTrainer, the main thread and ${PARALLEL_THREADS - 1} worker_thread${PARALLEL_THREADS > 2 ? "s" : ""}) at the workload's batch; their "steps/CPU-s" is per second of the busiest thread's CPU time (see the ${PARALLEL_THREADS}-thread section); every other row runs on one thread.`);
  line();
  line("| workload | implementation | steps/CPU-s median [min–max] | wall steps/s median [min–max] | samples/s | GFLOP/s | gradc ÷ this (CPU; wall) | first-step loss (rel. diff; params after) | peak RSS alone (harness +) |");
  line("|---|---|---|---|---|---|---|---|---|");
  const notes: string[] = [];
  for (const w of selected) {
    const res = results.get(w.id)!;
    const refCpu = cpu(w.id, "gradc-f32");
    const refWall = wall(w.id, "gradc-f32");
    for (const i of res.impls) {
      const mc = median(i.cpuRates);
      const mw = median(i.rates);
      const range = (xs: readonly number[]) => `[${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}]`;
      const c = i.check;
      const check =
        c.lossRel === null
          ? `${c.loss.toPrecision(6)} (own net, not comparable)`
          : `${c.loss.toPrecision(8)} (${c.lossRel === 0 ? "0" : c.lossRel.toExponential(0)}; ${c.paramsRel === null ? "–" : c.paramsRel === 0 ? "0" : c.paramsRel.toExponential(0)})`;
      const base = rss.get(`${w.id}.baseline`);
      const mine = rss.get(`${w.id}.${i.id}`);
      const own = rss.get(`${w.id}.${i.id}${OWN_PROCESS}`);
      const delta = base === undefined || mine === undefined ? NaN : Math.round((mine - base) / 1024);
      const mem = own !== undefined ? `${(own / 1024).toFixed(0)} MB (its own process)` : mine === undefined ? "–" : `${(mine / 1024).toFixed(0)} MB (${Number.isNaN(delta) ? "?" : delta >= 0 ? `+${delta}` : `−${-delta}`})`;
      let label = i.label;
      if (i.id.startsWith("gradc-f32-t")) label = `**${label.replace(`${PARALLEL_THREADS} threads`, `${PARALLEL_THREADS} threads**`)}`;
      if (i.note) {
        notes.push(`${w.id} ${i.label}: ${i.note}.${i.id === "brain" ? ` One "pass" is one training pass over the batch's samples (the same multiply-adds as one batch step, with a weight update after every sample), so its rate is comparable work, not the same computation.` : ""}`);
        label += ` [${notes.length}]`;
      }
      const unit = i.id === "brain" ? " passes" : "";
      let checkCell = check;
      if (c.unchecked) {
        notes.push(`${w.id} ${i.label}: ${c.unchecked.names.join(" and ")} not compared after the first step: ${c.unchecked.why}.`);
        checkCell += ` [${notes.length}]`;
      }
      if (i.processCpuRatio !== undefined && Math.abs(i.processCpuRatio - 1) > 0.05) {
        notes.push(`${w.id} ${i.label}: its whole process used ${ratio(i.processCpuRatio)} its main thread's CPU time over the timed repetitions (work on other threads, not in its steps/CPU-s).`);
        label += ` [${notes.length}]`;
      }
      const vs = i.id === "gradc-f32" ? "1" : `${ratio(refCpu / mc)}; ${ratio(refWall / mw)}`;
      line(`| ${w.id} | ${label} | **${fmt(mc)}**${unit} ${range(i.cpuRates)} | ${fmt(mw)} ${range(i.rates)} | ${fmt(mc * w.batch)} | ${gflops(w, mc)} | ${vs} | ${checkCell} | ${mem} |`);
    }
    for (const sk of res.skipped ?? []) line(`| ${w.id} | ${sk.label} | skipped: ${sk.reason} | – | – | – | – | – | – |`);
    if (w.noBrain) {
      notes.push(`${w.id} brain.js: ${w.noBrain}.`);
      line(`| ${w.id} | brain.js [${notes.length}] | cannot express ${w.cnn ? "a CNN" : w.lstm ? "this LSTM" : "this network"} | – | – | – | – | – | – |`);
    }
  }
  line();
  for (const [k, n] of notes.entries()) line(`[${k + 1}] ${n}`);
  if (notes.length) line();
  if (rss.size) {
    line(`Peak RSS alone: a separate process running only that implementation for ~${SETTINGS.aloneMs} ms; "harness +" is the increase over the same process with no implementation (node, the TypeScript loader hooks, gradc's f32 module), which was ${selected.map((w) => `${w.id} ${((rss.get(`${w.id}.baseline`) ?? NaN) / 1024).toFixed(0)} MB`).join(", ")}. Peak RSS of each whole comparison process: ${selected.map((w) => `${w.id} ${(results.get(w.id)!.peakRssKb / 1024).toFixed(0)} MB`).join(", ")}.`);
    line();
  }

  line("## gradc ÷ each peer (single thread, f32)");
  line();
  line(`gradc f32's steps per CPU-second over each peer's (medians from the throughput table), and the GFLOP/s each reaches${Number.isFinite(limit) ? ` with its share of the single-core SGEMM limit (${limit.toFixed(1)} GFLOP/s, see above)` : ""}. Above 1× gradc is faster.`);
  line();
  const PEERS = [
    ["torch", "PyTorch"],
    ["jax-wasm", "jax-js wasm"],
    ["tfjs-wasm", "TF.js wasm"],
    ["tfjs-cpu", "TF.js cpu"],
  ] as const;
  line(`| workload | gradc f32 steps/CPU-s | ${PEERS.map(([, name]) => `÷ ${name}`).join(" | ")} | GFLOP/s gradc | ${PEERS.slice(0, 2).map(([, name]) => `GFLOP/s ${name}`).join(" | ")} |`);
  line(`|---|---|${PEERS.map(() => "---|").join("")}---|${PEERS.slice(0, 2).map(() => "---|").join("")}`);
  for (const w of selected) {
    const res = results.get(w.id)!;
    const g = cpu(w.id, "gradc-f32");
    const vs = (id: string) => {
      const p = cpu(w.id, id);
      if (Number.isFinite(p)) return ratio(g / p);
      return res.skipped?.some((x) => x.id === id) ? "skipped" : "–";
    };
    const rate = (id: string) => (Number.isFinite(cpu(w.id, id)) ? gflops(w, cpu(w.id, id)) : "–");
    line(`| ${w.id} | ${fmt(g)} | ${PEERS.map(([id]) => vs(id)).join(" | ")} | ${rate("gradc-f32")} | ${PEERS.slice(0, 2).map(([id]) => rate(id)).join(" | ")} |`);
  }
  line();

  const par = `gradc-f32-t${PARALLEL_THREADS}`;
  const parSelected = selected.filter((w) => impl(w.id, par) || speedups.has(w.id));
  if (parSelected.length) {
    const T = PARALLEL_THREADS;
    line(`## ${T} threads (createParallelTrainer) next to 1 thread and TF.js`);
    line();
    line(`gradc f32 through \`createParallelTrainer(moduleUrl, params, { optimizer, threads: ${T} })\` (runtime/parallel.ts: the batch split into ${T} row shards, the main thread computing one and a worker_thread the other, parameters in SharedArrayBuffer, gradients reduced in a fixed order, the optimizer on the main thread) next to the single-thread trainer. A ${T}-thread step is timed two ways: wall clock, and the busiest thread's CPU time (the largest run time of any thread of the process over the repetition, Linux schedstat). Wall clock is what a user waits for, but on a shared machine a ${T}-thread step needs two free cores at once and waits whenever either thread is descheduled, so under load it understates the speed; the busiest thread's CPU time leaves out those waits and the threads' hand-offs (Atomics.wait/notify), so it overstates it: an idle machine's speed lies between. "Fastest wall reps": the fastest wall-clock repetition of the ${T}-thread trainer over the fastest of the single-thread one, a wall-clock figure from the moments the machine was least loaded. TF.js CPU runs on one thread; TF.js WASM too (see the notes). Peak RSS of a ${T}-thread row (throughput table) includes the worker's own V8 isolate and, in this harness, the TypeScript loader hook the worker runs to import the .ts module (not measured apart). Ratios: gradc's rate over TF.js's, CPU-time medians (the ${T}-thread row's busiest-thread CPU time) then wall-clock medians; "1 thr" gradc single-thread, "${T} thr" gradc ${T} threads.`);
    line();
    line(`| workload | batch | gradc 1 thread steps/CPU-s | gradc ${T} threads: steps/busiest-thread-CPU-s; wall steps/s (median [min–max]) | ${T} threads ÷ 1 thread (CPU; wall; fastest wall reps) | ÷ TF.js CPU, 1 thr / ${T} thr (CPU; wall) | ÷ TF.js WASM, 1 thr / ${T} thr (CPU; wall) | first-step loss ${T} thr (rel. diff to 1 thread) |`);
    line("|---|---|---|---|---|---|---|---|");
    const fastest = (a: readonly number[], b: readonly number[]) => ratio(Math.max(...a) / Math.max(...b));
    const range = (xs: readonly number[]) => `[${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}]`;
    for (const w of parSelected) {
      const p = impl(w.id, par);
      if (p) {
        const c1 = cpu(w.id, "gradc-f32");
        const w1 = wall(w.id, "gradc-f32");
        const c2 = median(p.cpuRates);
        const w2 = median(p.rates);
        const vs = (peer: string) => {
          const pc = cpu(w.id, peer);
          const pw = wall(w.id, peer);
          return Number.isFinite(pc) ? `${ratio(c1 / pc)} / ${ratio(c2 / pc)} (CPU); ${ratio(w1 / pw)} / ${ratio(w2 / pw)} (wall)` : "–";
        };
        const ck = p.check;
        line(`| ${w.id} | ${w.batch} | ${fmt(c1)} | **${fmt(c2)}** ${range(p.cpuRates)}; ${fmt(w2)} ${range(p.rates)} | ${ratio(c2 / c1)}; ${ratio(w2 / w1)}; ${fastest(p.rates, impl(w.id, "gradc-f32")!.rates)} | ${vs("tfjs-cpu")} | ${vs("tfjs-wasm")} | ${ck.loss.toPrecision(8)} (${ck.lossRel === 0 ? "0" : ck.lossRel?.toExponential(0)}) |`);
      }
      const sp = speedups.get(w.id);
      if (sp) {
        const one = sp.impls.find((i) => i.id === "gradc-f32")!;
        const two = sp.impls.find((i) => i.id === par)!;
        const c1 = median(one.cpuRates);
        const c2 = median(two.cpuRates);
        line(`| ${w.id} | ${sp.batch} (large) | ${fmt(c1)} [${fmt(Math.min(...one.cpuRates))}–${fmt(Math.max(...one.cpuRates))}]; wall ${fmt(median(one.rates))} | **${fmt(c2)}** ${range(two.cpuRates)}; ${fmt(median(two.rates))} ${range(two.rates)} | **${ratio(c2 / c1)}**; ${ratio(median(two.rates) / median(one.rates))}; ${fastest(two.rates, one.rates)} | – | – | ${two.check.loss.toPrecision(8)} (${two.check.lossRel === 0 ? "0" : two.check.lossRel?.toExponential(0)}) |`);
      }
    }
    line();
    const sw = [...speedups.values()].filter((x) => selected.some((w) => w.id === x.workload));
    if (sw.length) {
      line(`Large batches (phase 2c): one process per workload holding only gradc's two f32 trainers at that batch (synthetic MNIST-shaped data, 2 batches cycled), ${SETTINGS.reps} interleaved repetitions of ~${(SETTINGS.repMs * 2.5) / 1000} s after the warm-up; the main thread waited for a CPU ${sw.map((x) => `${x.workload} ${(x.waitFraction * 100).toFixed(0)}%`).join(", ")} of the time it wanted to run.`);
      line();
    }
  }

  line("## Compile (cold: a fresh `node bin/gradc.js compile` process each time)");
  line();
  line("Wall clock from spawn to exit, and the compiler process's CPU time (user + system, all threads).");
  line();
  line("| workload | model | f32 wall median [min–max] | f32 CPU median | f64 wall (CPU) | emitted bytes f32 / f64 |");
  line("|---|---|---|---|---|---|");
  const secs = (t: readonly number[]) => `${(median(t) / 1000).toFixed(2)} s${t.length > 1 ? ` [${(Math.min(...t) / 1000).toFixed(2)}–${(Math.max(...t) / 1000).toFixed(2)}]` : ""}`;
  for (const w of selected) {
    const a = compiled.get(`${w.id}.f32`)!;
    const b = compiled.get(`${w.id}.f64`)!;
    line(`| ${w.id} | ${w.model} | ${secs(a.times)} | ${(median(a.cpu) / 1000).toFixed(2)} s | ${(median(b.times) / 1000).toFixed(2)} s (${(median(b.cpu) / 1000).toFixed(2)} s) | ${a.bytes.toLocaleString("en-US")} / ${b.bytes.toLocaleString("en-US")} |`);
  }
  line();

  if (dtypes) {
    out.push(...renderDtypes(selected, dtypes, (w) => ({ f32: cpu(w, "gradc-f32"), f64: cpu(w, "gradc-f64") })));
  } else {
    line("## f32 vs f64 storage (gradc)");
    line();
    line("| workload | f32 steps/CPU-s | f64 steps/CPU-s | faster (CPU time) | faster (wall clock) |");
    line("|---|---|---|---|---|");
    for (const w of selected) {
      line(`| ${w.id} | ${fmt(cpu(w.id, "gradc-f32"))} | ${fmt(cpu(w.id, "gradc-f64"))} | ${faster(cpu(w.id, "gradc-f32"), cpu(w.id, "gradc-f64"))} | ${faster(wall(w.id, "gradc-f32"), wall(w.id, "gradc-f64"))} |`);
    }
  }
  line();

  line("## Targets (gradc f32, ratios of medians in this one run)");
  line();
  line("| target | CPU time | wall clock | |");
  line("|---|---|---|---|");
  const verdict = (value: number, goal: number) => (value >= goal ? "met" : `missed (${((value / goal) * 100).toPrecision(3)}% of target)`);
  const target = (name: string, w: string, peer: string, goal: number) => {
    const c = cpu(w, "gradc-f32") / cpu(w, peer);
    const t = wall(w, "gradc-f32") / wall(w, peer);
    if (!Number.isFinite(c)) {
      const sk = results.get(w)?.skipped?.find((x) => x.id === peer);
      if (sk) line(`| ${name} | – | – | not measured: ${sk.label} skipped (${sk.reason}) |`);
      return;
    }
    line(`| ${name} | ${ratio(c)} | ${ratio(t)} | ${verdict(c, goal)}${(c >= goal) !== (t >= goal) ? ` (wall clock: ${verdict(t, goal)})` : ""} |`);
  };
  for (const w of selected) {
    if (w.id === "W1" || w.id === "W2") target(`${w.id} ≥ 1,000× TF.js CPU`, w.id, "tfjs-cpu", 1000);
    if (w.id === "W3" || w.id === "W4") {
      target(`${w.id} ≥ 8× TF.js CPU`, w.id, "tfjs-cpu", 8);
      target(`${w.id} ≥ 1.0× TF.js WASM`, w.id, "tfjs-wasm", 1);
    }
    if (w.handwritten) target(`${w.id} single-thread ≥ 0.9× hand-written`, w.id, "handwritten", 0.9);
    const sp = speedups.get(w.id);
    if (w.id === "W4" && sp) {
      const one = sp.impls.find((i) => i.id === "gradc-f32")!;
      const two = sp.impls.find((i) => i.id !== "gradc-f32")!;
      const c = median(two.cpuRates) / median(one.cpuRates);
      const t = median(two.rates) / median(one.rates);
      const goal = 1.7;
      const f = Math.max(...two.rates) / Math.max(...one.rates);
      const v = c >= goal && t >= goal ? "met" : c < goal ? verdict(c, goal) : f >= goal ? `met on the busiest-thread bound and on the fastest wall-clock repetitions (${ratio(f)}); the wall-clock medians, under this run's load, ${verdict(t, goal)}` : `not shown: only the busiest-thread bound reaches it (fastest wall-clock repetitions ${ratio(f)}, medians ${ratio(t)})`;
      line(`| W4 ≥ ${goal}× from ${PARALLEL_THREADS} threads (batch ${sp.batch}; CPU column: busiest thread's CPU time, an upper bound; wall-clock medians under this run's load, a lower bound) | ${ratio(c)} | ${ratio(t)} | ${v} |`);
    }
  }
  // Issue 15: against the tools a user would pick instead (PyTorch on the CPU, jax-js), one thread.
  for (const w of selected) {
    if (w.id === "W1" || w.id === "W2") target(`${w.id} ≥ 1,000× PyTorch`, w.id, "torch", 1000);
    if (w.id === "W3" || w.id === "W4") {
      target(`${w.id} ≥ 1.3× jax-js`, w.id, "jax-wasm", 1.3);
      target(`${w.id} ≥ 0.4× PyTorch`, w.id, "torch", 0.4);
    }
    if (w.id === "W4") {
      const g = (cpu(w.id, "gradc-f32") * w.flopsPerStep) / 1e9;
      const gw = (wall(w.id, "gradc-f32") * w.flopsPerStep) / 1e9;
      if (Number.isFinite(g)) line(`| W4 GEMM ≥ 40 GFLOP/s (nominal FLOPs per step × steps/s) | ${fmt(g)} GFLOP/s | ${fmt(gw)} GFLOP/s | ${verdict(g, 40)} |`);
    }
    if (w.id === "W5") {
      target("W5 ≥ 1× PyTorch", w.id, "torch", 1);
      target("W5 ≥ 2× TF.js WASM", w.id, "tfjs-wasm", 2);
      target("W5 ≥ 10× jax-js", w.id, "jax-wasm", 10);
    }
    if (w.id === "W6") {
      target("W6 ≥ 1× PyTorch", w.id, "torch", 1);
      target("W6 ≥ 3× TF.js WASM", w.id, "tfjs-wasm", 3);
    }
    const p = impl(w.id, `gradc-f32-t${PARALLEL_THREADS}`);
    if (p && (w.id === "W4" || w.id === "W5")) {
      const c = median(p.cpuRates) / cpu(w.id, "gradc-f32");
      const t = median(p.rates) / wall(w.id, "gradc-f32");
      line(`| ${w.id} ≥ 1.7× from ${PARALLEL_THREADS} threads at batch ${w.batch} (CPU column: busiest thread's CPU time) | ${ratio(c)} | ${ratio(t)} | ${verdict(c, 1.7)}${(c >= 1.7) !== (t >= 1.7) ? ` (wall clock: ${verdict(t, 1.7)})` : ""} |`);
    }
  }
  const w3 = compiled.get("W3.f32");
  if (w3) {
    const s = median(w3.times) / 1000;
    const c = median(w3.cpu) / 1000;
    // Wall clock decides here: compiling is what a user waits for, and the compiler's CPU time includes
    // V8's helper threads (CPU > wall on a quiet machine).
    line(`| compile W3 < 2 s cold (wall clock; CPU time of all its threads beside it) | ${c.toFixed(2)} s | ${s.toFixed(2)} s | ${s < 2 ? "met" : `missed (${((s / 2) * 100).toFixed(0)}% of the budget)`} |`);
  }
  line();

  line("## Notes");
  line();
  line("- Data: W1 the PyTorch snippet's three points of y = x/2; W2 the four XOR points; W3, W4 and W5 synthetic MNIST-shaped batches (pixels in [0, 1) with ~80% exact zeros, labels uniform in 0…9, seeded; 4, 2 and 4 distinct batches cycled); W6 4 batches of 32 sequences of 32 one-hot characters of a 32-letter alphabet (uniform, seeded) with the next character as the label; the same arrays for every implementation. Dense, convolution and LSTM kernels do the same work whatever the values.");
  line("- Optimizers: W1 Adam(lr 1e-3, β₁ 0.9, β₂ 0.999, ε 1e-8, given to TF.js explicitly: its default ε is 1e-7); W2 SGD(lr 0.5); W3, W4 SGD(lr 0.01); W5 Adam(lr 5e-3, β₁ 0.9, β₂ 0.999, ε 1e-8), the optimizer of examples/mnist-cnn without its cosine schedule (a constant learning rate; a schedule changes lr between steps, not a step's work).");
  line("- W5 is examples/mnist-cnn/model.ts: x [64, 784] reshaped to NHWC [64, 28, 28, 1] → conv 5×5×8 (valid, stride 1) + bias → ReLU → max-pool 2×2 → conv 5×5×16 + bias → ReLU → max-pool 2×2 → flatten [64, 256] → dense 10 → softmax cross-entropy with integer labels; 5,994 parameters. Filters are [kh, kw, in, out] in both gradc and TF.js, so gradc's initParams are copied as they are.");
  line("- W6 is bench/models/lstm-32-128-t32.model.ts: x [32, 32, 32] (batch, steps, inputs) → `lstmLayer(x, 128)` from gradc/layers (torch's nn.LSTM(batch_first=True): gates i, f, g, o; W_ih [32, 512], W_hh [128, 512], b_ih, b_hh; zero initial states) → its last h [32, 128] → `dense(h, 32)` → softmax cross-entropy with integer labels; Adam(lr 1e-3, β₁ 0.9, β₂ 0.999, ε 1e-8); 87,072 parameters.");
  line("- gradc: the modules compiled above (no `--batch`: the batch dimension stays symbolic), used through `createTrainer(initParams(7), { optimizer }).step(inputs)` with typed arrays of the module's dtype, so no step converts its inputs.");
  line("- TF.js: `tf.enableProdMode()`; the same initial values (gradc's initParams copied into tf.variables); ReLU and linear layers as `tf.fused.matMul` with bias and activation (plain matMul + add + relu measured the same within noise on W3), tanh/sigmoid layers as matMul + add + activation; `tf.losses.meanSquaredError` / `tf.losses.softmaxCrossEntropy` (one-hot labels made once); a step is `tf.tidy(() => optimizer.minimize(loss, false, vars))`; batch tensors made once, outside the timing. The WASM backend uses its SIMD build. TF.js gets faster for its first seconds (W1: 3–5× over ~4 s), hence the long warm-up.");
  line("- TF.js on W5: CPU backend `tf.fused.conv2d({ pad: \"valid\", bias, activation: \"relu\" })` (what tf.layers.conv2d runs) and `tf.maxPool(h, 2, 2, \"valid\")`, then `tf.fused.matMul` for the dense layer, all differentiated by TF.js. WASM backend: TF.js 4.22.0's WASM backend registers no Conv2DBackpropFilter kernel, so training tf.conv2d there throws \"Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'\"; the W5 WASM row is tf.conv2d with a custom gradient (bench/peers/tfjs.ts, wasmConv2d): ∂x by TF.js's wasm Conv2DBackpropInput (tf.conv2dTranspose, second convolution only), ∂K as a wasm tf.conv2d of the transposed input [C, H, W, N] with the transposed output gradient [OH, OW, N, Cout] as filters (the batch becomes the contracted axis), transposed back to [kh, kw, in, out] — every kernel still TF.js's own wasm kernel, no JavaScript arithmetic added; then tf.add + tf.relu and tf.maxPool.");
  {
    const wt = selected.map((w) => [w.id, results.get(w.id)?.wasmThreading] as const).filter(([, t]) => t);
    if (wt.length) {
      const t = wt[0]![1]!;
      const same = wt.every(([, x]) => x!.multithread === t.multithread && x!.threads === t.threads);
      line(`- TF.js WASM threads: its own feature test WASM_HAS_MULTITHREAD_SUPPORT said ${t.multithread} in these processes${same ? "" : " (not in all: " + wt.map(([id, x]) => `${id} ${x!.multithread}/${x!.threads}`).join(", ") + ")"} (tfjs-backend-wasm 4.22 returns false whenever it runs in Node), so it loaded the single-threaded SIMD build and \`getThreadsCount()\` = ${t.threads}: every TF.js row is single-threaded, like gradc's rows not marked ${PARALLEL_THREADS} threads.`);
    }
  }
  line("- brain.js: see the numbered notes under the throughput table. It is left out of W1 (a 1-2-1 regression with a linear output is not expressible: brain.js applies its activation to the output layer too) and of W5 (its NeuralNetwork has dense layers only, no convolution or pooling) and W6 (its recurrent LSTM is a character model with its own training loop, not this network).");
  line("- PyTorch (bench/peers/torch.py, one Python child process per workload process, driven over a pipe; the repetitions alternate with the others' as theirs do): the network as a PyTorch user writes it — nn.Linear + activations, nn.Conv2d + nn.ReLU + nn.MaxPool2d in NCHW, nn.LSTM(batch_first=True) + nn.Linear on h_n — with F.cross_entropy / F.mse_loss and torch.optim.SGD / Adam (the workload's hyper-parameters, torch's defaults otherwise); float32; torch.set_num_threads(1) and OMP/OPENBLAS/MKL_NUM_THREADS=1. It starts from gradc's initial parameters converted to torch's layouts (Linear and LSTM weights transposed, conv filters [kh, kw, in, out] → [out, in, kh, kw], the first dense layer after the CNN's flatten re-ordered from NHWC's (h, w, c) rows to NCHW's (c, h, w)), and its parameters after the first step are converted back for the check. A step is zero_grad(set_to_none=True), forward, loss, backward, optimizer.step(), eager and synchronous; it times its own repetitions with the same clocks (its main thread's schedstat CPU time, wall clock), so the pipe's round trip is not in its rates.");
  line("- jax-js (bench/peers/jax.ts): `init(\"wasm\")` (its `init()` without arguments probes WebGPU and throws in Node; the wasm backend is single-threaded in Node, which has no global Worker); the network in jax-js ops (np.dot, lax.conv in NCHW with OIHW filters, lax.reduceWindow(np.max) for pooling, nn.logSoftmax and one-hot labels made once); the LSTM unrolled over its 32 steps (jax-js has no scan) with x·W_ih + b_ih + b_hh of all steps hoisted into one matmul; one step = one `jit` of valueAndGrad of the loss plus the update (torch's SGD and Adam formulas in jax-js ops: @jax-js/optax is not on the npm registry), the two Adam bias corrections passed in as scalars; the loss read with `.item()` every step (jax-js is lazy: that runs the step) and the parameters waited for at the end of each repetition. Its reference counting: every call consumes its arguments; the state goes into each step whole and comes back new, batches are passed as `.ref`. Its first call compiles (during the first-step check, not timed).");
  line("- Hand-written W3 (bench/handwritten/w3.ts): the fastest single-threaded scalar TypeScript we could write for that one network (no WebAssembly) — transposed weight and batch layouts so both big matmuls stream two contiguous arrays, 2×4 register tiles (8 accumulators + 6 operands fit the 15 XMM registers V8 allocates; 4×4, 3×4 and 4×2 tiles measured the same or slower), bias+ReLU, softmax-CE and the SGD updates fused into the kernels, Float32Array storage, no allocation per step.");
  line("- f32 vs f64 on W1: the f64 trainer fits W1's three points exactly (loss 0 after ~10⁵ steps), after which Adam's moments of 4 of its 7 parameters are subnormal doubles, whose arithmetic is slow on x86; f32 storage rounds them to zero. The W1 gap is that, not memory traffic (profile: the f64 update takes 36% of a step, the f32 one 25%).");
  if (run.loadBefore[0]! > os.cpus().length / 2 || run.loadAfter[0]! > os.cpus().length / 2) {
    line(`- This run shared the machine with other work (load average ${run.loadBefore[0]!.toFixed(1)} before, ${run.loadAfter[0]!.toFixed(1)} after, on ${os.cpus().length} CPUs): read the CPU-time medians (main-thread time actually running), which the ratios and targets use; wall-clock rates are given beside them.`);
  }
  line();
  return `${out.join("\n")}\n`;
}

const faster = (a: number, b: number) => (a >= b ? `f32, ${ratio(a / b)}` : `f64, ${ratio(b / a)}`);

/**
 * The f32 vs f64 section from phase 2b (one process, every workload's two modules interleaved); `phase2`,
 * when given, adds each workload's medians from its own comparison process (phase 2) for contrast.
 */
function renderDtypes(selected: readonly Workload[], d: DtypeResult, phase2: ((w: string) => { f32: number; f64: number }) | null): string[] {
  const out = ["## f32 vs f64 storage (gradc)", ""];
  out.push(
    `Phase 2b: gradc's f32 and f64 trainers of ${selected.map((w) => w.id).join(", ")} in one process, all ${d.entries.length} interleaved round by round (order rotated), ${d.reps} repetitions each after the warm-up, main-thread CPU time (contention ${(d.waitFraction * 100).toFixed(0)}%). f32 stores parameters, inputs and workspaces in Float32Array, runs its large matmuls on the runtime's WebAssembly SIMD product (float32 arithmetic) and computes everything else in doubles (one rounding per store); f64 stores Float64Array and runs every matmul as emitted JavaScript loop nests.`,
    "",
    `| workload | f32 steps/CPU-s median [min–max] | f64 steps/CPU-s median [min–max] | faster (CPU time) | faster (wall clock) |${phase2 ? " in the workload's own process (phase 2, CPU) |" : ""}`,
    `|---|---|---|---|---|${phase2 ? "---|" : ""}`,
  );
  const range = (xs: readonly number[]) => `[${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}]`;
  for (const w of selected) {
    const a = d.entries.find((e) => e.workload === w.id && e.dtype === "f32");
    const b = d.entries.find((e) => e.workload === w.id && e.dtype === "f64");
    if (!a || !b) continue;
    const p = phase2?.(w.id);
    out.push(
      `| ${w.id} | **${fmt(median(a.cpuRates))}** ${range(a.cpuRates)} | **${fmt(median(b.cpuRates))}** ${range(b.cpuRates)} | ${faster(median(a.cpuRates), median(b.cpuRates))} | ${faster(median(a.rates), median(b.rates))} |${p ? ` ${faster(p.f32, p.f64)} |` : ""}`,
    );
  }
  return out;
}

/** `--report-only`: render the tables again from the last run's raw results (bench/.out/results.json). */
function reportOnly(): void {
  const raw = JSON.parse(readFileSync(path.join(OUT, quick ? "results.quick.json" : "results.json"), "utf8")) as {
    selected: string[];
    compiled: [string, CompileResult][];
    results: [string, ChildResult][];
    rss: [string, number][];
    run: RunInfo;
    dtypes?: DtypeResult;
    speedups?: [string, SpeedupResult][];
  };
  const selected = WORKLOADS.filter((w) => raw.selected.includes(w.id));
  const report = render(selected, new Map(raw.compiled), new Map(raw.results), new Map(raw.rss), raw.run, raw.dtypes, new Map(raw.speedups ?? []));
  process.stdout.write(report);
  if (!quick && selected.length === WORKLOADS.length) writeFileSync(path.join(ROOT, "bench", "RESULTS.md"), keepScalingSection(report));
}

if (args["report-only"]) reportOnly();
else if (args.child && args.alone) await alone(args.child, args.alone);
else if (args.child) await child(args.child);
else if (args["child-dtypes"]) await dtypeChild(args["child-dtypes"].split(","));
else if (args["child-speedup"]) await speedupChild(args["child-speedup"]);
else await main();
