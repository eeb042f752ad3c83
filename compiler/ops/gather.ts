// gather (embedding lookup) and its adjoint scatterAdd.
//   gather(T, idx)[p, …]    = T[idx[p], …]          T [rows, …], idx integers of any shape
//   gather'ᵀ g              = scatterAdd(g, idx):   ∂L/∂T[r, …] = Σ_{p : idx[p] = r} g[p, …]
//   scatterAdd'ᵀ g          = gather(g, idx)
// The indices get no gradient. scatterAdd adds the rows in index order (row-major over idx), so a
// repeated index accumulates, and the result is deterministic.
import { make } from "../ir/context.js";
import type { Node } from "../ir/node.js";
import { formatShape, ShapeError, type Dim } from "../ir/shape.js";
import { sizeOf } from "../ir/tensor.js";
import { axisVars, loopNest } from "./kernelLoops.js";
import { defineOp } from "./op.js";

function checkIndices(indices: Node): void {
  if (indices.dtype !== "i") throw new ShapeError(`indices must be integers, got a float tensor ${formatShape(indices.shape)}`);
  if (indices.shape.length === 0) throw new ShapeError("indices must have at least one dimension, got a scalar");
}

const symbolic = (s: readonly Dim[]) => s.some((d) => typeof d !== "number");

/** The row an index selects, checked: the reference interpreter refuses what generated code would misread. */
function rowOf(v: number, p: number, rows: number): number {
  if (!(Number.isInteger(v) && v >= 0 && v < rows)) throw new RangeError(`index ${v} (element ${p} of the indices) is outside [0, ${rows})`);
  return v;
}

export const gatherOp = defineOp({
  name: "gather",
  kind: "kernel",
  indexBounds: (n) => [[1, n.inputs[0]!.shape[0] as number]], // row indices into the table
  carries: () => [0], // labels read from an integer table are the table's values
  shape: ([table, indices]) => {
    checkIndices(indices!);
    const t = table!.shape;
    if (t.length === 0) throw new ShapeError("the table must have rows: got a scalar");
    if (typeof t[0] !== "number") throw new ShapeError(`the table's rows must be a static dimension, got ${formatShape(t)}`);
    const rest = t.slice(1);
    if (symbolic(rest) && symbolic(indices!.shape)) throw new ShapeError(`the table ${formatShape(t)} and the indices ${formatShape(indices!.shape)} both have the batch dimension`);
    return [...indices!.shape, ...rest];
  },
  dtype: ([table]) => table!.dtype,
  eval: ([table, indices], _, shape) => {
    const rows = table!.shape[0]!, width = sizeOf(table!.shape.slice(1));
    const out = new Float64Array(sizeOf(shape));
    indices!.data.forEach((v, p) => {
      const r = rowOf(v, p, rows);
      out.set(table!.data.subarray(r * width, (r + 1) * width), p * width);
    });
    return { shape, data: out };
  },
  vjp: (g, { inputs: [table, indices] }) => [table!.dtype === "i" ? null : scatterAdd(g, indices!, table!.shape[0] as number), null],
  lowerKernel(ctx) {
    const [table, indices] = ctx.inputs;
    const out = ctx.output;
    const r = indices!.dims.length;
    const vars = axisVars(ctx, out.dims.length);
    const row = ctx.local("row");
    return loopNest(indices!.dims, vars, (pos) => [
      `const ${row} = ${indices!.at(...pos)};`,
      ...loopNest(table!.dims.slice(1), vars.slice(r), (rest) => [`${out.at(...pos, ...rest)} = ${table!.at(row, ...rest)};`]),
    ]);
  },
  notation: ([table, indices]) => `${table}[${indices}]`,
});

export const scatterAddOp = defineOp({
  name: "scatterAdd",
  kind: "kernel",
  indexBounds: (n) => [[1, n.attrs.rows as number]],
  shape: ([g, indices], { rows }) => {
    checkIndices(indices!);
    if (typeof rows !== "number" || !Number.isInteger(rows) || rows < 1) throw new ShapeError(`rows must be a positive integer, got ${String(rows)}`);
    const r = indices!.shape.length;
    if (g!.shape.length < r || indices!.shape.some((d, k) => d !== g!.shape[k])) {
      throw new ShapeError(`the values ${formatShape(g!.shape)} must start with the indices' shape ${formatShape(indices!.shape)}`);
    }
    return [rows, ...g!.shape.slice(r)];
  },
  eval: ([g, indices], { rows }, shape) => {
    const width = sizeOf(shape.slice(1));
    const out = new Float64Array(sizeOf(shape));
    indices!.data.forEach((v, p) => {
      const r = rowOf(v, p, rows as number);
      for (let k = 0; k < width; k++) out[r * width + k] = out[r * width + k]! + g!.data[p * width + k]!;
    });
    return { shape, data: out };
  },
  vjp: (g, { inputs: [, indices] }) => [gatherRows(g, indices!), null],
  lowerKernel(ctx) {
    const [g, indices] = ctx.inputs;
    const out = ctx.output;
    const r = indices!.dims.length;
    const vars = axisVars(ctx, g!.dims.length);
    const row = ctx.local("row");
    return [
      `${out.array}.fill(0);`,
      ...loopNest(indices!.dims, vars, (pos) => [
        `const ${row} = ${indices!.at(...pos)};`,
        ...loopNest(g!.dims.slice(r), vars.slice(r), (rest) => [`${out.inPlace(row, ...rest)} += ${g!.at(...pos, ...rest)};`]),
      ]),
    ];
  },
  notation: ([g, indices]) => `scatterAdd(${g}, ${indices})`,
});

/** The rows of `table` at integer `indices` (the DSL's gather and embedding, ../dsl/indexing.ts, check a model's arguments first). */
export const gatherRows = (table: Node, indices: Node): Node => make(gatherOp, [table, indices]);

/** gather's adjoint: a [rows, ...] zero tensor to which g's row at each position p adds, at row indices[p]. */
export const scatterAdd = (g: Node, indices: Node, rows: number): Node => make(scatterAddOp, [g, indices], { rows });
