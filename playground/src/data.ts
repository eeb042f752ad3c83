// The data sets the page trains on, chosen by the model's input shapes (its generated `spec.inputs`):
//   [batch, 2] and [batch, 1]      → XOR's truth table (examples/xor, and examples/worked's shapes);
//   [batch, 1] and [batch, 1]      → examples/simple's three points;
//   784 values and 10 classes      → 1,000 MNIST digits (mnist-1000.bin, made by build.mjs);
//   anything else                  → 64 seeded random rows of the right shapes (a model can learn them by heart),
// each in a trainer's `Inputs` form: one flat row-major array per input.
import { createRng } from "../../runtime/index.js";

export interface InputSpec {
  readonly name: string;
  readonly shape: readonly (number | string)[];
  readonly dtype: string;
  readonly classes?: number;
}

export interface ModelSpec {
  readonly batch: string | number;
  readonly inputs: readonly InputSpec[];
}

export interface Data {
  readonly name: string;
  readonly rows: number;
  /** Each input's values, row-major, `rows` rows. */
  readonly columns: Record<string, Float32Array | Int32Array>;
  /** The optimizer's learning rate (Adam) that trains it in a few seconds. */
  readonly lr: number;
}

/** The size of one row of an input: its shape without the batch dimension (null when it has another symbol). */
function rowSize(spec: ModelSpec, input: InputSpec): number | null {
  const [first, ...rest] = input.shape;
  if (first !== spec.batch) return null;
  let n = 1;
  for (const d of rest) {
    if (typeof d !== "number") return null;
    n *= d;
  }
  return n;
}

export async function chooseData(spec: ModelSpec, fetchBytes: (url: string) => Promise<Uint8Array>): Promise<Data> {
  const sizes = spec.inputs.map((i) => rowSize(spec, i));
  const [a, b] = spec.inputs;
  const floats = spec.inputs.every((i) => i.dtype !== "i32");
  if (spec.inputs.length === 2 && floats && sizes[0] === 2 && sizes[1] === 1) {
    return { name: "XOR (4 points)", rows: 4, columns: { [a!.name]: Float32Array.of(0, 0, 0, 1, 1, 0, 1, 1), [b!.name]: Float32Array.of(0, 1, 1, 0) }, lr: 0.05 };
  }
  if (spec.inputs.length === 2 && floats && sizes[0] === 1 && sizes[1] === 1) {
    return { name: "examples/simple's points (3)", rows: 3, columns: { [a!.name]: Float32Array.of(1, 2, 3), [b!.name]: Float32Array.of(0.5, 1, 1.5) }, lr: 0.05 };
  }
  const images = spec.inputs.findIndex((i, k) => sizes[k] === 784 && i.dtype !== "i32");
  const labels = spec.inputs.findIndex((i, k) => (i.dtype === "i32" && i.classes === 10 && sizes[k] === 1) || (i.dtype !== "i32" && sizes[k] === 10));
  if (spec.inputs.length === 2 && images >= 0 && labels >= 0) return mnist(spec.inputs[images]!.name, spec.inputs[labels]!, await fetchBytes("mnist-1000.bin"));
  return random(spec, sizes);
}

function mnist(images: string, labels: InputSpec, bytes: Uint8Array): Data {
  const rows = bytes.length / 785;
  const x = new Float32Array(rows * 784);
  const oneHot = labels.dtype !== "i32";
  const y = oneHot ? new Float32Array(rows * 10) : new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    for (let p = 0; p < 784; p++) x[r * 784 + p] = bytes[r * 785 + p]! / 255;
    const label = bytes[r * 785 + 784]!;
    if (oneHot) y[r * 10 + label] = 1;
    else y[r] = label;
  }
  return { name: `MNIST (${rows} digits)`, rows, columns: { [images]: x, [labels.name]: y }, lr: 0.001 };
}

function random(spec: ModelSpec, sizes: readonly (number | null)[]): Data {
  const rows = typeof spec.batch === "number" ? spec.batch : 64;
  const rng = createRng(0);
  const columns: Record<string, Float32Array | Int32Array> = {};
  spec.inputs.forEach((input, k) => {
    const size = sizes[k] ?? (input.shape.slice(1).every((d) => typeof d === "number") ? (input.shape.slice(1) as number[]).reduce((p, d) => p * d, 1) : 1);
    const n = (typeof spec.batch === "number" && input.shape[0] !== spec.batch ? 1 : rows) * size;
    if (input.dtype === "i32") {
      const classes = input.classes ?? 2;
      columns[input.name] = Int32Array.from({ length: n }, () => Math.min(classes - 1, Math.floor(rng.uniform() * classes)));
    } else columns[input.name] = Float32Array.from({ length: n }, () => rng.uniform() * 2 - 1);
  });
  return { name: `random (${rows} rows of the model's input shapes)`, rows, columns, lr: 0.01 };
}

/** The batch of `size` rows starting at row `start` (wrapping), as the trainer's inputs. */
export function batchOf(data: Data, start: number, size: number): Record<string, ArrayLike<number>> {
  if (size >= data.rows) return data.columns;
  const out: Record<string, ArrayLike<number>> = {};
  for (const [name, column] of Object.entries(data.columns)) {
    const width = column.length / data.rows;
    const b = new (column.constructor as Float32ArrayConstructor)(size * width);
    for (let r = 0; r < size; r++) b.set(column.subarray(((start + r) % data.rows) * width, (((start + r) % data.rows) + 1) * width), r * width);
    out[name] = b;
  }
  return out;
}

