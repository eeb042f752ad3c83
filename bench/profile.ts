// Where a generated trainer spends its time, kernel by kernel.
//
//   node --import ./scripts/register-ts.js bench/profile.ts W4 [--dtype f32|f64] [--seconds 3]
//
// Uses the module `npm run bench` compiled (bench/.out/<id>.<dtype>.gen.ts; compiles it if missing),
// transpiles it to plain JS next to it (so profile line numbers are the module's own, comments kept),
// trains for a while under V8's sampling profiler (node:inspector) and attributes each sampled line to
// the block comment above it (`// h1 = relu(x·W1 + b1)   (model.ts:12:14)`) — i.e. to a kernel of the
// emitted code. Samples outside the module are listed by function (optimizer update, GC, …). The raw
// profile is written to bench/.out/<id>.<dtype>.cpuprofile (open it in Chrome DevTools).

import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { ts } from "ts-morph";
import { WORKLOADS } from "./workloads.js";
import { SEED, type GeneratedModule } from "./peers/gradc.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { dtype: { type: "string", default: "f32" }, seconds: { type: "string", default: "3" } },
});
const w = WORKLOADS.find((x) => x.id === (positionals[0] ?? "W3").toUpperCase());
if (!w) throw new Error(`usage: bench/profile.ts <${WORKLOADS.map((x) => x.id).join("|")}> [--dtype f32|f64] [--seconds N]`);
const dtype = values.dtype === "f64" ? "f64" : "f32";
const base = path.join(ROOT, "bench", ".out", `${w.id.toLowerCase()}.${dtype}`);
if (!existsSync(`${base}.gen.ts`)) {
  const r = spawnSync(process.execPath, ["bin/gradc.js", "compile", w.model, "-o", `${base}.gen.ts`, "--dtype", dtype], { cwd: ROOT, stdio: "inherit" });
  if (r.status !== 0) process.exit(1);
}
const js = ts.transpileModule(readFileSync(`${base}.gen.ts`, "utf8"), {
  compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, removeComments: false },
}).outputText;
writeFileSync(`${base}.gen.mjs`, js);
const url = pathToFileURL(`${base}.gen.mjs`).href;
const mod = (await import(url)) as GeneratedModule;

const batches = w.data().map((b) =>
  dtype === "f32" ? { x: b.x, y: b.y } : { x: Float64Array.from(b.x), y: b.y instanceof Int32Array ? b.y : Float64Array.from(b.y) },
);
const trainer = mod.createTrainer(mod.initParams(SEED), { optimizer: w.optimizer });
const train = (ms: number): number => {
  let steps = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) trainer.step(batches[steps++ % batches.length]!);
  return steps;
};
train(1000); // warm-up

const session = new Session();
session.connect();
await session.post("Profiler.enable");
await session.post("Profiler.setSamplingInterval", { interval: 100 });
await session.post("Profiler.start");
const t0 = performance.now();
const steps = train(Number(values.seconds) * 1000);
const ms = performance.now() - t0;
const { profile } = await session.post("Profiler.stop");
writeFileSync(`${base}.cpuprofile`, JSON.stringify(profile));

// The block each line belongs to: the nearest comment line above it that names a computation.
const lines = js.split("\n");
const blockOf: string[] = [];
let current = "(module code outside any block)";
let fn = "";
for (const l of lines) {
  const f = /^(?:export )?function (\w+)/.exec(l);
  if (f) fn = f[1]!;
  const c = /^\s*\/\/ (.+?)\s{3}\((.*)\)\s*$/.exec(l);
  if (c) current = `${fn}: ${c[1]}`;
  else if (f) current = `${fn}: (setup)`;
  blockOf.push(current);
}
const byBlock = new Map<string, number>();
const byFunction = new Map<string, number>();
let total = 0;
for (const node of profile.nodes) {
  const hits = node.hitCount ?? 0;
  total += hits;
  if (node.callFrame.url === url && node.positionTicks) {
    for (const t of node.positionTicks) {
      const key = blockOf[t.line - 1] ?? "?";
      byBlock.set(key, (byBlock.get(key) ?? 0) + t.ticks);
    }
  } else if (hits > 0) {
    const where = node.callFrame.url ? `${node.callFrame.functionName || "(anonymous)"} (${path.basename(node.callFrame.url)})` : node.callFrame.functionName || "(anonymous)";
    byFunction.set(where, (byFunction.get(where) ?? 0) + hits);
  }
}
console.log(`${w.id} gradc ${dtype}: ${steps} steps in ${(ms / 1000).toFixed(1)} s = ${((steps / ms) * 1000).toPrecision(4)} steps/s; ${total} samples`);
const rows = [...[...byBlock].map(([k, v]) => [`  ${k}`, v] as const), ...[...byFunction].map(([k, v]) => [`  [outside] ${k}`, v] as const)];
rows.sort((a, b) => b[1] - a[1]);
for (const [k, v] of rows) if (v / total >= 0.005) console.log(`${((v / total) * 100).toFixed(1).padStart(5)}%  ${k}`);
console.log(`profile: ${path.relative(ROOT, `${base}.cpuprofile`)}`);
