// The report's section on gradc's data-parallel trainer (createParallelTrainer, PARALLEL_THREADS threads):
// its rows next to the single-thread trainer and TF.js at each workload's batch (phase 2), and the
// large-batch speed-up (phase 2c), with what its two clocks do and do not show.

import { fmt, median, range, ratio } from "./format.js";
import type { Medians } from "./medians.js";
import { PARALLEL_THREADS, SETTINGS } from "./options.js";
import type { SpeedupResult } from "./results.js";
import type { Workload } from "./workloads.js";

/** The section, or nothing when no selected workload ran the parallel trainer. */
export function threadsSection(selected: readonly Workload[], speedups: ReadonlyMap<string, SpeedupResult>, { impl, cpu, wall }: Medians): string[] {
  const out: string[] = [];
  const line = (s = "") => out.push(s);
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
        line(`| ${w.id} | ${sp.batch} (large) | ${fmt(c1)} ${range(one.cpuRates)}; wall ${fmt(median(one.rates))} | **${fmt(c2)}** ${range(two.cpuRates)}; ${fmt(median(two.rates))} ${range(two.rates)} | **${ratio(c2 / c1)}**; ${ratio(median(two.rates) / median(one.rates))}; ${fastest(two.rates, one.rates)} | – | – | ${two.check.loss.toPrecision(8)} (${two.check.lossRel === 0 ? "0" : two.check.lossRel?.toExponential(0)}) |`);
      }
    }
    line();
    const sw = [...speedups.values()].filter((x) => selected.some((w) => w.id === x.workload));
    if (sw.length) {
      line(`Large batches (phase 2c): one process per workload holding only gradc's two f32 trainers at that batch (synthetic MNIST-shaped data, 2 batches cycled), ${SETTINGS.reps} interleaved repetitions of ~${(SETTINGS.repMs * 2.5) / 1000} s after the warm-up; the main thread waited for a CPU ${sw.map((x) => `${x.workload} ${(x.waitFraction * 100).toFixed(0)}%`).join(", ")} of the time it wanted to run.`);
      line();
    }
  }
  return out;
}
