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
//
// Files: the geometry and reference loop in ./convGeometry.ts, the loops over output pixels and taps in
// ./windowLoops.ts, the float32 SIMD lowering in ./convSimd.ts; here the three ops (shape rule,
// reference eval, derivative, scalar lowering, notation) and the nodes their derivative rules build.
import { make } from "../ir/context.js";
import type { Attrs, Node } from "../ir/node.js";
import { formatShape, ShapeError, type Dim } from "../ir/shape.js";
import { sizeOf } from "../ir/tensor.js";
import { attrsOf, checkOutput, clipsHigh, clipsLow, forEachTap, geometry, staticDims, type ConvAttrs } from "./convGeometry.js";
import { simdBackwardFilter, simdBackwardInput, simdForward } from "./convSimd.js";
import { addOffset, blocks, dimsOf, flat, lin, namer, plus, range, times } from "./kernelLoops.js";
import { defineOp, element, type TensorRef } from "./op.js";
import { channelBlocks, clippedRange, grid, overPixels, sweepRow } from "./windowLoops.js";

export type { ConvAttrs } from "./convGeometry.js";

// ── the scalar loop nests' register blocks ────────────────────────────────────────────────────────

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
