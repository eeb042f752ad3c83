// The shared-memory handshake between the data-parallel trainer (./parallel.ts, main thread) and its
// workers (./parallelWorker.ts). One small control block per worker, in a SharedArrayBuffer:
//
//   Int32 [GEN]     command generation: the main thread writes the job, then bumps GEN and notifies
//   Int32 [CMD]     what to do for that generation: STEP or STOP
//   Int32 [ROWS]    STEP: rows in this worker's shard
//   Int32 [REBIND]  STEP: 1 when new input buffers wait on the worker's MessagePort (read them first)
//   Int32 [DONE]    the generation the worker finished (stored after its results, then notified)
//   Int32 [STATUS]  OK, FAILED (the error waits on the port) or EXITED (the worker thread is gone)
//   Int32 [SEED]    STEP: the seed of this shard's dropout masks (a 32-bit pattern; read with >>> 0)
//   Float64 at LOSS_BYTE_OFFSET: the shard's mean loss
//
// Both sides block in Atomics.wait (no spinning). Atomics.store/load order the plain writes around
// them, so inputs written before GEN is bumped and gradients written before DONE is stored are
// visible to the other side once it observes the new value.

export const GEN = 0;
export const CMD = 1;
export const ROWS = 2;
export const REBIND = 3;
export const DONE = 4;
export const STATUS = 5;
export const SEED = 6;
export const CONTROL_INTS = 8;
export const LOSS_BYTE_OFFSET = CONTROL_INTS * 4;
export const CONTROL_BYTES = LOSS_BYTE_OFFSET + 8;

export const CMD_STEP = 1;
export const CMD_STOP = 2;

export const STATUS_OK = 0;
export const STATUS_FAILED = 1;
export const STATUS_EXITED = 2;

/** A model input as the workers rebuild it: its kernel dtype and values per batch row. */
export interface WorkerInput {
  readonly name: string;
  readonly dtype: "f32" | "f64" | "i32";
  /** Values per row when `batched`, else the input's whole size. */
  readonly rowSize: number;
  readonly batched: boolean;
}

/** What each worker receives as workerData. */
export interface WorkerSetup {
  readonly moduleUrl: string;
  readonly dtype: "f32" | "f64";
  /** The shared parameter arrays (a caller's own shared arrays may start anywhere in their buffer). */
  readonly params: readonly { readonly name: string; readonly buffer: SharedArrayBuffer; readonly byteOffset: number; readonly length: number }[];
  readonly grads: readonly SharedArrayBuffer[];
  readonly inputs: readonly WorkerInput[];
  readonly control: SharedArrayBuffer;
  readonly port: import("node:worker_threads").MessagePort;
  /** The trainer's fastMath option: the shard's products on the fused kernel (runtime/fastMath.ts). */
  readonly fastMath: boolean;
}

/** Sent on the worker's port before a STEP with REBIND = 1: one buffer per input, in `inputs` order. */
export interface RebindMessage {
  readonly buffers: readonly SharedArrayBuffer[];
}

/** Sent by a worker on its port: during startup (ready or failed) and when a STEP fails. */
export type WorkerReport = { readonly kind: "ready" } | { readonly kind: "error"; readonly message: string; readonly stack?: string; readonly name?: string };

/** A typed array of `dtype`: `length` elements of a shared buffer from `byteOffset`. */
export function sharedView(dtype: "f32", buffer: SharedArrayBuffer, length: number, byteOffset?: number): Float32Array;
export function sharedView(dtype: "f64", buffer: SharedArrayBuffer, length: number, byteOffset?: number): Float64Array;
export function sharedView(dtype: "f32" | "f64", buffer: SharedArrayBuffer, length: number, byteOffset?: number): Float32Array | Float64Array;
export function sharedView(dtype: "f32" | "f64" | "i32", buffer: SharedArrayBuffer, length: number, byteOffset?: number): Float32Array | Float64Array | Int32Array;
export function sharedView(dtype: "f32" | "f64" | "i32", buffer: SharedArrayBuffer, length: number, byteOffset = 0): Float32Array | Float64Array | Int32Array {
  if (dtype === "f32") return new Float32Array(buffer, byteOffset, length);
  if (dtype === "f64") return new Float64Array(buffer, byteOffset, length);
  return new Int32Array(buffer, byteOffset, length);
}

/** A new shared buffer for `length` elements of `dtype` (at least one byte, as SharedArrayBuffer(0) is of no use). */
export function sharedArray(dtype: "f32" | "f64" | "i32", length: number): Float32Array | Float64Array | Int32Array {
  const bytes = dtype === "f64" ? 8 : 4;
  return sharedView(dtype, new SharedArrayBuffer(Math.max(1, length) * bytes), length);
}
