// compiler/ops/windowLoops.ts's helpers, which every convolution and pooling kernel is built from, on
// their own: the clipped tap ranges (the lines they write, and what those lines compute for every
// position, against a brute force), the column segments whose pixels run in blocks (exact, and never a
// clipped tap inside a block), and one filter row's sweep as written for each dilation and channel count.
import { describe, expect, it } from "vitest";
import { axis, type Axis } from "../../compiler/ops/convGeometry.js";
import { clippedRange, columnSegments, sweepRow } from "../../compiler/ops/windowLoops.js";

const same = (hint: string) => hint; // names as hinted, so the text can be compared

describe("clippedRange: the v with 0 ≤ v·m + u − p < size, for v < count", () => {
  it("writes no line where no u clips, and the literals 0 and count", () => {
    expect(clippedRange(same, "kh", "i", 0, 4, 0, 1, 8, 3)).toEqual({ lines: [], lo: 0, hi: 3 });
    // the last window ends exactly at the last element (uMax − p + (count − 1)·m = size − 1): still no line
    expect(clippedRange(same, "kh", "i", 1, 6, 1, 1, 8, 3)).toEqual({ lines: [], lo: 0, hi: 3 });
  });

  it("writes Math.max / Math.min lines, divided by the step m where it is not 1", () => {
    expect(clippedRange(same, "kh", "i", 0, 6, 1, 1, 7, 3)).toEqual({
      lines: ["const khLo = Math.max(0, 1 - i);", "const khHi = Math.min(3, 8 - i);"],
      lo: "khLo",
      hi: "khHi",
    });
    expect(clippedRange(same, "kw", "j * 2", 0, 10, 2, 2, 9, 3)).toEqual({
      lines: ["const kwLo = Math.max(0, Math.ceil((2 - j * 2) / 2));", "const kwHi = Math.min(3, Math.floor((10 - j * 2) / 2) + 1);"],
      lo: "kwLo",
      hi: "kwHi",
    });
  });

  it("computes the exact range for every u of many geometries (against a brute force)", () => {
    let checked = 0;
    for (const size of [1, 4, 7]) {
      for (const count of [1, 2, 3, 5]) {
        for (const m of [1, 2, 3]) {
          for (const p of [0, 1, 2, 4]) {
            for (const s of [1, 2]) {
              const uMax = (Math.max(1, size) - 1) * s;
              const r = clippedRange(same, "v", "u", 0, uMax, p, m, size, count);
              const at = new Function("u", `${r.lines.join("\n")}\nreturn [${r.lo}, ${r.hi}];`) as (u: number) => [number, number];
              for (let u = 0; u <= uMax; u += s) {
                const inside = Array.from({ length: count }, (_, v) => v).filter((v) => v * m + u - p >= 0 && v * m + u - p < size);
                const [lo, hi] = at(u);
                const got = Array.from({ length: Math.max(0, hi - lo) }, (_, k) => lo + k);
                expect(got, `size ${size}, count ${count}, m ${m}, p ${p}, u ${u}`).toEqual(inside);
                checked++;
              }
            }
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(500);
  });
});

describe("columnSegments: output columns in blocks of neighbours where no tap is clipped", () => {
  it("splits off the clipped border columns and the remainder", () => {
    // 12 columns, 3 taps, padding 1: column 0 and 11 clip; 1…8 in two blocks of 4, 9…11 one at a time
    expect(columnSegments(axis(12, 3, 1, 1, 1, 1), 4)).toEqual([
      { from: 0, to: 1, pixels: 1 },
      { from: 1, to: 9, pixels: 4 },
      { from: 9, to: 12, pixels: 1 },
    ]);
    // stride 2, padding 3 on 20: 12 outputs, the first two and the last two clip
    expect(columnSegments(axis(20, 3, 2, 1, 3, 3), 4)).toEqual([
      { from: 0, to: 2, pixels: 1 },
      { from: 2, to: 10, pixels: 4 },
      { from: 10, to: 12, pixels: 1 },
    ]);
    expect(columnSegments(axis(12, 3, 1, 1, 1, 1), 1)).toEqual([{ from: 0, to: 12, pixels: 1 }]);
    expect(columnSegments(axis(5, 3, 1, 1, 1, 1), 4)).toEqual([{ from: 0, to: 5, pixels: 1 }]); // no room for a block
  });

  it("tiles the columns, and never puts a clipped tap in a block (many geometries)", () => {
    for (const size of [3, 8, 13, 20]) {
      for (const k of [1, 2, 3, 5]) {
        for (const s of [1, 2, 3]) {
          for (const d of [1, 2]) {
            for (const p of [0, 1, 2]) {
              if ((k - 1) * d + 1 > size + 2 * p) continue;
              const Q: Axis = axis(size, k, s, d, p, p);
              const segments = columnSegments(Q, 4);
              expect(segments[0]!.from).toBe(0);
              expect(segments[segments.length - 1]!.to).toBe(Q.out);
              segments.forEach((seg, n) => {
                if (n > 0) expect(seg.from).toBe(segments[n - 1]!.to);
                if (seg.pixels > 1) {
                  expect((seg.to - seg.from) % seg.pixels).toBe(0);
                  for (let j = seg.from; j < seg.to; j++) {
                    for (let t = 0; t < k; t++) {
                      const x = j * s + t * d - p;
                      expect(x >= 0 && x < size, `size ${size}, k ${k}, s ${s}, d ${d}, p ${p}: column ${j}, tap ${t}`).toBe(true);
                    }
                  }
                }
              });
            }
          }
        }
      }
    }
  });
});

describe("sweepRow: one filter row's taps (kw, ci)", () => {
  const geo = (C: number, d: number) => ({ C, CO: 4, rows: axis(6, 3, 1, 1, 0, 0), cols: axis(6, 3, 1, d, 0, 0) });
  const body = (xi: string, wi: string) => [`s += x[${xi}] * w[${wi}];`];

  it("runs kw and ci as one index t where the taps are contiguous (dilation 1)", () => {
    expect(sweepRow(same, geo(3, 1), "xk", "wk", 0, 3, body)).toEqual(["for (let t = 0; t < 9; t++) {", "const wt = wk + t * 4;", "s += x[xk + t] * w[wt];", "}"]);
    expect(sweepRow(same, geo(3, 1), "xk", "wk", 1, "kwHi", body)).toEqual(["for (let t = 3; t < kwHi * 3; t++) {", "const wt = wk + t * 4;", "s += x[xk + t] * w[wt];", "}"]);
  });

  it("loops kw then ci with dilation, without a ci loop for one channel", () => {
    expect(sweepRow(same, geo(1, 2), "xk", "wk", "kwLo", 3, body)).toEqual([
      "for (let kw = kwLo; kw < 3; kw++) {",
      "const xq = xk + kw * 2;",
      "const wq = wk + kw * 4;",
      "s += x[xq] * w[wq];",
      "}",
    ]);
    expect(sweepRow(same, geo(3, 2), "xk", "wk", 0, 3, body)).toEqual([
      "for (let kw = 0; kw < 3; kw++) {",
      "const xq = xk + kw * 6;",
      "const wq = wk + kw * 12;",
      "for (let ci = 0; ci < 3; ci++) {",
      "const wc = wq + ci * 4;",
      "s += x[xq + ci] * w[wc];",
      "}",
      "}",
    ]);
  });
});
