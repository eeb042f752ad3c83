// The report's f32 vs f64 section: gradc's two storage types side by side, from phase 2b (one process
// interleaving every workload's two modules) when it ran, else from the phase 2 processes' medians. Also
// the body of `--dtype-compare`'s own file (bench/.out/RESULTS.dtypes.md).

import { faster, fmt, median, range } from "./format.js";
import type { Medians } from "./medians.js";
import type { DtypeResult } from "./results.js";
import type { Workload } from "./workloads.js";

/**
 * The f32 vs f64 section from phase 2b (one process, every workload's two modules interleaved); `phase2`,
 * when given, adds each workload's medians from its own comparison process (phase 2) for contrast.
 */
export function renderDtypes(selected: readonly Workload[], d: DtypeResult, phase2: ((w: string) => { f32: number; f64: number }) | null): string[] {
  const out = ["## f32 vs f64 storage (gradc)", ""];
  out.push(
    `Phase 2b: gradc's f32 and f64 trainers of ${selected.map((w) => w.id).join(", ")} in one process, all ${d.entries.length} interleaved round by round (order rotated), ${d.reps} repetitions each after the warm-up, main-thread CPU time (contention ${(d.waitFraction * 100).toFixed(0)}%). f32 stores parameters, inputs and workspaces in Float32Array, runs its large matmuls on the runtime's WebAssembly SIMD product (float32 arithmetic) and computes everything else in doubles (one rounding per store); f64 stores Float64Array and runs every matmul as emitted JavaScript loop nests.`,
    "",
    `| workload | f32 steps/CPU-s median [min–max] | f64 steps/CPU-s median [min–max] | faster (CPU time) | faster (wall clock) |${phase2 ? " in the workload's own process (phase 2, CPU) |" : ""}`,
    `|---|---|---|---|---|${phase2 ? "---|" : ""}`,
  );
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

/** The section in the full report: phase 2b's table with phase 2's medians beside it, or those medians alone. */
export function dtypeSection(selected: readonly Workload[], dtypes: DtypeResult | undefined, { cpu, wall }: Medians): string[] {
  const out: string[] = [];
  const line = (s = "") => out.push(s);
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
  return out;
}
