// Small CNNs compiled all the way (passes, the conv/pool kernel templates, emitted TypeScript) in
// float64: lossAndGrad against central finite differences of the interpreted loss, and forward()
// against the reference interpreter. The shapes reach every path of the kernels: stride, padding
// (clipped tap ranges, symmetric and "same"-asymmetric), dilation in rows or columns (the merged
// (kw, ci) sweep and the kw-then-ci sweep), one input channel, odd sizes with unused rows, more
// channels than one register block (a loop over full blocks plus a tail), and batches of 1 and 3.
// The same CNNs in float32, where the three convolution ops run as matrix products on the runtime's
// WebAssembly SIMD GEMM (im2col / col2im), or as its direct convolution (few input channels, no padding): loss, gradients and outputs equal the float64 module's to
// float32 rounding, and the same bits on every run.
import { describe, expect, it } from "vitest";
import * as cv from "../../compiler/dsl/conv.js";
import * as d from "../../compiler/dsl/core.js";
import { model } from "../../compiler/dsl/model.js";
import { evaluate } from "../../compiler/ir/interpret.js";
import type { Node } from "../../compiler/ir/node.js";
import { compileAndImport } from "../helpers/compiled.js";
import { checkGradients, traceModel } from "../helpers/gradcheck.js";
import { mulberry32, uniformArray } from "../helpers/rng.js";
import { nonEmpty } from "../helpers/nonEmpty.js";

interface Case {
  readonly name: string;
  /** [H, W, C] of the input image. */
  readonly image: readonly [number, number, number];
  readonly body: (x: Node) => Node;
  readonly classes?: number;
}

const staticSize = (n: Node) => (n.shape.slice(1) as number[]).reduce((a, b) => a * b, 1);

/** The image through `body`, flattened, a dense layer, softmax cross-entropy against labels. */
const build = (c: Case) => () => {
  const x = d.input("x", ["batch", ...c.image]);
  const y = d.input("y", ["batch"], { dtype: "int" });
  const features = cv.flatten(c.body(x));
  const k = c.classes ?? 3;
  const Wd = d.param("Wd", [staticSize(features), k], { init: "xavier" });
  const bd = d.param("bd", [k], { init: "uniform", low: -0.1, high: 0.1 });
  const logits = d.add(d.matmul(features, Wd), bd);
  return { loss: d.softmaxCrossEntropy(logits, y), outputs: { logits, features } };
};

let layer = 0;
/** conv2d + a bias, with fresh parameter names. */
function conv(x: Node, k: [number, number], cout: number, opts: cv.Conv2dOptions = {}): Node {
  const l = layer++;
  const cin = x.shape[3] as number;
  const w = d.param(`K${l}`, [k[0], k[1], cin, cout], { init: "he" });
  const b = d.param(`c${l}`, [cout], { init: "uniform", low: -0.1, high: 0.1 });
  return d.add(cv.conv2d(x, w, opts), b);
}

const cases: Case[] = [
  {
    name: "stride 2 + padding 1 → tanh → max-pool 3/2 pad 1 → dilated 'same' conv → relu → avg-pool 2, on a 9×7×2 image",
    image: [9, 7, 2],
    body: (x) => {
      const h = cv.maxPool2d(d.tanh(conv(x, [3, 3], 4, { stride: 2, padding: 1 })), { size: 3, stride: 2, padding: 1 });
      return cv.avgPool2d(d.relu(conv(h, [3, 3], 5, { dilation: 2, padding: "same" })), { size: 2 });
    },
  },
  {
    name: "more channels than a register block: 37 output channels (2 full blocks + 5), max-pool over 37 (4 blocks of 8 + 5)",
    image: [6, 6, 3],
    body: (x) => cv.maxPool2d(d.tanh(conv(x, [2, 3], 37, { dilation: [1, 2], padding: [1, 0] })), { size: 2, stride: 1 }),
  },
  {
    name: "one input channel, column dilation 2, stride [1,2], padding [0,2]; then rows dilated (the merged sweep), stride 3",
    image: [8, 9, 1],
    body: (x) => conv(d.sigmoid(conv(x, [3, 2], 3, { dilation: [1, 2], stride: [1, 2], padding: [0, 2] })), [2, 2], 17, { dilation: [2, 1], stride: 3 }),
  },
  {
    name: "even filters with 'same' (one extra row/column at the bottom/right), avg-pool with padding, max-pool size [2,3]",
    image: [7, 8, 2],
    body: (x) => {
      const h = cv.avgPool2d(d.tanh(conv(x, [2, 2], 3, { padding: "same" })), { size: 3, stride: 2, padding: 1 });
      return cv.maxPool2d(d.tanh(conv(h, [4, 2], 4, { padding: "same", stride: 2 })), { size: [2, 3], stride: [1, 2], padding: [1, 1] });
    },
  },
  {
    name: "wide 'same' convs: blocks of neighbouring pixels between clipped border columns, in all three kernels",
    image: [5, 12, 2],
    body: (x) => conv(d.tanh(conv(x, [3, 3], 3, { padding: 1 })), [3, 3], 5, { padding: 1 }),
  },
  {
    // 6 rows, 20 columns, stride 2, padding 1: the first taps fall in the top/left padding, the last
    // window ends inside the image (clipped low, not high); then 3×10, whose rows clip at both ends and
    // whose 5 output columns have a block of 4 unclipped neighbours (∂x's pixel block, with a column stride).
    name: "stride 2, padding 1 on even sizes: taps clipped at the top/left only, then at both ends",
    image: [6, 20, 2],
    body: (x) => conv(d.tanh(conv(x, [3, 3], 3, { stride: 2, padding: 1 })), [3, 3], 4, { stride: 2, padding: 1 }),
  },
  {
    // Rows padded (stride 2 on 6 rows: the top only), columns not: the patch matrix must still start as zeros.
    name: "rows padded and clipped at the top only, columns valid",
    image: [6, 5, 2],
    body: (x) => d.tanh(conv(x, [3, 3], 3, { stride: [2, 1], padding: [1, 0] })),
  },
  {
    // 5 rows, stride 2, padding 1: the last output row's bottom tap is in the padding while every column
    // tap is inside x (a patch row copied whole, its filter rows cut at the bottom).
    name: "rows padded and clipped at the top and the bottom, columns valid",
    image: [5, 5, 2],
    body: (x) => d.tanh(conv(x, [3, 3], 3, { stride: [2, 1], padding: [1, 0] })),
  },
  {
    // A 2×1 filter, 'same': one row of padding at the bottom only, none in the columns (a patch row
    // copied whole, its filter rows cut at the bottom, from the first output row on).
    name: "'same' with a 2×1 filter: rows clipped at the bottom only, columns valid",
    image: [5, 4, 2],
    body: (x) => d.tanh(conv(x, [2, 1], 3, { padding: "same" })),
  },
  {
    // 'same' with stride 2 and dilation 2 of a 2×2 filter on 8×8 pads one row and column at the bottom/right
    // only (clipped high, not low: where the stride and the dilation decide the last window's end); again on 4×4.
    name: "'same', stride 2, dilation 2: taps clipped at the bottom/right only",
    image: [8, 8, 2],
    body: (x) => conv(d.tanh(conv(x, [2, 2], 3, { stride: 2, dilation: 2, padding: "same" })), [2, 2], 4, { stride: 2, dilation: 2, padding: "same" }),
  },
  {
    name: "LeNet-like (valid 5×5 convs, 2×2 max-pools), the shape of examples/mnist-cnn at 16×16",
    image: [16, 16, 1],
    body: (x) => cv.maxPool2d(d.relu(conv(cv.maxPool2d(d.relu(conv(x, [5, 5], 4)), { size: 2 }), [3, 3], 6)), { size: 2 }),
    classes: 10,
  },
  {
    // float32: the runtime's direct convolution and filter gradient (no padding, output channels in fours,
    // two input channels), eight channels a block and four, with a stride and a dilation.
    name: "direct convolutions: 3×2 on 2 channels into 12, stride (1, 2), dilation (2, 1) → tanh → 2×2 into 8",
    image: [11, 9, 2],
    body: (x) => conv(d.tanh(conv(x, [3, 2], 12, { stride: [1, 2], dilation: [2, 1] })), [2, 2], 8),
  },
];

const f64 = (r: Readonly<Record<string, ArrayLike<number>>>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Float64Array.from(v)]));

describe("small CNNs, compiled (f64)", () => {
  for (const [k, c] of cases.entries()) {
    it(c.name, async () => {
      layer = 0;
      const def = model("cnn", build(c));
      const { module } = await compileAndImport(def);
      for (const batch of [1, 3]) {
        const rng = mulberry32(1000 * k + batch);
        const [H, W, C] = c.image;
        const inputs = { x: uniformArray(rng, batch * H * W * C, -1, 1), y: Array.from({ length: batch }, (_, i) => i % (c.classes ?? 3)) };
        const params = f64(module.initParams(k + batch));
        layer = 0;
        // every conv parameter; the dense layer's (plain matmul, tested elsewhere) only through the loss
        const convParams = Object.keys(params).filter((p) => /^[Kc]\d/.test(p));
        checkGradients(build(c), { inputs, params }, { analytic: () => module.lossAndGrad(params, inputs), params: convParams });
        // forward() is the interpreter's forward graph, to rounding
        layer = 0;
        const g = traceModel(build(c));
        const ref = evaluate(g, { inputs, params });
        const out = module.forward(params, inputs);
        for (const [name, node] of nonEmpty(g.outputs, "outputs")) {
          const want = ref.get(node)!.data;
          const got = out[name]!;
          expect(got.length).toBe(want.length);
          for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!), `${name}[${i}]`).toBeLessThan(1e-12 * Math.max(1, Math.abs(want[i]!)));
        }
      }
    });
  }

  it("max-pool routes the whole gradient to the first of tied maxima, in the compiled module too", async () => {
    const def = model("ties", () => {
      const x = d.input("x", ["batch", 2, 4, 1]);
      const X = d.param("X", [1, 2, 4, 1]);
      const pooled = cv.maxPool2d(d.add(x, X), { size: 2 });
      return { loss: d.sum(d.mul(pooled, d.constant([10, 20], [1, 1, 2, 1]))), outputs: { pooled } };
    });
    const { module } = await compileAndImport(def);
    // windows [[3, 7], [7, 1]] and [[2, 2], [2, 2]] (x + X with X = 0)
    const { grads } = module.lossAndGrad({ X: new Float64Array(8) }, { x: [3, 7, 2, 2, 7, 1, 2, 2] });
    expect(Array.from(grads.X!)).toEqual([0, 10, 20, 0, 0, 0, 0, 0]);
  });
});

describe("small CNNs, compiled (f32: the convolutions as products on the SIMD GEMM)", () => {
  /** |got − want| ≤ tol · max|want| over the whole tensor (float32 sums of float32 products). */
  const close = (got: ArrayLike<number>, want: ArrayLike<number>, what: string, tol = 2e-5) => {
    expect(got.length, what).toBe(want.length);
    let scale = 0, worst = 0;
    for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]!));
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
    expect(scale, `${what}: a tensor of zeros proves nothing`).toBeGreaterThan(0);
    expect(worst / scale, what).toBeLessThan(tol);
  };
  it("a fixed batch (--batch 3) computes what the symbolic batch does: the patch matrix's row count as a number", async () => {
    const c = cases.find((x) => x.name.startsWith("stride 2, padding 1 on even sizes"))!;
    layer = 0;
    const def = model("cnn", build(c));
    const { module: fixed, code } = await compileAndImport(def, { dtype: "f32", batch: 3 });
    layer = 0;
    const { module: symbolic } = await compileAndImport(model("cnn", build(c)), { dtype: "f32" });
    expect(code).toMatch(/const rows[\w$]* = 3 \* \d+;|const rows[\w$]* = \d+;/);
    const [H, W, C] = c.image;
    const inputs = { x: Float32Array.from(uniformArray(mulberry32(3), 3 * H * W * C, -1, 1)), y: [0, 1, 2] };
    const p32 = symbolic.initParams(4);
    const a = fixed.lossAndGrad(p32, inputs), b = symbolic.lossAndGrad(p32, inputs);
    // (a fixed batch unrolls other kernels over it, whose float32 sums may round differently)
    expect(Math.abs(a.loss - b.loss)).toBeLessThan(1e-6 * Math.abs(b.loss));
    for (const name of Object.keys(b.grads)) close(a.grads[name]!, b.grads[name]!, `∂loss/∂${name} at the fixed batch`);
  });

  for (const [k, c] of cases.entries()) {
    it(c.name, async () => {
      layer = 0;
      const def = model("cnn", build(c));
      const { module: m32, code } = await compileAndImport(def, { dtype: "f32" });
      layer = 0;
      const { module: m64 } = await compileAndImport(def);
      // the convolutions are products on the engine, and no scalar convolution loop nest is left
      expect(code).toContain("GEMM.productAt(");
      expect(code).not.toMatch(/let s0_0 = 0/);
      for (const batch of [1, 3]) {
        const rng = mulberry32(1000 * k + batch);
        const [H, W, C] = c.image;
        const x = Float32Array.from(uniformArray(rng, batch * H * W * C, -1, 1));
        const inputs = { x, y: Array.from({ length: batch }, (_, i) => i % (c.classes ?? 3)) };
        const p32 = m32.initParams(k + batch);
        const p64 = f64(p32);
        const got = m32.lossAndGrad(p32, inputs), want = m64.lossAndGrad(p64, inputs);
        expect(Math.abs(got.loss - want.loss)).toBeLessThan(1e-5 * Math.max(1, Math.abs(want.loss)));
        for (const name of Object.keys(want.grads)) close(got.grads[name]!, want.grads[name]!, `∂loss/∂${name}, batch ${batch}`);
        const again = m32.lossAndGrad(p32, inputs);
        for (const name of Object.keys(got.grads)) expect(Array.from(again.grads[name]!), `${name}: the same bits again`).toEqual(Array.from(got.grads[name]!));
        const out32 = m32.forward(p32, inputs), out64 = m64.forward(p64, inputs);
        for (const name of Object.keys(out64)) close(out32[name]!, out64[name]!, `forward ${name}, batch ${batch}`);
      }
    });
  }
});
