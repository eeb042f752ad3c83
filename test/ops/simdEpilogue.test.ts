// Which float32 kernels run on the runtime's WebAssembly beside the product, seen in the emitted code, and
// what they compute. compiler/ops/simdEpilogue.ts: `relu(x·W + b)`, `b + x·W`, `x·W + b` and `relu(x·W)`
// become GEMM.epilogue with the right flags, bit for bit the float32 sums and ReLU the JavaScript epilogue
// stored; chains that only look like a bias — a parameter vector multiplied, a [1] parameter broadcast, a
// parameter matrix of the product's shape — keep the JavaScript epilogue and its values.
// compiler/ops/convSimd.ts: a convolution is direct (no patch matrix) when no tap reaches padding, its
// output channels come in fours and its input channels are few (forward up to 8, filter gradient up to
// 2); im2col otherwise.
import { describe, expect, it } from "vitest";
import * as cv from "../../compiler/dsl/conv.js";
import * as d from "../../compiler/dsl/core.js";
import { model } from "../../compiler/dsl/model.js";
import type { Node } from "../../compiler/ir/node.js";
import { compileAndImport } from "../helpers/compiled.js";

const ROWS = 20, K = 32, N = 20;

/** x·W in float32 as the SIMD product sums it: k order, every product and sum rounded to float32. */
function product(x: Float32Array, w: Float32Array): Float32Array {
  const c = new Float32Array(ROWS * N);
  for (let i = 0; i < ROWS; i++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s = Math.fround(s + Math.fround(x[i * K + k]! * w[k * N + j]!));
      c[i * N + j] = s;
    }
  return c;
}

interface Chain {
  readonly name: string;
  /** The output from the product `p` and the extra parameter `e` (shape `extra`). */
  readonly build: (p: Node, e: Node) => Node;
  readonly extra: readonly number[];
  /** The runtime epilogue's (bias, relu) flags, or null: the JavaScript epilogue. */
  readonly engine: readonly [boolean, number] | null;
  /** The float32 value stored for the product's element c at (i, j), with the extra parameter's values e. */
  readonly value: (c: number, e: Float32Array, i: number, j: number) => number;
}

const relu = (z: number) => (z <= 0 ? 0 : z);
const chains: Chain[] = [
  { name: "relu(x·W + b)", build: (p, e) => d.relu(d.add(p, e)), extra: [N], engine: [true, 1], value: (c, e, _i, j) => relu(Math.fround(c + e[j]!)) },
  { name: "b + x·W (the bias first)", build: (p, e) => d.add(e, p), extra: [N], engine: [true, 0], value: (c, e, _i, j) => Math.fround(e[j]! + c) },
  { name: "relu(x·W), no bias", build: (p) => d.relu(p), extra: [N], engine: [false, 1], value: (c) => relu(c) },
  { name: "x·W ⊙ v (a parameter vector multiplied: not a bias)", build: (p, e) => d.mul(p, e), extra: [N], engine: null, value: (c, e, _i, j) => Math.fround(c * e[j]!) },
  { name: "x·W + s with s [1] (broadcast: not a row's bias)", build: (p, e) => d.add(p, e), extra: [1], engine: null, value: (c, e) => Math.fround(c + e[0]!) },
  { name: "x·W + B with B [20, 20] (a matrix: not a row's bias)", build: (p, e) => d.add(p, e), extra: [ROWS, N], engine: null, value: (c, e, i, j) => Math.fround(c + e[i * N + j]!) },
];

describe("the layer epilogue on the runtime's WebAssembly (float32)", () => {
  for (const chain of chains)
    it(chain.name, async () => {
      const def = model("epilogue", () => {
        const x = d.input("x", [ROWS, K]);
        const W = d.param("W", [K, N], { init: "xavier" });
        const e = d.param("e", chain.extra, { init: "uniform", low: -1, high: 1 });
        const y = chain.build(d.matmul(x, W), e);
        return { loss: d.mean(d.square(y)), outputs: { y } };
      });
      const { module, code } = await compileAndImport(def, { dtype: "f32" });
      const forward = code.slice(code.indexOf("function forwardPass"), code.indexOf("function outputsOf"));
      if (chain.engine) {
        expect(forward).toMatch(new RegExp(`GEMM\\.epilogue\\(at, 20, 20, ${chain.engine[0] ? "bAt" : "-1"}, ${chain.engine[1]}\\);`));
      } else {
        expect(forward).not.toContain("GEMM.epilogue(");
        expect(forward).toContain("GEMM.product(");
      }
      const params = module.initParams(3) as Record<string, Float32Array>;
      const x = Float32Array.from({ length: ROWS * K }, (_, q) => Math.sin(q * 0.7) * 2);
      const y = (module.forward(params, { x }) as { y: Float32Array }).y;
      const c = product(x, params["W"]!);
      const want = Float32Array.from({ length: ROWS * N }, (_, q) => chain.value(c[q]!, params["e"]!, Math.floor(q / N), q % N));
      expect(Array.from(y)).toEqual(Array.from(want));
    });
});

describe("direct or im2col: which float32 convolutions skip the patch matrix", () => {
  const cases: [string, [number, number, number], number, cv.Conv2dOptions, { forward: string; filter: string }][] = [
    ["one input channel into 8, no padding, then a ReLU without a bias (GEMM.epilogue with −1 for the bias)", [9, 9, 1], 8, {}, { forward: "convForward", filter: "convFilter" }],
    ["two input channels into 4, stride 2", [9, 9, 2], 4, { stride: 2 }, { forward: "convForward", filter: "convFilter" }],
    ["8 input channels: the forward direct, the filter gradient on im2col", [7, 7, 8], 8, {}, { forward: "convForward", filter: "im2col" }],
    ["16 input channels: im2col for both", [7, 7, 16], 8, {}, { forward: "im2col", filter: "im2col" }],
    ["padding 1: im2col for both", [7, 7, 1], 8, { padding: 1 }, { forward: "im2col", filter: "im2col" }],
    ["6 output channels (not fours): im2col for both", [7, 7, 1], 6, {}, { forward: "im2col", filter: "im2col" }],
    ["'same' padding no tap reaches at stride 2 (a 2×2 filter on 8×8): direct", [8, 8, 1], 4, { stride: 2, padding: "same" }, { forward: "convForward", filter: "convFilter" }],
  ];
  for (const [name, image, cout, opts, want] of cases)
    it(name, async () => {
      const def = model("conv", () => {
        const x = d.input("x", ["batch", ...image]);
        const w = d.param("w", [opts.padding === "same" ? 2 : 3, opts.padding === "same" ? 2 : 3, image[2], cout], { init: "he" });
        const z = cv.conv2d(x, w, opts);
        const y = name.includes("ReLU") ? d.relu(z) : z;
        return { loss: d.mean(d.square(y)), outputs: { y } };
      });
      const { code, module } = await compileAndImport(def, { dtype: "f32" });
      const forward = code.slice(code.indexOf("function forwardPass"), code.indexOf("function outputsOf"));
      const train = code.slice(code.indexOf("function trainPass"));
      const grad = train.slice(train.indexOf("// dw = "));
      expect(forward).toContain(`GEMM.${want.forward}(`);
      if (name.includes("ReLU")) expect(forward).toContain("GEMM.epilogue(yAt, rows, 8, -1, 1);");
      expect(grad.slice(0, grad.indexOf("\n  }\n"))).toContain(`GEMM.${want.filter}(`);
      // A batch whose patch matrix outgrows the engine's first 64 KB: the memory it reserves is used.
      const f64 = (await compileAndImport(def, { dtype: "f64" })).module;
      const params = module.initParams(5) as Record<string, Float32Array>;
      const x = Float32Array.from({ length: 12 * image[0] * image[1] * image[2] }, (_, q) => Math.cos(q * 0.3));
      const y32 = (module.forward(params, { x }) as { y: Float32Array }).y;
      const y64 = (f64.forward({ w: Float64Array.from(params["w"]!) }, { x: Float64Array.from(x) }) as { y: Float64Array }).y;
      expect(y32.length).toBe(y64.length);
      y32.forEach((v, q) => expect(Math.abs(v - y64[q]!)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(y64[q]!))));
    });
});
