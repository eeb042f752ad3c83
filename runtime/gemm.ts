// Float32 matrix products on WebAssembly SIMD, for the large matmuls of generated f32 trainers
// (compiler/ops/matmul.ts) and their convolutions (compiler/ops/convSimd.ts); beside the product, in
// the same module and memory, what those kernels do around it: im2col and col2im, a bias + ReLU
// epilogue, max pooling with its gradient, the plain SGD update of float32 parameters, direct
// convolutions for few input channels, a gradient's ReLU′ mask and column sums (scripts/patches-wat.js,
// epilogue-wat.js, pool-wat.js, update-wat.js, conv-wat.js, mask-wat.js, sums-wat.js). V8 runs the module's
// f32x4 loop nest several times faster than the best scalar JavaScript loop nest (bench/RESULTS.md):
// four lanes per operation, eight vector accumulators per block, B packed into L1-sized panels
// (scripts/gemm-wat.js).
//
// The operands are copied into the module's memory (A, then B, then room for C); the caller reads C
// from `mem` at the returned offset and applies its epilogue (bias, activation) while storing it.
// Products and sums are rounded to float32 at each step, the same way on every machine. Nothing
// allocates per call once the memory is large enough for the largest product. The copies are memcpy
// and cost 1–3% of the product they feed (bench/gemmKernel.ts), so A and B are not kept in the memory
// between calls (a cache of them would have to know when the caller writes its arrays).
//
// fastMath (opt-in, runtime/fastMath.ts): where the engine has relaxed SIMD, the products run on the
// same kernel with f32x4.relaxed_madd, which the engine may fuse (one rounding per multiply-add): the
// low bits may differ from the default and between machines. Without relaxed SIMD the default kernel
// runs, and the first such product says so on the console, once.
import { fastMathOn } from "./fastMath.js";
import { GEMM_FMA_WASM_BASE64, GEMM_PANEL_FLOATS, GEMM_WASM_BASE64 } from "./gemmWasm.js";

export interface Gemm {
  /** The module's memory as float32 elements; replaced when the memory grows, so read it after `product`. */
  mem: Float32Array;
  /**
   * C = A·B for A(i, k) = A[i·sAi + k·sAk] and B(k, j) = B[k·sBk + j·sBj] (i < M, j < N, k < K): returns
   * the offset in `mem` of C, dense and row-major (C(i, j) at offset + i·N + j). When B's rows are not
   * contiguous (sBj ≠ 1: a transposed weight, δ·Wᵀ) the kernel reads it with its strides while it packs B's panels.
   */
  product(M: number, N: number, K: number, A: Float32Array, sAi: number, sAk: number, B: Float32Array, sBk: number, sBj?: number): number;
  /**
   * Grows the memory to at least `elements` float32 elements (and the kernel's packing area above them) and returns `mem`, for a caller that lays
   * its operands out there itself (a convolution writes its patch matrix straight into it, im2col, with
   * no second copy) and then calls `productAt`.
   */
  reserve(elements: number): Float32Array;
  /**
   * C = A·B on operands already in `mem`, below the `elements` last reserved: A(i, k) = mem[a + i·sAi + k·sAk],
   * B(k, j) = mem[b + k·sBk + j] (rows of B contiguous); C dense and row-major from offset c, not
   * overlapping A or B (C holds partial sums between K-panels). The same kernel, so the same sums, as `product`.
   */
  productAt(M: number, N: number, K: number, a: number, sAi: number, sAk: number, b: number, sBk: number, c: number): void;
  /**
   * P ← im2col(x), both in `mem`: x an NHWC image [n, H, W, C] from offset x, P [n·OH·OW, KH·KW·C] from
   * offset p, row m = (b·OH + oh)·OW + ow holding output pixel m's receptive field, tap (kh, kw, ci) at
   * column (kh·KW + kw)·C + ci: x[b, oh·sh − pt + kh·dh, ow·sw − pl + kw·dw, ci], or 0 in the padding.
   * P must not overlap x (scripts/patches-wat.js).
   */
  im2col(...geometry: Patches): void;
  /** x += col2im(P), the same layout as `im2col`: each tap inside x adds P's entry into the element it was read from, output pixel after output pixel. */
  col2im(...geometry: Patches): void;
  /**
   * C[r, c] = relu?(C[r, c] + bias[c]) in place for r < rows, c < cols, C dense from offset y and the bias
   * from offset b (b < 0: no bias, the ReLU alone); relu 1 or 0. Float32 sums; the ReLU passes NaN and
   * makes −0 +0, as runtime/branchless.ts's relu (scripts/epilogue-wat.js).
   */
  epilogue(y: number, rows: number, cols: number, b: number, relu: number): void;
  /**
   * Max pooling of the NHWC image x into y, both in `mem` (scripts/pool-wat.js): y[b, i, j, c] = the
   * maximum of the window's positions inside x, NaN winning and the first maximum kept on ties, as
   * runtime/branchless.ts's poolMax.
   */
  maxPool(x: number, y: number, ...geometry: PoolGeometry): void;
  /** dx[…] += g[b, i, j, c] at each window's first argmax of x in channel c, output pixel after output pixel (dx zeroed by the caller). */
  maxPoolBackward(x: number, g: number, dx: number, ...geometry: PoolGeometry): void;
  /**
   * P ← P + negLr·G for float32 arrays of one length, copied into the memory and P back: the plain SGD
   * update of a float32 module's parameter (runtime/update.ts), in double precision as its JavaScript
   * loop, the same bits (scripts/update-wat.js).
   */
  sgd(P: Float32Array, G: Float32Array, negLr: number): void;
  /**
   * y = P·w without making P, for a convolution without padding whose output channels come in fours
   * (scripts/conv-wat.js): x [n, H, W, C] from offset x, w [KH·KW·C, CO] from offset w, y [n·OH·OW, CO]
   * from offset y, and KH·KW·C int32 slots of scratch from offset s (the taps' offsets); the same sums
   * as `productAt` on im2col's P, bit for bit.
   */
  convForward(x: number, w: number, y: number, s: number, ...geometry: DirectConv): void;
  /** ∂w = Pᵀ·g without making P, the same conditions and layouts (g [n·OH·OW, CO] from offset g, ∂w [KH·KW·C, CO] from offset dw). */
  convFilter(x: number, g: number, dw: number, s: number, ...geometry: DirectConv): void;
  /**
   * g[e] ← g[e]·[z[e] > 0] in place for e < count (1 where z is NaN, as compiler/ops/activations.ts's step):
   * relu's derivative applied to a gradient, the same bits as emitted JavaScript's `g * +!(z <= 0)` (scripts/mask-wat.js).
   */
  reluMask(g: number, z: number, count: number): void;
  /** s[c] += x[r, c] for r = 0 … rows − 1 in turn, c < cols, in float32 (x dense from offset x, s from offset s; scripts/sums-wat.js). */
  columnSums(x: number, rows: number, cols: number, s: number): void;
  /**
   * S[c] = Σ_r X[r·cols + c] for arrays of the caller's: X's first rows·cols floats copied into the memory,
   * `columnSums` into zeroed sums, the cols sums copied into S — a float32 module's sum over the batch of a
   * wide δ (compiler/ops/reduce.ts), the same bits as its JavaScript loop.
   */
  sumRows(X: Float32Array, rows: number, cols: number, S: Float32Array): void;
}

/** n, H, W, C, KH, KW, OH, OW, sh, sw, dh, dw, CO: a convolution without padding, CO a multiple of 4. */
export type DirectConv = [n: number, H: number, W: number, C: number, KH: number, KW: number, OH: number, OW: number, sh: number, sw: number, dh: number, dw: number, CO: number];

/** n, H, W, C, KH, KW, OH, OW, sh, sw, ph, pw: the batch, x's size, the window's, the output's, strides and padding (top/bottom, left/right). */
export type PoolGeometry = [n: number, H: number, W: number, C: number, KH: number, KW: number, OH: number, OW: number, sh: number, sw: number, ph: number, pw: number];

/** x, p, n, H, W, C, KH, KW, OH, OW, sh, sw, dh, dw, pt, pl: offsets in `mem`, sizes, strides, dilations, top and left padding. */
export type Patches = [x: number, p: number, n: number, H: number, W: number, C: number, KH: number, KW: number, OH: number, OW: number, sh: number, sw: number, dh: number, dw: number, pt: number, pl: number];

type PatchesExport = (...geometry: Patches) => void;
type GemmExport = (M: number, N: number, K: number, a: number, sAi: number, sAk: number, b: number, sBk: number, sBj: number, c: number, w: number) => void;

/**
 * The part of the WebAssembly API used here, typed here: the runtime, and a module that inlines it
 * (`gradc compile --runtime inline`), then type-check without TypeScript's DOM lib, which a Node
 * project's `lib: ["es2023"]` leaves out.
 */
declare const WebAssembly: {
  Module: new (bytes: Uint8Array<ArrayBuffer>) => object;
  validate(bytes: Uint8Array<ArrayBuffer>): boolean;
  Memory: new (descriptor: { initial: number }) => { readonly buffer: ArrayBuffer; grow(pages: number): number };
  Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
};
/** The console the fallback of fastMath speaks on, typed here for the same reason. */
declare const console: { warn(message: string): void };

let compiled: object | null = null;
/** The fused kernel's module; null once the engine turned out not to have relaxed SIMD. */
let compiledFused: object | null | undefined;

/** Whether this engine can run the fastMath kernel (WebAssembly relaxed SIMD: Chrome, Node 22+, Node 20 with --experimental-wasm-relaxed-simd). */
export function fastMathAvailable(): boolean {
  if (compiledFused === undefined) {
    const bytes = decodeBase64(GEMM_FMA_WASM_BASE64);
    compiledFused = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  }
  return compiledFused !== null;
}

let toldNoFastMath = false;
/** The fused kernel on `memory`, or null (said once per thread) where the engine has no relaxed SIMD. */
function fusedKernel(memory: object): GemmExport | null {
  if (fastMathAvailable()) return new WebAssembly.Instance(compiledFused!, { env: { memory } }).exports["gemm"] as GemmExport;
  if (!toldNoFastMath) {
    toldNoFastMath = true;
    console.warn(
      "gradc: fastMath: this JavaScript engine has no WebAssembly relaxed SIMD (f32x4.relaxed_madd), so the matrix products run on the default, " +
        "bit-reproducible kernel (Chrome and Node 22+ have it; Node 20 with --experimental-wasm-relaxed-simd)",
    );
  }
  return null;
}

/** A product engine with its own memory (one per generated module, so worker threads do not share one). */
export function createGemm(): Gemm {
  compiled ??= new WebAssembly.Module(decodeBase64(GEMM_WASM_BASE64));
  const memory = new WebAssembly.Memory({ initial: 1 });
  // exports is an index signature: ["gemm"] passes noPropertyAccessFromIndexSignature (--runtime inline copies this).
  const exports = new WebAssembly.Instance(compiled, { env: { memory } }).exports;
  const exact = exports["gemm"] as GemmExport;
  const sgdExport = exports["sgd"] as (p: number, g: number, n: number, negLr: number) => void;
  const columnSums = exports["columnSums"] as Gemm["columnSums"];
  /** The fused kernel on the same memory, made when fastMath first asks for it; the default kernel where there is none. */
  let fused: GemmExport | undefined;
  const kernel = (): GemmExport => (fastMathOn() ? (fused ??= fusedKernel(memory) ?? exact) : exact);
  // The kernel packs B's panels at the top of the memory, above everything `reserve` was asked for.
  const panel = (): number => engine.mem.length - GEMM_PANEL_FLOATS;
  const engine: Gemm = {
    mem: new Float32Array(memory.buffer),
    reserve(elements) {
      const needed = elements + GEMM_PANEL_FLOATS;
      if (needed > engine.mem.length) {
        memory.grow(Math.ceil((needed * 4 - memory.buffer.byteLength) / 65536));
        engine.mem = new Float32Array(memory.buffer);
      }
      return engine.mem;
    },
    productAt(M, N, K, a, sAi, sAk, b, sBk, c) {
      kernel()(M, N, K, a, sAi, sAk, b, sBk, 1, c, panel());
    },
    im2col: exports["im2col"] as PatchesExport,
    col2im: exports["col2im"] as PatchesExport,
    epilogue: exports["epilogue"] as Gemm["epilogue"],
    maxPool: exports["maxPool"] as Gemm["maxPool"],
    maxPoolBackward: exports["maxPoolBackward"] as Gemm["maxPoolBackward"],
    convForward: exports["convForward"] as Gemm["convForward"],
    convFilter: exports["convFilter"] as Gemm["convFilter"],
    reluMask: exports["reluMask"] as Gemm["reluMask"],
    columnSums,
    sumRows(X, rows, cols, S) {
      const mem = engine.reserve(cols + rows * cols);
      mem.fill(0, 0, cols);
      mem.set(X.subarray(0, rows * cols), cols);
      columnSums(cols, rows, cols, 0);
      S.set(mem.subarray(0, cols));
    },
    sgd(P, G, negLr) {
      const n = P.length;
      const mem = engine.reserve(2 * n);
      mem.set(P, 0);
      mem.set(G, n);
      sgdExport(0, n, n, negLr);
      P.set(mem.subarray(0, n));
    },
    product(M, N, K, A, sAi, sAk, B, sBk, sBj = 1) {
      const b = A.length, c = b + B.length;
      const mem = engine.reserve(c + M * N);
      mem.set(A, 0);
      mem.set(B, b);
      kernel()(M, N, K, 0, sAi, sAk, b, sBk, sBj, c, panel());
      return c;
    },
  };
  return engine;
}

/** Standard base64 to bytes (no Buffer or atob: the runtime also runs in browsers and workers). */
function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const clean = text.replace(/=+$/, "");
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0, value = 0, k = 0;
  for (const ch of clean) {
    value = (value << 6) | digits.indexOf(ch);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[k++] = (value >> bits) & 0xff;
    }
  }
  return out;
}
