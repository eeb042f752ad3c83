// The runtime's product epilogue (scripts/epilogue-wat.js): a bias added to every row and/or a ReLU, in
// place, equal bit for bit to what generated JavaScript stores — the float32 sum of two float32 values,
// then runtime/branchless.ts's relu — for widths with and without a scalar tail, NaN, ±0 and ±∞; nothing
// outside C is touched.
import { describe, expect, it } from "vitest";
import { relu } from "../../runtime/branchless.js";
import { createGemm } from "../../runtime/gemm.js";

const special = [NaN, -0, 0, Infinity, -Infinity, 1e-45, -1e-45, 3.4e38, -3.4e38];

describe("epilogue on the runtime's WebAssembly", () => {
  const g = createGemm();
  for (const [rows, cols] of [[3, 8], [2, 7], [5, 1], [1, 13], [4, 4]] as const)
    for (const [useBias, useRelu] of [[true, true], [true, false], [false, true]] as const)
      it(`${rows}×${cols}${useBias ? " + bias" : ""}${useRelu ? ", ReLU" : ""}`, () => {
        const yAt = 2, bAt = yAt + rows * cols + 1;
        const mem = g.reserve(bAt + cols + 1);
        mem.fill(9);
        const C = Float32Array.from({ length: rows * cols }, (_, q) => (q < special.length ? special[q]! : Math.sin(q * 1.7) * 4));
        const bias = Float32Array.from({ length: cols }, (_, q) => (q === 1 ? -Infinity : Math.cos(q) * 2));
        mem.set(C, yAt);
        mem.set(bias, bAt);
        g.epilogue(yAt, rows, cols, useBias ? bAt : -1, useRelu ? 1 : 0);
        const want = new Float32Array(rows * cols);
        for (let r = 0; r < rows; r++)
          for (let c = 0; c < cols; c++) {
            const z = C[r * cols + c]! + (useBias ? bias[c]! : 0);
            want[r * cols + c] = useRelu ? relu(z) : z;
          }
        const got = Array.from(g.mem.subarray(yAt, yAt + rows * cols));
        expect(got.map((v) => Object.is(v, -0) ? "-0" : v)).toEqual(Array.from(want).map((v) => Object.is(v, -0) ? "-0" : v));
        expect([g.mem[yAt - 1], g.mem[bAt - 1], g.mem[bAt + cols]]).toEqual([9, 9, 9]);
      });
});
