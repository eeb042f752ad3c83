// The report of `npm run bench`, as Markdown (bench/RESULTS.md): the run's machine, peers and method, the
// throughput table with its numbered notes, gradc ÷ each peer, and the compile times; the sections with
// more to say are in their own files (reportThreads, reportDtypes, reportTargets, reportNotes).

import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fmt, machine, median, range, ratio } from "./format.js";
import { medians } from "./medians.js";
import { PARALLEL_THREADS, ROOT, SETTINGS, quick } from "./options.js";
import { describeBlas } from "./peers/torch.js";
import { dtypeSection } from "./reportDtypes.js";
import { notesSection } from "./reportNotes.js";
import { targetsSection } from "./reportTargets.js";
import { threadsSection } from "./reportThreads.js";
import { OWN_PROCESS, type ChildResult, type CompileResult, type DtypeResult, type RunInfo, type SpeedupResult } from "./results.js";
import type { Workload } from "./workloads.js";

/** The whole report (Markdown): what the parent prints and writes to RESULTS.md. */
export function render(
  selected: readonly Workload[],
  compiled: ReadonlyMap<string, CompileResult>,
  results: ReadonlyMap<string, ChildResult>,
  rss: ReadonlyMap<string, number>,
  run: RunInfo,
  dtypes: DtypeResult | undefined,
  speedups: ReadonlyMap<string, SpeedupResult> = new Map(),
): string {
  const out: string[] = [];
  const line = (s = "") => out.push(s);
  const byImpl = medians(results);
  const { cpu, wall } = byImpl;
  const limit = run.peers?.torch.ok ? run.peers.torch.sgemm.gflops : NaN;
  /** GFLOP/s at `rate` steps/s, with its share of the single-core SGEMM limit when that was measured. */
  const gflops = (w: Workload, rate: number) => {
    const g = (rate * w.flopsPerStep) / 1e9;
    return Number.isFinite(limit) ? `${fmt(g)} (${fmt((g / limit) * 100)}%)` : fmt(g);
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
    line(`Peak RSS alone: a separate process running only that implementation for ~${SETTINGS.aloneMs} ms; "harness +" is the increase over the same process with no implementation (node, the TypeScript loader hooks, gradc's f32 module), which was ${selected.map((w) => `${w.id} ${((rss.get(`${w.id}.baseline`) ?? NaN) / 1024).toFixed(0)} MB`).join(", ")}. Peak RSS of each whole comparison process: ${selected.map((w) => `${w.id} ${(results.get(w.id)!.peakRssKb / 1024).toFixed(0)} MB`).join(", ")}.${selected.some((w) => rss.has(`${w.id}.gradc-f64`)) ? ` gradc f64 alone (timed in phase 2b, not here): ${selected.filter((w) => rss.has(`${w.id}.gradc-f64`)).map((w) => `${w.id} ${(rss.get(`${w.id}.gradc-f64`)! / 1024).toFixed(0)} MB`).join(", ")}.` : ""}`);
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

  out.push(...threadsSection(selected, speedups, byImpl));

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

  out.push(...dtypeSection(selected, dtypes, byImpl));

  out.push(...targetsSection(selected, compiled, results, speedups, byImpl));

  out.push(...notesSection(selected, results, run));
  return `${out.join("\n")}\n`;
}
