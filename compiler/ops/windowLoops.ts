// Loops over a sliding window's output pixels and taps in NHWC, shared by the convolutions (./conv.ts,
// ./convSimd.ts) and pooling (./pool.ts): each tap range clipped to the input once per output row and
// column (no test inside the inner loops), neighbouring pixels in register blocks where no tap is
// clipped, channels in blocks of locals.
import type { Axis, ConvGeometry } from "./convGeometry.js";
import { blocks, lin, range, times, type Namer } from "./kernelLoops.js";

/** Channels kept in locals by the pooling kernels. */
export const CHANNEL_BLOCK = 8;

/**
 * Lines declaring the range [lo, hi) of a loop variable v ∈ [0, count) for which v·m + u − p lies in
 * [0, size), where u is an expression of outer loop variables with uMin ≤ u ≤ uMax. Bounds that never
 * clip (known at compile time) stay the literals 0 and count, with no line emitted.
 */
export function clippedRange(
  nm: Namer, hint: string, u: string, uMin: number, uMax: number, p: number, m: number, size: number, count: number,
): { lines: string[]; lo: string | number; hi: string | number } {
  const lines: string[] = [];
  let lo: string | number = 0, hi: string | number = count;
  if (uMin - p < 0) {
    lo = nm(`${hint}Lo`);
    lines.push(`const ${lo} = Math.max(0, ${m === 1 ? `${p} - ${u}` : `Math.ceil((${p} - ${u}) / ${m})`});`);
  }
  if (uMax - p + (count - 1) * m > size - 1) {
    hi = nm(`${hint}Hi`);
    lines.push(`const ${hi} = Math.min(${count}, ${m === 1 ? `${size + p} - ${u}` : `Math.floor((${size - 1 + p} - ${u}) / ${m}) + 1`});`);
  }
  return { lines, lo, hi };
}

export const channelBlocks = (nm: Namer, count: number, emit: (c0: string | number, width: number) => string[], block = CHANNEL_BLOCK): string[] =>
  blocks(nm, "c0", count, block, emit);

/** A grid of locals `${hint}${p}_${c}` (or `${hint}${c}` for one row). */
export const grid = (nm: Namer, hint: string, rows: number, cols: number): string[][] =>
  range(rows).map((p) => range(cols).map((c) => nm(rows === 1 ? `${hint}${c}` : `${hint}${p}_${c}`)));

/**
 * Sweeps the taps (kw, ci) of one filter row: `body(xi, wi)` gets the flat x index of tap (kw, ci)
 * (for the block's first pixel) and the flat w index of [kh, kw, ci, c0]. With dilation 1 along the
 * row, (kw, ci) is one contiguous run in both x and w, so it is one loop.
 */
export function sweepRow(nm: Namer, g: ConvGeometry, xk: string, wk: string, lo: string | number, hi: string | number, body: (xi: string, wi: string) => string[]): string[] {
  const { C, CO, cols } = g;
  if (cols.d === 1) {
    const t = nm("t"), wi = nm("wt");
    const from = typeof lo === "number" ? lo * C : times(lo, C), to = typeof hi === "number" ? hi * C : times(hi, C);
    return [`for (let ${t} = ${from}; ${t} < ${to}; ${t}++) {`, `const ${wi} = ${lin([[wk, 1], [t, CO]])};`, ...body(lin([[xk, 1], [t, 1]]), wi), "}"];
  }
  const kw = nm("kw"), xq = nm("xq"), wq = nm("wq");
  const head = [`for (let ${kw} = ${lo}; ${kw} < ${hi}; ${kw}++) {`, `const ${xq} = ${lin([[xk, 1], [kw, cols.d * C]])};`, `const ${wq} = ${lin([[wk, 1], [kw, C * CO]])};`];
  if (C === 1) return [...head, ...body(xq, wq), "}"];
  const ci = nm("ci"), wc = nm("wc");
  return [...head, `for (let ${ci} = 0; ${ci} < ${C}; ${ci}++) {`, `const ${wc} = ${lin([[wq, 1], [ci, CO]])};`, ...body(lin([[xq, 1], [ci, 1]]), wc), "}", "}"];
}

/** A run of output columns [from, to), `pixels` at a time; blocks of more than one are never clipped. */
interface Segment {
  readonly from: number;
  readonly to: number;
  readonly pixels: number;
}

/**
 * Output columns split so that blocks of `pixels` neighbours run where every tap of every pixel is
 * inside x (no clipping), and the border columns (padding) and the remainder run one at a time.
 */
export function columnSegments(Q: Axis, pixels: number): Segment[] {
  if (pixels === 1) return [{ from: 0, to: Q.out, pixels: 1 }];
  const first = Math.min(Q.out, Math.ceil(Q.p0 / Q.s)); // taps start inside x from here on
  const end = Math.max(first, Math.min(Q.out, Math.floor((Q.size - 1 + Q.p0 - (Q.k - 1) * Q.d) / Q.s) + 1)); // and end inside x before here
  const blocked = Math.floor((end - first) / pixels) * pixels;
  if (blocked === 0) return [{ from: 0, to: Q.out, pixels: 1 }];
  return [
    ...(first > 0 ? [{ from: 0, to: first, pixels: 1 }] : []),
    { from: first, to: first + blocked, pixels },
    ...(first + blocked < Q.out ? [{ from: first + blocked, to: Q.out, pixels: 1 }] : []),
  ];
}

/**
 * The loops over output pixels (b, i, j), with the tap ranges clipped to the input, shared by the
 * forward, the input-gradient and the pooling kernels. `pixel(xw, o, kh range, kw range, count)` emits
 * `count` neighbouring pixels: xw is x's flat index of tap (0, 0) at the first of them (possibly
 * negative with padding; the next pixel's is xw + sw·C) and o is y's flat index of its channel 0 (the
 * next pixel's is o + CO).
 */
export function overPixels(
  nm: Namer, g: ConvGeometry, N: number | "n", pixels: number,
  pixel: (xw: string, o: string, khLo: string | number, khHi: string | number, kwLo: string | number, kwHi: string | number, count: number) => string[],
): string[] {
  const { rows: R, cols: Q, C, CO } = g;
  const b = nm("bi"), i = nm("oh"), j = nm("ow"), xh = nm("xh"), xw = nm("xw"), o = nm("o");
  const rowRange = clippedRange(nm, "kh", times(i, R.s), 0, (R.out - 1) * R.s, R.p0, R.d, R.size, R.k);
  const segments = columnSegments(Q, pixels);
  const columns = segments.flatMap((seg) => {
    const colRange = seg.pixels > 1 ? { lines: [], lo: 0, hi: Q.k } : clippedRange(nm, "kw", times(j, Q.s), seg.from * Q.s, (seg.to - 1) * Q.s, Q.p0, Q.d, Q.size, Q.k);
    const note =
      segments.length === 1 ? [] : [`// columns ${seg.from}…${seg.to - 1}${seg.pixels > 1 ? `, ${seg.pixels} at a time (every tap inside x)` : colRange.lines.length ? ", taps clipped to x" : ""}`];
    return [
      ...note,
      `for (let ${j} = ${seg.from}; ${j} < ${seg.to}; ${seg.pixels > 1 ? `${j} += ${seg.pixels}` : `${j}++`}) {`,
      ...colRange.lines,
      `const ${xw} = ${lin([[xh, 1], [j, Q.s * C]], -Q.p0 * C)};`,
      `const ${o} = ${lin([[b, R.out * Q.out * CO], [i, Q.out * CO], [j, CO]])};`,
      ...pixel(xw, o, rowRange.lo, rowRange.hi, colRange.lo, colRange.hi, seg.pixels),
      "}",
    ];
  });
  return [
    `for (let ${b} = 0; ${b} < ${N}; ${b}++) {`,
    `for (let ${i} = 0; ${i} < ${R.out}; ${i}++) {`,
    ...rowRange.lines,
    `const ${xh} = ${lin([[b, R.size * Q.size * C], [i, R.s * Q.size * C]], -R.p0 * Q.size * C)};`,
    ...columns,
    "}",
    "}",
  ];
}
