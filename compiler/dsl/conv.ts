// The DSL functions for convolutional networks: conv2d, maxPool2d, avgPool2d, flatten (public), and
// the internal ones their derivative rules use (the transposed convolution, the filter gradient, the
// pooling adjoints). Layout is NHWC throughout: activations [batch, H, W, C], filters
// [kh, kw, cin, cout], so a bias [cout] broadcasts over the last axis like a dense layer's.
//
// Options are resolved here into plain attrs (numbers and pairs), so the ops and the emitted code see
// only compile-time geometry: stride [sh, sw], dilation [dh, dw], and for conv2d the padding as
// [top, left, bottom, right] ("same" may pad one more row or column at the bottom/right, as
// TensorFlow and PyTorch do for an even receptive field).

import { codes } from "../diagnostics.js";
import type { Node } from "../ir/node.js";
import { formatShape } from "../ir/shape.js";
import { fail, make } from "../ir/context.js";
import { reshape, type Tensor } from "./core.js";
import { conv2dOp } from "../ops/conv.js";
import { avgPool2dOp, maxPool2dOp } from "../ops/pool.js";

export type Pair = number | readonly [number, number];

export interface Conv2dOptions {
  /** Step between output positions (default 1). */
  readonly stride?: Pair;
  /**
   * Zeros added around the input: a number or [rows, columns] on both sides (default 0, "valid"),
   * or "same": the output is ⌈H / stride⌉ × ⌈W / stride⌉ (the extra row/column, if any, goes at the
   * bottom/right).
   */
  readonly padding?: Pair | "same" | "valid";
  /** Spacing between filter taps (default 1). */
  readonly dilation?: Pair;
}

export interface Conv1dOptions {
  /** Step between output positions (default 1). */
  readonly stride?: number;
  /** Zeros added at both ends (default 0, "valid"), or "same": the output has ⌈L / stride⌉ positions (an extra zero, if any, at the end). */
  readonly padding?: number | "same" | "valid";
  /** Spacing between filter taps (default 1). */
  readonly dilation?: number;
}

export interface Pool2dOptions {
  /** The window, a number or [rows, columns]. */
  readonly size: Pair;
  /** Step between windows (default: the window size, non-overlapping). */
  readonly stride?: Pair;
  /** Padding on both sides, at most half the window (default 0). Padded positions never win a max and count as zeros in an average. */
  readonly padding?: Pair | "valid";
}

export type { ConvAttrs } from "../ops/conv.js";
export type { PoolAttrs } from "../ops/pool.js";
import type { PoolAttrs } from "../ops/pool.js";

function checkTensor(x: unknown, what: string): Tensor {
  if (!x || typeof x !== "object" || !("op" in x) || !("shape" in x)) fail(codes.badArgument, `${what} must be a tensor`);
  return x as Tensor;
}

function pair(v: unknown, what: string, min: number): [number, number] {
  const ok = (d: unknown): d is number => typeof d === "number" && Number.isInteger(d) && d >= min;
  if (ok(v)) return [v, v];
  if (Array.isArray(v) && v.length === 2 && ok(v[0]) && ok(v[1])) return [v[0], v[1]];
  return fail(codes.badArgument, `${what} must be an integer ≥ ${min} or a pair of them, got ${JSON.stringify(v)}`);
}

function options(o: unknown, what: string): Record<string, unknown> {
  if (o === undefined) return {};
  if (!o || typeof o !== "object" || Array.isArray(o)) fail(codes.badArgument, `${what}: options must be an object, got ${JSON.stringify(o)}`);
  return o as Record<string, unknown>;
}

/** [H, W] of an NHWC tensor, or a located error. */
function spatial(x: Tensor, what: string): [number, number] {
  const [, h, w, c] = x.shape;
  if (x.shape.length !== 4 || typeof h !== "number" || typeof w !== "number" || typeof c !== "number") {
    fail(codes.shape, `${what}: expects an NHWC tensor [batch, height, width, channels] with static height, width and channels, got ${formatShape(x.shape)}`);
  }
  return [h, w];
}

// ── public ──────────────────────────────────────────────────────────────────────────────────────

/**
 * 2-D convolution (cross-correlation, as every framework computes it) of x [batch, H, W, cin] with
 * filters w [kh, kw, cin, cout]: y[b, i, j, o] = Σ x[b, i·sh + p·dh − top, j·sw + q·dw − left, c] ·
 * w[p, q, c, o] over p, q, c, with zeros outside x. Add a bias [cout] with add(conv2d(x, w), b).
 */
export function conv2d(x: Tensor, w: Tensor, opts: Conv2dOptions = {}): Tensor {
  const xt = checkTensor(x, "conv2d input"), wt = checkTensor(w, "conv2d filters");
  const o = options(opts, "conv2d");
  const stride = pair(o.stride ?? 1, "conv2d stride", 1);
  const dilation = pair(o.dilation ?? 1, "conv2d dilation", 1);
  let padding: [number, number, number, number];
  if (o.padding === "same") {
    const [h, wd] = spatial(xt, "conv2d");
    const [kh, kw] = wt.shape as number[];
    if (wt.shape.length !== 4 || typeof kh !== "number" || typeof kw !== "number") fail(codes.shape, `conv2d: filters must be [kh, kw, cin, cout], got ${formatShape(wt.shape)}`);
    const total = (size: number, k: number, s: number, d: number) => Math.max((Math.ceil(size / s) - 1) * s + d * (k - 1) + 1 - size, 0);
    const th = total(h, kh, stride[0], dilation[0]), tw = total(wd, kw, stride[1], dilation[1]);
    padding = [th >> 1, tw >> 1, th - (th >> 1), tw - (tw >> 1)];
  } else {
    const [ph, pw] = o.padding === "valid" ? [0, 0] : pair(o.padding ?? 0, "conv2d padding", 0);
    padding = [ph, pw, ph, pw];
  }
  for (const k of Object.keys(o)) if (!["stride", "padding", "dilation"].includes(k)) fail(codes.badArgument, `conv2d: unknown option "${k}" (stride, padding, dilation)`);
  return make(conv2dOp, [xt, wt], { stride, padding, dilation });
}

/**
 * 1-D convolution of sequences x [batch, L, cin] with filters w [k, cin, cout] → [batch, L', cout],
 * channels last as conv2d (torch's nn.Conv1d is [batch, cin, L] with weight [cout, cin, k]): y[b, t, o] =
 * Σ x[b, t·s + p·d − pad, c] · w[p, c, o]. It is conv2d over a one-column image — x viewed as
 * [batch, L, 1, cin], w as [k, 1, cin, cout] (free reshapes: a 1 inserted in the middle stays a view,
 * where a leading 1 would become a broadcast) — so it shares conv2d's tested loops and derivatives;
 * explain and graph show it as that conv2d (x ⊛ w), and ONNX export writes it as a 1-D Conv. Add a
 * bias [cout] with add.
 */
export function conv1d(x: Tensor, w: Tensor, opts: Conv1dOptions = {}): Tensor {
  const xt = checkTensor(x, "conv1d input"), wt = checkTensor(w, "conv1d filters");
  const o = options(opts, "conv1d");
  for (const k of Object.keys(o)) if (!["stride", "padding", "dilation"].includes(k)) fail(codes.badArgument, `conv1d: unknown option "${k}" (stride, padding, dilation)`);
  const [batch, length, channels] = xt.shape;
  if (xt.shape.length !== 3 || typeof length !== "number" || typeof channels !== "number") {
    fail(codes.shape, `conv1d: expects sequences [batch, length, channels] with static length and channels, got ${formatShape(xt.shape)}`);
  }
  if (wt.shape.length !== 3 || !wt.shape.every((d) => typeof d === "number")) fail(codes.shape, `conv1d: filters must be [k, cin, cout], got ${formatShape(wt.shape)}`);
  if (wt.shape[1] !== channels) fail(codes.shape, `conv1d: the filters [k, cin, cout] = ${formatShape(wt.shape)} take ${String(wt.shape[1])} input channels, the sequences ${formatShape(xt.shape)} have ${channels}`);
  const single = (v: unknown, what: string, min: number): number => {
    if (typeof v !== "number" || !Number.isInteger(v) || v < min) fail(codes.badArgument, `conv1d ${what} must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
    return v;
  };
  const stride = single(o.stride ?? 1, "stride", 1);
  const dilation = single(o.dilation ?? 1, "dilation", 1);
  const padding = o.padding === "same" || o.padding === "valid" ? o.padding : ([single(o.padding ?? 0, "padding", 0), 0] as const);
  const [k, cin, cout] = wt.shape as number[];
  const y = conv2d(reshape(xt, [batch!, length, 1, channels]), reshape(wt, [k!, 1, cin!, cout!]), { stride: [stride, 1], padding, dilation: [dilation, 1] });
  return reshape(y, [batch!, y.shape[1]!, y.shape[3]!]);
}

function poolAttrs(what: string, x: Tensor, opts: unknown): PoolAttrs {
  const o = options(opts, what);
  if (o.size === undefined) fail(codes.badArgument, `${what}: the window size is required ({ size: 2 })`);
  for (const k of Object.keys(o)) if (!["size", "stride", "padding"].includes(k)) fail(codes.badArgument, `${what}: unknown option "${k}" (size, stride, padding)`);
  const size = pair(o.size, `${what} size`, 1);
  const stride = pair(o.stride ?? size, `${what} stride`, 1);
  const padding = o.padding === "valid" ? ([0, 0] as [number, number]) : pair(o.padding ?? 0, `${what} padding`, 0);
  if (padding[0] > size[0] >> 1 || padding[1] > size[1] >> 1) {
    fail(codes.badArgument, `${what}: padding ${JSON.stringify(padding)} must be at most half the window ${JSON.stringify(size)}`);
  }
  spatial(x, what);
  return { size, stride, padding };
}

/** The maximum of each window of x [batch, H, W, C], per channel (PyTorch's MaxPool2d; padding never wins). */
export function maxPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
  const xt = checkTensor(x, "maxPool2d input");
  return make(maxPool2dOp, [xt], poolAttrs("maxPool2d", xt, opts));
}

/** The mean of each window of x [batch, H, W, C], per channel; padded zeros count (PyTorch's AvgPool2d, count_include_pad=True). */
export function avgPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
  const xt = checkTensor(x, "avgPool2d input");
  return make(avgPool2dOp, [xt], poolAttrs("avgPool2d", xt, opts));
}

/** [batch, d1, d2, …] → [batch, d1·d2·…]: row-major, so NHWC features are ordered (h, w, c). Free (a reshape). */
export function flatten(x: Tensor): Tensor {
  const xt = checkTensor(x, "flatten input");
  if (xt.shape.length < 2) fail(codes.shape, `flatten: expects at least [batch, features], got ${formatShape(xt.shape)}`);
  const rest = xt.shape.slice(1);
  if (!rest.every((d) => typeof d === "number")) fail(codes.shape, `flatten: the dimensions after the first must be static, got ${formatShape(xt.shape)}`);
  return reshape(xt, [xt.shape[0]!, (rest as number[]).reduce((a, b) => a * b, 1)]);
}
