// 2-D convolution in NHWC, and the two ops its derivative rule is made of. With
//   T(x, w, g) = Σ x[b, i·sh + p·dh − top, j·sw + q·dw − left, c] · w[p, q, c, o] · g[b, i, j, o]
// (x read as 0 outside its bounds), the three ops are the three partial derivatives of T:
//   conv2d(x, w)               = ∂T/∂g   y[b, i, j, o]   the forward convolution
//   conv2dBackwardInput(g, w)  = ∂T/∂x   ∂L/∂x           the transposed convolution
//   conv2dBackwardFilter(x, g) = ∂T/∂w   ∂L/∂w           Σ over batch and positions of patches · g
// so each one's derivative rule is one of the other two (every rule below is exact, also for the
// gradient ops themselves).
//
// Lowering: loop nests with every bound a compile-time number except the batch `n`, the channels
// innermost (contiguous in NHWC) in register blocks of a few pixels × a few channels whose sums stay
// in locals while the receptive field is swept (see FORWARD_BLOCK below), and padding handled by
// clipping the tap range once per output row/column (no test inside the inner loops; no clipping code
// at all without padding). Blocks of neighbouring pixels run only where no tap needs clipping; the
// border columns run one pixel at a time.
import { make } from "../ir/context.js";
import type { Attrs, Node } from "../ir/node.js";
import { formatShape, ShapeError, type Dim } from "../ir/shape.js";
import { sizeOf } from "../ir/tensor.js";
import { defineOp, element, type KernelContext, type TensorRef } from "./op.js";

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

const attrsOf = (a: Attrs): ConvAttrs => a as ConvAttrs;

function geometry(H: number, W: number, C: number, KH: number, KW: number, CO: number, a: Attrs): ConvGeometry {
  const { stride: [sh, sw], padding: [pt, pl, pb, pr], dilation: [dh, dw] } = attrsOf(a);
  return { C, CO, rows: axis(H, KH, sh, dh, pt, pb), cols: axis(W, KW, sw, dw, pl, pr) };
}

const staticDims = (x: Node, what: string, from = 1): number[] => {
  const rest = x.shape.slice(from);
  if (x.shape.length !== 4 || !rest.every((d) => typeof d === "number")) {
    throw new ShapeError(`${what} must be a rank-4 NHWC tensor with static ${from ? "height, width and channels" : "dimensions"}, got ${formatShape(x.shape)}`);
  }
  return rest as number[];
};

function checkOutput(g: ConvGeometry, what: string): void {
  if (g.rows.out < 1 || g.cols.out < 1) {
    throw new ShapeError(`${what}: the ${g.rows.k}×${g.cols.k} filter (dilation ${g.rows.d}×${g.cols.d}) does not fit the padded ${g.rows.size}×${g.cols.size} input`);
  }
}

function attrsNote(a: Attrs): string {
  const { stride: [sh, sw], padding: [pt, pl, pb, pr], dilation: [dh, dw] } = attrsOf(a);
  const two = (x: number, y: number) => (x === y ? `${x}` : `${x}×${y}`);
  const parts = [
    sh !== 1 || sw !== 1 ? `stride ${two(sh, sw)}` : "",
    pt || pl || pb || pr ? `pad ${pt === pb && pl === pr ? two(pt, pl) : `${pt},${pl},${pb},${pr}`}` : "",
    dh !== 1 || dw !== 1 ? `dilation ${two(dh, dw)}` : "",
  ].filter(Boolean);
  return parts.length ? `; ${parts.join(", ")}` : "";
}

// ── reference semantics ───────────────────────────────────────────────────────────────────────────

/** Calls f for every (b, i, j, p, q) whose tap (ih, iw) lies inside the input, with flat row offsets. */
function forEachTap(N: number, g: ConvGeometry, f: (xAt: number, wAt: number, yAt: number) => void): void {
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

// ── emitted code ──────────────────────────────────────────────────────────────────────────────────

/**
 * Register blocking, measured on the MNIST CNN's shapes (5×5 filters, 1→8 and 8→16 channels) in
 * Node 20: eight to sixteen running sums in locals is the sweet spot (sixteen sums of one pixel spill
 * and run 1.4× slower than 2 pixels × 4 channels).
 *   forward        2 output pixels × 4 output channels: per tap 2 x loads + 4 w loads feed 8 sums
 *   input grad     4 pixels × 4 channels of g held in locals, scattered through each tap's w row
 *   filter grad    2 taps × 4 channels of ∂L/∂w summed over the batch and the output pixels
 */
export const FORWARD_BLOCK = { pixels: 2, channels: 4 } as const;
export const INPUT_GRAD_BLOCK = { pixels: 4, channels: 4 } as const;
export const FILTER_GRAD_BLOCK = { taps: 2, channels: 4 } as const;
/** Channels kept in locals by the pooling kernels. */
export const CHANNEL_BLOCK = 8;

/** Σ coef·term + constant as an index expression, dropping zero terms and unit factors. */
export function lin(terms: readonly (readonly [string | number, number])[], constant = 0): string {
  let c = constant;
  const parts: string[] = [];
  for (const [t, k] of terms) {
    if (k === 0 || t === 0) continue;
    if (typeof t === "number") c += t * k;
    else parts.push(k === 1 ? (/^[\w$]+$/.test(t) ? t : `(${t})`) : `${/^[\w$]+$/.test(t) ? t : `(${t})`} * ${k}`);
  }
  let s = parts.join(" + ");
  if (c > 0 || !s) s = s ? `${s} + ${c}` : `${c}`;
  else if (c < 0) s = `${s} - ${-c}`;
  return s;
}

/** `base + k` for a constant k. */
export const plus = (base: string, k: number): string => (k === 0 ? base : `${base} + ${k}`);
export const addOffset = (base: string, c0: string | number): string => (c0 === 0 ? base : `${base} + ${c0}`);
export const range = (n: number): number[] => Array.from({ length: n }, (_, k) => k);
/** v·m as an expression. */
export const times = (v: string, m: number): string => (m === 1 ? v : `${v} * ${m}`);

/** One fresh identifier per hint for the whole kernel (sibling scopes reuse it). */
export type Namer = (hint: string) => string;
export function namer(ctx: KernelContext): Namer {
  const names = new Map<string, string>();
  return (hint) => {
    let name = names.get(hint);
    if (name === undefined) names.set(hint, (name = ctx.local(hint)));
    return name;
  };
}

/**
 * The flat array of a tensor for hand-written index arithmetic. The one `at()` call records the read
 * with the emitter (which orders kernels by what they read); the element itself is not used.
 */
export function flat(t: TensorRef): string {
  void t.at(...t.dims.map(() => 0));
  return t.array;
}

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

/**
 * Blocks of `block` along a dimension of `count` (channels, taps): a loop over the full blocks (the
 * offset a variable) or the one full block at 0, then the remainder at its literal offset. Each
 * emitted block is a scope of its own (they declare the same locals).
 */
export function blocks(nm: Namer, hint: string, count: number, block: number, emit: (at: string | number, width: number) => string[]): string[] {
  const full = Math.floor(count / block), tail = count % block;
  const parts: string[][] = [];
  if (full === 1) parts.push(emit(0, block));
  else if (full > 1) {
    const v = nm(hint);
    parts.push([`for (let ${v} = 0; ${v} < ${full * block}; ${v} += ${block}) {`, ...emit(v, block), "}"]);
  }
  if (tail) parts.push(emit(full * block, tail));
  return parts.length === 1 ? parts[0]! : parts.flatMap((p) => (p[0]!.startsWith("for ") ? p : ["{", ...p, "}"]));
}

export const channelBlocks = (nm: Namer, count: number, emit: (c0: string | number, width: number) => string[], block = CHANNEL_BLOCK): string[] =>
  blocks(nm, "c0", count, block, emit);

/** A grid of locals `${hint}${p}_${c}` (or `${hint}${c}` for one row). */
const grid = (nm: Namer, hint: string, rows: number, cols: number): string[][] =>
  range(rows).map((p) => range(cols).map((c) => nm(rows === 1 ? `${hint}${c}` : `${hint}${p}_${c}`)));

/**
 * Sweeps the taps (kw, ci) of one filter row: `body(xi, wi)` gets the flat x index of tap (kw, ci)
 * (for the block's first pixel) and the flat w index of [kh, kw, ci, c0]. With dilation 1 along the
 * row, (kw, ci) is one contiguous run in both x and w, so it is one loop.
 */
function sweepRow(nm: Namer, g: ConvGeometry, xk: string, wk: string, lo: string | number, hi: string | number, body: (xi: string, wi: string) => string[]): string[] {
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

const dimsOf = (t: TensorRef) => t.dims as readonly (number | "n")[];

// ── float32 modules: the three ops as matrix products on the runtime's WebAssembly SIMD GEMM ─────────
//
// With P the patch matrix [n·OH·OW, KH·KW·C] (row m: output pixel m's receptive field, tap (kh, kw, ci)
// at column (kh·KW + kw)·C + ci, 0 where the tap falls in the padding) and w read as [KH·KW·C, CO]:
//   conv2d               y  = P · w            (im2col, then one product)
//   conv2dBackwardInput  ∂x = col2im(g · wᵀ)   (each pixel's row of field gradients added back into x)
//   conv2dBackwardFilter ∂w = (gᵀ · P)ᵀ        (CO rows of A; P's long rows stream as B's vectors)
// The scalar loop nests above ran W5 (examples/mnist-cnn) at a fraction of what the SIMD kernel does on
// the same multiply-adds (bench/RESULTS.md, W5 notes); P is written straight into the engine's memory
// (`reserve`), so only the small operands are copied. Sums run in k order with float32 rounding at each
// step (runtime/gemm.ts): the same bits on every machine and every run.

/** The engine's memory (read after `reserve`, which may replace it) and P's row count as code. */
function simdPrologue(nm: Namer, engine: string, N: number | "n", g: ConvGeometry, offsets: readonly (readonly [string, string])[], total: string): { rows: string; mem: string; lines: string[] } {
  const rows = nm("rows"), mem = nm("mem");
  return {
    rows,
    mem,
    lines: [
      `const ${rows} = ${typeof N === "number" ? N * g.rows.out * g.cols.out : times("n", g.rows.out * g.cols.out)};`,
      ...offsets.map(([name, at]) => `const ${name} = ${at};`),
      `const ${mem} = ${engine}.reserve(${total});`,
    ],
  };
}

/**
 * The loops over output pixels and the taps of each one's receptive field that lie inside x:
 * `move(xi, pi)` is the statement between x's flat index xi and P's entry pi (P's row m starts at
 * `at` + m·KH·KW·C in the engine's memory). im2col copies x into P, col2im adds P back into ∂x.
 */
function patchLoops(nm: Namer, g: ConvGeometry, N: number | "n", at: string | number, move: (xi: string, pi: string) => string): string[] {
  const { rows: R, cols: Q, C } = g;
  const K = R.k * Q.k * C;
  // overPixels' `o` is a pixel's flat index times its "channel" count: with CO = K, P's row offset.
  return overPixels(nm, { ...g, CO: K }, N, 1, (xw, o, khLo, khHi, kwLo, kwHi) => {
    const kh = nm("kh"), xk = nm("xk"), pk = nm("pk");
    // A filter row whose taps are never clipped is one contiguous run of KW·C floats in x and in P:
    // written out element by element when short (loops of a few iterations cost V8 more than the
    // copies, 2–2.5× on the MNIST CNN's patches), and with the filter rows too when the whole field is.
    const run = Q.d === 1 && kwLo === 0 && kwHi === Q.k && Q.k * C <= UNROLLED_RUN ? Q.k * C : 0;
    if (run && khLo === 0 && khHi === R.k && R.k * run <= UNROLLED_RUN) {
      const base = at === 0 ? o : nm("pk");
      return [
        ...(at === 0 ? [] : [`const ${base} = ${addOffset(o, at)};`]),
        ...range(R.k).flatMap((r) => range(run).map((t) => move(plus(xw, r * R.d * Q.size * C + t), plus(base, r * run + t)))),
      ];
    }
    return [
      `for (let ${kh} = ${khLo}; ${kh} < ${khHi}; ${kh}++) {`,
      `const ${xk} = ${lin([[xw, 1], [kh, R.d * Q.size * C]])};`,
      `const ${pk} = ${addOffset(lin([[o, 1], [kh, Q.k * C]]), at)};`,
      ...(run
        ? range(run).map((t) => move(plus(xk, t), plus(pk, t)))
        : // One tap's "output channels" are P's one column: sweepRow's w index is then P's.
          sweepRow(nm, { ...g, CO: 1 }, xk, pk, kwLo, kwHi, (xi, pi) => [move(xi, pi)])),
      "}",
    ];
  });
}

/** The longest run of patch elements im2col/col2im write out as statements instead of a loop. */
const UNROLLED_RUN = 64;

/** Whether some tap of some output pixel falls in the padding (then P starts as zeros). */
const padded = (g: ConvGeometry): boolean => clipsLow(g.rows) || clipsHigh(g.rows) || clipsLow(g.cols) || clipsHigh(g.cols);

function simdForward(ctx: KernelContext, engine: string, a: Attrs): string[] {
  const [xr, wr] = ctx.inputs as [TensorRef, TensorRef];
  const [N, H, W, C] = dimsOf(xr) as [number | "n", number, number, number];
  const [KH, KW, , CO] = dimsOf(wr) as number[];
  const g = geometry(H, W, C, KH!, KW!, CO!, a);
  const X = flat(xr), Wt = flat(wr), K = KH! * KW! * C;
  const nm = namer(ctx);
  const wAt = nm("wAt"), yAt = nm("yAt");
  const { rows, mem, lines } = simdPrologue(nm, engine, N, g, [[wAt, times(nm("rows"), K)], [yAt, `${wAt} + ${K * CO!}`]], `${yAt} + ${times(nm("rows"), CO!)}`);
  const e = nm("e"), c = nm("c");
  return [
    `// y = P · w on the runtime's WebAssembly SIMD product: P [n·${g.rows.out}·${g.cols.out}, ${KH}·${KW}·${C}] holds each output pixel's receptive field (im2col),`,
    `// w is [${K}, ${CO}] as stored; then the epilogue as each element of y is stored`,
    ...lines,
    ...(padded(g) ? [`${mem}.fill(0, 0, ${wAt});`] : []),
    ...patchLoops(nm, g, N, 0, (xi, pi) => `${mem}[${pi}] = ${element(X, xi)};`),
    `${mem}.set(${Wt}, ${wAt});`,
    `${engine}.productAt(${rows}, ${CO}, ${K}, 0, ${K}, 1, ${wAt}, ${CO}, ${yAt});`,
    `for (let ${e} = 0; ${e} < ${times(rows, CO!)}; ${e} += ${CO}) {`,
    `for (let ${c} = 0; ${c} < ${CO}; ${c}++) {`,
    ...ctx.store(`${e} + ${c}`, c, element(mem, `${yAt} + ${e} + ${c}`)),
    "}",
    "}",
  ];
}

function simdBackwardInput(ctx: KernelContext, engine: string, a: Attrs): string[] {
  const [gr, wr] = ctx.inputs as [TensorRef, TensorRef];
  const [N, H, W, C] = dimsOf(ctx.output) as [number | "n", number, number, number];
  const [KH, KW, , CO] = dimsOf(wr) as number[];
  const geo = geometry(H, W, C, KH!, KW!, CO!, a);
  const G = flat(gr), Wt = flat(wr), DX = ctx.output.array, K = KH! * KW! * C;
  const nm = namer(ctx);
  const wAt = nm("wAt"), pAt = nm("pAt"), t = nm("t"), c = nm("c");
  const { rows, mem, lines } = simdPrologue(nm, engine, N, geo, [[wAt, times(nm("rows"), CO!)], [pAt, `${wAt} + ${K * CO!}`]], `${pAt} + ${times(nm("rows"), K)}`);
  return [
    `// ∂L/∂x = col2im(g · wᵀ): the runtime's WebAssembly SIMD product gives each output pixel's gradient of its receptive field`,
    `// (a row of [${KH}·${KW}·${C}]), which is added back into the places of x it was read from`,
    ...lines,
    // (a workspace may be longer than this batch needs: copy only its first rows·CO elements)
    `${mem}.set(${G}.subarray(0, ${times(rows, CO!)}), 0);`,
    `for (let ${t} = 0; ${t} < ${K}; ${t}++) for (let ${c} = 0; ${c} < ${CO}; ${c}++) ${mem}[${wAt} + ${c} * ${K} + ${t}] = ${element(Wt, `${t} * ${CO} + ${c}`)};`,
    `${engine}.productAt(${rows}, ${K}, ${CO}, 0, ${CO}, 1, ${wAt}, ${K}, ${pAt});`,
    `${DX}.fill(0);`,
    ...patchLoops(nm, geo, N, pAt, (xi, pi) => `${element(DX, xi)} += ${element(mem, pi)};`),
  ];
}

function simdBackwardFilter(ctx: KernelContext, engine: string, a: Attrs): string[] {
  const [xr, gr] = ctx.inputs as [TensorRef, TensorRef];
  const [N, H, W, C] = dimsOf(xr) as [number | "n", number, number, number];
  const [KH, KW, , CO] = dimsOf(ctx.output) as number[];
  const geo = geometry(H, W, C, KH!, KW!, CO!, a);
  const X = flat(xr), G = flat(gr), DW = ctx.output.array, K = KH! * KW! * C;
  const nm = namer(ctx);
  const gAt = nm("gAt"), cAt = nm("cAt"), t = nm("t"), c = nm("c");
  const { rows, mem, lines } = simdPrologue(nm, engine, N, geo, [[gAt, times(nm("rows"), K)], [cAt, `${gAt} + ${times(nm("rows"), CO!)}`]], `${cAt} + ${K * CO!}`);
  return [
    `// ∂L/∂w = (gᵀ · P)ᵀ on the runtime's WebAssembly SIMD product: P [n·${geo.rows.out}·${geo.cols.out}, ${KH}·${KW}·${C}] holds each output pixel's receptive field`,
    `// (im2col), the sums run over the batch and the output pixels in order; the [${CO}, ${K}] result is stored transposed`,
    ...lines,
    ...(padded(geo) ? [`${mem}.fill(0, 0, ${gAt});`] : []),
    ...patchLoops(nm, geo, N, 0, (xi, pi) => `${mem}[${pi}] = ${element(X, xi)};`),
    `${mem}.set(${G}.subarray(0, ${times(rows, CO!)}), ${gAt});`,
    `${engine}.productAt(${CO}, ${K}, ${rows}, ${gAt}, 1, ${CO}, 0, ${K}, ${cAt});`,
    `for (let ${t} = 0; ${t} < ${K}; ${t}++) for (let ${c} = 0; ${c} < ${CO}; ${c}++) ${DW}[${t} * ${CO} + ${c}] = ${element(mem, `${cAt} + ${c} * ${K} + ${t}`)};`,
  ];
}
const note = (a: Attrs) => (attrsNote(a) ? ` (${attrsNote(a).slice(2)})` : "");

// ── the ops ───────────────────────────────────────────────────────────────────────────────────────

export const conv2dOp = defineOp({
  name: "conv2d",
  epilogue: true,
  // Each output element is a kh·kw·Cin dot product.
  flops: (n, c) => 2 * c.size(n) * windowOf(n.inputs[1]!.shape),
  kind: "kernel",
  shape: ([x, w], a) => {
    const [H, W, C] = staticDims(x!, "the input");
    const [KH, KW, CI, CO] = staticDims(w!, "the filters", 0);
    if (CI !== C) throw new ShapeError(`the filters ${formatShape(w!.shape)} expect ${CI} input channels, the input ${formatShape(x!.shape)} has ${C}`);
    const g = geometry(H!, W!, C!, KH!, KW!, CO!, a);
    checkOutput(g, `input ${formatShape(x!.shape)}, filters ${formatShape(w!.shape)}`);
    return [x!.shape[0]!, g.rows.out, g.cols.out, CO!];
  },
  eval: ([x, w], a, shape) => {
    const [N, H, W, C] = x!.shape as number[];
    const [KH, KW, , CO] = w!.shape as number[];
    const g = geometry(H!, W!, C!, KH!, KW!, CO!, a);
    const y = new Float64Array(sizeOf(shape));
    forEachTap(N!, g, (xa, wa, ya) => {
      for (let c = 0; c < C!; c++) for (let o = 0; o < CO!; o++) y[ya + o] += x!.data[xa + c]! * w!.data[wa + c * CO! + o]!;
    });
    return { shape, data: y };
  },
  vjp: (g, { inputs: [x, w], attrs }) => {
    const [H, W] = x!.shape.slice(1, 3) as number[];
    const [KH, KW] = w!.shape as number[];
    return [conv2dBackwardInput(g, w!, attrsOf(attrs), [H!, W!]), conv2dBackwardFilter(x!, g, attrsOf(attrs), [KH!, KW!])];
  },
  lowerKernel(ctx, a) {
    if (ctx.simdGemm) return simdForward(ctx, ctx.simdGemm, a);
    const [xr, wr] = ctx.inputs as [TensorRef, TensorRef];
    const [N, H, W, C] = dimsOf(xr) as [number | "n", number, number, number];
    const [KH, KW, , CO] = dimsOf(wr) as number[];
    const g = geometry(H, W, C, KH!, KW!, CO!, a);
    const X = flat(xr), Wt = flat(wr);
    const nm = namer(ctx);
    const { pixels, channels } = FORWARD_BLOCK;
    return [
      "// y[b, i, j, :] = Σ over taps (kh, kw, ci) inside x of x[b, i·sh + kh·dh − top, j·sw + kw·dw − left, ci] · w[kh, kw, ci, :]",
      `// (${pixels} neighbouring pixels × ${channels} channels summed in locals s; wt = w's row of tap t)`,
      ...overPixels(nm, g, N, pixels, (xw, o, khLo, khHi, kwLo, kwHi, count) =>
        channelBlocks(nm, CO!, (c0, width) => {
          const s = grid(nm, "s", count, width), xs = range(count).map((p) => nm(`x${p}`)), ws = range(width).map((c) => nm(`w${c}`));
          const kh = nm("kh"), xk = nm("xk"), wk = nm("wk");
          return [
            ...s.map((row) => `let ${row.map((v) => `${v} = 0`).join(", ")};`),
            `for (let ${kh} = ${khLo}; ${kh} < ${khHi}; ${kh}++) {`,
            `const ${xk} = ${lin([[xw, 1], [kh, g.rows.d * W * C]])};`,
            `const ${wk} = ${addOffset(lin([[kh, KW! * C * CO!]]), c0)};`,
            ...sweepRow(nm, g, xk, wk, kwLo, kwHi, (xi, wi) => [
              ...xs.map((xp, p) => `const ${xp} = ${element(X, plus(xi, p * g.cols.s * C))};`),
              ...ws.map((wc, c) => `const ${wc} = ${element(Wt, plus(wi, c))};`),
              ...s.flatMap((row, p) => row.map((v, c) => `${v} += ${xs[p]} * ${ws[c]};`)),
            ]),
            "}",
            // Each finished sum goes through ctx.store, which applies a fused bias/activation epilogue.
            ...s.flatMap((row, p) => row.flatMap((v, c) => ctx.store(plus(addOffset(o, c0), p * CO! + c), typeof c0 === "number" ? c0 + c : plus(c0, c), v))),
          ];
        }, channels),
      ),
    ];
  },
  notation: ([x, w], a) => `${x} ⊛ ${w}${note(a)}`,
});

export const conv2dBackwardInputOp = defineOp({
  name: "conv2dBackwardInput",
  // Each element of g meets every filter entry of its output channel, as in the forward pass.
  flops: (n, c) => 2 * c.size(n.inputs[0]!) * windowOf(n.inputs[1]!.shape),
  kind: "kernel",
  shape: ([g, w], a) => {
    const [OH, OW, CO] = staticDims(g!, "the output gradient");
    const [KH, KW, C, CO2] = staticDims(w!, "the filters", 0);
    if (CO !== CO2) throw new ShapeError(`the filters ${formatShape(w!.shape)} have ${CO2} output channels, the gradient ${formatShape(g!.shape)} has ${CO}`);
    const [H, W] = a.inSize as [number, number];
    const geo = geometry(H, W, C!, KH!, KW!, CO!, a);
    if (geo.rows.out !== OH || geo.cols.out !== OW) throw new ShapeError(`a ${H}×${W} input gives a ${geo.rows.out}×${geo.cols.out} output, the gradient is ${OH}×${OW}`);
    return [g!.shape[0]!, H, W, C!] as Dim[];
  },
  eval: ([g, w], a, shape) => {
    const [N, H, W, C] = shape as number[];
    const [KH, KW, , CO] = w!.shape as number[];
    const geo = geometry(H!, W!, C!, KH!, KW!, CO!, a);
    const dx = new Float64Array(sizeOf(shape));
    forEachTap(N!, geo, (xa, wa, ya) => {
      for (let c = 0; c < C!; c++) for (let o = 0; o < CO!; o++) dx[xa + c] += g!.data[ya + o]! * w!.data[wa + c * CO! + o]!;
    });
    return { shape, data: dx };
  },
  // Σ h·convᵀ(g, w) = T(h, w, g): ∂/∂g = conv2d(h, w), ∂/∂w = filter gradient of (h, g).
  vjp: (h, { inputs: [g, w], attrs }) => {
    const [KH, KW] = w!.shape as number[];
    return [conv2dWithAttrs(h, w!, attrsOf(attrs)), conv2dBackwardFilter(h, g!, attrsOf(attrs), [KH!, KW!])];
  },
  lowerKernel(ctx, a) {
    if (ctx.simdGemm) return simdBackwardInput(ctx, ctx.simdGemm, a);
    const [gr, wr] = ctx.inputs as [TensorRef, TensorRef];
    const [N, H, W, C] = dimsOf(ctx.output) as [number | "n", number, number, number];
    const [KH, KW, , CO] = dimsOf(wr) as number[];
    const geo = geometry(H, W, C, KH!, KW!, CO!, a);
    const G = flat(gr), Wt = flat(wr), DX = ctx.output.array;
    const nm = namer(ctx);
    const { pixels, channels } = INPUT_GRAD_BLOCK;
    return [
      "// ∂L/∂x[b, i·sh + kh·dh − top, j·sw + kw·dw − left, ci] += Σ_co g[b, i, j, co] · w[kh, kw, ci, co], scattered from each output pixel",
      `// (${pixels} neighbouring pixels × ${channels} channels of g held in locals; wt = w's row of tap t)`,
      `${DX}.fill(0);`,
      ...overPixels(nm, geo, N, pixels, (xw, o, khLo, khHi, kwLo, kwHi, count) =>
        channelBlocks(nm, CO!, (c0, width) => {
          const gv = grid(nm, "g", count, width), ws = range(width).map((c) => nm(`w${c}`));
          const kh = nm("kh"), xk = nm("xk"), wk = nm("wk");
          return [
            ...gv.flatMap((row, p) => row.map((v, c) => `const ${v} = ${element(G, plus(addOffset(o, c0), p * CO! + c))};`)),
            `for (let ${kh} = ${khLo}; ${kh} < ${khHi}; ${kh}++) {`,
            `const ${xk} = ${lin([[xw, 1], [kh, geo.rows.d * W * C]])};`,
            `const ${wk} = ${addOffset(lin([[kh, KW! * C * CO!]]), c0)};`,
            ...sweepRow(nm, geo, xk, wk, kwLo, kwHi, (xi, wi) => [
              ...ws.map((wc, c) => `const ${wc} = ${element(Wt, plus(wi, c))};`),
              ...gv.map((row, p) => `${element(DX, plus(xi, p * geo.cols.s * C))} += ${row.map((v, c) => `${v} * ${ws[c]}`).join(" + ")};`),
            ]),
            "}",
          ];
        }, channels),
      ),
    ];
  },
  notation: ([g, w], a) => `${g} ⊛ᵀ ${w}${note(a)}`,
});

export const conv2dBackwardFilterOp = defineOp({
  name: "conv2dBackwardFilter",
  // Each element of g meets a kh·kw·Cin window of x, as in the forward pass.
  flops: (n, c) => 2 * c.size(n.inputs[1]!) * windowOf(n.shape),
  kind: "kernel",
  shape: ([x, g], a) => {
    const [H, W, C] = staticDims(x!, "the input");
    const [OH, OW, CO] = staticDims(g!, "the output gradient");
    if (x!.shape[0] !== g!.shape[0]) throw new ShapeError(`the input ${formatShape(x!.shape)} and the gradient ${formatShape(g!.shape)} differ in batch size`);
    const [KH, KW] = a.kernel as [number, number];
    const geo = geometry(H!, W!, C!, KH, KW, CO!, a);
    if (geo.rows.out !== OH || geo.cols.out !== OW) throw new ShapeError(`a ${H}×${W} input gives a ${geo.rows.out}×${geo.cols.out} output, the gradient is ${OH}×${OW}`);
    return [KH, KW, C!, CO!];
  },
  eval: ([x, g], a, shape) => {
    const [N, H, W, C] = x!.shape as number[];
    const [KH, KW, , CO] = shape as number[];
    const geo = geometry(H!, W!, C!, KH!, KW!, CO!, a);
    const dw = new Float64Array(sizeOf(shape));
    forEachTap(N!, geo, (xa, wa, ya) => {
      for (let c = 0; c < C!; c++) for (let o = 0; o < CO!; o++) dw[wa + c * CO! + o] += x!.data[xa + c]! * g!.data[ya + o]!;
    });
    return { shape, data: dw };
  },
  // Σ h·(filter gradient of x, g) = T(x, h, g): ∂/∂x = convᵀ(g, h), ∂/∂g = conv2d(x, h).
  vjp: (h, { inputs: [x, g], attrs }) => {
    const [H, W] = x!.shape.slice(1, 3) as number[];
    return [conv2dBackwardInput(g!, h, attrsOf(attrs), [H!, W!]), conv2dWithAttrs(x!, h, attrsOf(attrs))];
  },
  lowerKernel(ctx, a) {
    if (ctx.simdGemm) return simdBackwardFilter(ctx, ctx.simdGemm, a);
    const [xr, gr] = ctx.inputs as [TensorRef, TensorRef];
    const [N, H, W, C] = dimsOf(xr) as [number | "n", number, number, number];
    const [KH, KW, , CO] = dimsOf(ctx.output) as number[];
    const geo = geometry(H, W, C, KH!, KW!, CO!, a);
    const { rows: R, cols: Q } = geo;
    const X = flat(xr), G = flat(gr), DW = ctx.output.array;
    const nm = namer(ctx);
    const { taps, channels } = FILTER_GRAD_BLOCK;
    const kh = nm("kh"), b = nm("bi"), i = nm("oh"), j = nm("ow");
    const xo = nm("xo"), xr0 = nm("xr"), gr0 = nm("gr"), xi = nm("xi"), gi = nm("gi");
    const xs = range(taps).map((p) => nm(`x${p}`)), gs = range(channels).map((c) => nm(`g${c}`));
    // Output rows i whose tap kh is inside x: i·sh + kh·dh − top ∈ [0, H); likewise columns for tap kw.
    const iRange = clippedRange(nm, "oh", times(kh, R.d), 0, (R.k - 1) * R.d, R.p0, R.s, R.size, R.out);
    /**
     * The sums for `count` neighbouring taps (x offsets 1 apart, the first at xo) × `width` channels
     * from c0, over b and the output pixels [jLo, jHi); then stored at w's flat entry `entry` (tap 0, c0).
     */
    const sums = (count: number, jLo: string | number, jHi: string | number, entry: string) => (c0: string | number, width: number) => {
      const s = grid(nm, "s", count, width);
      return [
        ...s.map((row) => `let ${row.map((v) => `${v} = 0`).join(", ")};`),
        `for (let ${b} = 0; ${b} < ${N}; ${b}++) {`,
        `for (let ${i} = ${iRange.lo}; ${i} < ${iRange.hi}; ${i}++) {`,
        `const ${xr0} = ${lin([[xo, 1], [b, H * W * C], [i, R.s * W * C]])};`,
        `const ${gr0} = ${addOffset(lin([[b, R.out * Q.out * CO!], [i, Q.out * CO!]]), c0)};`,
        `for (let ${j} = ${jLo}; ${j} < ${jHi}; ${j}++) {`,
        `const ${xi} = ${lin([[xr0, 1], [j, Q.s * C]])};`,
        `const ${gi} = ${lin([[gr0, 1], [j, CO!]])};`,
        ...xs.slice(0, count).map((xp, p) => `const ${xp} = ${element(X, plus(xi, p))};`),
        ...gs.slice(0, width).map((gc, c) => `const ${gc} = ${element(G, plus(gi, c))};`),
        ...s.flatMap((row, p) => row.map((v, c) => `${v} += ${xs[p]} * ${gs[c]};`)),
        "}",
        "}",
        "}",
        ...s.flatMap((row, p) => row.map((v, c) => `${DW}[${plus(addOffset(entry, c0), p * CO! + c)}] = ${v};`)),
      ];
    };
    const tapBlock = (tap: string | number, count: number, jLo: string | number, jHi: string | number, tapEntry: (tap: string | number) => string, xOffset: (tap: string | number) => string) => [
      `const ${xo} = ${xOffset(tap)};`,
      ...channelBlocks(nm, CO!, sums(count, jLo, jHi, tapEntry(tap)), channels),
    ];
    const body: string[] = [];
    if (Q.d === 1 && !clipsLow(Q) && !clipsHigh(Q)) {
      // No column of taps is ever clipped and kw·C + ci runs contiguously in x and w: one tap index t.
      body.push(
        ...blocks(nm, "t", KW! * C, taps, (t0, count) =>
          tapBlock(t0, count, 0, Q.out, (tp) => lin([[kh, KW! * C * CO!], [tp, CO!]]), (tp) => lin([[kh, R.d * W * C], [tp, 1]], -R.p0 * W * C)),
        ),
      );
    } else {
      const kw = nm("kw");
      const jRange = clippedRange(nm, "ow", times(kw, Q.d), 0, (Q.k - 1) * Q.d, Q.p0, Q.s, Q.size, Q.out);
      body.push(
        `for (let ${kw} = 0; ${kw} < ${KW}; ${kw}++) {`,
        ...jRange.lines,
        ...blocks(nm, "ci", C, taps, (ci0, count) =>
          tapBlock(ci0, count, jRange.lo, jRange.hi, (tp) => lin([[kh, KW! * C * CO!], [kw, C * CO!], [tp, CO!]]), (tp) => lin([[kh, R.d * W * C], [kw, Q.d * C], [tp, 1]], -R.p0 * W * C - Q.p0 * C)),
        ),
        "}",
      );
    }
    return [
      "// ∂L/∂w[kh, kw, ci, :] = Σ over b and output pixels (i, j) whose tap is inside x of x[b, i·sh + kh·dh − top, j·sw + kw·dw − left, ci] · g[b, i, j, :]",
      `// (${taps} neighbouring taps × ${channels} channels summed in locals s; xo = x's offset of the taps at output pixel (0, 0))`,
      `for (let ${kh} = 0; ${kh} < ${KH}; ${kh}++) {`,
      ...iRange.lines,
      ...body,
      "}",
    ];
  },
  notation: ([x, g], a) => `${x}ᵀ ⊛ ${g}${note(a)}`,
});

/** kh·kw·Cin of a filter shape [kh, kw, Cin, Cout]: the length of each output element's dot product. */
const windowOf = (w: readonly (number | string)[]): number => (w[0] as number) * (w[1] as number) * (w[2] as number);

// ── the nodes the derivative rules build ──────────────────────────────────────────────────────────

/** ∂L/∂x of y = conv2d(x, w) given g = ∂L/∂y: the transposed convolution, back to x's [H, W]. */
export const conv2dBackwardInput = (g: Node, w: Node, attrs: ConvAttrs, inSize: readonly [number, number]): Node =>
  make(conv2dBackwardInputOp, [g, w], { stride: attrs.stride, padding: attrs.padding, dilation: attrs.dilation, inSize });

/** ∂L/∂w of y = conv2d(x, w) given g = ∂L/∂y: Σ over batch and positions of x's patches times g. */
export const conv2dBackwardFilter = (x: Node, g: Node, attrs: ConvAttrs, kernel: readonly [number, number]): Node =>
  make(conv2dBackwardFilterOp, [x, g], { stride: attrs.stride, padding: attrs.padding, dilation: attrs.dilation, kernel });

/** conv2d with its attrs given whole (the DSL's conv2d, ../dsl/conv.ts, checks and normalizes a model's options). */
export const conv2dWithAttrs = (x: Node, w: Node, attrs: ConvAttrs): Node => make(conv2dOp, [x, w], { stride: attrs.stride, padding: attrs.padding, dilation: attrs.dilation });
