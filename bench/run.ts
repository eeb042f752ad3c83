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
//   npm run bench -- --dtype-compare   only gradc f32 vs f64 storage (phase 2b),
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
//   2b. f32 vs f64: child processes of one dtype each (`--child-dtypes W1,… --dtype f32`), run f32, f64,
//      f64, f32, each interleaving that dtype's trainers of every workload round by round (order rotated),
//      timed like phase 2. One dtype a process, also in phase 2: a process training both makes
//      gradc/runtime's shared optimizer loops polymorphic (~10% of an SGD step), which no user's program pays.
//   2c. 2 threads at a large batch: per workload with a `speedup` entry, one child (`--child-speedup W4`)
//      holding gradc f32's createTrainer and createParallelTrainer (2 threads) at that batch, interleaved.
//      (Phase 2 also runs the 2-thread trainer at each W3–W5 batch, next to the peers.)
//   3. memory: one short child per implementation alone (and one with none, the harness's baseline),
//      reporting its peak RSS.
// No timing thresholds anywhere: the targets are reported, not asserted.
//
// This file only decides which role this process plays; the roles and their parts are in their own files:
// options.ts (the options above and the settings they pick), parent.ts (the phases and the report's files),
// children.ts (the workload processes), impls.ts (the implementations a workload process holds), timing.ts
// (the clocks, timed repetitions and warm-up), results.ts (what the processes hand each other), report.ts
// and report*.ts (the Markdown report), format.ts (numbers as the report writes them).

import { alone, child, dtypeChild, speedupChild } from "./children.js";
import { args } from "./options.js";
import { main, reportOnly } from "./parent.js";

if (args["report-only"]) reportOnly();
else if (args.child && args.alone) await alone(args.child, args.alone);
else if (args.child) await child(args.child);
else if (args["child-dtypes"]) await dtypeChild(args["child-dtypes"].split(","), args.dtype === "f64" ? "f64" : "f32");
else if (args["child-speedup"]) await speedupChild(args["child-speedup"]);
else await main();
