// Float32 matrix products on WebAssembly SIMD, for the large matmuls of generated f32 trainers (the
// emitter calls it where B's rows are contiguous; compiler/emit/kernels.ts). V8 runs the module's
// f32x4 loop nest several times faster than the best scalar JavaScript loop nest (bench/RESULTS.md):
// four lanes per operation, eight vector accumulators per block.
//
// The operands are copied into the module's memory (A, then B, then room for C); the caller reads C
// from `mem` at the returned offset and applies its epilogue (bias, activation) while storing it.
// Products and sums are rounded to float32 at each step, the same way on every machine. Nothing
// allocates per call once the memory is large enough for the largest product.
import { GEMM_WASM_BASE64 } from "./gemmWasm.js";

export interface Gemm {
  /** The module's memory as float32 elements; replaced when the memory grows, so read it after `product`. */
  mem: Float32Array;
  /**
   * C = A·B for A(i, k) = A[i·sAi + k·sAk] and B(k, j) = B[k·sBk + j·sBj] (i < M, j < N, k < K): returns
   * the offset in `mem` of C, dense and row-major (C(i, j) at offset + i·N + j). When B's rows are not
   * contiguous (sBj ≠ 1: a transposed weight, δ·Wᵀ) it is copied transposed, so the kernel streams rows.
   */
  product(M: number, N: number, K: number, A: Float32Array, sAi: number, sAk: number, B: Float32Array, sBk: number, sBj?: number): number;
  /**
   * Grows the memory to at least `elements` float32 elements and returns `mem`, for a caller that lays
   * its operands out there itself (a convolution writes its patch matrix straight into it, im2col, with
   * no second copy) and then calls `productAt`.
   */
  reserve(elements: number): Float32Array;
  /**
   * C = A·B on operands already in `mem`: A(i, k) = mem[a + i·sAi + k·sAk], B(k, j) = mem[b + k·sBk + j]
   * (rows of B contiguous); C dense and row-major from offset c. The same kernel, so the same sums, as `product`.
   */
  productAt(M: number, N: number, K: number, a: number, sAi: number, sAk: number, b: number, sBk: number, c: number): void;
}

type GemmExport = (M: number, N: number, K: number, a: number, sAi: number, sAk: number, b: number, sBk: number, c: number) => void;

/**
 * The part of the WebAssembly API used here, typed here: the runtime, and a module that inlines it
 * (`gradc compile --runtime inline`), then type-check without TypeScript's DOM lib, which a Node
 * project's `lib: ["es2023"]` leaves out.
 */
declare const WebAssembly: {
  Module: new (bytes: Uint8Array<ArrayBuffer>) => object;
  Memory: new (descriptor: { initial: number }) => { readonly buffer: ArrayBuffer; grow(pages: number): number };
  Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
};

let compiled: object | null = null;

/** A product engine with its own memory (one per generated module, so worker threads do not share one). */
export function createGemm(): Gemm {
  compiled ??= new WebAssembly.Module(decodeBase64(GEMM_WASM_BASE64));
  const memory = new WebAssembly.Memory({ initial: 1 });
  // exports is an index signature: ["gemm"] passes noPropertyAccessFromIndexSignature (--runtime inline copies this).
  const gemm = new WebAssembly.Instance(compiled, { env: { memory } }).exports["gemm"] as GemmExport;
  const engine: Gemm = {
    mem: new Float32Array(memory.buffer),
    reserve(elements) {
      if (elements > engine.mem.length) {
        memory.grow(Math.ceil((elements * 4 - memory.buffer.byteLength) / 65536));
        engine.mem = new Float32Array(memory.buffer);
      }
      return engine.mem;
    },
    productAt(M, N, K, a, sAi, sAk, b, sBk, c) {
      gemm(M, N, K, a, sAi, sAk, b, sBk, c);
    },
    product(M, N, K, A, sAi, sAk, B, sBk, sBj = 1) {
      const rows = sBj === 1;
      const b = A.length, c = b + (rows ? B.length : K * N), end = c + M * N;
      const mem = engine.reserve(end);
      mem.set(A, 0);
      if (rows) mem.set(B, b);
      else for (let k = 0; k < K; k++) for (let j = 0, to = b + k * N, from = k * sBk; j < N; j++) mem[to + j] = B[from + j * sBj]!;
      gemm(M, N, K, 0, sAi, sAk, b, rows ? sBk : N, c);
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
