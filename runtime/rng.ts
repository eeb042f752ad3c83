// Seeded random numbers that are identical on every platform.
//
// Generated trainers must initialize the same weights and shuffle batches the same way in Node, in a
// browser, on x86 and on ARM, so `Math.random` is out. The generator below uses only 32-bit integer
// operations (`Math.imul`, shifts, xor, `>>> 0`), which JavaScript defines exactly, so the integer
// stream and `uniform()` are bit-identical everywhere.
//
// Algorithm: xoshiro128** 1.1 (Blackman & Vigna, https://prng.di.unimi.it/xoshiro128starstar.c), a
// 128-bit-state generator with period 2^128 − 1 that passes BigCrush. Its four state words are filled
// from the 32-bit seed with splitmix32, so nearby seeds (0, 1, 2, …) give unrelated streams.

/** A deterministic random source. Every method advances the same underlying xoshiro128** stream. */
export interface Rng {
  /** The next 32-bit output of xoshiro128**, as an integer in [0, 2^32). */
  nextUint32(): number;
  /** A double in [0, 1) with 53 random bits, built from two `nextUint32()` draws (27 + 26 high bits). */
  uniform(): number;
  /**
   * A standard normal sample by Box–Muller, consuming exactly two `uniform()` draws (four words).
   * The second Box–Muller value is deliberately not cached: the stream position then depends only on
   * how many draws were made, so `state()` fully describes the generator. Uses `Math.log`, `Math.sqrt`
   * and `Math.cos`; `sqrt` is exact by IEEE 754, and V8 implements `log`/`cos` with its own fdlibm port,
   * so results match across platforms for a given engine (other engines may differ in the last bit).
   */
  normal(): number;
  /** The four xoshiro128** state words, copied; `createRngFromState` resumes from them. */
  state(): number[];
}

const TWO_POW_26 = 67108864;
const TWO_POW_53 = 9007199254740992;
const TWO_PI = 2 * Math.PI;

/** Creates a generator from a 32-bit integer seed (negative integers are taken modulo 2^32). */
export function createRng(seed: number): Rng {
  if (!Number.isInteger(seed)) {
    throw new Error(`rng seed must be an integer, got ${String(seed)}`);
  }
  // splitmix32 is a bijection of its counter, so at most one of the four words can be zero and the
  // all-zero state (the one xoshiro cannot leave) is impossible.
  let counter = seed >>> 0;
  const words: number[] = [];
  for (let i = 0; i < 4; i++) {
    counter = (counter + 0x9e3779b9) >>> 0;
    words.push(splitmix32Mix(counter));
  }
  return createRngFromState(words);
}

/**
 * splitmix32's output function: a 32-bit avalanche hash of the Weyl counter (counter += 0x9e3779b9),
 * with the shift/multiply constants from Chris Wellons' hash prospector, as in the splitmix32 commonly
 * used in JavaScript. Exported so tests can check it against an independent re-implementation.
 */
export function splitmix32Mix(counter: number): number {
  let z = counter >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) >>> 0;
}

/** Resumes a generator from four state words saved by `Rng.state()` (not all zero). */
export function createRngFromState(state: ArrayLike<number>): Rng {
  if (state.length !== 4) {
    throw new Error(`rng state must have 4 words, got ${state.length}`);
  }
  for (let i = 0; i < 4; i++) {
    const w = state[i]!;
    if (!Number.isInteger(w) || w < 0 || w > 0xffffffff) {
      throw new Error(`rng state word ${i} must be an integer in [0, 2^32), got ${String(w)}`);
    }
  }
  if (state[0] === 0 && state[1] === 0 && state[2] === 0 && state[3] === 0) {
    throw new Error("rng state must not be all zero (xoshiro128** would only ever return 0)");
  }
  // Locals captured by closures instead of an object or typed array: V8 keeps them in registers-friendly
  // context slots, and nextUint32 is the innermost call of every initializer and shuffle.
  let s0 = state[0]! >>> 0;
  let s1 = state[1]! >>> 0;
  let s2 = state[2]! >>> 0;
  let s3 = state[3]! >>> 0;

  function nextUint32(): number {
    const m = Math.imul(s1, 5);
    const result = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
    return result;
  }

  function uniform(): number {
    // The same construction as MT19937's genrand_res53: the high 27 and 26 bits of two words form a
    // 53-bit integer, and dividing by 2^53 is exact, so every representable multiple of 2^-53 in
    // [0, 1) is equally likely.
    const hi = nextUint32() >>> 5;
    const lo = nextUint32() >>> 6;
    return (hi * TWO_POW_26 + lo) / TWO_POW_53;
  }

  function normal(): number {
    // 1 − u lies in (0, 1], so the logarithm is finite.
    const u1 = 1 - uniform();
    const u2 = uniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(TWO_PI * u2);
  }

  function getState(): number[] {
    return [s0 >>> 0, s1 >>> 0, s2 >>> 0, s3 >>> 0];
  }

  return { nextUint32, uniform, normal, state: getState };
}

/**
 * An unbiased integer in [0, bound) for 1 ≤ bound ≤ 2^32. `nextUint32() % bound` would favour small
 * values whenever bound does not divide 2^32, so words from the incomplete last block are rejected
 * (fewer than one draw in two is rejected in the worst case).
 */
export function uniformInt(rng: Rng, bound: number): number {
  if (!Number.isInteger(bound) || bound < 1 || bound > 0x100000000) {
    throw new Error(`uniformInt bound must be an integer in [1, 2^32], got ${String(bound)}`);
  }
  const limit = 0x100000000 - (0x100000000 % bound);
  let x = rng.nextUint32();
  while (x >= limit) x = rng.nextUint32();
  return x % bound;
}

/** An array-like whose elements can be assigned: plain arrays and every typed array. */
export interface MutableArrayLike<T> {
  readonly length: number;
  [index: number]: T;
}

/** Fisher–Yates shuffle in place (every permutation equally likely); returns the same array. */
export function shuffleInPlace<A extends MutableArrayLike<unknown>>(rng: Rng, array: A): A {
  for (let i = array.length - 1; i > 0; i--) {
    const j = uniformInt(rng, i + 1);
    const tmp = array[i];
    array[i] = array[j];
    array[j] = tmp;
  }
  return array;
}
