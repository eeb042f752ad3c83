// float32 modules: conv2d and its two gradient ops as matrix products on the runtime's WebAssembly SIMD
// GEMM (the ops' lowerKernel, ./conv.ts, calls these when the module has the engine; float64 modules
// keep the scalar loop nests there).
//
// With P the patch matrix [n·OH·OW, KH·KW·C] (row m: output pixel m's receptive field, tap (kh, kw, ci)
// at column (kh·KW + kw)·C + ci, 0 where the tap falls in the padding) and w read as [KH·KW·C, CO]:
//   conv2d               y  = P · w            (im2col, then one product)
//   conv2dBackwardInput  ∂x = col2im(g · wᵀ)   (each pixel's row of field gradients added back into x)
//   conv2dBackwardFilter ∂w = Pᵀ · g            (P read transposed; g's rows of CO as B's vectors)
// The scalar loop nests (./conv.ts) ran W5 (examples/mnist-cnn) at a fraction of what the SIMD kernel does on
// the same multiply-adds (bench/RESULTS.md, W5 notes). x is copied into the engine's memory and P made
// there by the runtime's im2col (and ∂x gathered from it by col2im), WebAssembly functions in the same
// module as the product that move whole filter rows four floats at a time: emitted JavaScript that moved
// P one float at a time was most of that CNN's step outside its products. Sums run in k order with
// float32 rounding at each step (runtime/gemm.ts): the same bits on every machine and every run.
import type { Attrs } from "../ir/node.js";
import { clipsHigh, clipsLow, geometry, type ConvGeometry } from "./convGeometry.js";
import { dimsOf, flat, namer, times, type Namer } from "./kernelLoops.js";
import { element, type KernelContext, type TensorRef } from "./op.js";
import { simdEpilogue } from "./simdEpilogue.js";

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
 * The arguments of the runtime's im2col/col2im (runtime/gemm.ts `Patches`) for x at offset `xAt` and P
 * at `pAt` in the engine's memory: the batch, x's size, the filter's, the output's, strides, dilations
 * and the top and left padding (a tap beyond the bottom or right edge falls outside x and is skipped).
 */
function patchArgs(g: ConvGeometry, N: number | "n", xAt: string | number, pAt: string | number): string {
  const { rows: R, cols: Q } = g;
  return [xAt, pAt, N, R.size, Q.size, g.C, R.k, Q.k, R.out, Q.out, R.s, Q.s, R.d, Q.d, R.p0, Q.p0].join(", ");
}

/** x [N, H, W, C] copied into the engine's memory at `at` (a workspace may be longer than this batch needs: only its first rows). */
const imageInto = (mem: string, X: string, g: ConvGeometry, N: number | "n", at: string): string =>
  `${mem}.set(${X}.subarray(0, ${imageSize(g, N)}), ${at});`;

const imageSize = (g: ConvGeometry, N: number | "n"): string | number => (typeof N === "number" ? N * g.rows.size * g.cols.size * g.C : times("n", g.rows.size * g.cols.size * g.C));

/**
 * Whether the runtime's direct convolution (scripts/conv-wat.js) computes P · w here: no padding, output
 * channels in fours, and few input channels, where making P costs most (P is KH·KW·C floats a pixel
 * against C in x). Measured on the MNIST CNN's convolutions (bench: W5, 2026-12-07): 5×5 on 1 channel 0.39
 * against 0.78 ms with im2col and the product, 5×5 on 8 channels 0.63 against 0.71 ms.
 */
const directForward = (g: ConvGeometry): boolean => unpadded(g) && g.CO % 4 === 0 && g.C <= 8;
/** The same for the filter gradient Pᵀ · g: 0.42 against 0.74 ms on 1 channel, but 0.92 against 0.79 on 8. */
const directFilter = (g: ConvGeometry): boolean => unpadded(g) && g.CO % 4 === 0 && g.C <= 2;
/** No tap of any output pixel falls in the padding (padding that no tap reaches is no padding). */
const unpadded = (g: ConvGeometry): boolean => ![g.rows, g.cols].some((a) => clipsLow(a) || clipsHigh(a));

/** The direct convolution's geometry arguments (runtime/gemm.ts `DirectConv`). */
function directArgs(g: ConvGeometry, N: number | "n"): string {
  const { rows: R, cols: Q } = g;
  return [N, R.size, Q.size, g.C, R.k, Q.k, R.out, Q.out, R.s, Q.s, R.d, Q.d, g.CO].join(", ");
}

export function simdForward(ctx: KernelContext, engine: string, a: Attrs): string[] {
  const [xr, wr] = ctx.inputs as [TensorRef, TensorRef];
  const [N, H, W, C] = dimsOf(xr) as [number | "n", number, number, number];
  const [KH, KW, , CO] = dimsOf(wr) as number[];
  const g = geometry(H, W, C, KH!, KW!, CO!, a);
  const X = flat(xr), Wt = flat(wr), K = KH! * KW! * C;
  const nm = namer(ctx);
  const fused = simdEpilogue(ctx);
  const direct = directForward(g);
  const wAt = nm("wAt"), bAt = nm("bAt"), yAt = nm("yAt"), xAt = nm("xAt"), sAt = nm("sAt");
  // The engine's memory: P (unless the convolution is direct), w, the bias when the runtime adds it, y,
  // x, and the direct convolution's table of K tap offsets.
  const offsets: [string, string][] = [
    [wAt, direct ? "0" : times(nm("rows"), K)],
    ...(fused?.bias ? [[bAt, `${wAt} + ${K * CO!}`] as [string, string]] : []),
    [yAt, fused?.bias ? `${bAt} + ${CO}` : `${wAt} + ${K * CO!}`],
    [xAt, `${yAt} + ${times(nm("rows"), CO!)}`],
    ...(direct ? [[sAt, `${xAt} + ${imageSize(g, N)}`] as [string, string]] : []),
  ];
  const { rows, mem, lines } = simdPrologue(nm, engine, N, g, offsets, direct ? `${sAt} + ${K}` : `${xAt} + ${imageSize(g, N)}`);
  const e = nm("e"), c = nm("c");
  const product = [
    ...lines,
    imageInto(mem, X, g, N, xAt),
    ...(direct ? [] : [`${engine}.im2col(${patchArgs(g, N, xAt, 0)});`]),
    `${mem}.set(${Wt}, ${wAt});`,
    direct ? `${engine}.convForward(${xAt}, ${wAt}, ${yAt}, ${sAt}, ${directArgs(g, N)});` : `${engine}.productAt(${rows}, ${CO}, ${K}, 0, ${K}, 1, ${wAt}, ${CO}, ${yAt});`,
  ];
  const field = `P [n·${g.rows.out}·${g.cols.out}, ${KH}·${KW}·${C}] holds each output pixel's receptive field`;
  const how = direct ? `a direct convolution (x read where im2col would copy it from; ${C === 1 ? "one input channel" : `${C} input channels`}), where ${field}` : `the SIMD product, where ${field}`;
  if (fused) {
    return [
      `// y = ${fused.relu ? "relu(" : ""}P · w${fused.bias ? ` + ${ctx.label(fused.bias)}` : ""}${fused.relu ? ")" : ""} on the runtime's WebAssembly: ${how}`,
      `// ${direct ? "" : "(im2col), "}w is [${K}, ${CO}] as stored; then the ${fused.bias ? "bias" : ""}${fused.bias && fused.relu ? " and " : ""}${fused.relu ? "ReLU" : ""} in place (epilogue) and y copied out`,
      ...product.slice(0, -1),
      ...(fused.bias ? [`${mem}.set(${ctx.array(fused.bias)}, ${bAt});`] : []),
      product[product.length - 1]!,
      `${engine}.epilogue(${yAt}, ${rows}, ${CO}, ${fused.bias ? bAt : -1}, ${fused.relu ? 1 : 0});`,
      `${ctx.output.array}.set(${mem}.subarray(${yAt}, ${yAt} + ${times(rows, CO!)}));`,
    ];
  }
  return [
    `// y = P · w on the runtime's WebAssembly: ${how}`,
    `// ${direct ? "" : "(im2col), "}w is [${K}, ${CO}] as stored; then the epilogue as each element of y is stored`,
    ...product,
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
  const wAt = nm("wAt"), pAt = nm("pAt"), dxAt = nm("dxAt"), t = nm("t"), c = nm("c");
  const size = imageSize(geo, N);
  const { rows, mem, lines } = simdPrologue(nm, engine, N, geo, [[wAt, times(nm("rows"), CO!)], [pAt, `${wAt} + ${K * CO!}`], [dxAt, `${pAt} + ${times(nm("rows"), K)}`]], `${dxAt} + ${size}`);
  return [
    `// ∂L/∂x = col2im(g · wᵀ): the runtime's WebAssembly SIMD product gives each output pixel's gradient of its receptive field`,
    `// (a row of [${KH}·${KW}·${C}]), which col2im (on the runtime's WebAssembly too) adds back into the places of x it was read from`,
    ...lines,
    // (a workspace may be longer than this batch needs: copy only its first rows·CO elements)
    `${mem}.set(${G}.subarray(0, ${times(rows, CO!)}), 0);`,
    `for (let ${t} = 0; ${t} < ${K}; ${t}++) for (let ${c} = 0; ${c} < ${CO}; ${c}++) ${mem}[${wAt} + ${c} * ${K} + ${t}] = ${element(Wt, `${t} * ${CO} + ${c}`)};`,
    `${engine}.productAt(${rows}, ${K}, ${CO}, 0, ${CO}, 1, ${wAt}, ${K}, ${pAt});`,
    `${mem}.fill(0, ${dxAt}, ${dxAt} + ${size});`,
    `${engine}.col2im(${patchArgs(geo, N, dxAt, pAt)});`,
    `${DX}.set(${mem}.subarray(${dxAt}, ${dxAt} + ${size}));`,
  ];
}

export function simdBackwardFilter(ctx: KernelContext, engine: string, a: Attrs): string[] {
  const [xr, gr] = ctx.inputs as [TensorRef, TensorRef];
  const [N, H, W, C] = dimsOf(xr) as [number | "n", number, number, number];
  const [KH, KW, , CO] = dimsOf(ctx.output) as number[];
  const geo = geometry(H, W, C, KH!, KW!, CO!, a);
  const X = flat(xr), G = flat(gr), DW = ctx.output.array, K = KH! * KW! * C;
  const nm = namer(ctx);
  const gAt = nm("gAt"), cAt = nm("cAt"), xAt = nm("xAt"), sAt = nm("sAt");
  if (directFilter(geo)) {
    // The engine's memory: x, g, ∂w, the table of K tap offsets.
    const { rows, mem, lines } = simdPrologue(nm, engine, N, geo, [[xAt, "0"], [gAt, `${xAt} + ${imageSize(geo, N)}`], [cAt, `${gAt} + ${times(nm("rows"), CO!)}`], [sAt, `${cAt} + ${K * CO!}`]], `${sAt} + ${K}`);
    return [
      `// ∂L/∂w = Pᵀ · g on the runtime's WebAssembly: a direct filter gradient (x read where im2col would copy it from; ${C === 1 ? "one input channel" : `${C} input channels`}),`,
      `// where P [n·${geo.rows.out}·${geo.cols.out}, ${KH}·${KW}·${C}] holds each output pixel's receptive field; the sums run over the batch and the output pixels in order`,
      ...lines,
      imageInto(mem, X, geo, N, xAt),
      `${mem}.set(${G}.subarray(0, ${times(rows, CO!)}), ${gAt});`,
      `${engine}.convFilter(${xAt}, ${gAt}, ${cAt}, ${sAt}, ${directArgs(geo, N)});`,
      `${DW}.set(${mem}.subarray(${cAt}, ${cAt} + ${K * CO!}));`,
    ];
  }
  const { rows, mem, lines } = simdPrologue(nm, engine, N, geo, [[gAt, times(nm("rows"), K)], [cAt, `${gAt} + ${times(nm("rows"), CO!)}`], [xAt, `${cAt} + ${K * CO!}`]], `${xAt} + ${imageSize(geo, N)}`);
  return [
    `// ∂L/∂w = Pᵀ · g on the runtime's WebAssembly SIMD product: P [n·${geo.rows.out}·${geo.cols.out}, ${KH}·${KW}·${C}] holds each output pixel's receptive field`,
    `// (im2col, on the runtime's WebAssembly too), the sums run over the batch and the output pixels in order; the [${K}, ${CO}] result is w's layout`,
    ...lines,
    imageInto(mem, X, geo, N, xAt),
    `${engine}.im2col(${patchArgs(geo, N, xAt, 0)});`,
    `${mem}.set(${G}.subarray(0, ${times(rows, CO!)}), ${gAt});`,
    `${engine}.productAt(${K}, ${CO}, ${rows}, 0, 1, ${K}, ${gAt}, ${CO}, ${cAt});`,
    `${DW}.set(${mem}.subarray(${cAt}, ${cAt} + ${K * CO!}));`,
  ];
}
