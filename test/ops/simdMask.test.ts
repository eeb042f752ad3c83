// The backward of a ReLU and a layer's bias gradient on the runtime's WebAssembly (float32 modules), seen
// in the emitted code and checked bit for bit against the float32 arithmetic of the JavaScript they
// replace:
//   - a max pooling's gradient fused with the ReLU′ of the layer it pools (plan.ts: maxPool2dBackward
//     takes an indexed epilogue), masked in the engine's memory (GEMM.reluMask on x itself);
//   - a backward product's ReLU′, δ·Wᵀ ⊙ [h > 0], masked there with h copied in (compiler/ops/matmul.ts);
//   - the sum over the batch of a wide δ (GEMM.sumRows, on columnSums: compiler/ops/reduce.ts);
//   - a chain after a pooling gradient that is not a ReLU′ keeps a JavaScript loop, after the scatter.
// float64 modules keep their JavaScript loops (the same values in double precision). Then the look-alikes
// simdReluMask must refuse (from ops-conv's mutation run, test/MUTATION.md), and which sums over the batch
// are the runtime's column sums (not a max, not rows of 16 or fewer: those sum in double in locals).
import { describe, expect, it } from "vitest";
import * as cv from "../../compiler/dsl/conv.js";
import * as d from "../../compiler/dsl/core.js";
import { model } from "../../compiler/dsl/model.js";
import type { Tensor } from "../../compiler/dsl/core.js";
import { compileAndImport } from "../helpers/compiled.js";

const B = 5, H = 6, W = 6, C = 4, P = 3; // 2×2 windows, stride 2: every position in one window
const step = (z: number) => +!(z <= 0);
const sequence = (n: number, f: (q: number) => number) => Float32Array.from({ length: n }, (_, q) => f(q));
const trainCode = (code: string) => code.slice(code.indexOf("function trainPass"), code.indexOf("function evaluatePass"));

/** sumTo [B, H, W, C] → [C] as the graph reduces it: over the batch, then rows, then columns, each into float32 sums. */
function biasGradient(delta: Float32Array): Float32Array {
  const s1 = new Float32Array(H * W * C), s2 = new Float32Array(W * C), s3 = new Float32Array(C);
  for (let b = 0; b < B; b++) for (let e = 0; e < H * W * C; e++) s1[e]! += delta[b * H * W * C + e]!;
  for (let h = 0; h < H; h++) for (let e = 0; e < W * C; e++) s2[e]! += s1[h * W * C + e]!;
  for (let w = 0; w < W; w++) for (let c = 0; c < C; c++) s3[c]! += s2[w * C + c]!;
  return s3;
}

/** The pooling gradient of Σ p ⊙ v, p pooled from a (v routed to each window's first maximum of a), times `scale`, ⊙ [z > 0]. */
function pooledDelta(a: Float32Array, z: Float32Array, v: Float32Array, scale: number): Float32Array {
  const delta = new Float32Array(B * H * W * C);
  const at = (b: number, h: number, w: number, c: number) => ((b * H + h) * W + w) * C + c;
  for (let b = 0; b < B; b++)
    for (let i = 0; i < P; i++)
      for (let j = 0; j < P; j++)
        for (let c = 0; c < C; c++) {
          let best = at(b, 2 * i, 2 * j, c);
          for (const [dh, dw] of [[0, 1], [1, 0], [1, 1]] as const) if (a[at(b, 2 * i + dh, 2 * j + dw, c)]! > a[best]!) best = at(b, 2 * i + dh, 2 * j + dw, c);
          delta[best] = v[((b * P + i) * P + j) * C + c]!;
        }
  return delta.map((g, e) => g * scale * step(z[e]!));
}

const pooling = (scale: number) =>
  model("poolMask", () => {
    const x = d.input("x", ["batch", H, W, C]);
    const v = d.input("v", ["batch", P, P, C]);
    // δ of the ReLU feeds two gradients (s's and c's), so it is a stored value, not inline in one sum.
    const s = d.param("s", [C], { init: "uniform", low: 0.5, high: 1.5 });
    const c = d.param("c", [C], { init: "uniform", low: -0.5, high: 0.5 });
    const a = d.relu(d.add(d.mul(x, s), c));
    const p = cv.maxPool2d(scale === 1 ? a : d.mul(a, scale), { size: 2 });
    return { loss: d.sum(d.mul(p, v)), outputs: { a } };
  });

describe("a ReLU′ and a bias gradient on the runtime's WebAssembly (float32)", () => {
  const x = sequence(B * H * W * C, (q) => Math.sin(q * 1.37) * 2);
  const v = sequence(B * P * P * C, (q) => Math.cos(q * 0.61) * 3 + 0.1);

  it("after a max pooling's gradient: masked on x in the engine's memory, the bias gradient's batch sum there too", async () => {
    const { module, code } = await compileAndImport(pooling(1), { dtype: "f32" });
    const train = trainCode(code);
    expect(train).toMatch(/GEMM\.maxPoolBackward\((xAt_\d+), gAt, dxAt, n, 6, 6, 4, [^)]*\);\n\s*GEMM\.reluMask\(dxAt, \1, n \* 144\);/);
    expect(train).toMatch(/GEMM\.sumRows\(\w+, n, 144, sum\);/);
    const params = module.initParams(5) as Record<string, Float32Array>;
    const a = (module.forward(params, { x, v }) as { a: Float32Array }).a;
    expect(a.some((z) => z === 0) && a.some((z) => z > 0)).toBe(true); // both sides of the ReLU
    const { grads } = module.lossAndGrad(params, { x, v });
    expect(Array.from(grads["c"]!)).toEqual(Array.from(biasGradient(pooledDelta(a, a, v, 1))));
  });

  it("a chain after the pooling gradient that is not a ReLU′ alone: the JavaScript epilogue after the scatter, the same values", async () => {
    const { module, code } = await compileAndImport(pooling(3), { dtype: "f32" });
    const train = trainCode(code);
    expect(train).toContain("GEMM.maxPoolBackward(");
    expect(train).not.toContain("GEMM.reluMask(");
    const params = module.initParams(5) as Record<string, Float32Array>;
    const a = (module.forward(params, { x, v }) as { a: Float32Array }).a;
    const { grads } = module.lossAndGrad(params, { x, v });
    // (v·3)·[a > 0] rounded once to float32, as the emitted expression stores it.
    expect(Array.from(grads["c"]!)).toEqual(Array.from(biasGradient(pooledDelta(a, a, v, 3))));
  });

  it("float64 modules keep the JavaScript loops, with the pooling gradient written into the masked value's array", async () => {
    const { code } = await compileAndImport(pooling(1), { dtype: "f64" });
    const train = trainCode(code);
    expect(train).not.toMatch(/GEMM\.|reluMask|columnSums/);
    expect(train).toMatch(/\/\/ (\w+): first maxPool2dBackward into its array, whole; the rest of its formula follows element by element/);
  });

  it("after a backward product: δ·Wᵀ ⊙ [h > 0] with h copied into the engine's memory; Σ over the batch of 40 columns", async () => {
    const R = 7, K = 32, Hd = 40, O = 24;
    const def = model("denseMask", () => {
      const xs = d.input("x", ["batch", K]);
      const vs = d.input("v", ["batch", O]);
      const W1 = d.param("W1", [K, Hd], { init: "xavier" });
      const b1 = d.param("b1", [Hd], { init: "uniform", low: -0.3, high: 0.3 });
      const W2 = d.param("W2", [Hd, O], { init: "xavier" });
      const h = d.relu(d.add(d.matmul(xs, W1), b1));
      return { loss: d.sum(d.mul(d.matmul(h, W2), vs)), outputs: { h } };
    });
    const { module, code } = await compileAndImport(def, { dtype: "f32" });
    const train = trainCode(code);
    expect(train).toMatch(/GEMM\.reserve\(zAt \+ n \* 40\)\.set\(h1\.subarray\(0, n \* 40\), zAt\);\n\s*GEMM\.reluMask\(at(_\d+)?, zAt, n \* 40\);/);
    expect(train).toMatch(/GEMM\.sumRows\(delta1, n, 40, db1\);/);
    const xs = sequence(R * K, (q) => Math.sin(q * 0.77));
    const vs = sequence(R * O, (q) => Math.cos(q * 1.91) * 2);
    const params = module.initParams(9) as Record<string, Float32Array>;
    const h = (module.forward(params, { x: xs, v: vs }) as { h: Float32Array }).h;
    // v·W2ᵀ as the SIMD product sums it (k order, float32 at each step), then ⊙ [h > 0], then the column sums.
    const W2 = params["W2"]!;
    const delta = new Float32Array(R * Hd);
    for (let i = 0; i < R; i++)
      for (let j = 0; j < Hd; j++) {
        let s = 0;
        for (let k = 0; k < O; k++) s = Math.fround(s + Math.fround(vs[i * O + k]! * W2[j * O + k]!));
        delta[i * Hd + j] = s * step(h[i * Hd + j]!);
      }
    const db1 = new Float32Array(Hd);
    for (let i = 0; i < R; i++) for (let j = 0; j < Hd; j++) db1[j]! += delta[i * Hd + j]!;
    const { grads } = module.lossAndGrad(params, { x: xs, v: vs });
    expect(Array.from(grads["b1"]!)).toEqual(Array.from(db1));
  });
});

// What simdReluMask takes for relu's derivative and what it must not, seen on a forward product's chain
// (the same recognizer as after a backward product): z an input of the product's shape, so each chain is
// easy to write and its float32 values easy to state.
describe("which chains after a float32 product are relu's derivative (GEMM.reluMask)", () => {
  const ROWS = 20, K = 32, N = 20;
  /** x·W as the SIMD product sums it: k order, every product and sum rounded to float32. */
  const product = (x: Float32Array, w: Float32Array) => {
    const c = new Float32Array(ROWS * N);
    for (let i = 0; i < ROWS; i++)
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s = Math.fround(s + Math.fround(x[i * K + k]! * w[k * N + j]!));
        c[i * N + j] = s;
      }
    return c;
  };
  const leaky = (z: number) => (z > 0 ? 1 : 0.1);
  const chains: { name: string; build: (p: Tensor, u: Tensor, b: Tensor) => Tensor; engine: boolean; value: (c: number, u: number, b: number) => number }[] = [
    { name: "x·W ⊙ [u > 0]", build: (p, u) => d.mul(p, d.step(u)), engine: true, value: (c, u) => c * step(u) },
    { name: "[u > 0] ⊙ x·W (the step first)", build: (p, u) => d.mul(d.step(u), p), engine: true, value: (c, u) => step(u) * c },
    { name: "[u > 0] ⊙ (x·W + b) (the step's partner is not the product itself)", build: (p, u, b) => d.mul(d.step(u), d.add(p, b)), engine: false, value: (c, u, b) => Math.fround(step(u) * (c + b)) },
    { name: "x·W ⊙ [u > 0 | 0.1] (leakyRelu′: not relu′)", build: (p, u) => d.mul(p, d.step(u, 0.1)), engine: false, value: (c, u) => Math.fround(c * leaky(u)) },
    { name: "x·W ⊙ u (no step)", build: (p, u) => d.mul(p, u), engine: false, value: (c, u) => Math.fround(c * u) },
    { name: "x·W + [u > 0] (added, not multiplied)", build: (p, u) => d.add(p, d.step(u)), engine: false, value: (c, u) => Math.fround(c + step(u)) },
    { name: "x·W ⊙ [b > 0] with b [20] (broadcast: not of the product's shape)", build: (p, _u, b) => d.mul(p, d.step(b)), engine: false, value: (c, _u, b) => c * step(b) },
    { name: "x·W ⊙ [(u + 1) > 0] (z computed inline: no array to copy)", build: (p, u) => d.mul(p, d.step(d.add(u, 1))), engine: false, value: (c, u) => c * step(u + 1) },
  ];
  for (const chain of chains)
    it(chain.name, async () => {
      const def = model("maskChain", () => {
        const x = d.input("x", [ROWS, K]);
        const u = d.input("u", [ROWS, N]);
        const W = d.param("W", [K, N], { init: "xavier" });
        const b = d.param("b", [N], { init: "uniform", low: -1, high: 1 });
        const y = chain.build(d.matmul(x, W), u, b);
        return { loss: d.mean(d.square(y)), outputs: { y } };
      });
      const { module, code } = await compileAndImport(def, { dtype: "f32" });
      const forward = code.slice(code.indexOf("function forwardPass"), code.indexOf("function outputsOf"));
      expect(forward.includes("GEMM.reluMask(")).toBe(chain.engine);
      const params = module.initParams(4) as Record<string, Float32Array>;
      const x = sequence(ROWS * K, (q) => Math.sin(q * 0.9) * 2);
      const u = sequence(ROWS * N, (q) => (q % 9 === 0 ? 0 : q % 13 === 0 ? -0 : Math.cos(q * 1.3))); // inputs are finite: 0 and −0 are the edge
      const y = (module.forward(params, { x, u }) as { y: Float32Array }).y;
      const c = product(x, params["W"]!);
      const want = Float32Array.from({ length: ROWS * N }, (_, q) => chain.value(c[q]!, u[q]!, params["b"]![q % N]!));
      expect(Array.from(y, (v) => (Number.isNaN(v) ? "NaN" : v))).toEqual(Array.from(want, (v) => (Number.isNaN(v) ? "NaN" : v)));
    });
});

describe("the pooling gradient and what follows it", () => {
  const x = sequence(B * H * W * C, (q) => Math.sin(q * 1.37) * 2);
  const v = sequence(B * P * P * C, (q) => Math.cos(q * 0.61) * 3 + 0.1);

  it("with no elementwise chain after it (a sum reads it), no pass over it after the scatter", async () => {
    const def = model("poolSum", () => {
      const xs = d.input("x", ["batch", H, W, C]);
      const vs = d.input("v", ["batch", P, P, C]);
      const c = d.param("c", [C], { init: "uniform", low: -0.5, high: 0.5 });
      return { loss: d.sum(d.mul(cv.maxPool2d(d.add(xs, c), { size: 2 }), vs)) };
    });
    for (const dtype of ["f32", "f64"] as const) {
      const { code } = await compileAndImport(def, { dtype });
      const train = trainCode(code);
      expect(train).toContain("maxPool2dBackward");
      expect(train).not.toContain("into its array, whole; the rest of its formula follows");
    }
  });

  it("a ReLU′ on another array than the pooled one: the JavaScript epilogue, not reluMask on x", async () => {
    // x = relu(z) + 0.5 is pooled; its gradient is masked by [relu(z) > 0], relu(z) an output (stored) that is not x.
    const def = model("poolOther", () => {
      const xs = d.input("x", ["batch", H, W, C]);
      const vs = d.input("v", ["batch", P, P, C]);
      const s = d.param("s", [C], { init: "uniform", low: 0.5, high: 1.5 });
      const c = d.param("c", [C], { init: "uniform", low: -0.5, high: 0.5 });
      const r = d.relu(d.add(d.mul(xs, s), c));
      return { loss: d.sum(d.mul(cv.maxPool2d(d.add(r, 0.5), { size: 2 }), vs)), outputs: { r } };
    });
    const { module, code } = await compileAndImport(def, { dtype: "f32" });
    expect(trainCode(code)).not.toContain("GEMM.reluMask(");
    const params = module.initParams(5) as Record<string, Float32Array>;
    const r = (module.forward(params, { x, v }) as { r: Float32Array }).r;
    const pooled = r.map((q) => Math.fround(q + 0.5));
    const routed = pooledDelta(pooled, r, v, 1); // routed by the pooled x = r + 0.5, masked by r
    const { grads } = module.lossAndGrad(params, { x, v });
    expect(Array.from(grads["c"]!)).toEqual(Array.from(biasGradient(routed)));
  });
});

describe("which reductions over the batch are the runtime's column sums", () => {
  it("a sum of rows longer than 16: GEMM.sumRows, float32 sums in row order; 16 or fewer: double sums in locals; a max: its own loop", async () => {
    const R = 9;
    const def = model("batchSums", () => {
      const u = d.input("u", ["batch", 40]);
      const w = d.input("w", ["batch", 10]);
      const m = d.max(u, 0), s40 = d.sum(u, 0), s10 = d.sum(w, 0);
      const k = d.param("k", [1], { init: "ones" }); // a model trains something
      return { loss: d.sum(d.mul(k, d.add(d.add(d.sum(m), d.sum(s40)), d.sum(s10)))), outputs: { m, s40, s10 } };
    });
    const { module, code } = await compileAndImport(def, { dtype: "f32" });
    const forward = code.slice(code.indexOf("function forwardPass"), code.indexOf("function outputsOf"));
    expect(forward.match(/GEMM\.sumRows\(/g)).toHaveLength(1);
    expect(forward).toMatch(/GEMM\.sumRows\(u, n, 40, \w+\);/);
    // Values of very different sizes, so float32 sums in row order, double sums and a max all differ.
    const u = sequence(R * 40, (q) => Math.sin(q * 2.3) * 10 ** ((q % 5) - 2));
    const w = sequence(R * 10, (q) => Math.cos(q * 1.1) * 10 ** ((q % 4) - 1));
    const out = module.forward(module.initParams(1), { u, w }) as { m: Float32Array; s40: Float32Array; s10: Float32Array };
    const s40 = new Float32Array(40), m = new Float32Array(40).fill(-Infinity);
    for (let i = 0; i < R; i++) for (let j = 0; j < 40; j++) { s40[j]! += u[i * 40 + j]!; m[j] = Math.max(m[j]!, u[i * 40 + j]!); }
    const s10 = Float32Array.from({ length: 10 }, (_, j) => { let s = 0; for (let i = 0; i < R; i++) s += w[i * 10 + j]!; return s; });
    expect(Array.from(out.s40)).toEqual(Array.from(s40));
    expect(Array.from(out.m)).toEqual(Array.from(m));
    expect(Array.from(out.s10)).toEqual(Array.from(s10));
  });
});
