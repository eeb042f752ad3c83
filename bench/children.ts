// The workload children of `npm run bench`: one process per role, started by the parent (parent.ts) as
// `bench/run.ts --child W3` (phase 2: every implementation of a workload, first step checked, then
// interleaved repetitions), `--child-dtypes W1,W2 --dtype f32` (2b: gradc f32 against f64, one dtype a process), `--child-speedup W4` (2c:
// 1 against 2 threads at a large batch) and `--child W3 --alone <impl>` (3: one implementation's peak RSS).
// Each prints its result as one BENCH_RESULT line (results.ts).

import { paramsDiff, relDiff } from "./check.js";
import { makeImpls } from "./impls.js";
import { DTYPE_REPS, PARALLEL_THREADS, SETTINGS, args, genFile, type Dtype } from "./options.js";
import { gradcImpl, gradcParallelImpl, loadGenerated } from "./peers/gradc.js";
import type { Impl, ParamArrays } from "./peers/impl.js";
import { sendResult, type AloneResult, type Check, type ChildResult, type DtypeResult, type SpeedupResult } from "./results.js";
import { cpuClock, timeSteps, waitFraction, warmUp } from "./timing.js";
import { WORKLOADS, type Workload } from "./workloads.js";

function workload(id: string): Workload {
  const w = WORKLOADS.find((x) => x.id === id);
  if (!w) throw new Error(`unknown workload ${id}`);
  return w;
}

/**
 * Phase 2b: gradc's trainers of one dtype for every given workload in this one process, interleaved, and
 * each one's first-step loss. One dtype per process: the two would share gradc/runtime's optimizer
 * loops (impls.ts); the parent alternates the processes, f32 f64 f64 f32, so that drift cancels.
 */
export async function dtypeChild(ids: readonly string[], dtype: Dtype): Promise<void> {
  const log = (s: string) => process.stderr.write(`  [${dtype}] ${s}\n`);
  const entries: { workload: string; dtype: Dtype; impl: Impl; firstLoss: number }[] = [];
  for (const id of ids) {
    const w = workload(id);
    const impl = gradcImpl(await loadGenerated(genFile(w, dtype)), dtype, w, w.data());
    entries.push({ workload: id, dtype, impl, firstLoss: await impl.stepWithLoss() });
  }
  const perRep = new Map<Impl, number>();
  for (const e of entries) perRep.set(e.impl, await warmUp(e.impl, (s) => log(`${e.workload} ${s}`)));
  const rates = new Map<Impl, number[]>(entries.map((e) => [e.impl, []]));
  const cpuRates = new Map<Impl, number[]>(entries.map((e) => [e.impl, []]));
  const reps = DTYPE_REPS;
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
    entries: entries.map((e) => ({ workload: e.workload, dtype: e.dtype, rates: rates.get(e.impl)!, cpuRates: cpuRates.get(e.impl)!, firstLoss: e.firstLoss })),
    waitFraction: waitFraction(),
    reps,
  };
  sendResult(result);
}

/** Phase 2: one workload, every implementation, interleaved. */
export async function child(id: string): Promise<void> {
  const w = workload(id);
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
    waitFraction: waitFraction(),
    cpuClock: cpuClock(),
    ...(impls.some((i) => i.id === "tfjs-wasm") ? { wasmThreading: await (await import("./peers/tfjs.js")).wasmThreading() } : {}),
  };
  for (const impl of impls) await impl.close?.();
  sendResult(result);
}

/**
 * Phase 2c: the 2-thread speed-up at a large batch (the workload's `speedup`): gradc f32 through
 * createTrainer and through createParallelTrainer, first step checked, interleaved repetitions of
 * ~2.5 × repMs (a step takes 0.1–0.5 s at these batches).
 */
export async function speedupChild(id: string): Promise<void> {
  const w0 = workload(id);
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
    waitFraction: waitFraction(),
  };
  sendResult(result);
}

/** One implementation alone in this process (or none: "baseline"), a short run, then the peak RSS. */
export async function alone(id: string, implId: string): Promise<void> {
  const w = workload(id);
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
      sendResult({ workload: id, impl: implId, peakRssKb: own, ownProcess: true } satisfies AloneResult);
      return;
    }
  } else {
    await loadGenerated(genFile(w, "f32"));
  }
  const result: AloneResult = { workload: id, impl: implId, peakRssKb: process.resourceUsage().maxRSS };
  sendResult(result);
}
