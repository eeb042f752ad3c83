import { describe, expect, it } from "vitest";
import { shareArrays, type Lifetime } from "../../compiler/lower/memory.js";

const life = (key: string, start: number, end: number, elements = 10, batchDims = 1): Lifetime<string> => ({ key, start, end, elements, batchDims });
const groups = (ls: Lifetime<string>[]) => shareArrays(ls).arrays.map((a) => a.members.join(" "));

describe("shareArrays", () => {
  it("buffers alive at the same time never share; a buffer is reused once its last reader has run", () => {
    // a: 1–2, b: 2–3 (overlap at 2), c: 3–4 (a is free), d: 4–∞ (b is free)
    expect(groups([life("a", 1, 2), life("b", 2, 3), life("c", 3, 4), life("d", 4, Infinity)])).toEqual(["a c", "b d"]);
  });
  it("a buffer read in the stretch that writes another cannot give it its array", () => {
    expect(groups([life("x", 1, 2), life("y", 2, 5)])).toEqual(["x", "y"]);
  });
  it("results of the pass (alive to its end) are never reused", () => {
    expect(groups([life("grad", 1, Infinity), life("t", 2, 3), life("u", 4, 5)])).toEqual(["grad", "t u"]);
  });
  it("batch-sized and fixed-size buffers do not mix", () => {
    expect(groups([life("h", 1, 1, 128, 1), life("w", 2, 2, 128, 0), life("g", 3, 3, 128, 1)])).toEqual(["h g", "w"]);
  });
  it("values with the batch dimension twice (n² elements) share only with their like: n·128 may be smaller or larger than n²·1", () => {
    const r = shareArrays([life("h", 1, 1, 128, 1), life("sim", 2, 2, 1, 2), life("g", 3, 3, 4, 1), life("attn", 3, 3, 2, 2), life("w", 4, 4, 4, 0)]);
    expect(r.arrays.map((a) => [a.members.join(" "), a.batchDims, a.elements])).toEqual([
      ["h g", 1, 128],
      ["sim attn", 2, 2],
      ["w", 0, 4],
    ]);
  });
  it("best fit: the smallest free array that is large enough; the array grows to its largest member", () => {
    const r = shareArrays([life("big", 1, 1, 512), life("small", 1, 1, 16), life("mid", 2, 3, 12), life("huge", 2, 3, 1000)]);
    expect(r.arrays.map((a) => [a.members.join(" "), a.elements])).toEqual([
      ["big huge", 1000],
      ["small mid", 16],
    ]);
  });
});
