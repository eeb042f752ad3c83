// Mini-batches for training loops: the samples of one epoch in data set order or a seeded shuffle,
// gathered into reused buffers. The order of epoch k depends only on (seed, k), so a run resumed from
// a checkpoint at epoch k sees exactly the batches it would have seen without the interruption.
import { allocate, checkEpoch, checkSeed, gather, identity, shapeProduct, type Column } from "./columns.js";
import type { Dataset } from "./dataset.js";
import { describeValue } from "./describe.js";
import { createRng, shuffleInPlace, splitmix32Mix } from "./rng.js";

export interface BatchOptions<F extends string = string> {
  /** Samples per batch, an integer ≥ 1. */
  readonly batchSize: number;
  /** Visit the samples in a seeded random order (see `epochPermutation`); default false: data set order. */
  readonly shuffle?: boolean;
  /** Seed of the shuffle, an integer (taken modulo 2^32); default 0. */
  readonly seed?: number;
  /** Which epoch's order to produce, an integer in [0, 2^31); default 0. */
  readonly epoch?: number;
  /** Skip a final batch smaller than `batchSize`; default false (it is yielded with its true size). */
  readonly dropLast?: boolean;
  /** Deliver float fields as this type (i32 fields stay Int32Array); default: each field's own dtype. */
  readonly dtype?: "f32" | "f64";
  /** Only these fields, in this order; default all. */
  readonly fields?: readonly F[];
  /** Start at this batch of the epoch (for resuming mid-epoch); default 0. The order is unchanged. */
  readonly startBatch?: number;
}

/**
 * One mini-batch. Its arrays (and this object) are reused: they are valid until the iterator produces
 * the next batch. Copy them if you need to keep them.
 */
export interface Batch<F extends string = string> {
  /** Samples in this batch: `batchSize`, or fewer for the final batch of an epoch. */
  readonly size: number;
  /** Position of this batch within the epoch, from 0. */
  readonly index: number;
  /** The data set row of each sample (`size` values). */
  readonly rows: Int32Array;
  /** One flat row-major array per field, `size × prod(shape)` values: pass straight to `trainer.step`. */
  readonly inputs: Readonly<Record<F, Column>>;
}

/**
 * The mini-batches of one epoch. Every sample appears exactly once per epoch (unless `dropLast` drops
 * the final partial batch). Shuffled order: `epochPermutation(ds.size, seed, epoch)`.
 *
 * The final partial batch: with dropLast false, the last batch holds the remaining `size % batchSize`
 * samples, yielded with its true size and no padding. Generated trainers take the batch size from the
 * input lengths (a symbolic batch dimension), so `trainer.step(batch.inputs)` simply computes the loss
 * over that smaller batch; batch losses are means (softmaxCrossEntropy, mse), so each sample of the last
 * batch weighs 1/(its size) instead of 1/batchSize in its step, exactly as PyTorch's DataLoader with
 * drop_last=False. A module compiled with a fixed `--batch N` rejects other sizes: use dropLast: true.
 *
 * Allocation: each iteration (each `[Symbol.iterator]()` call) allocates the epoch's permutation and one
 * set of buffers per batch size (full, and the final partial one when there is one); batches are
 * gathered into them, so no typed array is allocated per batch. A batch's arrays are overwritten by the
 * next batch of the same size. Options are validated when `batches` is called.
 */
export function batches<F extends string, G extends F = F>(ds: Dataset<F>, options: BatchOptions<G>): Iterable<Batch<G>> {
  if (typeof options !== "object" || options === null) {
    throw new Error(`batches: expected options { batchSize, ... }, got ${describeValue(options)}`);
  }
  const { batchSize, shuffle = false, seed = 0, epoch = 0, dropLast = false, dtype, startBatch = 0 } = options;
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) {
    throw new Error(`batches: batchSize must be an integer >= 1, got ${describeValue(batchSize)}`);
  }
  checkSeed(seed, "batches");
  checkEpoch(epoch, "batches");
  if (dtype !== undefined && dtype !== "f32" && dtype !== "f64") {
    throw new Error(`batches: dtype must be "f32" or "f64", got ${describeValue(dtype)}`);
  }
  const names = (options.fields ?? (Object.keys(ds.fields) as G[])).slice();
  if (new Set(names).size !== names.length) throw new Error("batches: a field is listed twice in fields");
  for (const name of names) {
    if (!Object.prototype.hasOwnProperty.call(ds.fields, name)) {
      throw new Error(`batches: no field "${name}" (fields: ${Object.keys(ds.fields).map((k) => `"${k}"`).join(", ")})`);
    }
  }
  const count = batchCount(ds.size, batchSize, dropLast);
  if (!(Number.isInteger(startBatch) && startBatch >= 0 && startBatch <= count)) {
    throw new Error(`batches: startBatch must be an integer in [0, ${count}] (batches in this epoch), got ${describeValue(startBatch)}`);
  }
  const size = ds.size;
  const rowSizes = names.map((name) => shapeProduct(ds.fields[name].shape));
  const dtypes = names.map((name) => {
    const own = ds.fields[name].dtype;
    return own === "i32" || dtype === undefined ? own : dtype;
  });
  const sources = names.map((name) => ds.columns[name]);

  function makeBatch(n: number): { batch: { size: number; index: number; rows: Int32Array; inputs: Record<G, Column> }; outs: Column[] } {
    const outs = names.map((_, f) => allocate(dtypes[f], n * rowSizes[f]));
    const inputs = Object.fromEntries(names.map((name, f) => [name, outs[f]])) as Record<G, Column>;
    return { batch: { size: n, index: 0, rows: new Int32Array(n), inputs }, outs };
  }

  function* run(): Generator<Batch<G>, void, undefined> {
    const order = shuffle ? epochPermutation(size, seed, epoch) : identity(size);
    let full: ReturnType<typeof makeBatch> | undefined;
    let last: ReturnType<typeof makeBatch> | undefined;
    for (let b = startBatch; b < count; b++) {
      const start = b * batchSize;
      const n = Math.min(batchSize, size - start);
      let slot: ReturnType<typeof makeBatch>;
      if (n === batchSize) slot = full ??= makeBatch(n);
      else slot = last ??= makeBatch(n);
      const { batch, outs } = slot;
      const rows = batch.rows;
      for (let i = 0; i < n; i++) rows[i] = order[start + i];
      for (let f = 0; f < names.length; f++) gather(sources[f], outs[f], rowSizes[f], rows, 0, n);
      batch.index = b;
      yield batch;
    }
  }

  return { [Symbol.iterator]: run };
}

/** Batches per epoch: ⌈size / batchSize⌉, or ⌊size / batchSize⌋ with dropLast. */
export function batchCount(size: number, batchSize: number, dropLast = false): number {
  if (!(Number.isInteger(size) && size >= 0)) throw new Error(`batchCount: size must be a non-negative integer, got ${describeValue(size)}`);
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) {
    throw new Error(`batchCount: batchSize must be an integer >= 1, got ${describeValue(batchSize)}`);
  }
  return dropLast ? Math.floor(size / batchSize) : Math.ceil(size / batchSize);
}

/** Keeps the shuffle stream of epoch e apart from the stream createRng(seed) gives initializers. */
const EPOCH_OFFSET = 0x6a09e667; // frac(√2) · 2^32, below 2^31: epoch + offset never wraps to 0

/**
 * The sample order of one shuffled epoch: a Fisher–Yates shuffle (shuffleInPlace) of 0 … size−1 driven
 * by createRng(seed ^ splitmix32Mix(epoch + 0x6a09e667)). It depends only on (size, seed, epoch), so any
 * epoch can be reproduced without replaying earlier ones (bit-exact resume from a checkpoint). For a
 * fixed seed, distinct epochs get distinct generator seeds (splitmix32Mix is a bijection), and no epoch's
 * stream is createRng(seed) itself (that would need splitmix32Mix(…) = 0, i.e. epoch + offset = 0).
 */
export function epochPermutation(size: number, seed: number, epoch: number): Int32Array {
  if (!(Number.isInteger(size) && size >= 0)) throw new Error(`epochPermutation: size must be a non-negative integer, got ${describeValue(size)}`);
  checkSeed(seed, "epochPermutation");
  checkEpoch(epoch, "epochPermutation");
  const rng = createRng((seed ^ splitmix32Mix(epoch + EPOCH_OFFSET)) >>> 0);
  return shuffleInPlace(rng, identity(size));
}
