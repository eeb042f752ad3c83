// The worker threads of the parallel trainer (parallel.ts): starting them — each imports the generated
// module itself, with its share of the SharedArrayBuffers (parameters, its gradient buffers, its
// control words; parallelProtocol.ts) — and waiting until each has loaded it. From the TypeScript
// sources a worker needs the repository's loader hook, which is added to its Node options.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { MessageChannel, Worker, type MessagePort } from "node:worker_threads";
import type { FloatArray } from "./init.js";
import type { InputSpec } from "./inputs.js";
import { CONTROL_BYTES, CONTROL_INTS, LOSS_BYTE_OFFSET, sharedArray, type WorkerInput, type WorkerReport, type WorkerSetup } from "./parallelProtocol.js";

type InputArray = Float32Array | Float64Array | Int32Array;

/** What startWorkers needs of a generated module's spec. */
export interface PoolSpec {
  readonly dtype: "f32" | "f64";
  readonly params: readonly { readonly name: string }[];
  readonly inputs: readonly InputSpec[];
}

export interface WorkerHandle {
  readonly worker: Worker;
  readonly port: MessagePort;
  readonly control: Int32Array;
  readonly loss: Float64Array;
  readonly grads: readonly FloatArray[];
  /** Input buffers (spec.inputs order) and the rows they hold. */
  buffers: InputArray[];
  capacity: number;
  /** Rows of the shard this worker computes in the current step (0: idle). */
  rows: number;
  gen: number;
}

/** The error a worker reported (its message, name and stack), or a generic one. */
export function reportedError(worker: number, report: WorkerReport | undefined): Error {
  if (!report || report.kind !== "error") return new Error(`parallel trainer: worker ${worker} failed without a message`);
  const error = new Error(report.message);
  if (report.name) error.name = report.name;
  if (report.stack) error.stack = `${report.stack}\n    at (gradc parallel trainer, worker ${worker})`;
  return error;
}

/** Values per row of an input: the product of its static dimensions. */
export function staticSize(s: InputSpec): number {
  let size = 1;
  for (const d of s.shape) if (typeof d === "number") size *= d;
  return size;
}

// From dist/ the worker is parallelWorker.js next to this file; from the sources (tests, the TS hook)
// it is parallelWorker.ts, which a worker can only load with the repository's TypeScript hook.
const here = import.meta.url;
const fromSource = /\.ts$/.test(new URL(here).pathname);
const workerEntry = new URL(fromSource ? "./parallelWorker.ts" : "./parallelWorker.js", here);

function tsHook(): string {
  const hook = fileURLToPath(new URL("../scripts/register-ts.js", here));
  if (!existsSync(hook)) throw new Error(`parallel trainer: running from TypeScript sources, but ${hook} is missing`);
  return hook;
}

/** The workers' execArgv; undefined inherits the parent's (Node's default). */
function workerExecArgv(custom: readonly string[] | undefined): string[] | undefined {
  if (custom) return [...custom];
  if (!fromSource) return undefined;
  const parent = process.execArgv;
  const hasHook = parent.some((a, i) => (a === "--import" && parent[i + 1]?.includes("register-ts")) || (a.startsWith("--import=") && a.includes("register-ts")));
  return hasHook ? undefined : [...parent, "--import", tsHook()];
}

export async function startWorkers(
  moduleUrl: string,
  spec: PoolSpec,
  shared: Record<string, FloatArray>,
  count: number,
  execArgv: readonly string[] | undefined,
  fastMath = false,
): Promise<WorkerHandle[]> {
  let argv = workerExecArgv(execArgv);
  const inputs: WorkerInput[] = spec.inputs.map((s) => ({
    name: s.name,
    dtype: s.dtype,
    rowSize: staticSize(s),
    batched: s.shape.some((d) => typeof d === "string"),
  }));
  const params = spec.params.map((p) => {
    const a = shared[p.name];
    return { name: p.name, buffer: a.buffer as SharedArrayBuffer, byteOffset: a.byteOffset, length: a.length };
  });
  const handles: WorkerHandle[] = [];
  try {
    for (let w = 0; w < count; w++) {
      const control = new SharedArrayBuffer(CONTROL_BYTES);
      const grads = spec.params.map((p) => sharedArray(spec.dtype, shared[p.name].length) as FloatArray);
      const spawn = () => {
        const { port1, port2 } = new MessageChannel();
        const setup: WorkerSetup = { moduleUrl, dtype: spec.dtype, params, grads: grads.map((g) => g.buffer as SharedArrayBuffer), inputs, control, port: port2, fastMath };
        try {
          const worker = new Worker(workerEntry, { workerData: setup, transferList: [port2], ...(argv ? { execArgv: argv } : {}), name: `gradc-parallel-${w + 1}` });
          port1.unref();
          return { worker, port: port1 };
        } catch (e) {
          port1.close();
          throw e;
        }
      };
      let started: { worker: Worker; port: MessagePort };
      try {
        started = spawn();
      } catch (e) {
        // The parent's own flags (say --expose-gc) may be process-wide ones a worker rejects: keep only the hook.
        if (execArgv || !argv || (e as { code?: string }).code !== "ERR_WORKER_INVALID_EXEC_ARGV") throw e;
        argv = ["--import", tsHook()];
        started = spawn();
      }
      handles.push({
        ...started,
        control: new Int32Array(control, 0, CONTROL_INTS),
        loss: new Float64Array(control, LOSS_BYTE_OFFSET, 1),
        grads,
        buffers: [],
        capacity: 0,
        rows: 0,
        gen: 0,
      });
    }
    await Promise.all(handles.map((h, w) => ready(h.worker, w + 1)));
  } catch (e) {
    await Promise.all(handles.map((h) => h.worker.terminate()));
    for (const h of handles) h.port.close();
    throw e;
  }
  for (const h of handles) h.worker.unref();
  return handles;
}

/** Resolves when the worker has imported the module; rejects with its error otherwise. */
function ready(worker: Worker, index: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (f: () => void) => {
      worker.off("message", onMessage);
      worker.off("error", onError);
      worker.off("exit", onExit);
      f();
    };
    const onMessage = (m: WorkerReport) => done(() => (m.kind === "ready" ? resolve() : reject(reportedError(index, m))));
    const onError = (e: Error) => done(() => reject(e));
    const onExit = (code: number) => done(() => reject(new Error(`parallel trainer: worker ${index} exited with code ${code} while starting`)));
    worker.on("message", onMessage);
    worker.on("error", onError);
    worker.on("exit", onExit);
  });
}
