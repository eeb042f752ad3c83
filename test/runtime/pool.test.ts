// The runtime's max pooling and its gradient (scripts/pool-wat.js): equal, bit for bit, to the ops'
// reference semantics (compiler/ops/pool.ts eval: the first maximum on ties, NaN wins, padding never
// does) over windows with and without padding and overlap, strides, channel counts that are a multiple
// of four, not, and fewer than four, ties, NaN and −∞ in x; the gradient's sums in the order of the
// output pixels, rounded to float32 at each addition; nothing written outside y and dx.
import { describe, expect, it } from "vitest";
import { maxPool2dBackwardOp, maxPool2dOp } from "../../compiler/ops/pool.js";
import { createGemm, type PoolGeometry } from "../../runtime/gemm.js";

interface Case {
  readonly n: number;
  readonly H: number;
  readonly W: number;
  readonly C: number;
  readonly size: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
}

const cases: [string, Case][] = [
  ["2×2 stride 2 on 8 channels (the MNIST CNN)", { n: 2, H: 6, W: 8, C: 8, size: [2, 2], stride: [2, 2], padding: [0, 0] }],
  ["3×3 stride 2 padding 1 (overlapping, clipped windows) on 6 channels", { n: 1, H: 7, W: 5, C: 6, size: [3, 3], stride: [2, 2], padding: [1, 1] }],
  ["3×2 stride 1 on 3 channels (scalar lanes only)", { n: 3, H: 4, W: 5, C: 3, size: [3, 2], stride: [1, 1], padding: [1, 0] }],
  ["2×3 stride (1, 2) on 16 channels", { n: 1, H: 5, W: 9, C: 16, size: [2, 3], stride: [1, 2], padding: [0, 1] }],
];

const out = (size: number, k: number, s: number, p: number) => Math.floor((size + 2 * p - k) / s) + 1;

describe("max pooling on the runtime's WebAssembly", () => {
  const eng = createGemm();
  for (const [name, c] of cases) {
    const OH = out(c.H, c.size[0], c.stride[0], c.padding[0]), OW = out(c.W, c.size[1], c.stride[1], c.padding[1]);
    const geometry: PoolGeometry = [c.n, c.H, c.W, c.C, c.size[0], c.size[1], OH, OW, c.stride[0], c.stride[1], c.padding[0], c.padding[1]];
    const attrs = { size: c.size, stride: c.stride, padding: c.padding };
    const xShape = [c.n, c.H, c.W, c.C], yShape = [c.n, OH, OW, c.C];
    const xSize = c.n * c.H * c.W * c.C, ySize = c.n * OH * OW * c.C;
    // Values with ties (rounded to quarters), a NaN, a −∞ and a run of equal values.
    const x = Float32Array.from({ length: xSize }, (_, q) => (q === 5 ? NaN : q === 9 ? -Infinity : q % 17 === 3 ? 1 : Math.round(Math.sin(q * 1.3) * 8) / 4));
    const xAt = 1, yAt = xAt + xSize + 1, dxAt = yAt + ySize + 1;
    it(`maxPool, ${name}`, () => {
      const mem = eng.reserve(dxAt + xSize + 1);
      mem.fill(3);
      mem.set(x, xAt);
      eng.maxPool(xAt, yAt, ...geometry);
      const want = maxPool2dOp.eval!([{ shape: xShape, data: Float64Array.from(x) }], attrs, yShape);
      expect(Array.from(eng.mem.subarray(yAt, yAt + ySize))).toEqual(Array.from(Float32Array.from(want.data)));
      expect([eng.mem[yAt - 1], eng.mem[yAt + ySize]]).toEqual([3, 3]);
    });
    it(`maxPoolBackward, ${name}`, () => {
      const mem = eng.reserve(dxAt + xSize + 1);
      mem.fill(3);
      const g = Float32Array.from({ length: ySize }, (_, q) => Math.cos(q * 0.7) / 3);
      mem.set(x, xAt);
      mem.set(g, yAt);
      mem.fill(0, dxAt, dxAt + xSize);
      eng.maxPoolBackward(xAt, yAt, dxAt, ...geometry);
      // The reference sums in float64: route each g through it alone to learn its window's argmax, then
      // add in output-pixel order with float32 rounding (windows that overlap add into one element).
      const want = new Float32Array(xSize);
      for (let q = 0; q < ySize; q++) {
        const one = new Float64Array(ySize);
        one[q] = 1;
        const routed = maxPool2dBackwardOp.eval!([{ shape: xShape, data: Float64Array.from(x) }, { shape: yShape, data: one }], attrs, xShape).data;
        const at = routed.findIndex((v) => v === 1);
        want[at] = Math.fround(want[at]! + g[q]!);
      }
      expect(Array.from(eng.mem.subarray(dxAt, dxAt + xSize))).toEqual(Array.from(want));
      expect([eng.mem[dxAt - 1], eng.mem[dxAt + xSize]]).toEqual([3, 3]);
    });
  }
});
