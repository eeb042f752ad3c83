// A/B of generated trainers in one process: CPU time per training step of two or more compiled modules
// of the same workload, interleaved round by round (a quick check of an emitter change, without peers).
//
//   node --import ./scripts/register-ts.js bench/ab.ts W1 before.gen.ts after.gen.ts [--rounds 9] [--ms 400] [--adam]
//
// --adam trains with Adam (lr 1e-3, β 0.9 and 0.999, ε 1e-8: torch's defaults) instead of the workload's optimizer: the
// update's share of a step differs a lot between SGD and Adam (W3 with Adam: an MLP as users train it).
//
// Each module is a `gradc compile` output (of the workload's model, the dtype the data is converted to);
// it may import its own runtime (a module compiled by another checkout imports that checkout's dist/).
// Prints the median and min of per-step main-process CPU time (process.cpuUsage), which stays close
// to a quiet machine's while other processes compete for the CPUs.
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { WORKLOADS } from "./workloads.js";
import { SEED, type GeneratedModule } from "./peers/gradc.js";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { rounds: { type: "string", default: "9" }, ms: { type: "string", default: "400" }, adam: { type: "boolean", default: false } },
});
const [id, ...files] = positionals;
const w = WORKLOADS.find((x) => x.id === id?.toUpperCase());
if (!w || files.length === 0) throw new Error("usage: bench/ab.ts <workload> a.gen.ts b.gen.ts … [--rounds N] [--ms N]");

const mods = await Promise.all(files.map(async (f) => (await import(pathToFileURL(path.resolve(f)).href)) as GeneratedModule));
const trainers = mods.map((m) => {
  const convert = (a: Float32Array | Int32Array) => (a instanceof Int32Array || m.spec.dtype === "f32" ? a : Float64Array.from(a));
  const batches = w.data().map((b) => ({ x: convert(b.x), y: convert(b.y) }));
  const trainer = m.createTrainer(m.initParams(SEED), { optimizer: values.adam ? { kind: "adam", lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 } : w.optimizer });
  return { trainer, batches };
});
/** CPU nanoseconds per step over about `ms` milliseconds. */
function run(t: (typeof trainers)[number], ms: number): number {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let steps = 0;
  while (performance.now() - t0 < ms) {
    for (let k = 0; k < 64; k++) t.trainer.step(t.batches[steps++ % t.batches.length]!);
  }
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) * 1000) / steps;
}
for (const t of trainers) run(t, 1500); // warm-up
const samples: number[][] = trainers.map(() => []);
for (let r = 0; r < Number(values.rounds); r++) {
  for (let k = 0; k < trainers.length; k++) {
    const j = (k + r) % trainers.length; // rotate the order each round
    samples[j]!.push(run(trainers[j]!, Number(values.ms)));
  }
}
const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const base = median(samples[0]!);
files.forEach((f, k) => {
  const m = median(samples[k]!);
  const fmt = (ns: number) => (ns >= 1e5 ? `${(ns / 1e6).toFixed(2)} ms` : `${ns.toFixed(0)} ns`);
  console.log(`${w.id} ${path.basename(f)}: ${fmt(m)}/step CPU median (min ${fmt(Math.min(...samples[k]!))}), ${(1e9 / m).toPrecision(4)} steps/CPU-s, ${(base / m).toFixed(2)}× the first`);
});
