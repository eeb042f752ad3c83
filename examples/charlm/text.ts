// The text side of the character-level language model: the alphabet, training windows, bits per
// character from the model's log-probabilities, and sampling with a temperature.
import { shuffleInPlace, uniformInt, type Rng } from "gradc/runtime";

export interface Alphabet {
  /** The distinct characters, sorted by code point. */
  readonly chars: readonly string[];
  readonly encode: (text: string) => Int32Array;
  readonly decode: (indices: ArrayLike<number>) => string;
}

export function alphabetOf(text: string): Alphabet {
  const chars = [...new Set(text)].sort();
  const index = new Map(chars.map((c, k) => [c, k]));
  return {
    chars,
    encode: (t) => Int32Array.from(t, (c) => {
      const k = index.get(c);
      if (k === undefined) throw new Error(`the character ${JSON.stringify(c)} is not in the alphabet`);
      return k;
    }),
    decode: (indices) => Array.from(indices, (k) => chars[k]!).join(""),
  };
}

/** A batch of windows as the model's inputs: chars [n, seq] and next [n, seq], next[t] = chars[t + 1]. */
export interface Windows {
  readonly chars: Int32Array;
  readonly next: Int32Array;
  readonly count: number;
}

/** The windows of `seq + 1` characters starting at each of `starts`. */
export function windowsAt(text: Int32Array, starts: readonly number[], seq: number): Windows {
  const chars = new Int32Array(starts.length * seq), next = new Int32Array(starts.length * seq);
  starts.forEach((s, w) => {
    chars.set(text.subarray(s, s + seq), w * seq);
    next.set(text.subarray(s + 1, s + seq + 1), w * seq);
  });
  return { chars, next, count: starts.length };
}

/**
 * One epoch's window starts: the text cut into consecutive windows from a random offset in [0, seq)
 * (so each epoch sees other cuts), in random order.
 */
export function epochStarts(rng: Rng, length: number, seq: number): number[] {
  const starts: number[] = [];
  for (let s = uniformInt(rng, seq); s + seq + 1 <= length; s += seq) starts.push(s);
  return shuffleInPlace(rng, starts);
}

/** −mean log₂ p(next) over every position of the windows, from the model's log-probabilities (natural log). */
export function bitsPerChar(logProbs: ArrayLike<number>, next: ArrayLike<number>, vocab: number): number {
  let nats = 0;
  for (let p = 0; p < next.length; p++) nats -= logProbs[p * vocab + next[p]!]!;
  return nats / next.length / Math.LN2;
}

/**
 * Draws an index from log-probabilities at a temperature: p_k ∝ exp(logp_k / temperature) (1 leaves
 * the model's distribution as it is, lower is more conservative, higher more adventurous).
 */
export function sampleIndex(rng: Rng, logProbs: ArrayLike<number>, offset: number, vocab: number, temperature: number): number {
  let max = -Infinity;
  for (let k = 0; k < vocab; k++) max = Math.max(max, logProbs[offset + k]! / temperature);
  const weights = Array.from({ length: vocab }, (_, k) => Math.exp(logProbs[offset + k]! / temperature - max));
  let u = rng.uniform() * weights.reduce((a, b) => a + b, 0);
  for (let k = 0; k < vocab; k++) if ((u -= weights[k]!) < 0) return k;
  return vocab - 1;
}
