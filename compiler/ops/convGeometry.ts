// Convolution geometry in NHWC, shared by conv2d, its two gradient ops and pooling: each spatial axis's
// size, taps, stride, dilation, padding and output size, the shape checks, and the reference loop over
// the taps inside the input that the ops' `eval` run. One definition of where a tap falls, read by the
// reference semantics and by every lowering (./conv.ts, ./convSimd.ts, ./pool.ts, ./windowLoops.ts).
import type { Attrs, Node } from "../ir/node.js";
import { formatShape, ShapeError } from "../ir/shape.js";

/** Attrs of conv2d and its two gradient ops. */
export interface ConvAttrs {
  readonly stride: readonly [number, number];
  /** [top, left, bottom, right] */
  readonly padding: readonly [number, number, number, number];
  readonly dilation: readonly [number, number];
  [k: string]: unknown;
}

// ── geometry ──────────────────────────────────────────────────────────────────────────────────────

/** One spatial axis: input size, taps, stride, dilation, padding before and after, output size. */
export interface Axis {
  readonly size: number;
  readonly k: number;
  readonly s: number;
  readonly d: number;
  readonly p0: number;
  readonly p1: number;
  readonly out: number;
}

export const outSize = (size: number, k: number, s: number, d: number, p0: number, p1: number): number =>
  Math.floor((size + p0 + p1 - d * (k - 1) - 1) / s) + 1;

export function axis(size: number, k: number, s: number, d: number, p0: number, p1: number): Axis {
  return { size, k, s, d, p0, p1, out: outSize(size, k, s, d, p0, p1) };
}

/** Whether some output position's taps fall before index 0 / past the end (so the range needs clipping). */
export const clipsLow = (a: Axis): boolean => a.p0 > 0;
export const clipsHigh = (a: Axis): boolean => (a.out - 1) * a.s - a.p0 + (a.k - 1) * a.d > a.size - 1;

export interface ConvGeometry {
  readonly C: number; // input channels
  readonly CO: number; // output channels
  readonly rows: Axis;
  readonly cols: Axis;
}

export const attrsOf = (a: Attrs): ConvAttrs => a as ConvAttrs;

export function geometry(H: number, W: number, C: number, KH: number, KW: number, CO: number, a: Attrs): ConvGeometry {
  const { stride: [sh, sw], padding: [pt, pl, pb, pr], dilation: [dh, dw] } = attrsOf(a);
  return { C, CO, rows: axis(H, KH, sh, dh, pt, pb), cols: axis(W, KW, sw, dw, pl, pr) };
}

export const staticDims = (x: Node, what: string, from = 1): number[] => {
  const rest = x.shape.slice(from);
  if (x.shape.length !== 4 || !rest.every((d) => typeof d === "number")) {
    throw new ShapeError(`${what} must be a rank-4 NHWC tensor with static ${from ? "height, width and channels" : "dimensions"}, got ${formatShape(x.shape)}`);
  }
  return rest as number[];
};

export function checkOutput(g: ConvGeometry, what: string): void {
  if (g.rows.out < 1 || g.cols.out < 1) {
    throw new ShapeError(`${what}: the ${g.rows.k}×${g.cols.k} filter (dilation ${g.rows.d}×${g.cols.d}) does not fit the padded ${g.rows.size}×${g.cols.size} input`);
  }
}

// ── reference semantics ───────────────────────────────────────────────────────────────────────────

/** Calls f for every (b, i, j, p, q) whose tap (ih, iw) lies inside the input, with flat row offsets. */
export function forEachTap(N: number, g: ConvGeometry, f: (xAt: number, wAt: number, yAt: number) => void): void {
  const { rows: R, cols: Q, C, CO } = g;
  for (let b = 0; b < N; b++)
    for (let i = 0; i < R.out; i++)
      for (let j = 0; j < Q.out; j++)
        for (let p = 0; p < R.k; p++) {
          const ih = i * R.s - R.p0 + p * R.d;
          if (ih < 0 || ih >= R.size) continue;
          for (let q = 0; q < Q.k; q++) {
            const iw = j * Q.s - Q.p0 + q * Q.d;
            if (iw < 0 || iw >= Q.size) continue;
            f(((b * R.size + ih) * Q.size + iw) * C, (p * Q.k + q) * C * CO, ((b * R.out + i) * Q.out + j) * CO);
          }
        }
}
