// How a workload child times an implementation: the clocks (the main thread's CPU time and run-queue wait
// from Linux schedstat, every thread's for a multi-threaded trainer), one timed repetition (timeSteps) and
// the warm-up that sizes the repetitions. Kept apart from what is timed (impls.ts) and from the order of
// the repetitions (children.ts).

import { readdirSync, readFileSync } from "node:fs";
import { SETTINGS } from "./options.js";
import type { Impl } from "./peers/impl.js";

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
export const contention = { run: 0, wait: 0 };

/** Over the timed repetitions so far: the main thread's run-queue wait / (run + wait); 0 on a quiet machine. */
export function waitFraction(): number {
  return contention.wait / Math.max(contention.run + contention.wait, 1);
}

/** Whether the CPU times are the main thread's (schedstat) or the whole process's. */
export function cpuClock(): "main thread" | "process" {
  return haveSchedstat ? "main thread" : "process";
}

/**
 * Runs `steps` steps; returns steps per wall-clock second and per second of main-thread CPU time. For a
 * multi-threaded implementation (impl.threads > 1) the CPU time is the busiest thread's: the largest
 * run time of any thread of this process over the repetition (main thread or worker), i.e. what a step
 * costs when each thread has a core to itself, without the waits for each other (an optimistic bound of
 * its speed on an idle machine; wall clock is the pessimistic one under load).
 */
export async function timeSteps(impl: Impl, steps: number, record = false): Promise<{ wall: number; cpu: number; processCpuNs?: number; cpuNs?: number }> {
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
export async function warmUp(impl: Impl, log: (s: string) => void, repMs = SETTINGS.repMs): Promise<number> {
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
