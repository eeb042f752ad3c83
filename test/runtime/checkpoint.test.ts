// runtime/checkpoint.ts and runtime/fsAtomic.ts: CRC-32 against known vectors, the file layout, bit-exact
// round trips (f32/f64, Adam/AdamW/SGD-momentum state), refusal of corrupt, truncated and mismatched
// files with messages naming the problem, all-or-nothing restore, atomic saves that leave the old file
// intact when they fail, and resuming from a checkpoint reproducing an uninterrupted run bit for bit.
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as zlib from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  CHECKPOINT_FORMAT_VERSION,
  crc32,
  decodeCheckpoint,
  encodeCheckpoint,
  loadCheckpoint,
  readValues,
  restoreInto,
  saveCheckpoint,
  writeValues,
  type CheckpointData,
  type CheckpointSpec,
} from "../../runtime/checkpoint.js";
import { writeFileAtomic, type AtomicFs } from "../../runtime/fsAtomic.js";
import { initTensor, type Dtype, type FloatArray } from "../../runtime/init.js";
import { createOptimizer, type Optimizer, type OptimizerSpec, type OptimizerState } from "../../runtime/optim.js";
import { createRng, createRngFromState, type Rng } from "../../runtime/rng.js";
import { compileAndImport } from "../helpers/compiled.js";
import { add, batchNorm, input, matmul, model, mse, param, tanh } from "gradc";
import { nonEmpty } from "../helpers/nonEmpty.js";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(join(tmpdir(), "gradc-ckpt-"));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

// ── helpers ──────────────────────────────────────────────────────────────────────────────────────────

const bytesOf = (a: FloatArray) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const ascii = (s: string) => new TextEncoder().encode(s);

function expectSameBits(actual: FloatArray, expected: FloatArray): void {
  expect(actual.constructor).toBe(expected.constructor);
  expect(bytesOf(actual).equals(bytesOf(expected))).toBe(true);
}

function expectSameState(actual: OptimizerState, expected: OptimizerState): void {
  expect(actual.kind).toBe(expected.kind);
  expect(actual.stepCount).toBe(expected.stepCount);
  for (const key of ["momentumBuffer", "expAvg", "expAvgSq"] as const) {
    expect(actual[key] === undefined).toBe(expected[key] === undefined);
    expect(actual[key]?.length, key).toBe(expected[key]?.length);
    expected[key]?.forEach((b, k) => expectSameBits(actual[key]![k] as FloatArray, b as FloatArray));
  }
}

const SHAPES: readonly (readonly number[])[] = [[3, 4], [4], [2, 3, 2], [], [0]];

function specFor(dtype: Dtype, name = "toy"): CheckpointSpec {
  return { name, dtype, params: SHAPES.map((shape, i) => ({ name: `p${i}`, shape })) };
}

function randomParams(spec: CheckpointSpec, rng: Rng): Record<string, FloatArray> {
  const out: Record<string, FloatArray> = {};
  for (const p of spec.params) out[p.name] = initTensor(rng, p.shape, { kind: "normal", mean: 0, std: 1 }, spec.dtype);
  return out;
}

const sizesOf = (spec: CheckpointSpec) => spec.params.map((p) => p.shape.reduce((a, b) => a * b, 1));
const listOf = (spec: CheckpointSpec, params: Record<string, FloatArray>) => spec.params.map((p) => params[p.name]);

/** Params with awkward values (−0, subnormals, huge, tiny) and an optimizer that has taken a few steps. */
function trainedState(dtype: Dtype, opt: OptimizerSpec) {
  const spec = specFor(dtype);
  const rng = createRng(7);
  const params = randomParams(spec, rng);
  const p0 = params.p0;
  p0[0] = -0;
  p0[1] = dtype === "f32" ? 1.4e-45 : 5e-324; // smallest subnormal
  p0[2] = dtype === "f32" ? 3.4e38 : 1.7e308;
  p0[3] = 1 / 3;
  const optimizer = createOptimizer(opt, sizesOf(spec), dtype);
  const list = listOf(spec, params);
  for (let s = 0; s < 3; s++) {
    const grads = list.map((p) => initTensor(rng, [p.length], { kind: "normal", mean: 0, std: 0.1 }, dtype));
    optimizer.step(list, grads);
  }
  return { spec, params, optimizer };
}

function sample(dtype: Dtype = "f64", opt: OptimizerSpec = { kind: "adam", lr: 0.01 }): CheckpointData {
  const { spec, params, optimizer } = trainedState(dtype, opt);
  return { spec, params, optimizer: optimizer.state(), step: 3, epoch: 1, extra: { note: "x" } };
}

// ── CRC-32 ───────────────────────────────────────────────────────────────────────────────────────────

describe("crc32", () => {
  it("matches the published check values", () => {
    expect(crc32(ascii("123456789"))).toBe(0xcbf43926);
    expect(crc32(ascii(""))).toBe(0);
    expect(crc32(ascii("a"))).toBe(0xe8b7be43);
    expect(crc32(ascii("The quick brown fox jumps over the lazy dog"))).toBe(0x414fa339);
    expect(crc32(new Uint8Array(32))).toBe(0x190a55ad); // 32 zero bytes (RFC 3720 B.4)
    expect(crc32(new Uint8Array(32).fill(0xff))).toBe(0xff6cab0b);
  });

  it("continues over split input and agrees with zlib where Node has it", () => {
    const data = new Uint8Array(1000).map((_, i) => (i * 31 + 7) & 0xff);
    expect(crc32(data.subarray(300), crc32(data.subarray(0, 300)))).toBe(crc32(data));
    const z = (zlib as { crc32?: (d: Uint8Array) => number }).crc32;
    if (typeof z === "function") expect(crc32(data)).toBe(z(data));
  });
});

// ── format ───────────────────────────────────────────────────────────────────────────────────────────

describe("checkpoint format", () => {
  it("is magic, version, sizes, an aligned JSON header, little-endian data and a CRC-32 of the rest", () => {
    const spec: CheckpointSpec = { name: "m", dtype: "f64", params: [{ name: "w", shape: [2] }] };
    const bytes = encodeCheckpoint({ spec, params: { w: Float64Array.of(1.5, -2) }, step: 4 });
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect(new TextDecoder().decode(bytes.subarray(0, 8))).toBe("GRADCKPT");
    expect(view.getUint32(8, true)).toBe(CHECKPOINT_FORMAT_VERSION);
    const h = view.getUint32(12, true);
    const d = Number(view.getBigUint64(16, true));
    expect((24 + h) % 8).toBe(0);
    expect(d).toBe(16);
    expect(bytes.length).toBe(24 + h + d + 4);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(24, 24 + h)));
    expect(header).toEqual({
      model: "m",
      dtype: "f64",
      step: 4,
      epoch: null,
      params: [{ name: "w", shape: [2], offset: 0, length: 2 }],
      optimizer: null,
      extra: null,
    });
    expect(view.getFloat64(24 + h, true)).toBe(1.5);
    expect(view.getFloat64(24 + h + 8, true)).toBe(-2);
    expect(view.getUint32(bytes.length - 4, true)).toBe(crc32(bytes.subarray(0, bytes.length - 4)));
  });

  it("f32 values take 4 bytes each, and every optimizer buffer list gets one entry per param, in the data after the params", () => {
    const spec: CheckpointSpec = { name: "m", dtype: "f32", params: [{ name: "w", shape: [2] }, { name: "b", shape: [1] }] };
    const optimizer = { kind: "sgd" as const, stepCount: 1, momentumBuffer: [Float32Array.of(3, 4), Float32Array.of(5)] };
    const bytes = encodeCheckpoint({ spec, params: { w: Float32Array.of(1.5, -2), b: Float32Array.of(0.25) }, step: 1, optimizer });
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const h = view.getUint32(12, true);
    expect(Number(view.getBigUint64(16, true))).toBe(6 * 4);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(24, 24 + h)));
    expect(header.dtype).toBe("f32");
    expect(header.params).toEqual([
      { name: "w", shape: [2], offset: 0, length: 2 },
      { name: "b", shape: [1], offset: 8, length: 1 },
    ]);
    expect(header.optimizer).toEqual({
      kind: "sgd",
      stepCount: 1,
      buffers: { momentumBuffer: [{ param: "w", offset: 12, length: 2 }, { param: "b", offset: 20, length: 1 }] },
    });
    const values = Array.from({ length: 6 }, (_, i) => view.getFloat32(24 + h + 4 * i, true));
    expect(values).toEqual([1.5, -2, 0.25, 3, 4, 5]);
  });

  it("is deterministic: the same data gives the same bytes", () => {
    expect(Buffer.from(encodeCheckpoint(sample("f32"))).equals(Buffer.from(encodeCheckpoint(sample("f32"))))).toBe(true);
  });
});

// ── round trips ──────────────────────────────────────────────────────────────────────────────────────

describe("save → load round trip", () => {
  const cases: [Dtype, OptimizerSpec][] = [
    ["f64", { kind: "adam", lr: 0.01 }],
    ["f32", { kind: "adam", lr: 0.01 }],
    ["f32", { kind: "adamw", lr: 0.01, weightDecay: 0.1 }],
    ["f64", { kind: "sgd", lr: 0.1, momentum: 0.9 }],
    ["f32", { kind: "sgd", lr: 0.1, momentum: 0.9, nesterov: true }],
    ["f64", { kind: "sgd", lr: 0.1 }],
  ];
  for (const [dtype, opt] of cases) {
    it(`is bit-exact for ${dtype} params and ${JSON.stringify(opt)} state`, () => {
      const { spec, params, optimizer } = trainedState(dtype, opt);
      const extra = { rng: createRng(3).state(), schedule: { epoch: 2, lr: 0.005 }, history: [{ epoch: 1, trainLoss: 0.25, testLoss: undefined }] };
      const file = join(dir, "model.ckpt");
      saveCheckpoint(file, { spec, params, optimizer: optimizer.state(), step: 3, epoch: 2, extra });

      const ckpt = loadCheckpoint(file, spec);
      expect(ckpt).toMatchObject({ source: file, version: 1, model: "toy", dtype, step: 3, epoch: 2 });
      expect(ckpt.extra).toEqual({ rng: extra.rng, schedule: extra.schedule, history: [{ epoch: 1, trainLoss: 0.25 }] });
      for (const p of spec.params) expectSameBits(ckpt.params[p.name], params[p.name]);
      expectSameState(ckpt.optimizer!, optimizer.state());

      // Restoring into fresh params and a fresh optimizer reproduces both exactly.
      const fresh = randomParams(spec, createRng(99));
      const freshOpt = createOptimizer(opt, sizesOf(spec), dtype);
      restoreInto(ckpt, fresh, freshOpt);
      for (const p of spec.params) expectSameBits(fresh[p.name], params[p.name]);
      expectSameState(freshOpt.state(), optimizer.state());
      // The loaded arrays are copies: restoring did not alias them.
      fresh.p0[0] = 42;
      expect(ckpt.params.p0[0]).not.toBe(42);
    });
  }

  it("saves parameters alone, and plain-number optimizer buffers (a state that went through JSON)", () => {
    const { spec, params, optimizer } = trainedState("f32", { kind: "adam", lr: 0.01 });
    const file = join(dir, "a.ckpt");
    saveCheckpoint(file, { spec, params, step: 0 });
    const ckpt = loadCheckpoint(file, spec);
    expect(ckpt.optimizer).toBeUndefined();
    expect(ckpt.epoch).toBeUndefined();
    expect(ckpt.extra).toBeUndefined();

    const viaJson = JSON.parse(JSON.stringify(optimizer.state(), (_k, v) => (ArrayBuffer.isView(v) ? Array.from(v as Float32Array) : v)));
    saveCheckpoint(file, { spec, params, optimizer: viaJson, step: 3 });
    expectSameState(loadCheckpoint(file, spec).optimizer!, optimizer.state());
  });

  it("overwrites an existing checkpoint and leaves no temporary files", () => {
    const file = join(dir, "model.ckpt");
    saveCheckpoint(file, sample("f64"));
    saveCheckpoint(file, { ...sample("f64"), step: 9 });
    expect(loadCheckpoint(file, specFor("f64")).step).toBe(9);
    expect(fs.readdirSync(dir)).toEqual(["model.ckpt"]);
  });
});

// ── refusing bad files ───────────────────────────────────────────────────────────────────────────────

describe("corrupt and foreign files are refused", () => {
  const spec = specFor("f64");
  const good = () => encodeCheckpoint(sample("f64"));

  it("refuses every single-byte change, naming a checksum mismatch once past the fixed prefix", () => {
    const bytes = good();
    for (let i = 0; i < bytes.length; i++) {
      const bad = bytes.slice();
      bad[i] ^= 0x10;
      const attempt = () => decodeCheckpoint(bad, spec, "m.ckpt");
      if (i >= 24) expect(attempt, `byte ${i}`).toThrow(/^checkpoint m\.ckpt is corrupt: checksum mismatch \(stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}\)$/);
      else expect(attempt, `byte ${i}`).toThrow(/m\.ckpt/);
    }
  });

  it("refuses a file truncated anywhere, and one with bytes appended", () => {
    const bytes = good();
    for (let n = 0; n < bytes.length; n++) {
      const attempt = () => decodeCheckpoint(bytes.subarray(0, n), spec, "m.ckpt");
      if (n === 0) expect(attempt).toThrow("m.ckpt is not a gradc checkpoint (the file is empty)");
      // Under 28 bytes (prefix and checksum) no sizes can be read; from there the sizes say what is missing.
      else if (n < 28) expect(attempt, `length ${n}`).toThrow(`checkpoint m.ckpt is corrupt: truncated (${n} bytes, shorter than any checkpoint)`);
      else expect(attempt, `length ${n}`).toThrow(`checkpoint m.ckpt is corrupt: truncated (${n} bytes, expected ${bytes.length})`);
    }
    const longer = new Uint8Array(bytes.length + 3);
    longer.set(bytes);
    expect(() => decodeCheckpoint(longer, spec, "m.ckpt")).toThrow(`checkpoint m.ckpt is corrupt: 3 unexpected bytes after the end (expected ${bytes.length} bytes)`);
  });

  it("names the file when reading from disk, and refuses files that are not checkpoints", () => {
    const file = join(dir, "model.ckpt");
    const bytes = good();
    bytes[bytes.length - 100] ^= 1;
    fs.writeFileSync(file, bytes);
    expect(() => loadCheckpoint(file, spec)).toThrow(`checkpoint ${file} is corrupt: checksum mismatch`);
    fs.writeFileSync(file, "{\"W1\": [1, 2, 3]}");
    expect(() => loadCheckpoint(file, spec)).toThrow(`${file} is not a gradc checkpoint (it does not start with "GRADCKPT")`);
    expect(() => loadCheckpoint(join(dir, "missing.ckpt"), spec)).toThrow(`cannot read checkpoint ${join(dir, "missing.ckpt")}: no such file`);
  });

  it("refuses another format version", () => {
    const bytes = good();
    const view = new DataView(bytes.buffer);
    view.setUint32(8, 2, true);
    view.setUint32(bytes.length - 4, crc32(bytes.subarray(0, bytes.length - 4)), true);
    expect(() => decodeCheckpoint(bytes, spec, "m.ckpt")).toThrow(
      "checkpoint m.ckpt has format version 2; this gradc reads version 1 (written by a newer gradc?)",
    );
  });
});

describe("checkpoints of another model are refused, naming the difference", () => {
  const bytes = () => encodeCheckpoint(sample("f64"));
  const base = specFor("f64");
  const withParams = (params: CheckpointSpec["params"]): CheckpointSpec => ({ ...base, params });

  it("another model name", () => {
    expect(() => decodeCheckpoint(bytes(), { ...base, name: "other" }, "m.ckpt")).toThrow('checkpoint m.ckpt is for model "toy", not "other"');
  });
  it("another dtype", () => {
    expect(() => decodeCheckpoint(bytes(), { ...base, dtype: "f32" }, "m.ckpt")).toThrow('checkpoint m.ckpt holds f64 values, but model "toy" uses f32');
  });
  it("a param of another shape (both shapes named), even one with the same size", () => {
    const params = base.params.map((p) => (p.name === "p0" ? { name: "p0", shape: [4, 3] } : p));
    expect(() => decodeCheckpoint(bytes(), withParams(params), "m.ckpt")).toThrow(
      'checkpoint m.ckpt: param "p0" has shape [3, 4] in the checkpoint but [4, 3] in model "toy"',
    );
  });
  it("a param the checkpoint lacks, or one the model does not declare", () => {
    expect(() => decodeCheckpoint(bytes(), withParams([...base.params, { name: "extra", shape: [2] }]), "m.ckpt")).toThrow(
      'checkpoint m.ckpt has no param "extra" (model "toy" declares it with shape [2])',
    );
    expect(() => decodeCheckpoint(bytes(), withParams(base.params.slice(1)), "m.ckpt")).toThrow(
      'checkpoint m.ckpt has param "p0" (shape [3, 4]), which model "toy" does not declare',
    );
  });
  it("accepts the same params declared in another order (they are matched by name)", () => {
    const ckpt = decodeCheckpoint(bytes(), withParams(base.params.slice().reverse()), "m.ckpt");
    expect(ckpt.paramSpecs.map((p) => p.name)).toEqual(["p4", "p3", "p2", "p1", "p0"]);
    // Optimizer buffers follow the model's order too.
    expect((ckpt.optimizer!.expAvg![0] as FloatArray).length).toBe(0);
    expect((ckpt.optimizer!.expAvg![4] as FloatArray).length).toBe(12);
  });
});

// ── restoreInto: all or nothing ──────────────────────────────────────────────────────────────────────

describe("restoreInto changes nothing unless everything fits", () => {
  function setup(opt: OptimizerSpec = { kind: "adam", lr: 0.01 }) {
    const ckpt = decodeCheckpoint(encodeCheckpoint(sample("f64", { kind: "adam", lr: 0.01 })), specFor("f64"), "m.ckpt");
    const target = randomParams(specFor("f64"), createRng(5));
    const optimizer = createOptimizer(opt, sizesOf(specFor("f64")), "f64");
    optimizer.step(listOf(specFor("f64"), target), listOf(specFor("f64"), randomParams(specFor("f64"), createRng(6))));
    const before = Object.fromEntries(Object.entries(target).map(([k, v]) => [k, v.slice()]));
    const optBefore = optimizer.state();
    const unchanged = () => {
      for (const [k, v] of Object.entries(before)) expectSameBits(target[k], v);
      expectSameState(optimizer.state(), optBefore);
    };
    return { ckpt, target, optimizer, unchanged };
  }

  it("a different optimizer kind", () => {
    const { ckpt, target, optimizer, unchanged } = setup({ kind: "sgd", lr: 0.1, momentum: 0.9 });
    expect(() => restoreInto(ckpt, target, optimizer)).toThrow("cannot restore checkpoint m.ckpt: it holds adam optimizer state, but the optimizer is sgd");
    unchanged();
  });

  it("an optimizer for other sizes (rolled back after a partial load)", () => {
    const { ckpt, target, unchanged } = setup();
    const sizes = sizesOf(specFor("f64"));
    const other = createOptimizer({ kind: "adam", lr: 0.01 }, [...sizes.slice(0, -1), 3], "f64");
    const otherBefore = other.state();
    expect(() => restoreInto(ckpt, target, other)).toThrow(/^cannot restore checkpoint m\.ckpt: optimizer state: expAvg\[4\] must have 3 values, got 0$/);
    expectSameState(other.state(), otherBefore);
    unchanged();
  });

  it("optimizer state the optimizer rejects half-way (expAvg fits, expAvgSq does not) is rolled back", () => {
    const { ckpt, target, optimizer, unchanged } = setup();
    const state = ckpt.optimizer!;
    const broken = { ...ckpt, optimizer: { ...state, expAvgSq: state.expAvgSq!.map((b, k) => (k === 2 ? new Float64Array(1) : b)) } };
    expect(() => restoreInto(broken, target, optimizer)).toThrow("cannot restore checkpoint m.ckpt: optimizer state: expAvgSq[2] must have 12 values, got 1");
    unchanged();
  });

  it("a checkpoint without optimizer state when an optimizer is given", () => {
    const { target, optimizer, unchanged } = setup();
    const spec = specFor("f64");
    const paramsOnly = decodeCheckpoint(encodeCheckpoint({ spec, params: randomParams(spec, createRng(1)), step: 0 }), spec, "p.ckpt");
    expect(() => restoreInto(paramsOnly, target, optimizer)).toThrow("cannot restore checkpoint p.ckpt: it was saved without optimizer state");
    unchanged();
  });

  it("params that are missing, extra, of the wrong type or length", () => {
    const { ckpt, target, optimizer, unchanged } = setup();
    const { p3: _dropped, ...missing } = target;
    expect(() => restoreInto(ckpt, missing, optimizer)).toThrow('cannot restore checkpoint m.ckpt: params has no "p3" to restore into');
    expect(() => restoreInto(ckpt, { ...target, bonus: new Float64Array(1) }, optimizer)).toThrow('cannot restore checkpoint m.ckpt: the checkpoint holds no param "bonus"');
    expect(() => restoreInto(ckpt, { ...target, p1: new Float32Array(4) }, optimizer)).toThrow(
      'cannot restore checkpoint m.ckpt: param "p1" must be a Float64Array (checkpoint dtype f64), got Float32Array',
    );
    expect(() => restoreInto(ckpt, { ...target, p1: new Float64Array(5) }, optimizer)).toThrow(
      'cannot restore checkpoint m.ckpt: param "p1" has 5 values, the checkpoint\'s (shape [4]) has 4',
    );
    unchanged();
  });

  it("params alone may be restored without an optimizer", () => {
    const { ckpt, target } = setup();
    restoreInto(ckpt, target);
    for (const [k, v] of nonEmpty(Object.entries(ckpt.params), "restored params")) expectSameBits(target[k], v);
  });
});

// ── saving: validation and atomicity ─────────────────────────────────────────────────────────────────

describe("saving", () => {
  const spec: CheckpointSpec = { name: "m", dtype: "f32", params: [{ name: "w", shape: [2, 2] }] };
  const w = () => Float32Array.of(1, 2, 3, 4);

  it("refuses bad data with a message, before touching the file", () => {
    const file = join(dir, "m.ckpt");
    saveCheckpoint(file, { spec, params: { w: w() }, step: 1 });
    const old = fs.readFileSync(file);
    const bad: [Partial<CheckpointData>, string][] = [
      [{ params: {} }, 'missing param "w" (shape [2, 2])'],
      [{ params: { w: new Float64Array(4) } }, 'param "w" must be a Float32Array (dtype f32), got Float64Array'],
      [{ params: { w: new Float32Array(3) } }, 'param "w" has 3 values, but its shape [2, 2] needs 4'],
      [{ params: { w: w(), v: w() } }, 'params has "v", which model "m" does not declare'],
      [{ step: -1 }, "step must be a non-negative integer, got -1"],
      [{ epoch: 1.5 }, "epoch must be a non-negative integer, got 1.5"],
      [{ extra: { history: [{ loss: NaN }] } }, "extra.history[0].loss is NaN, which JSON cannot hold (store null or a string)"],
      [{ extra: { rng: new Uint32Array(4) } }, "extra.rng is a Uint32Array, not JSON data (convert it, e.g. Array.from for a typed array)"],
      [{ extra: { a: [1, undefined] } }, "extra.a[1] is undefined, which JSON cannot hold"],
      [
        { optimizer: { kind: "adam", stepCount: 1, expAvg: [new Float64Array(4)], expAvgSq: [new Float32Array(4)] } },
        'optimizer state: expAvg[0] ("w") is a Float64Array, expected Float32Array (dtype f32)',
      ],
      [{ optimizer: { kind: "adam", stepCount: 1, expAvg: [], expAvgSq: [] } }, "optimizer state: expAvg holds 0 buffers, expected one per trainable param (1)"],
      [{ optimizer: { kind: "sgd", stepCount: 1, momentumBuffer: [[1, 2]] } }, 'optimizer state: momentumBuffer[0] ("w") has 2 values, the param has 4'],
    ];
    for (const [change, message] of bad) {
      const data = { spec, params: { w: w() }, step: 1, ...change } as CheckpointData;
      expect(() => saveCheckpoint(file, data), message).toThrow(`cannot save checkpoint ${file}: ${message}`);
      expect(fs.readFileSync(file).equals(old)).toBe(true);
    }
    expect(fs.readdirSync(dir)).toEqual(["m.ckpt"]);
  });

  /** node:fs, failing at one call. */
  function failingFs(at: "openSync" | "writeSync" | "fsyncSync" | "closeSync" | "renameSync"): AtomicFs {
    const real: AtomicFs = fs;
    return {
      openSync: (p, f, m) => (at === "openSync" ? fail("EACCES: permission denied") : real.openSync(p, f, m)),
      writeSync: (fd, b, o, l) => {
        if (at !== "writeSync") return real.writeSync(fd, b, o, l);
        real.writeSync(fd, b, o, Math.min(l, 10)); // half-written, then the disk fills up
        return fail("ENOSPC: no space left on device");
      },
      fsyncSync: (fd) => (at === "fsyncSync" ? fail("EIO: i/o error") : real.fsyncSync(fd)),
      closeSync: (fd) => {
        real.closeSync(fd);
        if (at === "closeSync") fail("EIO: i/o error");
      },
      renameSync: (a, b) => (at === "renameSync" ? fail("EXDEV: cross-device link") : real.renameSync(a, b)),
      unlinkSync: (p) => real.unlinkSync(p),
    };
  }
  const fail = (message: string): never => {
    throw new Error(message);
  };

  for (const at of ["openSync", "writeSync", "fsyncSync", "closeSync", "renameSync"] as const) {
    it(`leaves the old file intact and no temporary file when ${at} fails`, () => {
      const file = join(dir, "m.ckpt");
      saveCheckpoint(file, { spec, params: { w: w() }, step: 1 });
      const old = fs.readFileSync(file);
      expect(() => saveCheckpoint(file, { spec, params: { w: Float32Array.of(5, 6, 7, 8) }, step: 2 }, { fs: failingFs(at) })).toThrow(
        new RegExp(`^cannot write ${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: E`),
      );
      expect(fs.readFileSync(file).equals(old)).toBe(true);
      expect(fs.readdirSync(dir)).toEqual(["m.ckpt"]);
      expect(loadCheckpoint(file, spec).step).toBe(1);
    });
  }

  it("fails with the path when the directory does not exist", () => {
    const file = join(dir, "no", "such", "m.ckpt");
    expect(() => saveCheckpoint(file, { spec, params: { w: w() }, step: 1 })).toThrow(`cannot write ${file}: ENOENT`);
  });

  it("writeFileAtomic writes strings as UTF-8 and replaces the file", () => {
    const file = join(dir, "curves.svg");
    writeFileAtomic(file, "old");
    writeFileAtomic(file, "<svg>→</svg>");
    expect(fs.readFileSync(file, "utf8")).toBe("<svg>→</svg>");
    expect(fs.readdirSync(dir)).toEqual(["curves.svg"]);
  });
});

// ── resuming ─────────────────────────────────────────────────────────────────────────────────────────

describe("resuming from a checkpoint reproduces an uninterrupted run bit for bit", () => {
  // An optimizer-only training loop: the "gradient" of 0.5·|p|² plus noise from a seeded rng, so the run
  // depends on the params, the optimizer state and the rng state, all of which the checkpoint must carry.
  const spec = (dtype: Dtype): CheckpointSpec => ({ name: "toy", dtype, params: [{ name: "W", shape: [5, 3] }, { name: "b", shape: [3] }] });

  function stepOnce(s: CheckpointSpec, params: Record<string, FloatArray>, optimizer: Optimizer, rng: Rng): number {
    const list = listOf(s, params);
    let loss = 0;
    const grads = list.map((p) => {
      const g = s.dtype === "f32" ? new Float32Array(p.length) : new Float64Array(p.length);
      for (let i = 0; i < p.length; i++) {
        loss += 0.5 * p[i] * p[i];
        g[i] = p[i] + 0.5 * rng.normal();
      }
      return g;
    });
    optimizer.step(list, grads);
    return loss;
  }

  const cases: [Dtype, OptimizerSpec][] = [
    ["f32", { kind: "adam", lr: 0.05 }],
    ["f64", { kind: "adamw", lr: 0.05 }],
    ["f64", { kind: "sgd", lr: 0.05, momentum: 0.9 }],
    ["f32", { kind: "sgd", lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01 }],
  ];
  for (const [dtype, opt] of cases) {
    it(`${dtype}, ${JSON.stringify(opt)}: 20 steps = 10 steps, save, load into fresh state, 10 steps`, () => {
      const s = spec(dtype);
      const init = (seed: number) => randomParams(s, createRng(seed));

      // Uninterrupted.
      const params = init(1);
      const optimizer = createOptimizer(opt, sizesOf(s), dtype);
      const rng = createRng(42);
      const losses: number[] = [];
      for (let t = 0; t < 20; t++) losses.push(stepOnce(s, params, optimizer, rng));

      // Interrupted after 10 steps.
      const file = join(dir, "run.ckpt");
      {
        const p = init(1);
        const o = createOptimizer(opt, sizesOf(s), dtype);
        const r = createRng(42);
        const l: number[] = [];
        for (let t = 0; t < 10; t++) l.push(stepOnce(s, p, o, r));
        saveCheckpoint(file, { spec: s, params: p, optimizer: o.state(), step: 10, extra: { rng: r.state(), losses: l } });
      }
      // A new process: different initial params, fresh optimizer, everything else from the file.
      const p = init(999);
      const o = createOptimizer(opt, sizesOf(s), dtype);
      const ckpt = loadCheckpoint(file, s);
      restoreInto(ckpt, p, o);
      const r = createRngFromState(ckpt.extra!.rng as number[]);
      const resumed = (ckpt.extra!.losses as number[]).slice();
      for (let t = ckpt.step; t < 20; t++) resumed.push(stepOnce(s, p, o, r));

      expectSameBits(Float64Array.from(resumed), Float64Array.from(losses));
      for (const { name } of s.params) expectSameBits(p[name], params[name]);
      expectSameState(o.state(), optimizer.state());
    });
  }

  it("with a compiled model's trainer (trainer.params, trainer.optimizer)", async () => {
    const def = model("ckpt_mlp", () => {
      const x = input("x", ["batch", 3]);
      const y = input("y", ["batch", 2]);
      const W1 = param("W1", [3, 4], { init: "xavier" });
      const b1 = param("b1", [4], { init: "zeros" });
      const W2 = param("W2", [4, 2], { init: "xavier" });
      const out = matmul(tanh(add(matmul(x, W1), b1)), W2);
      return { loss: mse(out, y), outputs: { out } };
    });
    const { module: mod } = await compileAndImport(def, { dtype: "f32" });
    type Trainer = { step(inputs: Record<string, ArrayLike<number>>): number; params: Record<string, FloatArray>; optimizer: Optimizer };
    const make = (seed: number) => mod.createTrainer(mod.initParams(seed), { optimizer: { kind: "adam", lr: 0.01 } }) as unknown as Trainer;
    const s = mod.spec as unknown as CheckpointSpec;
    const batch = (rng: Rng) => ({
      x: Float32Array.from({ length: 8 * 3 }, () => rng.normal()),
      y: Float32Array.from({ length: 8 * 2 }, () => rng.uniform()),
    });

    const whole = make(0);
    const rng = createRng(1);
    const losses = Array.from({ length: 30 }, () => whole.step(batch(rng)));

    const file = join(dir, "mlp.ckpt");
    {
      const t = make(0);
      const r = createRng(1);
      const l = Array.from({ length: 15 }, () => t.step(batch(r)));
      saveCheckpoint(file, { spec: s, params: t.params, optimizer: t.optimizer.state(), step: 15, extra: { rng: r.state(), losses: l } });
    }
    const t = make(123);
    const ckpt = loadCheckpoint(file, s);
    restoreInto(ckpt, t.params, t.optimizer);
    const r = createRngFromState(ckpt.extra!.rng as number[]);
    const resumed = [...(ckpt.extra!.losses as number[]), ...Array.from({ length: 15 }, () => t.step(batch(r)))];
    expectSameBits(Float64Array.from(resumed), Float64Array.from(losses));
    for (const { name } of s.params) expectSameBits(t.params[name], whole.params[name]);
  });

  it("with batchNorm's running statistics: state params have no optimizer buffers (saving once failed), and resume is exact", async () => {
    const def = model("ckpt_bn", () => {
      const x = input("x", ["batch", 3]);
      const y = input("y", ["batch", 2]);
      const W1 = param("W1", [3, 4], { init: "xavier" });
      const W2 = param("W2", [4, 2], { init: "xavier" });
      const out = matmul(tanh(batchNorm(matmul(x, W1), "bn")), W2);
      return { loss: mse(out, y), outputs: { out } };
    });
    const { module: mod } = await compileAndImport(def, { dtype: "f64" });
    type Trainer = { step(inputs: Record<string, ArrayLike<number>>): number; params: Record<string, FloatArray>; optimizer: Optimizer };
    const make = (seed: number) => mod.createTrainer(mod.initParams(seed), { optimizer: { kind: "adam", lr: 0.01 } }) as unknown as Trainer;
    const s = mod.spec as unknown as CheckpointSpec;
    expect(s.params.filter((p) => p.trainable === false).map((p) => p.name)).toEqual(["bn.runningMean", "bn.runningVar"]);
    const batch = (rng: Rng) => ({ x: Float64Array.from({ length: 8 * 3 }, () => rng.normal()), y: Float64Array.from({ length: 8 * 2 }, () => rng.uniform()) });

    const whole = make(0);
    const rng = createRng(1);
    const losses = Array.from({ length: 12 }, () => whole.step(batch(rng)));
    const file = join(dir, "bn.ckpt");
    const first = make(0);
    const r0 = createRng(1);
    const l = Array.from({ length: 6 }, () => first.step(batch(r0)));
    saveCheckpoint(file, { spec: s, params: first.params, optimizer: first.optimizer.state(), step: 6, extra: { rng: r0.state(), losses: l } });

    const t = make(123);
    const ckpt = loadCheckpoint(file, s);
    expect(Object.keys(ckpt.optimizer!).filter((k) => Array.isArray((ckpt.optimizer as unknown as Record<string, unknown>)[k])).length).toBeGreaterThan(0);
    restoreInto(ckpt, t.params, t.optimizer);
    const r = createRngFromState(ckpt.extra!.rng as number[]);
    const resumed = [...(ckpt.extra!.losses as number[]), ...Array.from({ length: 6 }, () => t.step(batch(r)))];
    expectSameBits(Float64Array.from(resumed), Float64Array.from(losses));
    for (const { name } of s.params) expectSameBits(t.params[name], whole.params[name]);
  });
});

// ── every check, with its message (what mutation testing, test/MUTATION.md, found untested) ──────────

describe("files whose checksum holds but whose header is not one gradc writes are refused", () => {
  const spec: CheckpointSpec = { name: "m", dtype: "f64", params: [{ name: "w", shape: [2] }] };
  const data = new Uint8Array(Float64Array.of(1.5, -2).buffer);
  const good = { model: "m", dtype: "f64", step: 1, epoch: null, params: [{ name: "w", shape: [2], offset: 0, length: 2 }], optimizer: null, extra: null };

  /** A checkpoint file around `headerText`: right magic, version, sizes, padding and checksum. */
  function craft(headerText: string, body: Uint8Array = data): Uint8Array {
    const text = new TextEncoder().encode(headerText);
    const header = new Uint8Array(text.length + ((8 - ((24 + text.length) % 8)) % 8)).fill(0x20);
    header.set(text);
    const out = new Uint8Array(24 + header.length + body.length + 4);
    const view = new DataView(out.buffer);
    out.set(ascii("GRADCKPT"));
    view.setUint32(8, 1, true);
    view.setUint32(12, header.length, true);
    view.setBigUint64(16, BigInt(body.length), true);
    out.set(header, 24);
    out.set(body, 24 + header.length);
    view.setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)), true);
    return out;
  }
  const withHeader = (change: Record<string, unknown>) => craft(JSON.stringify({ ...good, ...change }));

  it("a header that is not UTF-8 is refused, not read with replacement characters", () => {
    const bytes = withHeader({ model: "m#" });
    bytes[bytes.indexOf(0x23, 24)] = 0xff; // '#' → a byte no UTF-8 text holds
    new DataView(bytes.buffer).setUint32(bytes.length - 4, crc32(bytes.subarray(0, bytes.length - 4)), true);
    expect(() => decodeCheckpoint(bytes, spec, "c.ckpt")).toThrow(/^checkpoint c\.ckpt is corrupt: unreadable header \(/);
  });

  it("the crafted file itself is read (so each refusal below is the change's doing)", () => {
    const ckpt = decodeCheckpoint(withHeader({}), spec, "c.ckpt");
    expect(Array.from(ckpt.params.w)).toEqual([1.5, -2]);
    expect(ckpt.step).toBe(1);
  });

  const cases: [string, Uint8Array, string][] = [
    ["not JSON", craft("{model"), "unreadable header ("],
    ["null", craft("null"), "the header is not an object"],
    ["a number", craft("5"), "the header is not an object"],
    ["another dtype", withHeader({ dtype: "f16" }), 'unknown dtype "f16"'],
    ["no model name", withHeader({ model: 5 }), "the header has no model name"],
    ["a negative step", withHeader({ step: -1 }), "bad step -1"],
    ["a fractional epoch", withHeader({ epoch: 1.5 }), "bad epoch 1.5"],
    ["no param list", withHeader({ params: {} }), "the header has no param list"],
    ["extra that is a list", withHeader({ extra: [1] }), "extra is not an object"],
    ["a param entry without a name", withHeader({ params: [{ name: 5, shape: [2], offset: 0, length: 2 }] }), "a param entry in the header is malformed"],
    ["a null param entry", withHeader({ params: [null] }), "a param entry in the header is malformed"],
    ["a param entry with a bad shape", withHeader({ params: [{ name: "w", shape: [-2], offset: 0, length: 2 }] }), "a param entry in the header is malformed"],
    ["a param twice", withHeader({ params: [good.params[0], good.params[0]] }), 'param "w" appears twice'],
    ["a length that is not the shape's", withHeader({ params: [{ name: "w", shape: [2], offset: 0, length: 3 }] }), 'param "w" has 3 values for shape [2]'],
    ["a param past the end of the data", withHeader({ params: [{ name: "w", shape: [2], offset: 8, length: 2 }] }), 'param "w" lies outside the data section'],
    ["a param at an unaligned offset", withHeader({ params: [{ name: "w", shape: [2], offset: 4, length: 2 }] }), 'param "w" lies outside the data section'],
    ["a param at a negative offset", withHeader({ params: [{ name: "w", shape: [2], offset: -8, length: 2 }] }), 'param "w" lies outside the data section'],
    ["optimizer state that is a number", withHeader({ optimizer: 5 }), "the optimizer entry is malformed"],
    ["optimizer buffers that are a list", withHeader({ optimizer: { kind: "sgd", stepCount: 1, buffers: [] } }), "the optimizer entry is malformed"],
    ["optimizer buffers that are null", withHeader({ optimizer: { kind: "sgd", stepCount: 1, buffers: null } }), "the optimizer entry is malformed"],
    ["an optimizer without a kind", withHeader({ optimizer: { stepCount: 1, buffers: {} } }), "the optimizer entry is malformed"],
    ["an optimizer with a bad step count", withHeader({ optimizer: { kind: "sgd", stepCount: -1, buffers: {} } }), "the optimizer entry is malformed"],
    ["a buffer list that is not a list", withHeader({ optimizer: { kind: "sgd", stepCount: 1, buffers: { momentumBuffer: 5 } } }), "optimizer momentumBuffer is malformed"],
    ["a buffer list without the param's buffer", withHeader({ optimizer: { kind: "sgd", stepCount: 1, buffers: { momentumBuffer: [] } } }), 'optimizer momentumBuffer has no buffer for param "w"'],
    ["a buffer list holding null", withHeader({ optimizer: { kind: "sgd", stepCount: 1, buffers: { momentumBuffer: [null] } } }), 'optimizer momentumBuffer has no buffer for param "w"'],
    // Inside the data section (24 bytes), but not at a multiple of 8: the values would not be the ones written.
    ["a param at an unaligned offset inside the data", craft(JSON.stringify({ ...good, params: [{ name: "w", shape: [2], offset: 4, length: 2 }] }), new Uint8Array(24)), 'param "w" lies outside the data section'],
    [
      "a buffer of the wrong length",
      withHeader({ optimizer: { kind: "sgd", stepCount: 1, buffers: { momentumBuffer: [{ param: "w", offset: 0, length: 1 }] } } }),
      'optimizer momentumBuffer buffer for "w" has the wrong length',
    ],
    [
      "a buffer past the end of the data",
      withHeader({ optimizer: { kind: "sgd", stepCount: 1, buffers: { momentumBuffer: [{ param: "w", offset: 16, length: 2 }] } } }),
      'optimizer momentumBuffer buffer for "w" lies outside the data section',
    ],
  ];
  for (const [what, bytes, message] of cases) {
    it(`${what}: ${message}`, () => {
      expect(() => decodeCheckpoint(bytes, spec, "c.ckpt")).toThrow(`checkpoint c.ckpt is corrupt: ${message}`);
    });
  }

  it("the param shapes a checkpoint reports are its own copies, not the spec's arrays", () => {
    const ckpt = decodeCheckpoint(withHeader({}), spec, "c.ckpt");
    expect(ckpt.paramSpecs).toEqual([{ name: "w", shape: [2] }]);
    expect(ckpt.paramSpecs[0]!.shape).not.toBe(spec.params[0]!.shape);
  });

  it("an optimizer buffer in the header is read from where it says", () => {
    const body = new Uint8Array(Float64Array.of(1.5, -2, 3, 4).buffer);
    const bytes = craft(JSON.stringify({ ...good, optimizer: { kind: "sgd", stepCount: 1, buffers: { momentumBuffer: [{ param: "w", offset: 16, length: 2 }] } } }), body);
    expect(Array.from(decodeCheckpoint(bytes, spec, "c.ckpt").optimizer!.momentumBuffer![0] as Float64Array)).toEqual([3, 4]);
  });

  it("names bytes without a source <bytes>, and says nothing of a newer gradc for an older version", () => {
    expect(() => decodeCheckpoint(ascii("nope"), spec)).toThrow('<bytes> is not a gradc checkpoint (it does not start with "GRADCKPT")');
    const old = withHeader({});
    new DataView(old.buffer).setUint32(8, 0, true);
    new DataView(old.buffer).setUint32(old.length - 4, crc32(old.subarray(0, old.length - 4)), true);
    expect(() => decodeCheckpoint(old, spec, "c.ckpt")).toThrow(/^checkpoint c\.ckpt has format version 0; this gradc reads version 1$/);
  });
});

describe("bad arguments are refused with a message", () => {
  const spec: CheckpointSpec = { name: "m", dtype: "f32", params: [{ name: "w", shape: [2] }] };
  const w = () => Float32Array.of(1, 2);
  const bytes = () => encodeCheckpoint({ spec, params: { w: w() }, step: 0 });

  it("a spec that is not one", () => {
    const bad: [unknown, string][] = [
      [null, "a checkpoint needs the model's spec ({ name, dtype, params })"],
      ["m", "a checkpoint needs the model's spec ({ name, dtype, params })"],
      [{ ...spec, name: 5 }, "spec.name must be a string"],
      [{ ...spec, dtype: "f16" }, 'spec.dtype must be "f32" or "f64", got "f16"'],
      [{ ...spec, params: {} }, "spec.params must be an array of { name, shape }"],
      [{ ...spec, params: [{ shape: [2] }] }, "every spec param needs a name"],
      [{ ...spec, params: [null] }, "every spec param needs a name"],
      [{ ...spec, params: [spec.params[0], spec.params[0]] }, 'spec declares param "w" twice'],
      [{ ...spec, params: [{ name: "w", shape: [-2] }] }, 'spec param "w": shape must be an array of non-negative integers'],
      [{ ...spec, params: [{ name: "w", shape: 2 }] }, 'spec param "w": shape must be an array of non-negative integers'],
    ];
    for (const [s, message] of bad) {
      expect(() => decodeCheckpoint(bytes(), s as CheckpointSpec), message).toThrow(message);
      expect(() => encodeCheckpoint({ spec: s as CheckpointSpec, params: { w: w() }, step: 0 }), message).toThrow(message);
    }
  });

  it("checkpoint data that is not JSON-safe or not of the model", () => {
    const loop: Record<string, unknown> = { a: 1 };
    loop.self = loop;
    const bad: [Record<string, unknown>, string][] = [
      [{ params: null }, "params must be an object"],
      [{ params: 5 }, "params must be an object"],
      [{ params: { w: null } }, 'param "w" must be a Float32Array (dtype f32), got null'],
      [{ params: { w: 5 } }, 'param "w" must be a Float32Array (dtype f32), got number'],
      [{ params: { w: Object.create(null) } }, 'param "w" must be a Float32Array (dtype f32), got object'],
      [{ optimizer: 5 }, "optimizer state must be an object"],
      [{ optimizer: null }, "optimizer state must be an object"],
      [{ optimizer: { kind: 5, stepCount: 1 } }, "optimizer state: kind must be a string"],
      [{ optimizer: { kind: "sgd", stepCount: -1 } }, "optimizer stepCount must be a non-negative integer, got -1"],
      [{ optimizer: { kind: "", stepCount: 1 } }, "optimizer state: kind must be a string"],
      [{ optimizer: { kind: "sgd", stepCount: 1, momentumBuffer: 5 } }, 'optimizer state: "momentumBuffer" is not a list of buffers, and only buffers can be saved'],
      [{ optimizer: { kind: "sgd", stepCount: 1, momentumBuffer: [["a", "b"]] } }, 'optimizer state: momentumBuffer[0] ("w") must be a Float32Array or an array of numbers'],
      [{ extra: [] }, "extra must be a plain object of JSON data"],
      [{ extra: 5 }, "extra must be a plain object of JSON data"],
      [{ extra: loop }, "extra.self refers back to itself"],
      [{ extra: { f: () => 1 } }, "extra.f is a function, not JSON data"],
      [{ extra: { n: 1n } }, "extra.n is a bigint, not JSON data"],
    ];
    for (const [change, message] of bad) {
      expect(() => encodeCheckpoint({ spec, params: { w: w() }, step: 0, ...change } as CheckpointData), message).toThrow(message);
    }
  });

  it("optimizer buffer lists are stored in the order of their names, and an undefined one is left out", () => {
    const state = (keys: string[]) => Object.fromEntries([["kind", "adam"], ["stepCount", 1], ...keys.map((k, i) => [k, [Float32Array.of(i, i + 1)]])]);
    const save = (optimizer: Record<string, unknown>) => Buffer.from(encodeCheckpoint({ spec, params: { w: w() }, step: 1, optimizer } as unknown as CheckpointData));
    expect(save(state(["expAvgSq", "expAvg"])).equals(save({ ...state([]), expAvg: [Float32Array.of(1, 2)], expAvgSq: [Float32Array.of(0, 1)] }))).toBe(true);
    const sgd = decodeCheckpoint(encodeCheckpoint({ spec, params: { w: w() }, step: 0, optimizer: { kind: "sgd", stepCount: 0, momentumBuffer: undefined } }), spec);
    expect(sgd.optimizer).toEqual({ kind: "sgd", stepCount: 0 });
  });

  it("extra keeps booleans and nulls; null extra or optimizer buffers are refused with their messages", () => {
    const extra = { done: true, best: null, list: [false, null] };
    expect(decodeCheckpoint(encodeCheckpoint({ spec, params: { w: w() }, step: 0, extra }), spec).extra).toEqual(extra);
    expect(() => encodeCheckpoint({ spec, params: { w: w() }, step: 0, extra: null as never })).toThrow("extra must be a plain object of JSON data");
  });

  it("a param of the same size but another rank is refused", () => {
    const flat: CheckpointSpec = { ...spec, params: [{ name: "w", shape: [2] }] };
    const column: CheckpointSpec = { ...spec, params: [{ name: "w", shape: [2, 1] }] };
    const saved = encodeCheckpoint({ spec: flat, params: { w: w() }, step: 0 });
    expect(() => decodeCheckpoint(saved, column, "m.ckpt")).toThrow('checkpoint m.ckpt: param "w" has shape [2] in the checkpoint but [2, 1] in model "m"');
  });

  it("extra may be a null-prototype object, and may hold the same object twice (not a cycle)", () => {
    const shared = { lr: 0.5 };
    const extra = Object.assign(Object.create(null) as Record<string, unknown>, { a: shared, b: [shared] });
    const ckpt = decodeCheckpoint(encodeCheckpoint({ spec, params: { w: w() }, step: 0, extra }), spec);
    expect(ckpt.extra).toEqual({ a: { lr: 0.5 }, b: [{ lr: 0.5 }] });
  });

  it("restoreInto refuses params that are not an object; encodeCheckpoint data that is not one", () => {
    const ckpt = decodeCheckpoint(bytes(), spec, "m.ckpt");
    expect(() => restoreInto(ckpt, null as never)).toThrow("cannot restore checkpoint m.ckpt: params must be an object");
    expect(() => restoreInto(ckpt, 5 as never)).toThrow("cannot restore checkpoint m.ckpt: params must be an object");
    expect(() => encodeCheckpoint(null as never)).toThrow("checkpoint data must be an object");
    expect(() => encodeCheckpoint(5 as never)).toThrow("checkpoint data must be an object");
  });

  it("saveCheckpoint keeps the validation error as the cause; loadCheckpoint names a read error other than a missing file", () => {
    let error: unknown;
    try {
      saveCheckpoint(join(dir, "m.ckpt"), { spec, params: {}, step: 0 });
    } catch (e) {
      error = e;
    }
    expect((error as Error).message).toBe(`cannot save checkpoint ${join(dir, "m.ckpt")}: missing param "w" (shape [2])`);
    expect(((error as Error).cause as Error).message).toBe('missing param "w" (shape [2])');
    expect(() => loadCheckpoint(dir, spec)).toThrow(new RegExp(`^cannot read checkpoint ${dir.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: EISDIR`));
  });
});

describe("the byte order of the data section", () => {
  // Every machine we test on is little-endian, where values are copied as raw bytes; the value-by-value
  // path a big-endian host takes must give the same bytes and read them back the same.
  for (const dtype of ["f32", "f64"] as const) {
    it(`${dtype}: the big-endian host's path writes and reads what the little-endian one does`, () => {
      const values = dtype === "f32" ? Float32Array.of(1.5, -0, 3.4e38, 1e-45) : Float64Array.of(1.5, -0, 1.7e308, 5e-324);
      const size = dtype === "f32" ? 4 : 8;
      const fast = new Uint8Array(8 + values.length * size);
      const slow = new Uint8Array(8 + values.length * size);
      writeValues(fast, new DataView(fast.buffer), 8, values, dtype, true);
      writeValues(slow, new DataView(slow.buffer), 8, values, dtype, false);
      expect(Buffer.from(slow).equals(Buffer.from(fast))).toBe(true);
      expect(new DataView(slow.buffer).getFloat64(0)).toBe(0); // nothing before pos was written
      const view = new DataView(slow.buffer);
      expectSameBits(readValues(slow, view, 8, values.length, dtype, false), values);
      expectSameBits(readValues(slow, view, 8, values.length, dtype, true), values);
      // A plain number array (a state that went through JSON) takes the value-by-value path on any host.
      const plain = new Uint8Array(8 + values.length * size);
      writeValues(plain, new DataView(plain.buffer), 8, Array.from(values), dtype, true);
      expect(Buffer.from(plain).equals(Buffer.from(fast))).toBe(true);
    });
  }
});
