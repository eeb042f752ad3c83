// The runtime's WebAssembly SIMD matrix product: equal to a float32 reference over shapes that exercise
// every block and tail (2-row blocks with A plain, 4-row blocks with A transposed, single rows; 16-, 8-
// and 4-column panels and single columns; one K-panel and several, K > 256 resuming from C's partial
// sums), with A read plainly and transposed and B read transposed; the memory grows for a larger
// product; operands laid out in the memory by the caller (reserve, productAt) give the same sums; the
// committed module bytes are what scripts/gemm-wasm.js assembles from scripts/gemm-wat.js.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createGemm } from "../../runtime/gemm.js";
// @ts-expect-error — a plain JS build script without type declarations
import { gemmWasmSource } from "../../scripts/gemm-wasm.js";

/** Σ_k A(i,k)·B(k,j) with float32 rounding after every operation, in k order (what the kernel does). */
function reference(M: number, N: number, K: number, A: Float32Array, sAi: number, sAk: number, B: Float32Array, sBk: number): Float32Array {
  const C = new Float32Array(M * N);
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s = Math.fround(s + Math.fround(A[i * sAi + k * sAk]! * B[k * sBk + j]!));
      C[i * N + j] = s;
    }
  return C;
}

describe("createGemm", () => {
  const g = createGemm();
  const shapes = [[1, 1, 1], [4, 8, 3], [5, 9, 7], [3, 13, 2], [7, 4, 5], [9, 17, 11], [5, 31, 6], [64, 128, 50], [11, 29, 256], [7, 45, 257], [6, 20, 600]] as const;
  for (const [M, N, K] of shapes)
    for (const transA of [false, true])
      it(`${M}×${K} · ${K}×${N}${transA ? ", A transposed" : ""}: bit for bit the float32 sum in k order`, () => {
        const A = Float32Array.from({ length: M * K }, (_, q) => Math.sin(q + 1));
        const B = Float32Array.from({ length: K * N }, (_, q) => Math.cos(q * 0.7));
        const [sAi, sAk] = transA ? [1, M] : [K, 1];
        const at = g.product(M, N, K, A, sAi, sAk, B, N);
        const want = reference(M, N, K, A, sAi, sAk, B, N);
        expect(Array.from(g.mem.subarray(at, at + M * N))).toEqual(Array.from(want));
      });
  it("K = 0: C is all zeros (an empty sum), whatever the memory held", () => {
    g.mem.fill(7);
    const at = g.product(3, 5, 0, new Float32Array(0), 0, 1, new Float32Array(0), 5);
    expect(Array.from(g.mem.subarray(at, at + 15))).toEqual(new Array(15).fill(0));
  });
  it("grows its memory for a larger product", () => {
    const M = 300, N = 200, K = 150;
    const at = g.product(M, N, K, new Float32Array(M * K).fill(0.5), K, 1, new Float32Array(K * N).fill(2), N);
    expect(g.mem.length).toBeGreaterThanOrEqual(at + M * N);
    expect(g.mem[at + M * N - 1]).toBe(150);
  });
  it("reserve grows the memory and productAt multiplies operands laid out in it, at any offsets, writing nothing past C", () => {
    const M = 37, N = 12, K = 9, a = 5, b = 5 + M * K + 3, c = b + K * N + 1;
    const mem = g.reserve(c + M * N + 70000); // more than one more page: the memory grows
    expect(mem).toBe(g.mem);
    expect(mem.length).toBeGreaterThanOrEqual(c + M * N + 70000);
    const A = Float32Array.from({ length: M * K }, (_, q) => Math.sin(q * 0.9));
    const B = Float32Array.from({ length: K * N }, (_, q) => Math.cos(q + 2));
    mem.set(A, a);
    mem.set(B, b);
    mem[c + M * N] = 42; // past C: untouched
    g.productAt(M, N, K, a, K, 1, b, N, c);
    expect(Array.from(mem.subarray(c, c + M * N))).toEqual(Array.from(reference(M, N, K, A, K, 1, B, N)));
    expect(mem[c + M * N]).toBe(42);
  });
  it("runtime/gemmWasm.ts holds what scripts/gemm-wasm.js assembles", async () => {
    expect(readFileSync("runtime/gemmWasm.ts", "utf8")).toBe(await gemmWasmSource());
  });
});

describe("createGemm with B transposed (δ·Wᵀ)", () => {
  const g = createGemm();
  for (const [M, N, K] of [[5, 9, 7], [64, 20, 33], [4, 8, 8], [9, 29, 530]] as const)
    it(`${M}×${K} · (${N}×${K})ᵀ: B is copied transposed, then the same kernel`, () => {
      const A = Float32Array.from({ length: M * K }, (_, q) => Math.sin(q + 1));
      const Bt = Float32Array.from({ length: N * K }, (_, q) => Math.cos(q * 0.3)); // [N, K]
      const B = new Float32Array(K * N);
      for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) B[k * N + j] = Bt[j * K + k]!;
      const at = g.product(M, N, K, A, K, 1, Bt, 1, K);
      expect(Array.from(g.mem.subarray(at, at + M * N))).toEqual(Array.from(reference(M, N, K, A, K, 1, B, N)));
    });
});
