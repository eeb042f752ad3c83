// float32 modules: conv2d and its two gradient ops as matrix products on the runtime's WebAssembly SIMD
// GEMM (the ops' lowerKernel, ./conv.ts, calls these when the module has the engine; float64 modules
// keep the scalar loop nests there).
//
// With P the patch matrix [n·OH·OW, KH·KW·C] (row m: output pixel m's receptive field, tap (kh, kw, ci)
// at column (kh·KW + kw)·C + ci, 0 where the tap falls in the padding) and w read as [KH·KW·C, CO]:
//   conv2d               y  = P · w            (im2col, then one product)
//   conv2dBackwardInput  ∂x = col2im(g · wᵀ)   (each pixel's row of field gradients added back into x)
//   conv2dBackwardFilter ∂w = (gᵀ · P)ᵀ        (CO rows of A; P's long rows stream as B's vectors)
// The scalar loop nests (./conv.ts) ran W5 (examples/mnist-cnn) at a fraction of what the SIMD kernel does on
// the same multiply-adds (bench/RESULTS.md, W5 notes); P is written straight into the engine's memory
// (`reserve`), so only the small operands are copied. Sums run in k order with float32 rounding at each
// step (runtime/gemm.ts): the same bits on every machine and every run.
import type { Attrs } from "../ir/node.js";
import { clipsHigh, clipsLow, geometry, type ConvGeometry } from "./convGeometry.js";
import { addOffset, dimsOf, flat, lin, namer, plus, range, times, type Namer } from "./kernelLoops.js";
import { element, type KernelContext, type TensorRef } from "./op.js";
import { overPixels, sweepRow } from "./windowLoops.js";

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

export function simdForward(ctx: KernelContext, engine: string, a: Attrs): string[] {
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

export function simdBackwardInput(ctx: KernelContext, engine: string, a: Attrs): string[] {
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

export function simdBackwardFilter(ctx: KernelContext, engine: string, a: Attrs): string[] {
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
