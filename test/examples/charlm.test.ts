// examples/charlm's text side: the alphabet, the training windows (targets are the text shifted by
// one), bits per character, and sampling at a temperature. The trained run is in ./mains.test.ts.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { alphabetOf, bitsPerChar, epochStarts, sampleIndex, windowsAt } from "../../examples/charlm/text.js";
import { createRng } from "../../runtime/index.js";
import { root } from "./util.js";

describe("examples/charlm: text", () => {
  it("the bundled text: 50,086 characters of tinyshakespeare, 59 distinct, what model.ts's VOCAB says", () => {
    const text = readFileSync(path.join(root, "examples/charlm/shakespeare.txt"), "utf8");
    expect(text).toHaveLength(50086);
    expect(text.startsWith("First Citizen:\nBefore we proceed any further, hear me speak.\n")).toBe(true);
    expect(alphabetOf(text).chars).toHaveLength(59);
    expect(readFileSync(path.join(root, "examples/charlm/model.ts"), "utf8")).toMatch(/const VOCAB = 59;/);
  });

  it("the alphabet is sorted; encode and decode are inverse; a foreign character is refused", () => {
    const a = alphabetOf("hello, world\n");
    expect(a.chars).toEqual(["\n", " ", ",", "d", "e", "h", "l", "o", "r", "w"]);
    expect(Array.from(a.encode("hold"))).toEqual([5, 7, 6, 3]);
    expect(a.decode(a.encode("world, hello\n"))).toBe("world, hello\n");
    expect(() => a.encode("x")).toThrow('the character "x" is not in the alphabet');
  });

  it("windows: next is chars shifted by one", () => {
    const text = Int32Array.from({ length: 20 }, (_, k) => k);
    const w = windowsAt(text, [0, 7], 4);
    expect(w.count).toBe(2);
    expect(Array.from(w.chars)).toEqual([0, 1, 2, 3, 7, 8, 9, 10]);
    expect(Array.from(w.next)).toEqual([1, 2, 3, 4, 8, 9, 10, 11]);
  });

  it("an epoch's windows tile the text from an offset below seq, in a seeded random order", () => {
    const starts = epochStarts(createRng(4), 1000, 64);
    const sorted = [...starts].sort((a, b) => a - b);
    expect(sorted[0]).toBeLessThan(64);
    sorted.forEach((s, k) => expect(s).toBe(sorted[0]! + 64 * k));
    expect(sorted.at(-1)! + 65).toBeLessThanOrEqual(1000);
    expect(sorted.at(-1)! + 64 + 65).toBeGreaterThan(1000); // no window that fits is left out
    expect(starts).not.toEqual(sorted);
    expect(epochStarts(createRng(4), 1000, 64)).toEqual(starts);
  });

  it("bits per character: −mean log₂ p(next)", () => {
    // Two positions over 2 characters: p(next) = 1/2 and 1/4.
    const logProbs = [Math.log(0.5), Math.log(0.5), Math.log(0.75), Math.log(0.25)];
    expect(bitsPerChar(logProbs, [1, 1], 2)).toBeCloseTo((1 + 2) / 2, 12);
  });

  it("sampling: temperature 1 draws from the model's distribution, a low one takes the likeliest, and only indices of the alphabet", () => {
    const logProbs = [0, Math.log(0.1), Math.log(0.6), Math.log(0.3)]; // offset 1: a row of 3
    const rng = createRng(9);
    const counts = [0, 0, 0];
    for (let k = 0; k < 20000; k++) counts[sampleIndex(rng, logProbs, 1, 3, 1)]!++;
    [0.1, 0.6, 0.3].forEach((p, k) => expect(counts[k]! / 20000).toBeCloseTo(p, 1));
    for (let k = 0; k < 100; k++) expect(sampleIndex(rng, logProbs, 1, 3, 0.01)).toBe(1);
    // A high temperature flattens the distribution towards uniform.
    const hot = [0, 0, 0];
    for (let k = 0; k < 20000; k++) hot[sampleIndex(rng, logProbs, 1, 3, 100)]!++;
    hot.forEach((c) => expect(c / 20000).toBeCloseTo(1 / 3, 1));
  });
});
