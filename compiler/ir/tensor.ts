// Concrete float64 values for the reference interpreter (constant folding, tests).

export interface Tensor {
  readonly shape: readonly number[];
  readonly data: Float64Array;
  /** The values of an op with several results (a scan), which `part` nodes pick. */
  readonly parts?: readonly Tensor[];
}

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export const tensor = (shape: readonly number[], data?: ArrayLike<number>): Tensor => ({
  shape,
  data: data ? Float64Array.from(data) : new Float64Array(sizeOf(shape)),
});

/** Row-major strides of a concrete shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/**
 * For each output element, the index of the element to read in `from` when `from` is broadcast
 * to `to` (NumPy rules: right-aligned, size-1 dims repeat).
 */
export function broadcastIndex(from: readonly number[], to: readonly number[]): Int32Array {
  const out = new Int32Array(sizeOf(to));
  const fs = stridesOf(from);
  const off = to.length - from.length;
  const idx = new Array<number>(to.length).fill(0);
  for (let k = 0; k < out.length; k++) {
    let src = 0;
    for (let d = off; d < to.length; d++) if (from[d - off] !== 1) src += idx[d]! * fs[d - off]!;
    out[k] = src;
    for (let d = to.length - 1; d >= 0; d--) {
      if (++idx[d]! < to[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}
