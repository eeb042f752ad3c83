// A tiny seeded PRNG for tests (mulberry32): fixed weightings and parameter values that are the same on
// every run, without depending on the runtime's RNG (which has its own tests).

export type Rng = () => number;

export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform in [lo, hi). */
export const uniform = (rng: Rng, lo: number, hi: number): number => lo + (hi - lo) * rng();

/** n values uniform in [lo, hi). */
export const uniformArray = (rng: Rng, n: number, lo = -1, hi = 1): number[] => Array.from({ length: n }, () => uniform(rng, lo, hi));

/** n values with |v| in [min, max) and a random sign: away from the kink at 0. */
export const awayFromZero = (rng: Rng, n: number, min = 0.1, max = 1.5): number[] =>
  Array.from({ length: n }, () => (rng() < 0.5 ? -1 : 1) * uniform(rng, min, max));

/** A string seed → 32-bit integer (FNV-1a), so each table entry gets its own stream. */
export function seedOf(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
