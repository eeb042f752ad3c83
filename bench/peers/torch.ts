// PyTorch on the CPU as a benchmark peer: bench/peers/torch.py in a child process (one per workload
// process), driven over its stdin/stdout with one JSON line per command. The workload, gradc's initial
// parameters and the batches go to it in one file (a JSON header and the raw float32/int32 arrays), so
// it trains the same network from the same parameters on the same data; it times its own steps (its
// main thread's CPU time, as the harness times the JavaScript peers) and reports them.
//
// The interpreter: $GRADC_BENCH_PYTHON, else the first of `python3` and `/usr/bin/python3` that can
// `import torch` (a pyenv or venv python3 on PATH often cannot, while Debian's python3-torch is in
// /usr/bin/python3's packages). probeTorch says which, or why none.

import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { Impl, ParamArrays, SelfTimed } from "./impl.js";
import type { Batch, Workload } from "../workloads.js";

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), "torch.py");

/** One thread everywhere torch or its BLAS could start more (torch.py also calls torch.set_num_threads(1)). */
const ENV = { ...process.env, OMP_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1", MKL_NUM_THREADS: "1" };

export interface TorchProbe {
  readonly python: string;
  readonly executable: string;
  readonly torch: string;
  readonly numpy: string;
  readonly threads: number;
  readonly interopThreads: number;
  readonly blasInfo: string;
  readonly blas: BlasInfo;
  readonly mkldnn: boolean;
  readonly capability: string;
}

export interface BlasInfo {
  readonly libraries: readonly string[];
  readonly openblas?: string;
  readonly openblasThreads?: number;
}

export interface Sgemm {
  readonly n: number;
  readonly gflops: number;
  readonly best: number;
  readonly blas: BlasInfo;
}

/** The interpreter that runs the peer and what it loaded, or why there is none (each candidate's last error line). */
export function probeTorch(): { ok: true; interpreter: string; probe: TorchProbe } | { ok: false; reason: string } {
  const given = process.env["GRADC_BENCH_PYTHON"];
  const candidates = given ? [given] : ["python3", "/usr/bin/python3"];
  const why: string[] = [];
  for (const py of candidates) {
    const r = spawnSync(py, [SCRIPT, "--probe"], { encoding: "utf8", env: ENV, timeout: 120_000 });
    if (r.status === 0) {
      try {
        return { ok: true, interpreter: py, probe: JSON.parse(r.stdout.trim().split("\n").at(-1)!) as TorchProbe };
      } catch {
        why.push(`${py}: unreadable probe output ${JSON.stringify(r.stdout.slice(0, 200))}`);
        continue;
      }
    }
    const last = (r.error?.message ?? r.stderr.trim().split("\n").at(-1) ?? `exit ${r.status}`).trim();
    why.push(`${py}: ${last}`);
  }
  return { ok: false, reason: `no Python with torch (${why.join("; ")})${given ? "" : "; set GRADC_BENCH_PYTHON to one that has it"}` };
}

/** torch.mm of two n×n float32 matrices on one thread (the single-core SGEMM limit of torch's BLAS). */
export function measureSgemm(python: string, n = 1024): Sgemm {
  const r = spawnSync(python, [SCRIPT, "--sgemm", String(n)], { encoding: "utf8", env: ENV, timeout: 600_000 });
  if (r.status !== 0) throw new Error(`torch.py --sgemm ${n} failed (exit ${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!) as Sgemm;
}

export function describeBlas(b: BlasInfo): string {
  if (b.openblas) return `OpenBLAS (${b.openblas}; ${b.libraries.join(", ")})`;
  const lib = b.libraries.join(", ") || "none mapped";
  return /\/blas\/libblas\.so/.test(lib) ? `the reference BLAS (${lib}: netlib's unoptimized Fortran)` : lib;
}

/** The workload as torch.py reads it (the parts that describe the network and its training). */
function workloadHeader(w: Workload) {
  return {
    id: w.id,
    batch: w.batch,
    loss: w.loss,
    optimizer: w.optimizer,
    ...(w.layers ? { layers: w.layers } : {}),
    ...(w.cnn ? { cnn: w.cnn } : {}),
    ...(w.lstm ? { lstm: w.lstm } : {}),
  };
}

/** Writes the spec file: a 4-byte little-endian header length, the JSON header, then the arrays (4-byte aligned). */
function writeSpec(file: string, w: Workload, init: ParamArrays, shapes: readonly { name: string; shape: readonly number[] }[], batches: readonly Batch[]): void {
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const add = (a: Float32Array | Int32Array) => {
    const ref = { offset, length: a.length, dtype: a instanceof Int32Array ? "int32" : "float32" };
    chunks.push(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    offset += a.byteLength;
    return ref;
  };
  const params = shapes.map((p) => ({ name: p.name, shape: p.shape, ...add(Float32Array.from(init[p.name]!)) }));
  const data = batches.map((b) => ({ x: add(b.x), y: add(b.y) }));
  const json = new TextEncoder().encode(JSON.stringify({ workload: workloadHeader(w), params, batches: data }));
  // torch.py reads the arrays at offsets from the end of the header, which is padded with spaces (still
  // JSON) to a multiple of 4 bytes so that the arrays are aligned.
  const header = new Uint8Array(json.length + ((4 - ((4 + json.length) % 4)) % 4)).fill(0x20);
  header.set(json);
  const len = new Uint8Array(4);
  new DataView(len.buffer).setUint32(0, header.length, true);
  writeFileSync(file, Buffer.concat([len, header, ...chunks]));
}

/** A child process answering one JSON line per JSON line sent. */
class Peer {
  private readonly waiting: ((line: string) => void)[] = [];
  private readonly errors: string[] = [];
  private exited: string | null = null;
  constructor(private readonly proc: ChildProcessWithoutNullStreams) {
    createInterface({ input: proc.stdout }).on("line", (line) => this.waiting.shift()?.(line));
    proc.stderr.on("data", (d: Buffer) => this.errors.push(d.toString()));
    proc.on("exit", (code, signal) => {
      this.exited = `torch.py exited (${signal ?? code})${this.errors.length ? `:\n${this.errors.join("")}` : ""}`;
      for (const w of this.waiting.splice(0)) w(JSON.stringify({ error: this.exited }));
    });
  }
  async ask<T>(msg: Record<string, unknown>): Promise<T> {
    if (this.exited) throw new Error(this.exited);
    const line = await new Promise<string>((resolve) => {
      this.waiting.push(resolve);
      this.proc.stdin.write(`${JSON.stringify(msg)}\n`);
    });
    const reply = JSON.parse(line) as T & { error?: string };
    if (reply.error) throw new Error(`torch.py ${String(msg["cmd"])}: ${reply.error}`);
    return reply;
  }
  async close(): Promise<void> {
    if (this.exited) return;
    const done = new Promise((resolve) => this.proc.once("exit", resolve));
    this.proc.stdin.end(`${JSON.stringify({ cmd: "quit" })}\n`);
    await done;
  }
}

export async function torchImpl(
  python: string,
  probe: TorchProbe,
  w: Workload,
  init: ParamArrays,
  shapes: readonly { name: string; shape: readonly number[] }[],
  batches: readonly Batch[],
): Promise<Impl> {
  const dir = path.join(os.tmpdir(), `gradc-bench-torch-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const spec = path.join(dir, `${w.id}.bin`);
  writeSpec(spec, w, init, shapes, batches);
  const peer = new Peer(spawn(python, [SCRIPT, "--serve", spec], { env: ENV, stdio: ["pipe", "pipe", "pipe"] }));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  const timed = async (steps: number): Promise<SelfTimed> => {
    const r = await peer.ask<{ done: number; wallNs: number; cpuNs: number; waitNs: number; processCpuNs: number }>({ cmd: "run", steps });
    return { done: r.done, wallMs: r.wallNs / 1e6, cpuNs: r.cpuNs, waitNs: r.waitNs, processCpuNs: r.processCpuNs };
  };
  return {
    id: "torch",
    label: `PyTorch ${probe.torch} (1 thread)`,
    async stepWithLoss() {
      return (await peer.ask<{ loss: number }>({ cmd: "step" })).loss;
    },
    run: async (steps: number) => (await timed(steps)).done,
    timed,
    async params(): Promise<ParamArrays> {
      const file = path.join(dir, `${w.id}.params.bin`);
      await peer.ask({ cmd: "params", file });
      const bytes = readFileSync(file);
      const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
      const out: ParamArrays = {};
      let at = 0;
      for (const p of shapes) {
        const n = p.shape.reduce((a, b) => a * b, 1);
        out[p.name] = all.subarray(at, at + n);
        at += n;
      }
      if (at !== all.length) throw new Error(`torch.py wrote ${all.length} parameters, gradc's module has ${at}`);
      return out;
    },
    async peakRssKb() {
      return (await peer.ask<{ maxRssKb: number }>({ cmd: "rss" })).maxRssKb;
    },
    async close() {
      await peer.close();
      cleanup();
    },
  };
}
