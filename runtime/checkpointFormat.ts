// Checkpoints: a model's parameters, its optimizer's state, the step count and any JSON data a training
// loop needs to resume (rng state, learning-rate schedule position, history), in one versioned binary
// file. Values are stored exactly as they are held (float32 or float64 bits), so a run resumed from a
// checkpoint continues bit for bit like one that was never interrupted.
//
// File layout (format version 1; every integer little-endian):
//
//   offset  size  field
//   0       8     magic, the ASCII bytes "GRADCKPT"
//   8       4     u32 format version (1)
//   12      4     u32 H: byte length of the header (UTF-8 JSON, padded with spaces so 24 + H is a multiple of 8)
//   16      8     u64 D: byte length of the data section
//   24      H     header JSON: { model, dtype, step, epoch, params: [{ name, shape, offset, length }],
//                 optimizer: null | { kind, stepCount, buffers: { <state key>: [{ param, offset, length }] } },
//                 extra: null | {...} }   (offset: bytes from the start of the data section; length: elements)
//                 (training checkpoints keep fit's state in extra.fit and the dropout generator's four
//                 state words in extra.rng; see trainCheckpoint.ts)
//   24 + H  D     data: raw little-endian IEEE 754 values of the model's dtype: every parameter in the
//                 model's order, then each optimizer buffer list (e.g. expAvg, expAvgSq) in parameter order
//   end − 4 4     u32 CRC-32 (IEEE 802.3, as zlib/PNG) of every byte before it
//
// The sizes in the fixed prefix let a truncated file be reported as such before the checksum is checked;
// the checksum is verified before the header is trusted. Output is deterministic: the same inputs give
// the same bytes (no timestamps).
//
// All of it is plain computation on bytes (no file system), so it runs in browsers and workers too;
// checkpoint.ts adds reading and writing files in Node. The byte level (CRC-32, little-endian values) is
// ./checkpointBytes.ts, the shared value checks ./checkpointChecks.ts, and restoring a checkpoint into
// a trainer ./checkpointRestore.ts; encoder and decoder stay together here: they are the two
// directions of one layout.
import { crc32, readValues, writeValues } from "./checkpointBytes.js";
import { checkCount, checkJson, checkpointError, fmtShape, hex32, isCount, isNumberArray, isPlainObject, sameShape, shapeSize, typeName } from "./checkpointChecks.js";
import type { Dtype, FloatArray } from "./init.js";
import type { OptimizerState } from "./optim.js";

export const CHECKPOINT_MAGIC = "GRADCKPT";
export const CHECKPOINT_FORMAT_VERSION = 1;

/** What a checkpoint is checked against: a generated module's `spec` fits as it is. */
export interface CheckpointSpec {
  readonly name: string;
  readonly dtype: Dtype;
  /** `trainable: false` marks state the optimizer does not update (batchNorm's running statistics): it has no optimizer buffers. */
  readonly params: readonly { readonly name: string; readonly shape: readonly number[]; readonly trainable?: boolean }[];
}

/** The params the optimizer updates, in spec order: its buffer lists hold one entry for each. */
const optimized = (spec: CheckpointSpec) => spec.params.filter((p) => p.trainable !== false);

/** Everything saveCheckpoint writes. */
export interface CheckpointData {
  readonly spec: CheckpointSpec;
  /** One typed array per spec param (Float32Array for f32, Float64Array for f64), nothing else. */
  readonly params: Readonly<Record<string, FloatArray>>;
  /** `optimizer.state()`; omit to save parameters only. */
  readonly optimizer?: OptimizerState;
  /** Completed training steps. */
  readonly step: number;
  /** Completed epochs. */
  readonly epoch?: number;
  /**
   * JSON data the training loop needs to resume: rng state, schedule position, loss history, ...
   * Plain objects, arrays, strings, finite numbers, booleans and null; object properties whose value is
   * undefined are left out (as JSON.stringify does). Anything else (NaN, ±Infinity, typed arrays, Dates)
   * is refused rather than silently changed. Finite numbers round-trip exactly, except that −0 reads back as 0.
   */
  readonly extra?: Readonly<Record<string, unknown>>;
}

/** A checkpoint read back, already checked against the model's spec. Arrays are fresh copies. */
export interface Checkpoint {
  /** Where it came from (the path), for messages. */
  readonly source: string;
  readonly version: number;
  readonly model: string;
  readonly dtype: Dtype;
  /** The checkpoint's parameters in the model's order (names and shapes equal the spec's). */
  readonly paramSpecs: readonly { readonly name: string; readonly shape: readonly number[] }[];
  readonly params: Readonly<Record<string, FloatArray>>;
  /** Buffers in the model's parameter order; undefined when saved without an optimizer. */
  readonly optimizer: OptimizerState | undefined;
  readonly step: number;
  readonly epoch: number | undefined;
  readonly extra: Record<string, unknown> | undefined;
}

// ── encoding ─────────────────────────────────────────────────────────────────────────────────────────

const PREFIX_BYTES = 24;
const CRC_BYTES = 4;

interface BufferEntry {
  readonly param: string;
  readonly offset: number;
  readonly length: number;
}

interface Header {
  model: string;
  dtype: Dtype;
  step: number;
  epoch: number | null;
  params: { name: string; shape: number[]; offset: number; length: number }[];
  optimizer: { kind: string; stepCount: number; buffers: Record<string, BufferEntry[]> } | null;
  extra: Record<string, unknown> | null;
}

/** The checkpoint file's bytes for `data` (validated; see the layout at the top of this file). */
export function encodeCheckpoint(data: CheckpointData): Uint8Array {
  if (typeof data !== "object" || data === null) throw new Error("checkpoint data must be an object");
  const spec = checkSpec(data.spec);
  const dtype = spec.dtype;
  const elem = dtype === "f32" ? 4 : 8;
  const ArrayType = dtype === "f32" ? Float32Array : Float64Array;
  const step = checkCount("step", data.step);
  const epoch = data.epoch === undefined ? null : checkCount("epoch", data.epoch);

  // Parameters, in the spec's order.
  const params = data.params;
  if (typeof params !== "object" || params === null) throw new Error("params must be an object");
  const chunks: ArrayLike<number>[] = [];
  const paramEntries: Header["params"] = [];
  let offset = 0;
  const sizes: number[] = [];
  for (const p of spec.params) {
    const size = shapeSize(p.shape);
    const v = Object.hasOwn(params, p.name) ? (params as Record<string, unknown>)[p.name] : undefined;
    if (v === undefined) throw new Error(`missing param "${p.name}" (shape ${fmtShape(p.shape)})`);
    if (!(v instanceof ArrayType)) {
      throw new Error(`param "${p.name}" must be a ${ArrayType.name} (dtype ${dtype}), got ${typeName(v)}`);
    }
    if (v.length !== size) {
      throw new Error(`param "${p.name}" has ${v.length} values, but its shape ${fmtShape(p.shape)} needs ${size}`);
    }
    paramEntries.push({ name: p.name, shape: p.shape.slice(), offset, length: size });
    chunks.push(v);
    sizes.push(size);
    offset += size * elem;
  }
  const declared = new Set(spec.params.map((p) => p.name));
  for (const name of Object.keys(params)) {
    if (!declared.has(name)) throw new Error(`params has "${name}", which model "${spec.name}" does not declare`);
  }

  // Optimizer state: kind and step count in the header, every buffer list in the data.
  let optimizer: Header["optimizer"] = null;
  if (data.optimizer !== undefined) {
    const s = data.optimizer as unknown as Record<string, unknown>;
    if (typeof s !== "object" || s === null) throw new Error("optimizer state must be an object");
    if (typeof s.kind !== "string" || s.kind === "") throw new Error("optimizer state: kind must be a string");
    const stepCount = checkCount("optimizer stepCount", s.stepCount);
    const buffers: Record<string, BufferEntry[]> = {};
    for (const key of Object.keys(s).sort()) {
      if (key === "kind" || key === "stepCount" || s[key] === undefined) continue;
      const list = s[key];
      if (!Array.isArray(list)) {
        throw new Error(`optimizer state: "${key}" is not a list of buffers, and only buffers can be saved`);
      }
      const owners = optimized(spec);
      if (list.length !== owners.length) {
        throw new Error(`optimizer state: ${key} holds ${list.length} buffers, expected one per trainable param (${owners.length})`);
      }
      const entries: BufferEntry[] = [];
      for (let k = 0; k < list.length; k++) {
        const b: unknown = list[k];
        const name = owners[k]!.name;
        const size = sizes[spec.params.indexOf(owners[k]!)]!;
        const isTyped = ArrayBuffer.isView(b);
        if (isTyped && !(b instanceof ArrayType)) {
          // A Float64Array in an f32 checkpoint would be rounded silently.
          throw new Error(`optimizer state: ${key}[${k}] ("${name}") is a ${typeName(b)}, expected ${ArrayType.name} (dtype ${dtype})`);
        }
        if (!isTyped && !isNumberArray(b)) {
          throw new Error(`optimizer state: ${key}[${k}] ("${name}") must be a ${ArrayType.name} or an array of numbers`);
        }
        const arr = b as ArrayLike<number>;
        if (arr.length !== size) {
          throw new Error(`optimizer state: ${key}[${k}] ("${name}") has ${arr.length} values, the param has ${size}`);
        }
        entries.push({ param: name, offset, length: size });
        chunks.push(arr);
        offset += size * elem;
      }
      buffers[key] = entries;
    }
    optimizer = { kind: s.kind, stepCount, buffers };
  }

  let extra: Record<string, unknown> | null = null;
  if (data.extra !== undefined) {
    if (!isPlainObject(data.extra)) throw new Error("extra must be a plain object of JSON data");
    checkJson(data.extra, "extra");
    extra = data.extra as Record<string, unknown>;
  }

  const header: Header = { model: spec.name, dtype, step, epoch, params: paramEntries, optimizer, extra };
  let headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const padding = (8 - ((PREFIX_BYTES + headerBytes.length) % 8)) % 8;
  if (padding > 0) {
    const padded = new Uint8Array(headerBytes.length + padding).fill(0x20);
    padded.set(headerBytes);
    headerBytes = padded;
  }
  const dataBytes = offset;
  const total = PREFIX_BYTES + headerBytes.length + dataBytes + CRC_BYTES;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) out[i] = CHECKPOINT_MAGIC.charCodeAt(i);
  view.setUint32(8, CHECKPOINT_FORMAT_VERSION, true);
  view.setUint32(12, headerBytes.length, true);
  view.setBigUint64(16, BigInt(dataBytes), true);
  out.set(headerBytes, PREFIX_BYTES);
  let pos = PREFIX_BYTES + headerBytes.length;
  for (const chunk of chunks) {
    writeValues(out, view, pos, chunk, dtype);
    pos += chunk.length * elem;
  }
  view.setUint32(pos, crc32(out.subarray(0, pos)), true);
  return out;
}

// ── decoding ─────────────────────────────────────────────────────────────────────────────────────────

/**
 * Parses checkpoint bytes and checks them against `spec`; `source` names them in errors (a path).
 * The returned arrays are fresh copies, independent of `bytes`.
 */
export function decodeCheckpoint(bytes: Uint8Array, spec: CheckpointSpec, source = "<bytes>"): Checkpoint {
  const model = checkSpec(spec);
  const corrupt = (why: string) => checkpointError(`checkpoint ${source} is corrupt: ${why}`);
  const size = bytes.length;
  const magicLength = Math.min(size, 8);
  for (let i = 0; i < magicLength; i++) {
    if (bytes[i] !== CHECKPOINT_MAGIC.charCodeAt(i)) {
      throw checkpointError(`${source} is not a gradc checkpoint (it does not start with "${CHECKPOINT_MAGIC}")`);
    }
  }
  if (size === 0) throw checkpointError(`${source} is not a gradc checkpoint (the file is empty)`);
  if (size < PREFIX_BYTES + CRC_BYTES) throw corrupt(`truncated (${size} bytes, shorter than any checkpoint)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== CHECKPOINT_FORMAT_VERSION) {
    throw checkpointError(
      `checkpoint ${source} has format version ${version}; this gradc reads version ${CHECKPOINT_FORMAT_VERSION}` +
        (version > CHECKPOINT_FORMAT_VERSION ? " (written by a newer gradc?)" : ""),
    );
  }
  const headerLength = view.getUint32(12, true);
  const dataLength = Number(view.getBigUint64(16, true));
  const expected = PREFIX_BYTES + headerLength + dataLength + CRC_BYTES;
  if (size < expected) throw corrupt(`truncated (${size} bytes, expected ${expected})`);
  if (size > expected) throw corrupt(`${size - expected} unexpected bytes after the end (expected ${expected} bytes)`);
  const stored = view.getUint32(size - CRC_BYTES, true);
  const computed = crc32(bytes.subarray(0, size - CRC_BYTES));
  if (stored !== computed) throw corrupt(`checksum mismatch (stored ${hex32(stored)}, computed ${hex32(computed)})`);

  // The checksum holds, so the header is what the writer wrote; still check it is a header we understand.
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + headerLength)));
  } catch (e) {
    throw corrupt(`unreadable header (${(e as Error).message})`);
  }
  if (typeof header !== "object" || header === null) throw corrupt("the header is not an object");
  if (header.dtype !== "f32" && header.dtype !== "f64") throw corrupt(`unknown dtype ${JSON.stringify(header.dtype)}`);
  if (typeof header.model !== "string") throw corrupt("the header has no model name");
  if (!isCount(header.step)) throw corrupt(`bad step ${JSON.stringify(header.step)}`);
  if (header.epoch !== null && !isCount(header.epoch)) throw corrupt(`bad epoch ${JSON.stringify(header.epoch)}`);
  if (!Array.isArray(header.params)) throw corrupt("the header has no param list");
  if (header.extra !== null && !isPlainObject(header.extra)) throw corrupt("extra is not an object");

  // Against the model.
  if (header.model !== model.name) {
    throw checkpointError(`checkpoint ${source} is for model "${header.model}", not "${model.name}"`);
  }
  if (header.dtype !== model.dtype) {
    throw checkpointError(`checkpoint ${source} holds ${header.dtype} values, but model "${model.name}" uses ${model.dtype}`);
  }
  const dtype = header.dtype;
  const elem = dtype === "f32" ? 4 : 8;
  const dataStart = PREFIX_BYTES + headerLength;
  const read = (what: string, offset: unknown, length: unknown): FloatArray => {
    if (!isCount(offset) || !isCount(length) || offset % elem !== 0 || offset + length * elem > dataLength) {
      throw corrupt(`${what} lies outside the data section`);
    }
    return readValues(bytes, view, dataStart + offset, length, dtype);
  };
  const storedParams = new Map<string, Header["params"][number]>();
  for (const p of header.params) {
    if (typeof p !== "object" || p === null || typeof p.name !== "string" || !Array.isArray(p.shape) || !p.shape.every(isCount)) {
      throw corrupt("a param entry in the header is malformed");
    }
    if (storedParams.has(p.name)) throw corrupt(`param "${p.name}" appears twice`);
    if (p.length !== shapeSize(p.shape)) throw corrupt(`param "${p.name}" has ${p.length} values for shape ${fmtShape(p.shape)}`);
    storedParams.set(p.name, p);
  }
  for (const p of model.params) {
    const s = storedParams.get(p.name);
    if (s === undefined) {
      throw checkpointError(`checkpoint ${source} has no param "${p.name}" (model "${model.name}" declares it with shape ${fmtShape(p.shape)})`);
    }
    if (!sameShape(s.shape, p.shape)) {
      throw checkpointError(
        `checkpoint ${source}: param "${p.name}" has shape ${fmtShape(s.shape)} in the checkpoint but ${fmtShape(p.shape)} in model "${model.name}"`,
      );
    }
  }
  const declared = new Set(model.params.map((p) => p.name));
  for (const p of header.params) {
    if (!declared.has(p.name)) {
      throw checkpointError(`checkpoint ${source} has param "${p.name}" (shape ${fmtShape(p.shape)}), which model "${model.name}" does not declare`);
    }
  }
  const params: Record<string, FloatArray> = {};
  for (const p of model.params) {
    const s = storedParams.get(p.name)!;
    params[p.name] = read(`param "${p.name}"`, s.offset, s.length);
  }

  let optimizer: OptimizerState | undefined;
  if (header.optimizer !== null) {
    const o = header.optimizer;
    if (typeof o !== "object" || typeof o.kind !== "string" || !isCount(o.stepCount) || !isPlainObject(o.buffers)) {
      throw corrupt("the optimizer entry is malformed");
    }
    const state: Record<string, unknown> = { kind: o.kind, stepCount: o.stepCount };
    for (const [key, entries] of Object.entries(o.buffers)) {
      if (!Array.isArray(entries)) throw corrupt(`optimizer ${key} is malformed`);
      const byParam = new Map(entries.map((e) => [e?.param, e]));
      state[key] = optimized(model).map((p) => {
        const e = byParam.get(p.name);
        if (e === undefined) throw corrupt(`optimizer ${key} has no buffer for param "${p.name}"`);
        if (e.length !== params[p.name].length) throw corrupt(`optimizer ${key} buffer for "${p.name}" has the wrong length`);
        return read(`optimizer ${key} buffer for "${p.name}"`, e.offset, e.length);
      });
    }
    optimizer = state as unknown as OptimizerState;
  }

  return {
    source,
    version,
    model: header.model,
    dtype,
    paramSpecs: model.params.map((p) => ({ name: p.name, shape: p.shape.slice() })),
    params,
    optimizer,
    step: header.step,
    epoch: header.epoch ?? undefined,
    extra: header.extra ?? undefined,
  };
}

function checkSpec(spec: CheckpointSpec): CheckpointSpec {
  if (typeof spec !== "object" || spec === null) throw new Error("a checkpoint needs the model's spec ({ name, dtype, params })");
  if (typeof spec.name !== "string") throw new Error("spec.name must be a string");
  if (spec.dtype !== "f32" && spec.dtype !== "f64") {
    throw new Error(`spec.dtype must be "f32" or "f64", got ${JSON.stringify(spec.dtype)}`);
  }
  if (!Array.isArray(spec.params)) throw new Error("spec.params must be an array of { name, shape }");
  const seen = new Set<string>();
  for (const p of spec.params) {
    if (typeof p?.name !== "string") throw new Error("every spec param needs a name");
    if (seen.has(p.name)) throw new Error(`spec declares param "${p.name}" twice`);
    seen.add(p.name);
    if (!Array.isArray(p.shape) || !p.shape.every(isCount)) {
      throw new Error(`spec param "${p.name}": shape must be an array of non-negative integers`);
    }
  }
  return spec;
}

export { crc32, readValues, writeValues } from "./checkpointBytes.js";
