import { describe, expect, it } from "vitest";
import { poolMax, relu } from "../../runtime/branchless.js";

// relu is what generated modules call for every ReLU (compiler/ops/activations.ts), poolMax for every
// comparison of max pooling (compiler/ops/pool.ts): each must be exactly the branch it replaces, for every
// double — sign of zero and NaN included.
const reference = (z: number): number => (z <= 0 ? 0 : z);
const poolReference = (m: number, v: number): number => (v > m || v !== v ? v : m);

/** Doubles from random bit patterns (a fixed linear congruential sequence): subnormals, NaN payloads and infinities among ordinary values. */
function randomDoubles(count: number, seed: number): number[] {
  const bits = new Uint32Array(2);
  const asDouble = new Float64Array(bits.buffer);
  let s = seed;
  const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0);
  return Array.from({ length: count }, () => {
    bits[0] = next();
    bits[1] = next();
    return asDouble[0]!;
  });
}
const SPECIAL = [NaN, -NaN, Infinity, -Infinity, 0, -0, Number.MIN_VALUE, -Number.MIN_VALUE, Number.MAX_VALUE, -Number.MAX_VALUE, 1, -1, 0.5, -2.5e-310];

describe("runtime relu", () => {
  it("is z <= 0 ? 0 : z at the special values", () => {
    for (const z of SPECIAL) expect(Object.is(relu(z), reference(z)), `relu(${z}) = ${relu(z)}`).toBe(true);
    expect(Object.is(relu(-0), 0)).toBe(true);
    expect(relu(-Infinity)).toBe(0);
    expect(relu(NaN)).toBeNaN();
  });

  it("is z <= 0 ? 0 : z for doubles drawn from every exponent, both signs", () => {
    const zs = randomDoubles(20000, 12345);
    expect(zs.filter((z) => z < 0).length).toBeGreaterThan(9000);
    for (const z of zs) if (!Object.is(relu(z), reference(z))) expect.fail(`relu(${z}) = ${relu(z)}, want ${reference(z)}`);
  });

  it("keeps no state between calls that could leak into the next result", () => {
    expect(relu(5)).toBe(5);
    expect(relu(-3)).toBe(0);
    expect(relu(7)).toBe(7);
    expect(relu(NaN)).toBeNaN();
    expect(relu(-1)).toBe(0);
  });

});

describe("runtime poolMax", () => {
  it("is v > m || v !== v ? v : m for every pair of special values", () => {
    for (const m of SPECIAL) for (const v of SPECIAL) expect(Object.is(poolMax(m, v), poolReference(m, v)), `poolMax(${m}, ${v})`).toBe(true);
    // Ties keep the first (−0 before +0 stays −0); NaN replaces any maximum and is kept by a later number.
    expect(Object.is(poolMax(-0, 0), -0)).toBe(true);
    expect(poolMax(5, NaN)).toBeNaN();
    expect(poolMax(NaN, 5)).toBeNaN();
    expect(poolMax(-Infinity, -Number.MAX_VALUE)).toBe(-Number.MAX_VALUE);
  });

  it("is v > m || v !== v ? v : m for random pairs", () => {
    const ms = randomDoubles(20000, 777), vs = randomDoubles(20000, 4242);
    let replaced = 0;
    ms.forEach((m, k) => {
      const v = vs[k]!, got = poolMax(m, v), want = poolReference(m, v);
      if (!Object.is(got, want)) expect.fail(`poolMax(${m}, ${v}) = ${got}, want ${want}`);
      if (Object.is(got, v) && !Object.is(got, m)) replaced++;
    });
    expect(replaced).toBeGreaterThan(8000);
    expect(replaced).toBeLessThan(12000);
  });
});
