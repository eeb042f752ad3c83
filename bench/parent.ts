// The parent process of `npm run bench`: phase 1 (compile each model cold with the real CLI), then a
// workload child per phase (children.ts) for the comparison, f32 vs f64, the 2-thread speed-up and the
// memory, then the report (report.ts) to stdout and to RESULTS.md; and `--report-only`, the report again
// from the saved raw results. Also which of the optional peers (PyTorch, jax-js) can run here.

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { machine } from "./format.js";
import { DTYPES, OUT, PARALLEL_THREADS, ROOT, SETTINGS, args, genFile, quick, type Dtype } from "./options.js";
import { describeBlas } from "./peers/torch.js";
import { render } from "./report.js";
import { renderDtypes } from "./reportDtypes.js";
import { RESULT_PREFIX, OWN_PROCESS, type AloneResult, type ChildResult, type CompileResult, type DtypeResult, type PeersInfo, type RunInfo, type SavedRun, type SpeedupResult } from "./results.js";
import { replaceSection, scalingSection } from "./resultsSections.js";
import { WORKLOADS, type Workload } from "./workloads.js";

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

/** Phase 1: one `gradc compile` in a fresh process (cold), its wall-clock and CPU ms. */
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

/** Runs bench/run.ts as a workload child with these arguments (and this run's --quick, --relaxed-simd); its result. */
function runChild(extra: string[]): unknown {
  const relaxed = args["relaxed-simd"] ? ["--experimental-wasm-relaxed-simd"] : [];
  const r = spawnSync(process.execPath, [...relaxed, "--import", "./scripts/register-ts.js", "bench/run.ts", ...extra, ...(quick ? ["--quick"] : []), ...(args["relaxed-simd"] ? ["--relaxed-simd"] : [])], {
    cwd: ROOT,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 64 * 1024 * 1024,
  });
  const line = r.stdout.split("\n").find((l) => l.startsWith(RESULT_PREFIX));
  if (r.status !== 0 || !line) throw new Error(`bench child ${extra.join(" ")} failed (exit ${r.status}):\n${r.stdout}`);
  return JSON.parse(line.slice(RESULT_PREFIX.length));
}

/** The size of the SGEMM that measures the single-core limit. */
const SGEMM_N = 1024;

/** Which optional peers run here: a Python with torch (and its BLAS's single-core SGEMM), and jax-js. */
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

/** The whole run: compile, the workload children phase by phase, then the report and its files. */
export async function main(): Promise<void> {
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

  // 2b. f32 vs f64 storage: every selected workload, one dtype a process, f32 f64 f64 f32 (alone with --dtype-compare)
  say(`f32 vs f64: ${selected.map((w) => w.id).join(", ")}, one dtype a process`);
  const dtypes = mergeDtypes((["f32", "f64", "f64", "f32"] as const).map((dtype) => runChild(["--child-dtypes", selected.map((w) => w.id).join(","), "--dtype", dtype]) as DtypeResult));
  if (args["dtype-compare"]) {
    const file = path.join(OUT, "RESULTS.dtypes.md");
    const text = `# gradc f32 vs f64 storage\n\nWritten by \`npm run bench -- --dtype-compare\`${quick ? " --quick" : ""} (bench/run.ts).\n\n${machine(new Date().toISOString()).join("\n")}\n- load average (1 min) before / after: ${loadBefore[0]!.toFixed(2)} / ${os.loadavg()[0]!.toFixed(2)} on ${os.cpus().length} CPUs\n\n${renderDtypes(selected, dtypes).join("\n")}\n`;
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
      for (const impl of ["baseline", ...results.get(w.id)!.impls.map((i) => i.id), "gradc-f64"]) {
        const r = runChild(["--child", w.id, "--alone", impl, ...pythonArg]) as AloneResult;
        rss.set(`${w.id}.${impl}${r.ownProcess ? OWN_PROCESS : ""}`, r.peakRssKb);
      }
      say(`memory ${w.id}: ${[...rss].filter(([k]) => k.startsWith(`${w.id}.`)).map(([k, v]) => `${k.slice(w.id.length + 1).replace(OWN_PROCESS, " (own process)")} ${(v / 1024).toFixed(0)} MB`).join(", ")}`);
    }
  }
  const loadAfter = os.loadavg();

  const runInfo: RunInfo = { loadBefore, loadAfter, seconds: (performance.now() - started) / 1000, date: new Date().toISOString(), peers };
  writeFileSync(path.join(OUT, quick ? "results.quick.json" : args.only ? "results.partial.json" : "results.json"), JSON.stringify({ selected: selected.map((w) => w.id), compiled: [...compiled], results: [...results], rss: [...rss], run: runInfo, dtypes, speedups: [...speedups] } satisfies SavedRun));
  const report = render(selected, compiled, results, rss, runInfo, dtypes, speedups);
  process.stdout.write(report);
  const file = quick ? path.join(OUT, "RESULTS.quick.md") : args.only ? path.join(OUT, "RESULTS.partial.md") : path.join(ROOT, "bench", "RESULTS.md");
  writeFileSync(file, file === path.join(ROOT, "bench", "RESULTS.md") ? keepScalingSection(report) : report);
  say(`\nwritten to ${path.relative(ROOT, file)}`);
}

/** Phase 2b's processes as one result: each (workload, dtype)'s repetitions in run order, its first-step loss, the worst contention. */
function mergeDtypes(parts: readonly DtypeResult[]): DtypeResult {
  const entries = new Map<string, DtypeResult["entries"][number]>();
  for (const e of parts.flatMap((p) => p.entries)) {
    const key = `${e.workload}.${e.dtype}`;
    const had = entries.get(key);
    entries.set(key, had ? { ...had, rates: [...had.rates, ...e.rates], cpuRates: [...had.cpuRates, ...e.cpuRates] } : e);
  }
  return { entries: [...entries.values()], waitFraction: Math.max(...parts.map((p) => p.waitFraction)), reps: parts.reduce((n, p) => n + p.reps, 0) / DTYPES.length };
}

/** The report, followed by the compile-time scaling section bench/RESULTS.md has now (npm run bench:scaling writes it). */
function keepScalingSection(report: string): string {
  const file = path.join(ROOT, "bench", "RESULTS.md");
  const kept = scalingSection(existsSync(file) ? readFileSync(file, "utf8") : "");
  return kept ? replaceSection(report, kept) : report;
}

/** `--report-only`: render the tables again from the last run's raw results (bench/.out/results.json). */
export function reportOnly(): void {
  const raw = JSON.parse(readFileSync(path.join(OUT, quick ? "results.quick.json" : "results.json"), "utf8")) as SavedRun;
  const selected = WORKLOADS.filter((w) => raw.selected.includes(w.id));
  const report = render(selected, new Map(raw.compiled), new Map(raw.results), new Map(raw.rss), raw.run, raw.dtypes, new Map(raw.speedups ?? []));
  process.stdout.write(report);
  if (!quick && selected.length === WORKLOADS.length) writeFileSync(path.join(ROOT, "bench", "RESULTS.md"), keepScalingSection(report));
}
