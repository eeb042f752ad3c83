import { describe, expect, it } from "vitest";
import {
  createRng,
  createRngFromState,
  shuffleInPlace,
  splitmix32Mix,
  uniformInt,
  type Rng,
} from "../../runtime/rng.js";

// An independent re-implementation in BigInt arithmetic, written from the reference C sources
// (https://prng.di.unimi.it/xoshiro128starstar.c, splitmix32 with Wellons' constants), so that a slip in
// the Math.imul / >>> 0 juggling of the runtime cannot hide behind a test that shares it.
const MASK = 0xffffffffn;
const rotl = (x: bigint, k: bigint): bigint => ((x << k) | (x >> (32n - k))) & MASK;

function refSplitmix32(seed: number): bigint[] {
  let counter = BigInt(seed >>> 0);
  const words: bigint[] = [];
  for (let i = 0; i < 4; i++) {
    counter = (counter + 0x9e3779b9n) & MASK;
    let z = counter;
    z = ((z ^ (z >> 16n)) * 0x21f0aaadn) & MASK;
    z = ((z ^ (z >> 15n)) * 0x735a2d97n) & MASK;
    words.push(z ^ (z >> 15n));
  }
  return words;
}

function refXoshiro(state: bigint[]): () => number {
  const s = state.slice();
  return () => {
    const result = (rotl((s[1] * 5n) & MASK, 7n) * 9n) & MASK;
    const t = (s[1] << 9n) & MASK;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11n);
    return Number(result);
  };
}

function draws(rng: Rng, count: number): number[] {
  return Array.from({ length: count }, () => rng.nextUint32());
}

describe("xoshiro128**", () => {
  it("matches the published reference outputs for state {1, 2, 3, 4}", () => {
    // Produced by the reference C implementation v1.1 (also rand_xoshiro's reference test).
    const expected = [
      11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849, 3729100597, 4258142804,
    ];
    expect(draws(createRngFromState([1, 2, 3, 4]), 10)).toEqual(expected);
  });

  it("matches an independent BigInt re-implementation step by step, seeding included", () => {
    for (const seed of [0, 1, 2, 42, 123456789, 0x7fffffff, 0x80000000, 0xffffffff, -1, -123]) {
      const rng = createRng(seed);
      const ref = refSplitmix32(seed);
      expect(rng.state()).toEqual(ref.map(Number));
      const next = refXoshiro(ref);
      expect(draws(rng, 2000)).toEqual(Array.from({ length: 2000 }, next));
    }
  });

  it("splitmix32Mix matches the reference mixer", () => {
    for (const c of [0, 1, 0x9e3779b9, 0xdeadbeef, 0xffffffff]) {
      let z = BigInt(c);
      z = ((z ^ (z >> 16n)) * 0x21f0aaadn) & MASK;
      z = ((z ^ (z >> 15n)) * 0x735a2d97n) & MASK;
      expect(splitmix32Mix(c)).toBe(Number(z ^ (z >> 15n)));
    }
  });

  it("pins the stream for seed 42 (golden values: changing them breaks every saved seed)", () => {
    expect(createRng(42).state()).toEqual([551831576, 144025891, 322543647, 3034809370]);
    expect(draws(createRng(42), 6)).toEqual([660444221, 3652823732, 77672526, 910233633, 2297337756, 3786072677]);
    const u = createRng(42);
    expect([u.uniform(), u.uniform(), u.uniform()]).toEqual([
      0.15377165265745885, 0.018084542542176507, 0.5348906284683476,
    ]);
    const z = createRng(42);
    expect([z.normal(), z.normal(), z.normal()]).toEqual([
      0.5741420228306168, -0.17628187931501416, -0.30617710185138414,
    ]);
  });

  it("outputs unsigned 32-bit integers", () => {
    const rng = createRng(7);
    let bad = 0;
    for (let i = 0; i < 10000; i++) {
      const x = rng.nextUint32();
      if (!(Number.isInteger(x) && x >= 0 && x <= 0xffffffff)) bad++;
    }
    expect(bad).toBe(0);
  });

  it("gives different streams for different seeds, the same stream for the same seed", () => {
    const streams = [0, 1, 2, 3, 1000].map((s) => draws(createRng(s), 8).join(","));
    expect(new Set(streams).size).toBe(streams.length);
    expect(draws(createRng(5), 100)).toEqual(draws(createRng(5), 100));
  });

  it("takes negative seeds modulo 2^32 and rejects non-integers", () => {
    expect(draws(createRng(-1), 5)).toEqual(draws(createRng(0xffffffff), 5));
    expect(() => createRng(1.5)).toThrow(/integer/);
    expect(() => createRng(Number.NaN)).toThrow(/integer/);
  });

  it("resumes from a saved state", () => {
    const a = createRng(99);
    draws(a, 37);
    const b = createRngFromState(a.state());
    expect(draws(b, 50)).toEqual(draws(a, 50));
  });

  it("rejects malformed states", () => {
    expect(() => createRngFromState([0, 0, 0, 0])).toThrow(/all zero/);
    expect(() => createRngFromState([1, 2, 3])).toThrow(/4 words/);
    expect(() => createRngFromState([1, 2, 3, 2 ** 32])).toThrow(/word 3/);
  });
});

describe("uniform", () => {
  it("is (high 27 bits · 2^26 + high 26 bits) / 2^53 of two consecutive words", () => {
    const words = createRng(3);
    const u = createRng(3);
    for (let i = 0; i < 1000; i++) {
      const a = words.nextUint32() >>> 5;
      const b = words.nextUint32() >>> 6;
      expect(u.uniform()).toBe((a * 2 ** 26 + b) / 2 ** 53);
    }
  });

  it("lies in [0, 1) with mean 1/2 and variance 1/12 over 1e5 draws", () => {
    const rng = createRng(2024);
    const n = 100_000;
    let sum = 0;
    let sumSq = 0;
    let outside = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.uniform();
      if (!(u >= 0 && u < 1)) outside++;
      sum += u;
      sumSq += u * u;
    }
    expect(outside).toBe(0);
    const mean = sum / n;
    const variance = sumSq / n - mean * mean;
    // Standard error of the mean is 0.289/sqrt(1e5) ≈ 0.0009.
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.005);
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(0.002);
  });
});

describe("normal", () => {
  it("is Box–Muller on two uniforms, without caching the second value", () => {
    const u = createRng(11);
    const z = createRng(11);
    for (let i = 0; i < 1000; i++) {
      const u1 = 1 - u.uniform();
      const u2 = u.uniform();
      expect(z.normal()).toBe(Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
    }
  });

  it("has mean 0 and standard deviation 1 over 1e5 draws", () => {
    const rng = createRng(31337);
    const n = 100_000;
    let sum = 0;
    let sumSq = 0;
    let nonFinite = 0;
    for (let i = 0; i < n; i++) {
      const z = rng.normal();
      if (!Number.isFinite(z)) nonFinite++;
      sum += z;
      sumSq += z * z;
    }
    expect(nonFinite).toBe(0);
    const mean = sum / n;
    const std = Math.sqrt(sumSq / n - mean * mean);
    expect(Math.abs(mean)).toBeLessThan(0.015);
    expect(Math.abs(std - 1)).toBeLessThan(0.01);
  });
});

describe("uniformInt", () => {
  /** An Rng that replays scripted words, to drive the rejection branch deterministically. */
  function scripted(words: number[]): Rng {
    let i = 0;
    const nextUint32 = () => words[i++];
    return { nextUint32, uniform: () => 0, normal: () => 0, state: () => [] };
  }

  it("rejects words from the incomplete last block instead of biasing small values", () => {
    // 2^32 mod 3 = 1, so only 0xffffffff is rejected for bound 3.
    expect(uniformInt(scripted([0xffffffff, 5]), 3)).toBe(2);
    expect(uniformInt(scripted([0xfffffffe]), 3)).toBe(0xfffffffe % 3);
    // bound 2^32 accepts every word unchanged.
    expect(uniformInt(scripted([0xffffffff]), 2 ** 32)).toBe(0xffffffff);
  });

  it("stays in range and is roughly uniform", () => {
    const rng = createRng(8);
    const counts = [0, 0, 0, 0, 0, 0, 0];
    for (let i = 0; i < 70_000; i++) counts[uniformInt(rng, 7)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(400);
    expect(uniformInt(rng, 1)).toBe(0);
  });

  it("rejects bad bounds", () => {
    const rng = createRng(1);
    for (const bad of [0, -1, 1.5, 2 ** 32 + 1, Number.NaN]) expect(() => uniformInt(rng, bad)).toThrow(/bound/);
  });
});

describe("shuffleInPlace", () => {
  it("permutes in place and returns the same array", () => {
    const a = Array.from({ length: 100 }, (_, i) => i);
    const out = shuffleInPlace(createRng(1), a);
    expect(out).toBe(a);
    expect(a.slice().sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(a).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it("is deterministic for a seed and works on typed arrays", () => {
    const a = shuffleInPlace(
      createRng(5),
      Float64Array.from({ length: 20 }, (_, i) => i),
    );
    const b = shuffleInPlace(
      createRng(5),
      Float64Array.from({ length: 20 }, (_, i) => i),
    );
    expect(Array.from(a)).toEqual(Array.from(b));
    const c = shuffleInPlace(
      createRng(5),
      Array.from({ length: 20 }, (_, i) => i),
    );
    expect(Array.from(a)).toEqual(c);
  });

  it("draws uniformInt(i + 1) for i = n−1 … 1 (Fisher–Yates)", () => {
    const rng = createRng(77);
    const ref = createRng(77);
    const a = ["a", "b", "c", "d", "e"];
    const expected = a.slice();
    for (let i = expected.length - 1; i > 0; i--) {
      const j = uniformInt(ref, i + 1);
      [expected[i], expected[j]] = [expected[j], expected[i]];
    }
    expect(shuffleInPlace(rng, a)).toEqual(expected);
  });

  it("makes every permutation of 3 elements equally likely", () => {
    const rng = createRng(4);
    const counts = new Map<string, number>();
    for (let t = 0; t < 60_000; t++) {
      const key = shuffleInPlace(rng, [0, 1, 2]).join("");
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    for (const c of counts.values()) expect(Math.abs(c - 10_000)).toBeLessThan(400);
  });

  it("leaves empty and single-element arrays alone without drawing", () => {
    const rng = createRng(9);
    const before = rng.state();
    expect(shuffleInPlace(rng, [])).toEqual([]);
    expect(shuffleInPlace(rng, [1])).toEqual([1]);
    expect(rng.state()).toEqual(before);
  });
});
