// The data sets the page trains on, chosen by the model's input shapes (its generated `spec.inputs`):
//   [batch, 2] and [batch, 1]      → XOR's truth table (examples/xor, and examples/worked's shapes);
//   [batch, 1] and [batch, 1]      → examples/simple's three points;
//   784 values and 10 classes      → 1,000 MNIST digits (mnist-1000.bin, made by build.mjs);
//   anything else                  → 64 seeded random rows of the right shapes (a model can learn them by heart),
// each in a trainer's `Inputs` form: one flat row-major array per input. A CSV the user drops on the
// page replaces them (fromCsvText below).
import { codes, createRng, fromCsv, GradcError } from "../../runtime/index.js";

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

/** A CSV the user dropped on the page: its name and text. */
export interface CsvFile {
  readonly file: string;
  readonly text: string;
}

export async function chooseData(spec: ModelSpec, fetchBytes: (url: string) => Promise<Uint8Array>, csv?: CsvFile | null): Promise<Data> {
  if (csv) return fromCsvText(spec, csv);
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

/**
 * A dropped CSV as the model's inputs. Its columns are matched to the inputs by name: an input `x` of
 * one value per row takes the column `x`; one of n values per row the columns `x0`…`x{n-1}` (or
 * `x_0`…, `x[0]`…). When no input finds its columns by name, the columns are taken in file order, n
 * per input, and there must be exactly as many as the inputs need. A class-index input (i32) takes
 * integers 0…classes−1. Every problem is a GradcError located in the file (GC3005/GC3006), as
 * `gradc train --data file.csv` reports it.
 */
export function fromCsvText(spec: ModelSpec, { file, text }: CsvFile): Data {
  const header = headerOf(text);
  const fail = (line: number, message: string) => new GradcError(codes.data, message, { file, line, col: 0 });
  if (header.length === 0) throw new GradcError(codes.emptyData, "the file is empty; a header row is required", { file, line: 1, col: 0 });
  // fromCsv checks every cell (numbers only, as many fields as the header) and remembers the lines;
  // its label is the first column and its features the others, so column j is y (j = 0) or x[j − 1].
  const table = fromCsv(text, { label: header[0]!, labelDtype: "f32", dtype: "f32", file });
  const rows = table.size;
  const width = header.length - 1;
  const column = (j: number): Float32Array => {
    if (j === 0) return table.columns.y as Float32Array;
    const x = table.columns.x;
    return Float32Array.from({ length: rows }, (_, r) => x[r * width + j - 1]!);
  };
  const sizes = spec.inputs.map((input) => {
    const size = rowSize(spec, input);
    if (size === null) throw fail(1, `input "${input.name}" has the shape [${input.shape.join(", ")}]: a CSV can feed only inputs of the shape [${spec.batch}, …numbers]`);
    return size;
  });
  const index = new Map(header.map((h, j) => [h, j]));
  const byName = (input: InputSpec, size: number): number[] | null => {
    if (size === 1 && index.has(input.name)) return [index.get(input.name)!];
    for (const form of [(i: number) => `${input.name}${i}`, (i: number) => `${input.name}_${i}`, (i: number) => `${input.name}[${i}]`]) {
      const cols = Array.from({ length: size }, (_, i) => index.get(form(i)));
      if (cols.every((c) => c !== undefined)) return cols as number[];
    }
    return null;
  };
  const named = spec.inputs.map((input, k) => byName(input, sizes[k]!));
  const needed = sizes.reduce((a, b) => a + b, 0);
  const wanted = spec.inputs.map((input, k) => `${input.name} (${sizes[k] === 1 ? `a column "${input.name}"` : `${sizes[k]} columns ${input.name}0…${input.name}${sizes[k]! - 1}`})`).join(", ");
  let picked: number[][];
  if (named.every((c) => c !== null)) picked = named as number[][];
  else if (named.some((c) => c !== null)) {
    const missing = spec.inputs.filter((_, k) => named[k] === null).map((i) => `"${i.name}"`);
    throw fail(1, `no columns for the input${missing.length > 1 ? "s" : ""} ${missing.join(", ")}: the model's inputs need ${wanted}`);
  } else if (header.length === needed) {
    let next = 0;
    picked = sizes.map((size) => Array.from({ length: size }, () => next++));
  } else {
    throw fail(1, `the model's inputs need ${needed} column${needed === 1 ? "" : "s"} in file order, or columns named for them (${wanted}); the file has ${header.length}: ${header.map((h) => `"${h}"`).join(", ")}`);
  }
  const columns: Record<string, Float32Array | Int32Array> = {};
  spec.inputs.forEach((input, k) => {
    const cols = picked[k]!.map(column);
    const size = cols.length;
    if (input.dtype === "i32") {
      const classes = input.classes ?? Infinity;
      const labels = new Int32Array(rows);
      for (let r = 0; r < rows; r++) {
        const v = cols[0]![r]!;
        if (!Number.isInteger(v) || v < 0 || v >= classes) {
          throw fail(table.source!.lines[r]!, `column "${header[picked[k]![0]!]}": ${v} is not a class of input "${input.name}" (an integer 0…${classes === Infinity ? "" : classes - 1})`);
        }
        labels[r] = v;
      }
      columns[input.name] = labels;
      return;
    }
    const values = new Float32Array(rows * size);
    for (let r = 0; r < rows; r++) for (let c = 0; c < size; c++) values[r * size + c] = cols[c]![r]!;
    columns[input.name] = values;
  });
  const lr = Object.values(columns).some((c) => c.length > rows * 100) ? 0.001 : 0.01;
  return { name: `${file} (${rows} row${rows === 1 ? "" : "s"})`, rows, columns, lr };
}

/** The header row's names (the first non-blank line, split at commas, quotes removed). */
function headerOf(text: string): string[] {
  const first = text.replace(/^\uFEFF/, "").split(/\r?\n/).find((l) => l.trim() !== "");
  return first === undefined ? [] : first.split(",").map((h) => h.trim().replace(/^"(.*)"$/, "$1").replace(/""/g, '"'));
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

