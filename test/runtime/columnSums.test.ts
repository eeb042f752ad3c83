// The runtime's column sums (scripts/sums-wat.js): s[c] += x[r, c] row after row, equal bit for bit to
// emitted JavaScript's `s[j] += x[i * cols + j]` into a Float32Array (each sum rounded to float32, in the
// same order: an order that matters, shown below), for widths with and without a scalar tail, 0 rows,
// NaN and ±∞; nothing outside s is touched.
import { describe, expect, it } from "vitest";
import { createGemm } from "../../runtime/gemm.js";

const signed = (a: ArrayLike<number>) => Array.from(a, (v) => (Object.is(v, -0) ? "-0" : Number.isNaN(v) ? "NaN" : v));

function javascriptSums(x: Float32Array, rows: number, cols: number, start: Float32Array): Float32Array {
  const s = Float32Array.from(start);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) s[j]! += x[i * cols + j]!;
  return s;
}

describe("columnSums on the runtime's WebAssembly", () => {
  const engine = createGemm();
  for (const [rows, cols] of [[0, 5], [1, 1], [3, 4], [5, 7], [64, 13], [17, 256], [2, 4608]] as const)
    it(`${rows} rows of ${cols}`, () => {
      // Values of very different sizes, so a different order of the additions would round differently.
      const x = Float32Array.from({ length: rows * cols }, (_, e) => Math.sin(e * 2.1) * 10 ** ((e % 7) - 3));
      const start = Float32Array.from({ length: cols }, (_, c) => (c % 3 === 0 ? 0 : Math.cos(c)));
      const sAt = 1, xAt = sAt + cols + 1;
      const mem = engine.reserve(xAt + rows * cols);
      mem.fill(7);
      mem.set(start, sAt);
      mem.set(x, xAt);
      engine.columnSums(xAt, rows, cols, sAt);
      expect(signed(engine.mem.subarray(sAt, sAt + cols))).toEqual(signed(javascriptSums(x, rows, cols, start)));
      expect([engine.mem[sAt - 1], engine.mem[sAt + cols]]).toEqual([7, 7]);
    });
  it("NaN, ±∞ and −0 as the JavaScript sums leave them", () => {
    const x = Float32Array.from([NaN, Infinity, -0, 1, 2, -Infinity, -0, -1, 3, Infinity, -0, 1e-45]);
    const start = Float32Array.from([0, 0, -0, 0]);
    const mem = engine.reserve(16);
    mem.set(start, 0);
    mem.set(x, 4);
    engine.columnSums(4, 3, 4, 0);
    expect(signed(engine.mem.subarray(0, 4))).toEqual(signed(javascriptSums(x, 3, 4, start)));
  });
  it("the order of the rows is the JavaScript loop's (another order gives other bits here)", () => {
    const x = Float32Array.from([1e8, 1, -1e8, 1]); // one column, 4 rows: ((1e8 + 1) − 1e8) + 1 = 1 in float32
    const mem = engine.reserve(5);
    mem.fill(0);
    mem.set(x, 1);
    engine.columnSums(1, 4, 1, 0);
    expect(engine.mem[0]).toBe(javascriptSums(x, 4, 1, new Float32Array(1))[0]);
    expect(engine.mem[0]).not.toBe(Math.fround(Math.fround(1e8 - 1e8) + 2)); // (1e8 − 1e8) + (1 + 1) = 2
  });
  it("sumRows: a caller's arrays, X longer than its rows and S longer than its columns (workspace arrays are shared)", () => {
    const rows = 6, cols = 37;
    const X = Float32Array.from({ length: rows * cols + 5 }, (_, e) => Math.sin(e * 1.9) * 10 ** ((e % 6) - 3));
    const S = new Float32Array(cols + 3).fill(7);
    engine.sumRows(X, rows, cols, S);
    expect(signed(S.subarray(0, cols))).toEqual(signed(javascriptSums(X, rows, cols, new Float32Array(cols))));
    expect(Array.from(S.subarray(cols))).toEqual([7, 7, 7]);
  });
});
