// The runtime's WebAssembly SIMD matrix product (scripts/gemm-wat.js), block shapes side by side:
// assembles each candidate kernel with wabt and times it on the products of W3 and W4 (forward x·W,
// the weight gradients xᵀ·δ with A read transposed), operands already in the module's memory (the
// copies runtime/gemm.ts makes are timed apart, as "copy A and B"). Rounds interleave the candidates;
// the best round of each counts (on a shared machine the best is the least disturbed), timed in the
// process's CPU time.
//   node [--experimental-wasm-relaxed-simd] --import ./scripts/register-ts.js bench/gemmKernel.ts [--rounds 7] [--blocks 2x4,4x2] [--kc 128,256] [--old path/to/gemm-wat.js]
// A block ROWSxVECTORS is ROWS rows × 4·VECTORS columns; --old adds another version of scripts/gemm-wat.js
// (e.g. `git show HEAD~1:scripts/gemm-wat.js > /tmp/old.js`).
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import path from "node:path";
import wabtInit from "wabt";
// @ts-expect-error — a plain JS build script without type declarations
import { gemmWat } from "../scripts/gemm-wat.js";

const { values: args } = parseArgs({ options: { rounds: { type: "string", default: "7" }, blocks: { type: "string", default: "2x4,4x2,3x4,4x3,6x2" }, kc: { type: "string", default: "256" }, old: { type: "string" } } });

type Gemm = (M: number, N: number, K: number, a: number, sAi: number, sAk: number, b: number, sBk: number, c: number) => void;
/** Where the candidates pack B's panels: the top of the 12.8 MB memory, above every operand below. */
const SCRATCH = 3_000_000;
const wabt = await wabtInit();
function instantiate(wat: string): { gemm: Gemm; mem: Float32Array } {
  const m = wabt.parseWat("gemm.wat", wat, { simd: true, bulk_memory: true, relaxed_simd: true });
  const bytes = new Uint8Array(m.toBinary({}).buffer); // a copy on its own ArrayBuffer
  m.destroy();
  const memory = new WebAssembly.Memory({ initial: 1 });
  memory.grow(200); // 12.8 MB: every operand below fits
  const raw = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports.gemm as (...args: number[]) => void;
  // Today's kernel takes B's column stride and a scratch offset too; an --old one may not.
  const gemm: Gemm = raw.length === 11 ? (M, N, K, a, sAi, sAk, b, sBk, c) => raw(M, N, K, a, sAi, sAk, b, sBk, 1, c, SCRATCH) : raw;
  return { gemm, mem: new Float32Array(memory.buffer) };
}

const candidates: { name: string; wat: string }[] = [];
candidates.push({ name: "default", wat: gemmWat() });
// fastMath's fused kernel, where this node has relaxed SIMD (Node 20: --experimental-wasm-relaxed-simd).
// Its sums differ in the last bits, so it is left out of the agreement check below.
const fused = { name: "default, relaxed_madd (fastMath)", wat: gemmWat({ fma: true }) };
if (args.old) candidates.push({ name: `old (${path.basename(args.old)})`, wat: (await import(pathToFileURL(path.resolve(args.old)).href)).gemmWat() });
for (const b of args.blocks!.split(","))
  for (const kc of args.kc!.split(",").map(Number)) {
    const [rows, vectors] = b.split("x").map(Number);
    // The candidate block serves both cases (A plain and A transposed).
    candidates.push({ name: `${rows}×${4 * vectors!}, K-panel ${kc}`, wat: gemmWat({ rows, vectors, transposed: { rows, vectors }, kc }) });
  }

// [label, M, N, K, A transposed]
const shapes: [string, number, number, number, boolean][] = [
  ["W3 x·W1 64×784·784×128", 64, 128, 784, false],
  ["W3 xᵀ·δ1 784×64·64×128", 784, 128, 64, true],
  ["W4 x·W1 128×784·784×512", 128, 512, 784, false],
  ["W4 h·W2 128×512·512×512", 128, 512, 512, false],
  ["W4 hᵀ·δ2 512×128·128×512", 512, 512, 128, true],
];
// The process's CPU time in ms (getrusage: exact to the microsecond; this process runs one thread of
// its own work): other processes on the machine stretch wall clock.
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const instances = candidates.map((c) => ({ ...c, ...instantiate(c.wat) }));
const exact = instances.length;
try {
  instances.push({ ...fused, ...instantiate(fused.wat) });
} catch {
  console.log("(no relaxed SIMD in this engine: the fastMath kernel is not timed; run node with --experimental-wasm-relaxed-simd)");
}
const rounds = Number(args.rounds);
const best = new Map<string, number>();
for (const [label, M, N, K, transA] of shapes) {
  const a = 0, b = M * K, c = b + K * N;
  const [sAi, sAk] = transA ? [1, M] : [K, 1];
  for (const inst of instances) {
    for (let q = 0; q < M * K; q++) inst.mem[a + q] = Math.sin(q);
    for (let q = 0; q < K * N; q++) inst.mem[b + q] = Math.cos(q);
  }
  // Same results from every candidate (k order is the same): a check, not a timing.
  const results = instances.slice(0, exact).map((inst) => (inst.gemm(M, N, K, a, sAi, sAk, b, N, c), inst.mem.slice(c, c + M * N)));
  for (const r of results.slice(1)) if (r.some((x, q) => !Object.is(x, results[0]![q]))) throw new Error(`${label}: the candidates disagree`);
  const calls = Math.max(1, Math.round(1e10 / (2 * M * N * K))); // ~0.1–0.5 s per repetition
  for (let round = 0; round < rounds; round++)
    for (const inst of round % 2 ? [...instances].reverse() : instances) {
      const t0 = cpuMs();
      for (let n = 0; n < calls; n++) inst.gemm(M, N, K, a, sAi, sAk, b, N, c);
      const gflops = (2 * M * N * K * calls) / ((cpuMs() - t0) * 1e6);
      const key = `${label}\t${inst.name}`;
      best.set(key, Math.max(best.get(key) ?? 0, gflops));
    }
  // What runtime/gemm.ts adds today: copying A and B into the memory on every call.
  const A = new Float32Array(M * K), B = new Float32Array(K * N), mem = instances[0]!.mem;
  const t0 = cpuMs();
  for (let n = 0; n < calls * 3; n++) (mem.set(A, a), mem.set(B, b));
  const copyMs = (cpuMs() - t0) / (calls * 3);
  console.log(`\n${label}: copy A and B ${copyMs.toFixed(3)} ms per call`);
  for (const inst of instances) {
    const g = best.get(`${label}\t${inst.name}`)!;
    console.log(`  ${inst.name.padEnd(24)} ${g.toFixed(1).padStart(6)} GFLOP/s  ${((2 * M * N * K) / (g * 1e6)).toFixed(3)} ms per call`);
  }
}
