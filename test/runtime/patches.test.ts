// The runtime's im2col and col2im (scripts/patches-wat.js, in the product's WebAssembly module): equal to
// the definition, element by element, over geometries that reach every path — whole filter rows moved as
// one run (4 floats at a time and a scalar tail), rows clipped by the padding at the top, bottom, left
// and right, strides, dilation along the rows and along the columns, one channel and several, a batch of
// one and of three — and col2im's sums equal, bit for bit, float32 additions in output-pixel order.
import { describe, expect, it } from "vitest";
import { createGemm, type Patches } from "../../runtime/gemm.js";

interface Geometry {
  readonly n: number;
  readonly H: number;
  readonly W: number;
  readonly C: number;
  readonly KH: number;
  readonly KW: number;
  readonly s: readonly [number, number];
  readonly d: readonly [number, number];
  /** top, left, bottom, right */
  readonly pad: readonly [number, number, number, number];
}

const out = (size: number, k: number, s: number, d: number, p0: number, p1: number) => Math.floor((size + p0 + p1 - d * (k - 1) - 1) / s) + 1;

/** Calls f(x index or −1 in the padding, P index) for every entry of P, in P's order. */
function eachEntry(g: Geometry, f: (xi: number, pi: number) => void): void {
  const OH = out(g.H, g.KH, g.s[0], g.d[0], g.pad[0], g.pad[2]), OW = out(g.W, g.KW, g.s[1], g.d[1], g.pad[1], g.pad[3]);
  let pi = 0;
  for (let b = 0; b < g.n; b++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++)
        for (let kh = 0; kh < g.KH; kh++)
          for (let kw = 0; kw < g.KW; kw++)
            for (let ci = 0; ci < g.C; ci++) {
              const ih = oh * g.s[0] - g.pad[0] + kh * g.d[0], iw = ow * g.s[1] - g.pad[1] + kw * g.d[1];
              const inside = ih >= 0 && ih < g.H && iw >= 0 && iw < g.W;
              f(inside ? ((b * g.H + ih) * g.W + iw) * g.C + ci : -1, pi++);
            }
}

const geometries: [string, Geometry][] = [
  ["the MNIST CNN's first convolution: 5×5 on one channel (runs of 5: one vector and a tail)", { n: 2, H: 12, W: 11, C: 1, KH: 5, KW: 5, s: [1, 1], d: [1, 1], pad: [0, 0, 0, 0] }],
  ["its second: 5×5 on 8 channels (runs of 40: ten vectors)", { n: 1, H: 8, W: 9, C: 8, KH: 5, KW: 5, s: [1, 1], d: [1, 1], pad: [0, 0, 0, 0] }],
  ["stride 2, padding 1 on every side, 3 channels", { n: 3, H: 7, W: 6, C: 3, KH: 3, KW: 3, s: [2, 2], d: [1, 1], pad: [1, 1, 1, 1] }],
  ["'same'-style asymmetric padding with a 4×4 filter", { n: 1, H: 5, W: 5, C: 2, KH: 4, KW: 4, s: [1, 1], d: [1, 1], pad: [1, 2, 2, 1] }],
  ["dilation along the rows only", { n: 2, H: 9, W: 6, C: 5, KH: 3, KW: 2, s: [1, 2], d: [2, 1], pad: [2, 0, 2, 0] }],
  ["dilation along the columns (tap by tap)", { n: 1, H: 6, W: 10, C: 4, KH: 2, KW: 3, s: [1, 1], d: [1, 3], pad: [0, 3, 1, 3] }],
  ["a 1×1 filter, stride 3", { n: 2, H: 7, W: 7, C: 6, KH: 1, KW: 1, s: [3, 3], d: [1, 1], pad: [0, 0, 0, 0] }],
];

describe("im2col and col2im on the runtime's WebAssembly", () => {
  const g = createGemm();
  for (const [name, geo] of geometries) {
    const OH = out(geo.H, geo.KH, geo.s[0], geo.d[0], geo.pad[0], geo.pad[2]), OW = out(geo.W, geo.KW, geo.s[1], geo.d[1], geo.pad[1], geo.pad[3]);
    const xSize = geo.n * geo.H * geo.W * geo.C, pSize = geo.n * OH * OW * geo.KH * geo.KW * geo.C;
    // P first, x after it and one guard element past each: nothing is written outside its range.
    const pAt = 3, xAt = pAt + pSize + 1;
    const args: Patches = [xAt, pAt, geo.n, geo.H, geo.W, geo.C, geo.KH, geo.KW, OH, OW, geo.s[0], geo.s[1], geo.d[0], geo.d[1], geo.pad[0], geo.pad[1]];
    it(`im2col, ${name}`, () => {
      const mem = g.reserve(xAt + xSize + 1);
      mem.fill(7);
      const x = Float32Array.from({ length: xSize }, (_, q) => Math.sin(q + 1));
      mem.set(x, xAt);
      g.im2col(...args);
      const want = new Float32Array(pSize);
      eachEntry(geo, (xi, pi) => (want[pi] = xi < 0 ? 0 : x[xi]!));
      expect(Array.from(g.mem.subarray(pAt, pAt + pSize))).toEqual(Array.from(want));
      expect([g.mem[pAt - 1], g.mem[pAt + pSize], g.mem[xAt + xSize]]).toEqual([7, 7, 7]);
      expect(Array.from(g.mem.subarray(xAt, xAt + xSize))).toEqual(Array.from(x));
    });
    it(`col2im, ${name}`, () => {
      const mem = g.reserve(xAt + xSize + 1);
      mem.fill(7);
      const P = Float32Array.from({ length: pSize }, (_, q) => Math.cos(q * 0.37) * 3);
      const x0 = Float32Array.from({ length: xSize }, (_, q) => Math.sin(q * 0.11));
      mem.set(P, pAt);
      mem.set(x0, xAt);
      g.col2im(...args);
      const want = Float32Array.from(x0);
      eachEntry(geo, (xi, pi) => {
        if (xi >= 0) want[xi] = Math.fround(want[xi]! + P[pi]!);
      });
      expect(Array.from(g.mem.subarray(xAt, xAt + xSize))).toEqual(Array.from(want));
      expect([g.mem[pAt - 1], g.mem[xAt - 1], g.mem[xAt + xSize]]).toEqual([7, 7, 7]);
    });
  }
  it("a batch of 0 moves nothing", () => {
    const mem = g.reserve(100);
    mem.fill(5);
    g.im2col(50, 0, 0, 4, 4, 1, 2, 2, 3, 3, 1, 1, 1, 1, 0, 0);
    g.col2im(50, 0, 0, 4, 4, 1, 2, 2, 3, 3, 1, 1, 1, 1, 0, 0);
    expect(Array.from(g.mem.subarray(0, 100))).toEqual(new Array(100).fill(5));
  });
});
