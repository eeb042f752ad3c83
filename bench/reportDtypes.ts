// The report's f32 vs f64 section: gradc's two storage types side by side, from phase 2b (processes of one
// dtype each, interleaving every workload's module of that dtype), or, for the raw results of a run before
// phase 2b, from the phase 2 processes' medians. Also the body of `--dtype-compare`'s own file
// (bench/.out/RESULTS.dtypes.md).

import { relDiff } from "./check.js";
import { faster, fmt, median, range } from "./format.js";
import type { Medians } from "./medians.js";
import type { DtypeResult } from "./results.js";
import type { Workload } from "./workloads.js";

/** The f32 vs f64 section from phase 2b: each dtype's repetitions from its two processes, and the first steps' losses compared. */
export function renderDtypes(selected: readonly Workload[], d: DtypeResult): string[] {
  const out = ["## f32 vs f64 storage (gradc)", ""];
  out.push(
    `Phase 2b: gradc's trainers of ${selected.map((w) => w.id).join(", ")}, one dtype a process (a process training both would make gradc/runtime's shared optimizer loops see Float32Array and Float64Array, which V8 then compiles for both: ~10% of an SGD step), four processes in the order f32, f64, f64, f32, each interleaving its workloads round by round (order rotated); ${d.reps} repetitions per trainer after the warm-up, main-thread CPU time (contention ${(d.waitFraction * 100).toFixed(0)}%). f32 stores parameters, inputs and workspaces in Float32Array, runs its large matmuls on the runtime's WebAssembly SIMD product (float32 arithmetic) and computes everything else in doubles (one rounding per store); f64 stores Float64Array and runs every matmul as emitted JavaScript loop nests. Both start from the same parameters: the first step's loss of each is compared.`,
    "",
    "| workload | f32 steps/CPU-s median [min–max] | f64 steps/CPU-s median [min–max] | faster (CPU time) | faster (wall clock) | first-step loss f64, rel. diff. to f32 |",
    "|---|---|---|---|---|---|",
  );
  for (const w of selected) {
    const a = d.entries.find((e) => e.workload === w.id && e.dtype === "f32");
    const b = d.entries.find((e) => e.workload === w.id && e.dtype === "f64");
    if (!a || !b) continue;
    const check = a.firstLoss !== undefined && b.firstLoss !== undefined ? `${b.firstLoss.toPrecision(8)}, ${relDiff(b.firstLoss, a.firstLoss).toExponential(1)}` : "–";
    out.push(
      `| ${w.id} | **${fmt(median(a.cpuRates))}** ${range(a.cpuRates)} | **${fmt(median(b.cpuRates))}** ${range(b.cpuRates)} | ${faster(median(a.cpuRates), median(b.cpuRates))} | ${faster(median(a.rates), median(b.rates))} | ${check} |`,
    );
  }
  return out;
}

/** The section in the full report: phase 2b's table, or phase 2's medians from the raw results of a run before phase 2b. */
export function dtypeSection(selected: readonly Workload[], dtypes: DtypeResult | undefined, { cpu, wall }: Medians): string[] {
  const out: string[] = [];
  const line = (s = "") => out.push(s);
  if (dtypes) {
    out.push(...renderDtypes(selected, dtypes));
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
