// conv2d, maxPool2d, avgPool2d and flatten: their reference semantics (eval) against an independent
// implementation and hand-worked numbers, the geometry of "same" padding, max-pool's tie rule, and
// the DSL's errors. Their gradients are in the table of ./gradients.test.ts; the compiled kernels are
// checked in ../property/conv.compiled.test.ts.
import { describe, expect, it } from "vitest";
import * as cv from "../../compiler/dsl/conv.js";
import * as d from "../../compiler/dsl/core.js";
import { GradcError } from "../../compiler/diagnostics.js";
import type { Node } from "../../compiler/ir/node.js";
import { getOp } from "../../compiler/ops/index.js";
import { model } from "../../compiler/dsl/model.js";
import { compileAndImport } from "../helpers/compiled.js";
import { evalNode, inContext } from "../helpers/evalNode.js";
import { interpretedGradients, traceModel } from "../helpers/gradcheck.js";
import { mulberry32, uniformArray } from "../helpers/rng.js";
import { conv2dBackwardFilter, conv2dBackwardInput, conv2dWithAttrs } from "../../compiler/ops/conv.js";
import { avgPool2dBackward, maxPool2dBackward, maxPool2dSelect } from "../../compiler/ops/pool.js";

type Shape4 = [number, number, number, number];

/**
 * conv2d written the long way: copy x into an explicitly zero-padded array, then a valid convolution
 * with the dilated filter. Nothing shared with compiler/ops/conv.ts.
 */
function naiveConv(x: number[], [N, H, W, C]: Shape4, w: number[], [KH, KW, , CO]: Shape4, s: [number, number], pad: [number, number, number, number], dil: [number, number]) {
  const [t, l, b, r] = pad;
  const HP = H + t + b, WP = W + l + r;
  const padded = new Float64Array(N * HP * WP * C);
  for (let n = 0; n < N; n++)
    for (let i = 0; i < H; i++)
      for (let j = 0; j < W; j++)
        for (let c = 0; c < C; c++) padded[((n * HP + i + t) * WP + j + l) * C + c] = x[((n * H + i) * W + j) * C + c]!;
  const OH = Math.floor((HP - dil[0] * (KH - 1) - 1) / s[0]) + 1;
  const OW = Math.floor((WP - dil[1] * (KW - 1) - 1) / s[1]) + 1;
  const y: number[] = [];
  for (let n = 0; n < N; n++)
    for (let i = 0; i < OH; i++)
      for (let j = 0; j < OW; j++)
        for (let o = 0; o < CO; o++) {
          let sum = 0;
          for (let p = 0; p < KH; p++)
            for (let q = 0; q < KW; q++)
              for (let c = 0; c < C; c++) sum += padded[((n * HP + i * s[0] + p * dil[0]) * WP + j * s[1] + q * dil[1]) * C + c]! * w[((p * KW + q) * C + c) * CO + o]!;
          y.push(sum);
        }
  return { shape: [N, OH, OW, CO], data: y };
}

const values = (n: number, seed: number) => uniformArray(mulberry32(seed), n, -1, 1);
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

function codeOf(f: () => unknown): string {
  try {
    inContext(f);
  } catch (e) {
    if (e instanceof GradcError) return `${e.code}: ${e.message}`;
    throw e;
  }
  return "no error";
}

describe("conv2d", () => {
  const configs: { x: Shape4; w: Shape4; opts: cv.Conv2dOptions; pad: [number, number, number, number]; s: [number, number]; dil: [number, number] }[] = [
    { x: [2, 5, 5, 3], w: [3, 3, 3, 4], opts: {}, pad: [0, 0, 0, 0], s: [1, 1], dil: [1, 1] },
    { x: [1, 6, 7, 2], w: [3, 3, 2, 2], opts: { stride: 2, padding: 1 }, pad: [1, 1, 1, 1], s: [2, 2], dil: [1, 1] },
    { x: [1, 7, 6, 2], w: [3, 2, 2, 3], opts: { stride: [2, 1], padding: [1, 0], dilation: [1, 2] }, pad: [1, 0, 1, 0], s: [2, 1], dil: [1, 2] },
    { x: [2, 6, 6, 1], w: [3, 3, 1, 2], opts: { dilation: 2, padding: "same" }, pad: [2, 2, 2, 2], s: [1, 1], dil: [2, 2] },
    { x: [1, 4, 5, 2], w: [2, 2, 2, 2], opts: { padding: "same" }, pad: [0, 0, 1, 1], s: [1, 1], dil: [1, 1] },
    { x: [1, 5, 6, 1], w: [3, 3, 1, 1], opts: { stride: 2, padding: "same" }, pad: [1, 0, 1, 1], s: [2, 2], dil: [1, 1] },
    { x: [1, 3, 3, 1], w: [2, 2, 1, 2], opts: { padding: 2 }, pad: [2, 2, 2, 2], s: [1, 1], dil: [1, 1] },
  ];
  it.each(configs.map((c) => [`x${JSON.stringify(c.x)} ⊛ w${JSON.stringify(c.w)} ${JSON.stringify(c.opts)}`, c] as const))("eval equals a zero-padded direct convolution: %s", (_, c) => {
    const xv = values(size(c.x), 1), wv = values(size(c.w), 2);
    const got = evalNode(() => cv.conv2d(d.constant(xv, c.x), d.constant(wv, c.w), c.opts));
    const want = naiveConv(xv, c.x, wv, c.w, c.s, c.pad, c.dil);
    expect(got.shape).toEqual(want.shape);
    got.data.forEach((v, k) => expect(v).toBeCloseTo(want.data[k]!, 12));
  });

  it("a worked example: x = 1…16 (4×4), w = [[1, 0], [0, −1]]", () => {
    const x = () => d.constant(Array.from({ length: 16 }, (_, k) => k + 1), [1, 4, 4, 1]);
    const w = () => d.constant([1, 0, 0, -1], [2, 2, 1, 1]);
    // valid: y[i, j] = x[i, j] − x[i+1, j+1] = −5 everywhere
    expect(evalNode(() => cv.conv2d(x(), w()))).toEqual({ shape: [1, 3, 3, 1], data: Array(9).fill(-5) });
    // stride 2, padding 1: y[i, j] = x[2i−1, 2j−1] − x[2i, 2j], zeros outside
    expect(evalNode(() => cv.conv2d(x(), w(), { stride: 2, padding: 1 })).data).toEqual([-1, -3, 0, -9, -5, 8, 0, 14, 16]);
  });

  it('"same" gives ⌈H / stride⌉ × ⌈W / stride⌉ for any filter, stride and dilation', () => {
    for (const h of [5, 6, 7, 8])
      for (const k of [1, 2, 3, 4])
        for (const s of [1, 2, 3])
          for (const dil of [1, 2]) {
            const y = inContext(() => cv.conv2d(d.input("x", ["batch", h, h + 1, 1]), d.param("w", [k, k, 1, 2]), { stride: s, dilation: dil, padding: "same" })).result;
            expect(y.shape).toEqual(["batch", Math.ceil(h / s), Math.ceil((h + 1) / s), 2]);
          }
  });

  it("a bias [cout] broadcasts over the last axis", () => {
    const y = evalNode(() => d.add(cv.conv2d(d.constant([1, 2, 3, 4], [1, 2, 2, 1]), d.constant([1, -1], [1, 1, 1, 2])), d.constant([10, 20])));
    expect(y.data).toEqual([11, 19, 12, 18, 13, 17, 14, 16]);
  });

  it("the three convolution ops are the partial derivatives of one trilinear form (exact adjoints)", () => {
    // ⟨conv2d(x, w), g⟩ = ⟨x, convᵀ(g, w)⟩ = ⟨w, filterGrad(x, g)⟩
    const attrs = { stride: [2, 1] as [number, number], padding: [1, 0, 2, 1] as [number, number, number, number], dilation: [1, 2] as [number, number] };
    const xs: Shape4 = [2, 6, 5, 3], ws: Shape4 = [3, 2, 3, 2];
    const xv = values(size(xs), 3), wv = values(size(ws), 4);
    const { result: node } = inContext(() => conv2dWithAttrs(d.constant(xv, xs), d.constant(wv, ws), attrs));
    const gs = node.shape as number[];
    const gv = values(size(gs), 5);
    const yv = evalNode(() => conv2dWithAttrs(d.constant(xv, xs), d.constant(wv, ws), attrs)).data;
    const dx = evalNode(() => conv2dBackwardInput(d.constant(gv, gs), d.constant(wv, ws), attrs, [6, 5])).data;
    const dw = evalNode(() => conv2dBackwardFilter(d.constant(xv, xs), d.constant(gv, gs), attrs, [3, 2])).data;
    const dot = (a: number[], b: number[]) => a.reduce((s, v, k) => s + v * b[k]!, 0);
    expect(dot(xv, dx)).toBeCloseTo(dot(yv, gv), 12);
    expect(dot(wv, dw)).toBeCloseTo(dot(yv, gv), 12);
  });
});

describe("pooling", () => {
  it("maxPool2d and avgPool2d of a worked 4×4 example", () => {
    const x = () => d.constant([1, 5, 2, 0, 3, 4, 8, 1, 0, -1, 2, 2, 7, 3, 2, 9], [1, 4, 4, 1]);
    expect(evalNode(() => cv.maxPool2d(x(), { size: 2 })).data).toEqual([5, 8, 7, 9]);
    expect(evalNode(() => cv.avgPool2d(x(), { size: 2 })).data).toEqual([13 / 4, 11 / 4, 9 / 4, 15 / 4]);
    expect(evalNode(() => cv.maxPool2d(x(), { size: 3, stride: 1 })).data).toEqual([8, 8, 8, 9]);
  });

  it("max padding never wins; average padding counts as zeros (count_include_pad)", () => {
    const x = () => d.constant([-4, -3, -2, -1], [1, 2, 2, 1]);
    expect(evalNode(() => cv.maxPool2d(x(), { size: 3, stride: 1, padding: 1 })).data).toEqual([-1, -1, -1, -1]);
    const ones = () => d.constant([1, 1, 1, 1], [1, 2, 2, 1]);
    expect(evalNode(() => cv.avgPool2d(ones(), { size: 3, stride: 1, padding: 1 })).data).toEqual([4 / 9, 4 / 9, 4 / 9, 4 / 9]);
  });

  it("per channel, NHWC", () => {
    // two channels: c0 = 1…4, c1 = −(1…4)
    const x = () => d.constant([1, -1, 2, -2, 3, -3, 4, -4], [1, 2, 2, 2]);
    expect(evalNode(() => cv.maxPool2d(x(), { size: 2 })).data).toEqual([4, -1]);
    expect(evalNode(() => cv.avgPool2d(x(), { size: 2 })).data).toEqual([2.5, -2.5]);
  });

  it("max-pool's gradient goes to the first maximum of a window (row-major), as PyTorch", () => {
    // windows (2×2): [3, 7, 7, 1] → position 1; [2, 2, 2, 2] → position 0; [0, 5, 1, 5] → position 1; [6, 4, 6, 6] → 0
    const xv = [3, 7, 2, 2, 7, 1, 2, 2, 0, 5, 6, 4, 1, 5, 6, 6];
    const g = interpretedGradients(traceModel(() => {
      const X = d.param("X", [1, 4, 4, 1]);
      return { loss: d.sum(d.mul(cv.maxPool2d(X, { size: 2 }), d.constant([10, 20, 30, 40], [1, 2, 2, 1]))) };
    }), { params: { X: xv } }).grads.X!;
    expect(Array.from(g)).toEqual([0, 10, 20, 0, 0, 0, 0, 0, 0, 30, 40, 0, 0, 0, 0, 0]);
  });

  it("flatten orders NHWC features as (h, w, c) and keeps the batch", () => {
    const { result } = inContext(() => cv.flatten(d.input("x", ["batch", 4, 3, 2])));
    expect(result.op).toBe("reshape");
    expect(result.shape).toEqual(["batch", 24]);
    expect(evalNode(() => cv.flatten(d.constant([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 1, 2])))).toEqual({ shape: [2, 4], data: [1, 2, 3, 4, 5, 6, 7, 8] });
  });
});

describe("DSL errors", () => {
  const x = () => d.input("x", ["batch", 6, 6, 3]);
  it.each([
    ["channels differ", () => cv.conv2d(x(), d.param("w", [3, 3, 2, 4])), /GC2001: conv2d: the filters \[3, 3, 2, 4\] expect 2 input channels, the input \[batch, 6, 6, 3\] has 3/],
    ["the filter does not fit", () => cv.conv2d(x(), d.param("w", [4, 4, 3, 1]), { dilation: 2 }), /GC2001: conv2d: input \[batch, 6, 6, 3\], filters \[4, 4, 3, 1\]: the 4×4 filter \(dilation 2×2\) does not fit the padded 6×6 input/],
    ["filters of rank 3", () => cv.conv2d(x(), d.param("w", [3, 3, 3])), /GC2001: conv2d: the filters must be a rank-4 NHWC tensor with static dimensions, got \[3, 3, 3\]/],
    ["not NHWC", () => cv.conv2d(d.input("x", ["batch", 36]), d.param("w", [3, 3, 1, 1])), /GC2001: conv2d: the input must be a rank-4 NHWC tensor/],
    ["a bad stride", () => cv.conv2d(x(), d.param("w", [3, 3, 3, 1]), { stride: 0 }), /GC2007: conv2d stride must be an integer ≥ 1/],
    ["a bad padding", () => cv.conv2d(x(), d.param("w", [3, 3, 3, 1]), { padding: "full" as never }), /GC2007: conv2d padding/],
    ["an unknown option", () => cv.conv2d(x(), d.param("w", [3, 3, 3, 1]), { strides: 2 } as never), /GC2007: conv2d: unknown option "strides"/],
    ["no pool size", () => cv.maxPool2d(x(), {} as never), /GC2007: maxPool2d: the window size is required/],
    ["pool padding over half the window", () => cv.avgPool2d(x(), { size: 2, padding: 2 }), /GC2007: avgPool2d: padding \[2,2\] must be at most half the window/],
    ["a window larger than the input", () => cv.maxPool2d(x(), { size: 7 }), /GC2001: maxPool2d: the 7×7 window does not fit the padded 6×6 input/],
    ["a window taller than the input only", () => cv.maxPool2d(x(), { size: [7, 2] }), /GC2001: maxPool2d: the 7×2 window does not fit the padded 6×6 input/],
    ["a window wider than the input only", () => cv.avgPool2d(x(), { size: [2, 7] }), /GC2001: avgPool2d: the 2×7 window does not fit the padded 6×6 input/],
    ["a filter taller than the input only", () => cv.conv2d(x(), d.param("w", [7, 1, 3, 1])), /GC2001: conv2d: input \[batch, 6, 6, 3\], filters \[7, 1, 3, 1\]: the 7×1 filter \(dilation 1×1\) does not fit the padded 6×6 input/],
    ["a filter wider than the input only", () => cv.conv2d(x(), d.param("w", [1, 7, 3, 1])), /GC2001: conv2d: input \[batch, 6, 6, 3\], filters \[1, 7, 3, 1\]: the 1×7 filter \(dilation 1×1\) does not fit the padded 6×6 input/],
    ["flatten of a vector", () => cv.flatten(d.input("v", ["batch"])), /GC2001: flatten/],
  ])("%s", (_, f, re) => {
    expect(codeOf(f)).toMatch(re);
  });
});

describe("notation", () => {
  const note = (n: Node) => getOp(n.op).notation(n.inputs.map((i) => String(i.name ?? i.op)), n.attrs);
  it("names the geometry only when it is not the default", () => {
    const { result } = inContext(() => {
      const X = d.param("X", [1, 6, 6, 2]), K = d.param("K", [3, 3, 2, 4]);
      return [cv.conv2d(X, K), cv.conv2d(X, K, { stride: 2, padding: 1 }), cv.maxPool2d(X, { size: 2 }), cv.avgPool2d(X, { size: 3, stride: 1, padding: 1 })];
    });
    expect(result.map(note)).toEqual(["X ⊛ K", "X ⊛ K (stride 2, pad 1)", "maxPool2×2(X)", "avgPool3×3(X; stride 1, pad 1)"]);
  });
  it("writes the pooling gradients' ops: avgPoolᵀ of g, h read at maxPool's argmax of x", () => {
    const { result } = inContext(() => {
      const X = d.param("X", [1, 6, 6, 2]), G = d.param("G", [1, 3, 3, 2]), H = d.param("H", [1, 6, 6, 2]);
      const attrs = { size: [2, 2], stride: [2, 2], padding: [0, 0] } as const;
      return [avgPool2dBackward(G, attrs, [6, 6]), maxPool2dSelect(X, H, attrs), maxPool2dBackward(X, G, attrs)];
    });
    expect(result.map(note)).toEqual(["avgPoolᵀ2×2(G)", "H[argmax2×2(X)]", "G → argmax2×2(X)"]);
  });
  it("writes a geometry that differs between the axes per axis, and uneven padding side by side", () => {
    const { result } = inContext(() => {
      const X = d.param("X", [1, 6, 6, 2]), K = d.param("K", [3, 3, 2, 4]), K24 = d.param("K24", [2, 4, 2, 4]);
      return [
        cv.conv2d(X, K, { stride: [1, 2], padding: [0, 1], dilation: [2, 1] }),
        cv.conv2d(X, K, { stride: [2, 1], dilation: [1, 2] }),
        cv.conv2d(X, K24, { padding: "same" }), // 1 and 3 rows of padding: the extra one at the bottom, right
        conv2dWithAttrs(X, K, { stride: [1, 1], padding: [1, 0, 0, 0], dilation: [1, 1] }), // only the top
        conv2dWithAttrs(X, K, { stride: [1, 1], padding: [1, 0, 1, 1], dilation: [1, 1] }), // rows even, columns not
        cv.maxPool2d(X, { size: [2, 4], stride: [2, 1], padding: [1, 0] }),
        cv.maxPool2d(X, { size: [2, 2], stride: [1, 2] }), // the columns' stride is the window's, the rows' is not
      ];
    });
    expect(result.map(note)).toEqual(["X ⊛ K (stride 1×2, pad 0×1, dilation 2×1)", "X ⊛ K (stride 2×1, dilation 1×2)", "X ⊛ K24 (pad 0,1,1,2)", "X ⊛ K (pad 1,0,0,0)", "X ⊛ K (pad 1,0,1,1)", "maxPool2×4(X; stride 2×1, pad 1×0)", "maxPool2×2(X; stride 1×2)"]);
  });
});

describe("the pooling kernels' comments (what a reader of the emitted code is told)", () => {
  it("avgPool2d and its gradient say how padding counts, maxPool2dSelect where h is read", async () => {
    const avg = model("avg", () => {
      const x = d.input("x", ["batch", 5, 5, 2]);
      const X = d.param("X", [5, 5, 2]);
      return { loss: d.mean(d.square(cv.avgPool2d(d.mul(x, X), { size: 3, stride: 2, padding: 1 }))) };
    });
    const { code } = await compileAndImport(avg);
    expect(code).toContain("// y[b, i, j, :] = Σ over the window's positions inside x / 9 (padding counts as zeros)");
    expect(code).toContain("// ∂L/∂x = 0, then each window's g / 9 is added at the window's positions inside x");
    const select = model("select", () => {
      const x = d.input("x", ["batch", 4, 4, 2]);
      const H = d.param("H", [4, 4, 2]);
      return { loss: d.mean(maxPool2dSelect(x, d.mul(x, H), { size: [2, 2], stride: [2, 2], padding: [0, 0] })) };
    });
    expect((await compileAndImport(select)).code).toContain("// y[b, i, j, c] = h at the window's first argmax of x in channel c");
  });
});

describe("float64 convolution kernels as emitted (the names of their comments' formulas, clipping only where taps leave x)", () => {
  it("loops over kh, kw, ci with the output rows and columns clipped low only, and over taps t of a valid convolution", async () => {
    const m = model("cnn", () => {
      const x = d.input("x", ["batch", 6, 20, 5]);
      const K = d.param("K", [3, 3, 5, 3], { init: "he" });
      const K2 = d.param("K2", [2, 2, 3, 2], { init: "he" });
      const h = d.tanh(cv.conv2d(x, K, { stride: 2, padding: 1 })); // 20 columns, stride 2, padding 1: clipped low, not high
      return { loss: d.mean(d.square(cv.conv2d(h, K2))) };
    });
    const { code } = await compileAndImport(m);
    expect(code).toMatch(/const ohLo = Math\.max\(0, Math\.ceil\(\(1 - kh_?\d*\) \/ 2\)\);/);
    expect(code).toMatch(/for \(let kw = 0; kw < 3; kw\+\+\) \{\n\s*const owLo = Math\.max\(0, Math\.ceil\(\(1 - kw\) \/ 2\)\);\n\s*for \(let ci = 0; ci < 4; ci \+= 2\) \{/);
    expect(code).not.toMatch(/owHi|ohHi/); // the last windows end inside x
    expect(code).toMatch(/for \(let t_?\d* = 0; t_?\d* < 6; t_?\d* \+= 2\) \{/); // K2: taps (kw, ci) as one index, two at a time
  });

  it("the forward kernel's output columns: the clipped ones one at a time, the rest two at a time, each run named", async () => {
    const m = model("cnn", () => {
      const x = d.input("x", ["batch", 6, 20, 5]);
      const K = d.param("K", [3, 3, 5, 3], { init: "he" });
      return { loss: d.mean(d.square(cv.conv2d(x, K, { stride: 2, padding: 1 }))) };
    });
    const { code } = await compileAndImport(m);
    expect(code).toMatch(/const khLo = Math\.max\(0, 1 - oh_?\d* \* 2\);/);
    expect(code).toMatch(/\/\/ columns 0…0, taps clipped to x\n\s*for \(let (ow_?\d*) = 0; \1 < 1; \1\+\+\) \{\n\s*const kwLo = Math\.max\(0, 1 - \1 \* 2\);/);
    expect(code).toMatch(/\/\/ columns 1…8, 2 at a time \(every tap inside x\)\n\s*for \(let (ow_?\d*) = 1; \1 < 9; \1 \+= 2\) \{\n\s*const xw/);
    expect(code).toMatch(/\/\/ columns 9…9\n\s*for \(let (ow_?\d*) = 9; \1 < 10; \1\+\+\) \{\n\s*const xw/);
  });
});
