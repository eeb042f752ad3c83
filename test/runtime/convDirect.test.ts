// The runtime's direct convolution and filter gradient (scripts/conv-wat.js): the sums the SIMD product
// computes on im2col's patch matrix (runtime/gemm.ts `im2col` + `productAt`), bit for bit, over
// convolutions without padding whose output channels come in fours — one input channel and a few, 8 and 4
// and 12 output channels (the two vector widths), strides and dilations, output rows that are and are not
// a multiple of four pixels, taps that are and are not a multiple of four — with NaN and ∞ among the
// values; nothing written outside y and ∂w.
import { describe, expect, it } from "vitest";
import { createGemm, type DirectConv } from "../../runtime/gemm.js";

interface Case {
  readonly n: number;
  readonly H: number;
  readonly W: number;
  readonly C: number;
  readonly KH: number;
  readonly KW: number;
  readonly CO: number;
  readonly s: [number, number];
  readonly d: [number, number];
}

const cases: [string, Case][] = [
  ["5×5 on one channel into 8 (the MNIST CNN's first convolution, smaller)", { n: 2, H: 11, W: 12, C: 1, KH: 5, KW: 5, CO: 8, s: [1, 1], d: [1, 1] }],
  ["3×3 on 3 channels into 12 (an 8-channel block and a 4-channel one), 7 pixels a row", { n: 1, H: 9, W: 9, C: 3, KH: 3, KW: 3, CO: 12, s: [1, 1], d: [1, 1] }],
  ["2×3 on 2 channels into 4, stride 2", { n: 3, H: 8, W: 11, C: 2, KH: 2, KW: 3, CO: 4, s: [2, 2], d: [1, 1] }],
  ["3×2 on one channel into 8, dilation (2, 3), stride (1, 2)", { n: 1, H: 10, W: 13, C: 1, KH: 3, KW: 2, CO: 8, s: [1, 2], d: [2, 3] }],
  ["3×3 on one channel into 8 over 84 output rows (the filter gradient's three panels of 36 rows)", { n: 3, H: 30, W: 9, C: 1, KH: 3, KW: 3, CO: 8, s: [1, 1], d: [1, 1] }],
  ["2×3 on one channel into 4, 298 pixels a row (panels of one row)", { n: 1, H: 4, W: 300, C: 1, KH: 2, KW: 3, CO: 4, s: [1, 1], d: [1, 1] }],
];

const out = (size: number, k: number, s: number, d: number) => Math.floor((size - d * (k - 1) - 1) / s) + 1;
const bits = (a: Float32Array) => Array.from(new Uint32Array(Float32Array.from(a).buffer));

describe("direct convolutions on the runtime's WebAssembly", () => {
  const eng = createGemm();
  for (const [name, c] of cases) {
    const OH = out(c.H, c.KH, c.s[0], c.d[0]), OW = out(c.W, c.KW, c.s[1], c.d[1]);
    const K = c.KH * c.KW * c.C, rows = c.n * OH * OW, xSize = c.n * c.H * c.W * c.C;
    const geometry: DirectConv = [c.n, c.H, c.W, c.C, c.KH, c.KW, OH, OW, c.s[0], c.s[1], c.d[0], c.d[1], c.CO];
    const x = Float32Array.from({ length: xSize }, (_, q) => (q === 7 ? NaN : q === 30 ? Infinity : Math.sin(q * 1.1) * 2));
    const w = Float32Array.from({ length: K * c.CO }, (_, q) => Math.cos(q * 0.37));
    const g = Float32Array.from({ length: rows * c.CO }, (_, q) => Math.sin(q * 0.53) / 3);
    /** im2col into the engine's memory, then the product: what the direct kernels must equal. */
    const viaPatches = (product: (pAt: number, at: number) => number): Float32Array => {
      const pAt = 0, xAt = rows * K, at = xAt + xSize;
      const mem = eng.reserve(at + 2 * rows * Math.max(c.CO, K));
      mem.set(x, xAt);
      eng.im2col(xAt, pAt, c.n, c.H, c.W, c.C, c.KH, c.KW, OH, OW, c.s[0], c.s[1], c.d[0], c.d[1], 0, 0);
      const [cAt, length] = [at + rows * Math.max(c.CO, K), product(pAt, at)];
      return eng.mem.slice(cAt, cAt + length);
    };
    it(`convForward, ${name}`, () => {
      const want = viaPatches((pAt, at) => {
        eng.mem.set(w, at);
        eng.productAt(rows, c.CO, K, pAt, K, 1, at, c.CO, at + rows * Math.max(c.CO, K));
        return rows * c.CO;
      });
      const xAt = 1, wAt = xAt + xSize, yAt = wAt + w.length + 1, sAt = yAt + rows * c.CO + 1;
      const mem = eng.reserve(sAt + K);
      mem.fill(5);
      mem.set(x, xAt);
      mem.set(w, wAt);
      eng.convForward(xAt, wAt, yAt, sAt, ...geometry);
      expect(bits(eng.mem.subarray(yAt, yAt + rows * c.CO))).toEqual(bits(want));
      expect([eng.mem[yAt - 1], eng.mem[yAt + rows * c.CO]]).toEqual([5, 5]);
    });
    it(`convFilter, ${name}`, () => {
      const want = viaPatches((pAt, at) => {
        eng.mem.set(g, at);
        eng.productAt(K, c.CO, rows, pAt, 1, K, at, c.CO, at + rows * Math.max(c.CO, K));
        return K * c.CO;
      });
      const xAt = 1, gAt = xAt + xSize, dwAt = gAt + g.length + 1, sAt = dwAt + K * c.CO + 1;
      const mem = eng.reserve(sAt + K);
      mem.fill(5);
      mem.set(x, xAt);
      mem.set(g, gAt);
      eng.convFilter(xAt, gAt, dwAt, sAt, ...geometry);
      expect(bits(eng.mem.subarray(dwAt, dwAt + K * c.CO))).toEqual(bits(want));
      expect([eng.mem[dwAt - 1], eng.mem[dwAt + K * c.CO]]).toEqual([5, 5]);
    });
  }
});
