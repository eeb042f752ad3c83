// The runtime's ReLU′ mask (scripts/mask-wat.js): g ← g·[z > 0] in place, equal bit for bit to what
// generated JavaScript stores for `g * +!(z <= 0)` — every pairing of NaN, ±0, ±∞, subnormals and
// ordinary values in g and in z, lengths with and without a scalar tail — and nothing outside g touched.
import { describe, expect, it } from "vitest";
import { createGemm } from "../../runtime/gemm.js";

const special = [NaN, -0, 0, Infinity, -Infinity, 1e-45, -1e-45, 3.4e38, -3.4e38, 1.5, -2.25];
/** The bits, so −0 and +0 differ and NaN equals NaN. */
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength)));
const signed = (a: ArrayLike<number>) => Array.from(a, (v) => (Object.is(v, -0) ? "-0" : Number.isNaN(v) ? "NaN" : v));

describe("reluMask on the runtime's WebAssembly", () => {
  const engine = createGemm();
  it("every pairing of special values, against g * +!(z <= 0)", () => {
    const g = Float32Array.from(special.flatMap((a) => special.map(() => a)));
    const z = Float32Array.from(special.flatMap(() => special));
    const gAt = 3, zAt = gAt + g.length + 2;
    const mem = engine.reserve(zAt + z.length + 1);
    mem.fill(7);
    mem.set(g, gAt);
    mem.set(z, zAt);
    engine.reluMask(gAt, zAt, g.length);
    const want = new Float32Array(g.length);
    for (let e = 0; e < g.length; e++) want[e] = g[e]! * +!(z[e]! <= 0);
    expect(signed(engine.mem.subarray(gAt, gAt + g.length))).toEqual(signed(want));
    expect(bits(engine.mem.slice(zAt, zAt + z.length))).toEqual(bits(z)); // z is read, never written
    expect([engine.mem[gAt - 1], engine.mem[gAt + g.length], engine.mem[zAt + z.length]]).toEqual([7, 7, 7]);
  });
  for (const count of [0, 1, 3, 4, 5, 8, 13, 64])
    it(`${count} elements`, () => {
      const g = Float32Array.from({ length: count }, (_, e) => Math.sin(e * 1.3) * 5);
      const z = Float32Array.from({ length: count }, (_, e) => Math.cos(e * 0.7));
      const mem = engine.reserve(2 * count + 2);
      mem.fill(7);
      mem.set(g, 0);
      mem.set(z, count + 1);
      engine.reluMask(0, count + 1, count);
      const want = g.map((v, e) => v * +!(z[e]! <= 0));
      expect(signed(engine.mem.subarray(0, count))).toEqual(signed(want));
      expect(engine.mem[count]).toBe(7);
    });
});
