// Pooling in NHWC: maxPool2d and avgPool2d over kh×kw windows (stride, symmetric padding of at most
// half the window), and their adjoints.
//   maxPool2d(x)             y[b, i, j, c] = max over the window's positions inside x (padding never wins)
//   maxPool2dBackward(x, g)  ∂L/∂x: each window's g[b, i, j, c] goes to the window's first argmax
//                            (row-major within the window: the first maximum on ties, as PyTorch;
//                            a NaN is the maximum, the last NaN of the window if several, as PyTorch's
//                            `val > max || isnan(val)`: a diverged input is never skipped)
//   maxPool2dSelect(x, h)    h read at each window's argmax: the adjoint of maxPool2dBackward in g
//   avgPool2d(x)             y = Σ window / (kh·kw): padded positions count as zeros (PyTorch's
//                            count_include_pad=True)
//   avgPool2dBackward(g)     ∂L/∂x: g / (kh·kw) spread over each window; its adjoint is avgPool2d
// The argmax is recomputed from x in the backward kernel (a comparison per window position), so the
// forward pass stores nothing extra.
import { make } from "../ir/context.js";
import type { Attrs, Node } from "../ir/node.js";
import { formatShape, sameShape, ShapeError, type Dim } from "../ir/shape.js";
import { sizeOf, type Tensor } from "../ir/tensor.js";
import { axis, type ConvGeometry } from "./convGeometry.js";
import { addOffset, flat, lin, namer, plus, range, times, unrolledNest, type Namer } from "./kernelLoops.js";
import { defineOp, element, type KernelContext, type KernelParts, type TensorRef } from "./op.js";
import { simdReluMask } from "./simdEpilogue.js";
import { channelBlocks, overPixels } from "./windowLoops.js";

/** Attrs of the pooling ops: window, stride and symmetric padding [rows, columns]. */
export interface PoolAttrs {
  readonly size: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number];
  [k: string]: unknown;
}

/** Channels kept in locals by the argmax kernels (a value and a position each). */
const ARGMAX_BLOCK = 8;

const attrsOf = (a: Attrs): PoolAttrs => a as PoolAttrs;

/** The pooling geometry as a convolution's (one channel in, one out; dilation 1). */
function geometry(H: number, W: number, C: number, a: Attrs): ConvGeometry {
  const { size: [kh, kw], stride: [sh, sw], padding: [ph, pw] } = attrsOf(a);
  return { C, CO: C, rows: axis(H, kh, sh, 1, ph, ph), cols: axis(W, kw, sw, 1, pw, pw) };
}

function nhwc(x: Node, what: string): [number, number, number] {
  const rest = x.shape.slice(1);
  if (x.shape.length !== 4 || !rest.every((d) => typeof d === "number")) {
    throw new ShapeError(`${what} must be an NHWC tensor [batch, height, width, channels] with static height, width and channels, got ${formatShape(x.shape)}`);
  }
  return rest as [number, number, number];
}

/** [batch, out rows, out cols, C] of pooling x (checked). */
function pooledShape(x: Node, a: Attrs, what = "the input"): Dim[] {
  const [H, W, C] = nhwc(x, what);
  const g = geometry(H, W, C, a);
  if (g.rows.out < 1 || g.cols.out < 1) throw new ShapeError(`the ${g.rows.k}×${g.cols.k} window does not fit the padded ${H}×${W} input`);
  return [x.shape[0]!, g.rows.out, g.cols.out, C];
}

/** The window ("2×2") and, when not the defaults, the stride and padding ("stride 1, pad 1"). */
function windowNote(a: Attrs): { win: string; extra: string } {
  const { size: [kh, kw], stride: [sh, sw], padding: [ph, pw] } = attrsOf(a);
  const extra = [sh !== kh || sw !== kw ? `stride ${sh === sw ? sh : `${sh}×${sw}`}` : "", ph || pw ? `pad ${ph === pw ? ph : `${ph}×${pw}`}` : ""].filter(Boolean);
  return { win: `${kh}×${kw}`, extra: extra.length ? `; ${extra.join(", ")}` : "" };
}

/** `name2×2(operand; stride 1)` */
const pooled = (name: string, a: Attrs, operand: string): string => {
  const { win, extra } = windowNote(a);
  return `${name}${win}(${operand}${extra})`;
};

// ── reference semantics ───────────────────────────────────────────────────────────────────────────

/** For each (b, i, j): the flat x offsets (channel 0) of the window's positions inside x, row-major, and y's offset. */
function forEachWindow(N: number, g: ConvGeometry, f: (taps: number[], yAt: number) => void): void {
  const { rows: R, cols: Q, C } = g;
  for (let b = 0; b < N; b++)
    for (let i = 0; i < R.out; i++)
      for (let j = 0; j < Q.out; j++) {
        const taps: number[] = [];
        for (let p = 0; p < R.k; p++) {
          const ih = i * R.s - R.p0 + p;
          if (ih < 0 || ih >= R.size) continue;
          for (let q = 0; q < Q.k; q++) {
            const iw = j * Q.s - Q.p0 + q;
            if (iw >= 0 && iw < Q.size) taps.push(((b * R.size + ih) * Q.size + iw) * C);
          }
        }
        f(taps, ((b * R.out + i) * Q.out + j) * C);
      }
}

/** The flat index of the first maximum of x over the taps, in channel c (of the last NaN, if any). */
function argmaxAt(x: Tensor, taps: readonly number[], c: number): number {
  let best = taps[0]! + c;
  for (const t of taps) if (beats(x.data[t + c]!, x.data[best]!)) best = t + c;
  return best;
}

/** Whether v replaces the window's maximum m so far: a larger value, or NaN (PyTorch's max_pool2d). */
const beats = (v: number, m: number): boolean => v > m || v !== v;
// The same test in emitted code, without a branch: which value of a window is the largest is as good as
// random, and a mispredicted jump per comparison cost more than the rest of the kernel. The running
// maximum is gradc/runtime's poolMax (runtime/branchless.ts: `beats(v, m) ? v : m` through a two-slot
// table); the argmax moves by the test as a number, 1 or 0 (`at += beats·(xk − at)`, exact on indices).
/** `beats(v, m)` as 1 or 0, in emitted code. */
const beatsCode = (v: string, m: string): string => `+(${v} > ${m}) | +(${v} !== ${v})`;

const evalGeometry = (x: readonly number[], a: Attrs) => geometry(x[1]!, x[2]!, x[3]!, a);

// ── emitted code ──────────────────────────────────────────────────────────────────────────────────

/**
 * The loops over the window of the current pixel (clipped to x) around `body(xk)`, xk being the
 * flat x index of the window position's channel c0.
 */
function overWindow(nm: Namer, g: ConvGeometry, xw: string, c0: string | number, khLo: string | number, khHi: string | number, kwLo: string | number, kwHi: string | number, body: (xk: string) => string[]): string[] {
  const kh = nm("kh"), kw = nm("kw"), xk = nm("xk");
  return [
    `for (let ${kh} = ${khLo}; ${kh} < ${khHi}; ${kh}++) {`,
    `for (let ${kw} = ${kwLo}; ${kw} < ${kwHi}; ${kw}++) {`,
    `const ${xk} = ${addOffset(lin([[xw, 1], [kh, g.cols.size * g.C], [kw, g.C]]), c0)};`,
    ...body(xk),
    "}",
    "}",
  ];
}

/**
 * Per pixel and channel block: the first argmax of x over the window, as locals `at[k]` (flat x
 * indices), found with strict `>` in row-major window order, starting from the first position inside x;
 * a NaN replaces any maximum (the last NaN wins, as in PyTorch).
 */
function argmaxLines(nm: Namer, g: ConvGeometry, X: string, xw: string, c0: string | number, width: number, lo: [string | number, string | number], hi: [string | number, string | number]): { lines: string[]; at: string[] } {
  const m = range(width).map((k) => nm(`m${k}`)), at = range(width).map((k) => nm(`at${k}`));
  const first = nm("first"), v = range(width).map((k) => nm(`v${k}`));
  const lines = [
    `const ${first} = ${addOffset(lin([[xw, 1], [lo[0], g.cols.size * g.C], [lo[1], g.C]]), c0)};`,
    ...m.map((mk, k) => `let ${mk} = ${element(X, plus(first, k))}, ${at[k]} = ${plus(first, k)};`),
    ...overWindow(nm, g, xw, c0, lo[0], hi[0], lo[1], hi[1], (xk) =>
      m.flatMap((mk, k) => [
        `const ${v[k]} = ${element(X, plus(xk, k))};`,
        `${at[k]} += (${beatsCode(v[k]!, mk)}) * (${plus(xk, k)} - ${at[k]});`,
        `${mk} = poolMax(${mk}, ${v[k]});`,
      ]),
    ),
  ];
  return { lines, at };
}

const dimsOf = (t: TensorRef) => t.dims as readonly (number | "n")[];

// ── float32 modules: on the runtime's WebAssembly (scripts/pool-wat.js) ──────────────────────────
// Max pooling and its gradient there (x copied into the engine's memory, the result copied out) run
// four channels a vector with the same comparisons as poolMax: the JavaScript loop nests, a comparison
// and a table lookup per element, were a fifth of the MNIST CNN's step once its convolutions ran there.

/** `count` elements a batch row, times the batch. */
const size = (N: number | "n", count: number): string | number => (typeof N === "number" ? N * count : times("n", count));

/** Consecutive regions of the engine's memory for the given sizes: their offsets' locals (the first at 0) and the memory. */
function simdImages(nm: Namer, engine: string, regions: readonly [string, string | number][]): { lines: string[]; at: string[]; mem: string } {
  const mem = nm("mem");
  const at = regions.map(([name]) => nm(`${name}At`));
  const lines = at.map((name, k) => `const ${name} = ${k === 0 ? 0 : `${at[k - 1]} + ${regions[k - 1]![1]}`};`);
  return { lines: [...lines, `const ${mem} = ${engine}.reserve(${at[at.length - 1]} + ${regions[regions.length - 1]![1]});`], at, mem };
}

/** The geometry arguments of the runtime's maxPool/maxPoolBackward (runtime/gemm.ts `PoolGeometry`). */
function poolArgs(g: ConvGeometry, N: number | "n"): string {
  return [N, g.rows.size, g.cols.size, g.C, g.rows.k, g.cols.k, g.rows.out, g.cols.out, g.rows.s, g.cols.s, g.rows.p0, g.cols.p0].join(", ");
}

/**
 * A result computed whole into the owner's array by `lines`, then the elementwise chain fused after it
 * (ctx.owner) applied in place, element by element: in the pass's loop over batch rows when it has one,
 * so what reads the result at row i (a bias gradient's sum) joins that loop.
 */
function epilogueAfter(ctx: KernelContext, lines: string[]): KernelParts {
  const out = ctx.output;
  const nest = unrolledNest(out.dims, (idx, suffix) => ctx.epilogue(idx, out.inPlace(...idx), suffix));
  const before = ["{", `// ${ctx.label(ctx.owner)}: first ${ctx.label(ctx.node)} into its array, whole; the rest of its formula follows element by element`, ...lines, "}"];
  return nest.loop ? { pre: before, loop: nest.loop, constWrite: false } : { post: [...before, ...nest.post!], constWrite: false };
}

// ── the ops ───────────────────────────────────────────────────────────────────────────────────────

export const maxPool2dOp = defineOp({
  name: "maxPool2d",
  kind: "kernel",
  runtime: () => ["poolMax"],
  shape: ([x], a) => pooledShape(x!, a),
  eval: ([x], a, shape) => {
    const g = evalGeometry(x!.shape, a);
    const y = new Float64Array(sizeOf(shape));
    forEachWindow(x!.shape[0]!, g, (taps, ya) => {
      for (let c = 0; c < g.C; c++) y[ya + c] = x!.data[argmaxAt(x!, taps, c)]!;
    });
    return { shape, data: y };
  },
  vjp: (g, { inputs: [x], attrs }) => [maxPool2dBackward(x!, g, attrsOf(attrs))],
  lowerKernel(ctx, a) {
    const nm = namer(ctx);
    const [xr] = ctx.inputs as [TensorRef];
    const [N, H, W, C] = dimsOf(xr) as [number | "n", number, number, number];
    const g = geometry(H, W, C, a);
    const X = flat(xr), Y = ctx.output.array;
    if (ctx.simdGemm) {
      const { lines, at, mem } = simdImages(nm, ctx.simdGemm, [["x", size(N, H * W * C)], ["y", size(N, g.rows.out * g.cols.out * C)]]);
      return [
        "// y[b, i, j, :] = max over the window's positions inside x, on the runtime's WebAssembly (four channels a vector); NaN wins, as in PyTorch",
        ...lines,
        `${mem}.set(${X}.subarray(0, ${size(N, H * W * C)}), ${at[0]});`,
        `${ctx.simdGemm}.maxPool(${at[0]}, ${at[1]}, ${poolArgs(g, N)});`,
        `${Y}.set(${mem}.subarray(${at[1]}, ${at[1]} + ${size(N, g.rows.out * g.cols.out * C)}));`,
      ];
    }
    return [
      "// y[b, i, j, :] = max over the window's positions inside x (channels in locals); NaN wins, as in PyTorch",
      ...overPixels(nm, g, N, 1, (xw, o, khLo, khHi, kwLo, kwHi) =>
        channelBlocks(nm, C, (c0, width) => {
          const m = range(width).map((k) => nm(`m${k}`));
          return [
            `let ${m.map((mk) => `${mk} = -Infinity`).join(", ")};`,
            ...overWindow(nm, g, xw, c0, khLo, khHi, kwLo, kwHi, (xk) => m.flatMap((mk, k) => [`${mk} = poolMax(${mk}, ${element(X, plus(xk, k))});`])),
            ...m.map((mk, k) => `${Y}[${plus(addOffset(o, c0), k)}] = ${mk};`),
          ];
        }),
      ),
    ];
  },
  notation: ([x], a) => pooled("maxPool", a, x!),
});

export const maxPool2dBackwardOp = defineOp({
  name: "maxPool2dBackward",
  kind: "kernel",
  runtime: () => ["poolMax"],
  shape: ([x, g], a) => {
    const pooled = pooledShape(x!, a);
    if (!sameShape(pooled, g!.shape)) throw new ShapeError(`pooling ${formatShape(x!.shape)} gives ${formatShape(pooled)}, the gradient is ${formatShape(g!.shape)}`);
    return x!.shape;
  },
  eval: ([x, g], a, shape) => {
    const geo = evalGeometry(x!.shape, a);
    const dx = new Float64Array(sizeOf(shape));
    forEachWindow(x!.shape[0]!, geo, (taps, ya) => {
      for (let c = 0; c < geo.C; c++) dx[argmaxAt(x!, taps, c)] += g!.data[ya + c]!;
    });
    return { shape, data: dx };
  },
  // Linear in g: Σ h·route(g) = Σ g·(h at the argmax). Piecewise constant in x (the argmax moves only at ties).
  vjp: (h, { inputs: [x], attrs }) => [null, maxPool2dSelect(x!, h, attrsOf(attrs))],
  // ∂L/∂x is complete only once every window has added to it; then the elementwise chain after it (the
  // ReLU′ of the layer the pooling follows) runs over it at each element's index (plan.ts).
  indexedEpilogue: true,
  lowerKernel(ctx, a) {
    const nm = namer(ctx);
    const [xr, gr] = ctx.inputs as [TensorRef, TensorRef];
    const [N, H, W, C] = dimsOf(xr) as [number | "n", number, number, number];
    const geo = geometry(H, W, C, a);
    const X = flat(xr), G = flat(gr), DX = ctx.output.array;
    const fused = ctx.owner !== ctx.node;
    if (ctx.simdGemm) {
      const xSize = size(N, H * W * C), ySize = size(N, geo.rows.out * geo.cols.out * C);
      // The ReLU′ of the layer the pooling follows reads x itself (relu's result: > 0 where its input is),
      // already in the engine's memory: masked there (./simdEpilogue.ts). Any other chain: after the copy out.
      const mask = fused ? simdReluMask(ctx) : null;
      const maskOfX = mask !== null && mask.array === X; // z is x, or a reshape of it
      const { lines, at, mem } = simdImages(nm, ctx.simdGemm, [["x", xSize], ["g", ySize], ["dx", xSize]]);
      const scatter = [
        `// ∂L/∂x = 0, then each window's g[b, i, j, c] is added at the window's first argmax of x in channel c, on the runtime's WebAssembly${maskOfX ? `, then ⊙ [${ctx.label(mask.z)} > 0] (relu′) there` : ""}`,
        ...lines,
        `${mem}.set(${X}.subarray(0, ${xSize}), ${at[0]});`,
        `${mem}.set(${G}.subarray(0, ${ySize}), ${at[1]});`,
        `${mem}.fill(0, ${at[2]}, ${at[2]} + ${xSize});`,
        `${ctx.simdGemm}.maxPoolBackward(${at[0]}, ${at[1]}, ${at[2]}, ${poolArgs(geo, N)});`,
        ...(maskOfX ? [`${ctx.simdGemm}.reluMask(${at[2]}, ${at[0]}, ${xSize});`] : []),
        `${DX}.set(${mem}.subarray(${at[2]}, ${at[2]} + ${xSize}));`,
      ];
      return fused && !maskOfX ? epilogueAfter(ctx, scatter) : scatter;
    }
    const scatter = [
      "// ∂L/∂x = 0, then each window's g[b, i, j, c] is added at the window's first argmax of x in channel c",
      `${DX}.fill(0);`,
      ...overPixels(nm, geo, N, 1, (xw, o, khLo, khHi, kwLo, kwHi) =>
        channelBlocks(nm, C, (c0, width) => {
          const { lines, at } = argmaxLines(nm, geo, X, xw, c0, width, [khLo, kwLo], [khHi, kwHi]);
          return [...lines, ...at.map((ak, k) => `${element(DX, ak)} += ${element(G, plus(addOffset(o, c0), k))};`)];
        }, ARGMAX_BLOCK),
      ),
    ];
    return fused ? epilogueAfter(ctx, scatter) : scatter;
  },
  notation: ([x, g], a) => `${g} → ${pooled("argmax", a, x!)}`,
});

export const maxPool2dSelectOp = defineOp({
  name: "maxPool2dSelect",
  kind: "kernel",
  runtime: () => ["poolMax"],
  shape: ([x, h], a) => {
    if (!sameShape(x!.shape, h!.shape)) throw new ShapeError(`the values ${formatShape(h!.shape)} must have the shape of the pooled input ${formatShape(x!.shape)}`);
    return pooledShape(x!, a);
  },
  eval: ([x, h], a, shape) => {
    const geo = evalGeometry(x!.shape, a);
    const y = new Float64Array(sizeOf(shape));
    forEachWindow(x!.shape[0]!, geo, (taps, ya) => {
      for (let c = 0; c < geo.C; c++) y[ya + c] = h!.data[argmaxAt(x!, taps, c)]!;
    });
    return { shape, data: y };
  },
  vjp: (g, { inputs: [x], attrs }) => [null, maxPool2dBackward(x!, g, attrsOf(attrs))],
  lowerKernel(ctx, a) {
    const nm = namer(ctx);
    const [xr, hr] = ctx.inputs as [TensorRef, TensorRef];
    const [N, H, W, C] = dimsOf(xr) as [number | "n", number, number, number];
    const geo = geometry(H, W, C, a);
    const X = flat(xr), HV = flat(hr), Y = ctx.output.array;
    return [
      "// y[b, i, j, c] = h at the window's first argmax of x in channel c",
      ...overPixels(nm, geo, N, 1, (xw, o, khLo, khHi, kwLo, kwHi) =>
        channelBlocks(nm, C, (c0, width) => {
          const { lines, at } = argmaxLines(nm, geo, X, xw, c0, width, [khLo, kwLo], [khHi, kwHi]);
          return [...lines, ...at.map((ak, k) => `${Y}[${plus(addOffset(o, c0), k)}] = ${element(HV, ak)};`)];
        }, ARGMAX_BLOCK),
      ),
    ];
  },
  notation: ([x, h], a) => `${h}[${pooled("argmax", a, x!)}]`,
});

export const avgPool2dOp = defineOp({
  name: "avgPool2d",
  kind: "kernel",
  shape: ([x], a) => pooledShape(x!, a),
  eval: ([x], a, shape) => {
    const g = evalGeometry(x!.shape, a);
    const area = g.rows.k * g.cols.k;
    const y = new Float64Array(sizeOf(shape));
    forEachWindow(x!.shape[0]!, g, (taps, ya) => {
      for (let c = 0; c < g.C; c++) {
        let s = 0;
        for (const t of taps) s += x!.data[t + c]!;
        y[ya + c] = s / area;
      }
    });
    return { shape, data: y };
  },
  vjp: (g, { inputs: [x], attrs }) => [avgPool2dBackward(g, attrsOf(attrs), x!.shape.slice(1, 3) as [number, number])],
  lowerKernel(ctx, a) {
    const nm = namer(ctx);
    const [xr] = ctx.inputs as [TensorRef];
    const [N, H, W, C] = dimsOf(xr) as [number | "n", number, number, number];
    const g = geometry(H, W, C, a);
    const area = g.rows.k * g.cols.k;
    const X = flat(xr), Y = ctx.output.array;
    return [
      `// y[b, i, j, :] = Σ over the window's positions inside x / ${area} (padding counts as zeros)`,
      ...overPixels(nm, g, N, 1, (xw, o, khLo, khHi, kwLo, kwHi) =>
        channelBlocks(nm, C, (c0, width) => {
          const s = range(width).map((k) => nm(`s${k}`));
          return [
            `let ${s.map((v) => `${v} = 0`).join(", ")};`,
            ...overWindow(nm, g, xw, c0, khLo, khHi, kwLo, kwHi, (xk) => s.map((v, k) => `${v} += ${element(X, plus(xk, k))};`)),
            ...s.map((v, k) => `${Y}[${plus(addOffset(o, c0), k)}] = ${v} / ${area};`),
          ];
        }),
      ),
    ];
  },
  notation: ([x], a) => pooled("avgPool", a, x!),
});

export const avgPool2dBackwardOp = defineOp({
  name: "avgPool2dBackward",
  kind: "kernel",
  shape: ([g], a) => {
    const [OH, OW, C] = nhwc(g!, "the gradient");
    const [H, W] = a.inSize as [number, number];
    const geo = geometry(H, W, C, a);
    if (geo.rows.out !== OH || geo.cols.out !== OW) throw new ShapeError(`pooling a ${H}×${W} input gives ${geo.rows.out}×${geo.cols.out}, the gradient is ${OH}×${OW}`);
    return [g!.shape[0]!, H, W, C];
  },
  eval: ([g], a, shape) => {
    const geo = evalGeometry(shape, a);
    const area = geo.rows.k * geo.cols.k;
    const dx = new Float64Array(sizeOf(shape));
    forEachWindow(shape[0]!, geo, (taps, ya) => {
      for (let c = 0; c < geo.C; c++) for (const t of taps) dx[t + c] += g!.data[ya + c]! / area;
    });
    return { shape, data: dx };
  },
  // Linear: Σ h·avgPoolᵀ(g) = Σ g·avgPool(h).
  vjp: (h, { attrs }) => [avgPool2dWithAttrs(h, attrsOf(attrs))],
  lowerKernel(ctx, a) {
    const nm = namer(ctx);
    const [gr] = ctx.inputs as [TensorRef];
    const [N, H, W, C] = dimsOf(ctx.output) as [number | "n", number, number, number];
    const geo = geometry(H, W, C, a);
    const area = geo.rows.k * geo.cols.k;
    const G = flat(gr), DX = ctx.output.array;
    return [
      `// ∂L/∂x = 0, then each window's g / ${area} is added at the window's positions inside x`,
      `${DX}.fill(0);`,
      ...overPixels(nm, geo, N, 1, (xw, o, khLo, khHi, kwLo, kwHi) =>
        channelBlocks(nm, C, (c0, width) => {
          const gv = range(width).map((k) => nm(`g${k}`));
          return [
            ...gv.map((v, k) => `const ${v} = ${element(G, plus(addOffset(o, c0), k))} / ${area};`),
            ...overWindow(nm, geo, xw, c0, khLo, khHi, kwLo, kwHi, (xk) => gv.map((v, k) => `${element(DX, plus(xk, k))} += ${v};`)),
          ];
        }),
      ),
    ];
  },
  notation: ([g], a) => pooled("avgPoolᵀ", a, g!),
});

// ── the nodes the derivative rules build ──────────────────────────────────────────────────────────

const pool = (a: PoolAttrs) => ({ size: a.size, stride: a.stride, padding: a.padding });

/** ∂L/∂x of maxPool2d(x): each window's g goes to the first position attaining the window's max (to the last NaN, if any, as PyTorch). */
export const maxPool2dBackward = (x: Node, g: Node, attrs: PoolAttrs): Node => make(maxPool2dBackwardOp, [x, g], pool(attrs));

/** h read at each window's argmax of x (as maxPool2dBackward picks it): the adjoint of maxPool2dBackward in g. */
export const maxPool2dSelect = (x: Node, h: Node, attrs: PoolAttrs): Node => make(maxPool2dSelectOp, [x, h], pool(attrs));

/** ∂L/∂x of avgPool2d(x): each window's g / (window size), spread over the window. */
export const avgPool2dBackward = (g: Node, attrs: PoolAttrs, inSize: readonly [number, number]): Node =>
  make(avgPool2dBackwardOp, [g], { ...pool(attrs), inSize });

export const avgPool2dWithAttrs = (x: Node, attrs: PoolAttrs): Node => make(avgPool2dOp, [x], pool(attrs));
