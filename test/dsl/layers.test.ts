// gradc/layers: each layer's parameters (names, shapes, PyTorch's init distributions), its outputs
// against an independent implementation written here from PyTorch's equations, its gradients through
// the whole compiler, its errors located at the layer's call, and that a layered model explains and
// trains like the same model written by hand.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import * as d from "../../compiler/dsl/core.js";
import { conv2dLayer, dense, embeddingLayer, lstmLayer, mlp } from "../../compiler/dsl/layers.js";
import { model } from "../../compiler/dsl/model.js";
import { explainFile } from "../../compiler/explain.js";
import { loadModelSource } from "../../compiler/frontend/load.js";
import type { Graph } from "../../compiler/ir/graph.js";
import { evaluate } from "../../compiler/ir/interpret.js";
import { isGradcError } from "../../runtime/errors.js";
import { initDistribution, initTensor, type InitSpec } from "../../runtime/init.js";
import { createRng } from "../../runtime/rng.js";
import { checkCompiled } from "../helpers/checkCompiled.js";
import { compileAndImport } from "../helpers/compiled.js";
import { traceModel } from "../helpers/gradcheck.js";
import { mulberry32, uniformArray } from "../helpers/rng.js";

const dir = mkdtempSync(path.join(tmpdir(), "gradc-layers-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** name → [shape, init] of a traced graph's parameters, in declaration order. */
const paramsOf = (g: Graph) => g.params.map((p) => [p.attrs.name as string, p.shape, p.attrs.init as InitSpec] as const);

/** Random values for every parameter of g (and the given inputs), and the interpreter's outputs. */
function run(g: Graph, inputs: Record<string, number[]>, seed = 3) {
  const rng = mulberry32(seed);
  const params = Object.fromEntries(g.params.map((p) => [p.attrs.name as string, uniformArray(rng, (p.shape as number[]).reduce((a, b) => a * b, 1), -0.5, 0.5)]));
  const values = evaluate(g, { inputs, params });
  const outputs = Object.fromEntries(g.outputs.map(([name, node]) => [name, [...values.get(node)!.data]]));
  return { params, outputs };
}

const expectClose = (got: readonly number[], want: readonly number[]) => {
  expect(got).toHaveLength(want.length);
  got.forEach((v, k) => expect(v, `element ${k}`).toBeCloseTo(want[k]!, 12));
};

/** y = x·W + b for x [n, i], W [i, o] (row-major), b [o]. */
function linearRef(x: readonly number[], W: readonly number[], b: readonly number[] | null, n: number, i: number, o: number): number[] {
  const y: number[] = [];
  for (let r = 0; r < n; r++) for (let c = 0; c < o; c++) {
    let s = b ? b[c]! : 0;
    for (let k = 0; k < i; k++) s += x[r * i + k]! * W[k * o + c]!;
    y.push(s);
  }
  return y;
}

describe("dense (nn.Linear)", () => {
  const def = model("dense", () => {
    const x = d.input("x", ["batch", 5]);
    const y = d.input("y", ["batch", 3]);
    const out = dense(x, 5, 3, { name: "fc" });
    return { loss: d.mse(out, y), outputs: { out } };
  });

  it("declares NAME.weight [in, out] and NAME.bias [out], both U(±1/√in) with the weight's fan-in", () => {
    const g = traceModel(def);
    const [[wName, wShape, wInit], [bName, bShape, bInit]] = paramsOf(g) as [ReturnType<typeof paramsOf>[0], ReturnType<typeof paramsOf>[0]];
    expect([wName, wShape, bName, bShape]).toEqual(["fc.weight", [5, 3], "fc.bias", [3]]);
    const bound = 1 / Math.sqrt(5);
    expect(initDistribution(wShape as number[], wInit)).toMatchObject({ kind: "uniform" });
    const w = initDistribution(wShape as number[], wInit) as { low: number; high: number };
    expect(w.high).toBeCloseTo(bound, 15);
    expect(w.low).toBeCloseTo(-bound, 15);
    // the bias's bound is 1/√in, not 1/√(bias size) as the DSL's "default" on a bias alone would give
    expect(initDistribution(bShape as number[], bInit)).toEqual({ kind: "uniform", low: -bound, high: bound });
  });

  it("draws values in the bound that fill it (784 → 10: weight and bias within ±1/28)", () => {
    const g = traceModel(model("wide", () => {
      const x = d.input("x", ["batch", 784]);
      const out = dense(x, 10, { name: "fc" });
      return { loss: d.sum(out), outputs: { out } };
    }));
    const rng = createRng(7);
    const bound = 1 / 28;
    for (const [name, shape, init] of paramsOf(g)) {
      const v = [...initTensor(rng, shape as number[], init, "f64")];
      const max = Math.max(...v.map(Math.abs));
      expect(max, name).toBeLessThanOrEqual(bound);
      // 10 draws of U(−a, a) all below 0.6a: probability 0.6¹⁰ ≈ 0.6%; 7,840 draws: never
      expect(max, name).toBeGreaterThan((name === "fc.bias" ? 0.6 : 0.99) * bound);
    }
    const w = [...initTensor(createRng(8), [784, 10], paramsOf(g)[0]![2], "f64")];
    const mean = w.reduce((a, b) => a + b, 0) / w.length;
    const std = Math.sqrt(w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length);
    // U(−a, a) has σ = a/√3; the sample mean's σ is a/√(3·7840) ≈ 0.00023
    expect(Math.abs(mean)).toBeLessThan(5 * (bound / Math.sqrt(3 * w.length)));
    expect(std / (bound / Math.sqrt(3))).toBeGreaterThan(0.97);
    expect(std / (bound / Math.sqrt(3))).toBeLessThan(1.03);
  });

  it("computes x·W + b", () => {
    const g = traceModel(def);
    const x = uniformArray(mulberry32(1), 4 * 5);
    const { params, outputs } = run(g, { x, y: new Array(12).fill(0) });
    expectClose(outputs.out!, linearRef(x, params["fc.weight"]!, params["fc.bias"]!, 4, 5, 3));
  });

  it("bias: false, init and biasInit options", () => {
    const g = traceModel(model("opts", () => {
      const x = d.input("x", ["batch", 4]);
      const a = dense(x, 2, { name: "a", bias: false, init: "xavier" });
      const b = dense(x, 2, { name: "b", init: "zeros", biasInit: "ones" });
      return { loss: d.sum(d.add(a, b)), outputs: { a } };
    }));
    expect(paramsOf(g).map(([n, , init]) => [n, init.kind])).toEqual([["a.weight", "xavierUniform"], ["b.weight", "zeros"], ["b.bias", "ones"]]);
    const x = uniformArray(mulberry32(2), 3 * 4);
    const { params, outputs } = run(g, { x });
    expectClose(outputs.a!, linearRef(x, params["a.weight"]!, null, 3, 4, 2));
  });

  it("names layers fc1, fc2, … in call order when no name is given", () => {
    const g = traceModel(model("auto", () => {
      const x = d.input("x", ["batch", 4]);
      const h = d.relu(dense(x, 8));
      const out = dense(h, 2);
      return { loss: d.sum(out), outputs: { out } };
    }));
    expect(paramsOf(g).map(([n, s]) => [n, s])).toEqual([["fc1.weight", [4, 8]], ["fc1.bias", [8]], ["fc2.weight", [8, 2]], ["fc2.bias", [2]]]);
  });
});

describe("conv2dLayer (nn.Conv2d, NHWC)", () => {
  const B = 2, H = 5, W = 6, C = 3, O = 4;
  const def = model("conv", () => {
    const x = d.input("x", ["batch", H, W, C]);
    const y = conv2dLayer(x, C, O, [3, 2], { name: "conv", stride: [2, 1], padding: 1 });
    return { loss: d.sum(y), outputs: { y } };
  });

  it("declares NAME.weight [kh, kw, in, out] and NAME.bias [out], both U(±1/√(kh·kw·in))", () => {
    const g = traceModel(def);
    expect(paramsOf(g).map(([n, s]) => [n, s])).toEqual([["conv.weight", [3, 2, C, O]], ["conv.bias", [O]]]);
    const bound = 1 / Math.sqrt(3 * 2 * C);
    for (const [, shape, init] of paramsOf(g)) {
      const dist = initDistribution(shape as number[], init) as { kind: string; low: number; high: number };
      expect(dist.kind).toBe("uniform");
      expect(dist.high).toBeCloseTo(bound, 15);
      expect(dist.low).toBeCloseTo(-bound, 15);
    }
  });

  it("computes the cross-correlation plus bias of PyTorch's Conv2d (stride, zero padding)", () => {
    const g = traceModel(def);
    const x = uniformArray(mulberry32(4), B * H * W * C);
    const { params, outputs } = run(g, { x });
    const w = params["conv.weight"]!, b = params["conv.bias"]!;
    const [sh, sw, ph, pw, kh, kw] = [2, 1, 1, 1, 3, 2];
    const Ho = Math.floor((H + 2 * ph - kh) / sh) + 1, Wo = Math.floor((W + 2 * pw - kw) / sw) + 1;
    const want: number[] = [];
    for (let n = 0; n < B; n++) for (let i = 0; i < Ho; i++) for (let j = 0; j < Wo; j++) for (let o = 0; o < O; o++) {
      let s = b[o]!;
      for (let p = 0; p < kh; p++) for (let q = 0; q < kw; q++) for (let c = 0; c < C; c++) {
        const r = i * sh + p - ph, t = j * sw + q - pw;
        if (r >= 0 && r < H && t >= 0 && t < W) s += x[((n * H + r) * W + t) * C + c]! * w[((p * kw + q) * C + c) * O + o]!;
      }
      want.push(s);
    }
    expect(g.outputs[0]![1].shape).toEqual(["batch", Ho, Wo, O]);
    expectClose(outputs.y!, want);
  });

  it("infers the input channels and defaults to padding 0, stride 1", () => {
    const g = traceModel(model("conv", () => {
      const x = d.input("x", ["batch", 8, 8, 2]);
      const y = conv2dLayer(x, 6, 5);
      return { loss: d.sum(y), outputs: { y } };
    }));
    expect(paramsOf(g).map(([n, s]) => [n, s])).toEqual([["conv1.weight", [5, 5, 2, 6]], ["conv1.bias", [6]]]);
    expect(g.outputs[0]![1].shape).toEqual(["batch", 4, 4, 6]);
  });
});

describe("mlp (nn.Sequential of Linear and activations)", () => {
  it("names parameters as nn.Sequential's state_dict (0, 2, 4: activations count) and computes the chain", () => {
    const g = traceModel(model("mlp", () => {
      const x = d.input("x", ["batch", 4]);
      const out = mlp(x, [4, 6, 5, 2], { activation: "tanh", name: "net" });
      return { loss: d.sum(out), outputs: { out } };
    }));
    expect(paramsOf(g).map(([n, s]) => [n, s])).toEqual([
      ["net.0.weight", [4, 6]], ["net.0.bias", [6]], ["net.2.weight", [6, 5]], ["net.2.bias", [5]], ["net.4.weight", [5, 2]], ["net.4.bias", [2]],
    ]);
    const bounds = paramsOf(g).map(([, s, init]) => (initDistribution(s as number[], init) as { high: number }).high);
    [4, 4, 6, 6, 5, 5].forEach((fanIn, k) => expect(bounds[k]).toBeCloseTo(1 / Math.sqrt(fanIn), 15));
    const x = uniformArray(mulberry32(6), 3 * 4);
    const { params, outputs } = run(g, { x });
    const h1 = linearRef(x, params["net.0.weight"]!, params["net.0.bias"]!, 3, 4, 6).map(Math.tanh);
    const h2 = linearRef(h1, params["net.2.weight"]!, params["net.2.bias"]!, 3, 6, 5).map(Math.tanh);
    expectClose(outputs.out!, linearRef(h2, params["net.4.weight"]!, params["net.4.bias"]!, 3, 5, 2)); // no activation after the last layer
  });

  it("mlp(sizes) returns the network as a function whose parameters are shared between calls", () => {
    const g = traceModel(model("shared", () => {
      const a = d.input("a", ["batch", 3]);
      const b = d.input("b", ["batch", 3]);
      const net = mlp([3, 4, 1]);
      const ya = net(a), yb = net(b);
      return { loss: d.sum(d.sub(ya, yb)), outputs: { ya, yb } };
    }));
    expect(paramsOf(g).map(([n]) => n)).toEqual(["mlp1.0.weight", "mlp1.0.bias", "mlp1.2.weight", "mlp1.2.bias"]);
    const a = uniformArray(mulberry32(7), 2 * 3);
    const { params, outputs } = run(g, { a, b: a });
    expectClose(outputs.ya!, outputs.yb!);
    const h = linearRef(a, params["mlp1.0.weight"]!, params["mlp1.0.bias"]!, 2, 3, 4).map((v) => Math.max(v, 0)); // relu by default
    expectClose(outputs.ya!, linearRef(h, params["mlp1.2.weight"]!, params["mlp1.2.bias"]!, 2, 4, 1));
  });
});

describe("embeddingLayer (nn.Embedding)", () => {
  it("declares NAME.weight [num, dim] drawn from N(0, 1) and picks its rows", () => {
    const g = traceModel(model("emb", () => {
      const ids = d.input("ids", ["batch", 3], { dtype: "int" });
      const e = embeddingLayer(ids, 500, 8, { name: "embed" });
      return { loss: d.sum(e), outputs: { e } };
    }));
    const [[name, shape, init]] = paramsOf(g) as [ReturnType<typeof paramsOf>[0]];
    expect([name, shape]).toEqual(["embed.weight", [500, 8]]);
    expect(initDistribution(shape as number[], init)).toEqual({ kind: "normal", mean: 0, std: 1 });
    const v = [...initTensor(createRng(3), shape as number[], init, "f64")];
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
    expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(v.length)); // 5σ of the sample mean
    expect(Math.abs(std - 1)).toBeLessThan(5 * Math.sqrt(1 / (2 * v.length))); // 5σ of the sample std
    const ids = [4, 0, 499, 17, 17, 3];
    const { params, outputs } = run(g, { ids });
    expectClose(outputs.e!, ids.flatMap((i) => params["embed.weight"]!.slice(i * 8, i * 8 + 8)));
  });
});

describe("lstmLayer (nn.LSTM, batch_first)", () => {
  const B = 2, T = 4, D = 3, Hd = 5;
  const def = model("lstm", () => {
    const xs = d.input("xs", ["batch", T, D]);
    const y = d.input("y", ["batch", T, Hd]);
    const { outputs, h, c } = lstmLayer(xs, Hd, { name: "lstm", numLayers: 2 });
    return { loss: d.mse(outputs, y), outputs: { outputs, h, c } };
  });

  it("declares torch's parameters per layer (weight_ih_l0 [in, 4H], …), all U(±1/√H)", () => {
    const g = traceModel(def);
    expect(paramsOf(g).map(([n, s]) => [n, s])).toEqual([
      ["lstm.weight_ih_l0", [D, 4 * Hd]], ["lstm.weight_hh_l0", [Hd, 4 * Hd]], ["lstm.bias_ih_l0", [4 * Hd]], ["lstm.bias_hh_l0", [4 * Hd]],
      ["lstm.weight_ih_l1", [Hd, 4 * Hd]], ["lstm.weight_hh_l1", [Hd, 4 * Hd]], ["lstm.bias_ih_l1", [4 * Hd]], ["lstm.bias_hh_l1", [4 * Hd]],
    ]);
    for (const [, shape, init] of paramsOf(g)) expect(initDistribution(shape as number[], init)).toEqual({ kind: "uniform", low: -1 / Math.sqrt(Hd), high: 1 / Math.sqrt(Hd) });
  });

  it("computes torch's LSTM equations (gates i, f, g, o), two layers stacked", () => {
    const g = traceModel(def);
    const xs = uniformArray(mulberry32(8), B * T * D);
    const { params, outputs } = run(g, { xs, y: new Array(B * T * Hd).fill(0) });
    const sig = (v: number) => 1 / (1 + Math.exp(-v));
    /** One layer over [B, T, inSize] → [B, T, H], and its last h and c. */
    const layer = (seq: number[], inSize: number, l: number) => {
      const [Wih, Whh, bih, bhh] = ["weight_ih", "weight_hh", "bias_ih", "bias_hh"].map((p) => params[`lstm.${p}_l${l}`]!);
      const out: number[] = new Array(B * T * Hd);
      const hLast: number[] = [], cLast: number[] = [];
      for (let b = 0; b < B; b++) {
        let h = new Array(Hd).fill(0), c = new Array(Hd).fill(0);
        for (let t = 0; t < T; t++) {
          const x = seq.slice((b * T + t) * inSize, (b * T + t + 1) * inSize);
          const gates = linearRef(x, Wih!, bih!, 1, inSize, 4 * Hd).map((v, k) => v + linearRef(h, Whh!, bhh!, 1, Hd, 4 * Hd)[k]!);
          const gate = (q: number) => gates.slice(q * Hd, (q + 1) * Hd);
          const [i, f, gg, o] = [gate(0).map(sig), gate(1).map(sig), gate(2).map(Math.tanh), gate(3).map(sig)];
          c = c.map((cv, k) => f[k]! * cv + i[k]! * gg[k]!);
          h = c.map((cv, k) => o[k]! * Math.tanh(cv));
          out.splice((b * T + t) * Hd, Hd, ...h);
        }
        hLast.push(...h);
        cLast.push(...c);
      }
      return { out, h: hLast, c: cLast };
    };
    const first = layer(xs, D, 0);
    const second = layer(first.out, Hd, 1);
    expectClose(outputs.outputs!, second.out);
    expectClose(outputs.h!, second.h);
    expectClose(outputs.c!, second.c);
  });
});

describe("gradients through the compiler", () => {
  const rng = mulberry32(11);
  it("dense + mlp", async () => {
    await checkCompiled(model("denseMlp", () => {
      const x = d.input("x", ["batch", 3]);
      const y = d.input("y", ["batch", 2]);
      const h = d.sigmoid(dense(x, 4));
      return { loss: d.mse(mlp(h, [4, 5, 2], { activation: "softplus" }), y), outputs: { h } };
    }), { x: uniformArray(rng, 4 * 3), y: uniformArray(rng, 4 * 2) });
  });
  it("mlp with gelu (nn.GELU(), the exact form) between its layers", async () => {
    const code = await checkCompiled(model("geluMlp", () => {
      const x = d.input("x", ["batch", 3]);
      const y = d.input("y", ["batch", 2]);
      return { loss: d.mse(mlp(x, [3, 5, 2], { activation: "gelu" }), y), outputs: {} };
    }), { x: uniformArray(rng, 4 * 3), y: uniformArray(rng, 4 * 2) });
    expect(code).toMatch(/\* 0\.5 \* \(1 \+ erf\(/);
  });
  it("conv2dLayer", async () => {
    await checkCompiled(model("convGrad", () => {
      const x = d.input("x", ["batch", 5, 5, 2]);
      const y = d.input("y", ["batch", 3, 3, 3]);
      return { loss: d.mse(d.tanh(conv2dLayer(x, 3, 3)), y), outputs: {} };
    }), { x: uniformArray(rng, 2 * 50), y: uniformArray(rng, 2 * 27) });
  });
  it("embeddingLayer + lstmLayer", async () => {
    await checkCompiled(model("seqGrad", () => {
      const ids = d.input("ids", ["batch", 4], { dtype: "int" });
      const y = d.input("y", ["batch", 3]);
      const { h } = lstmLayer(embeddingLayer(ids, 7, 2), 3);
      return { loss: d.mse(h, y), outputs: { h } };
    }), { ids: [0, 3, 6, 3, 1, 1, 5, 2], y: uniformArray(rng, 2 * 3) });
  });
});

describe("in model.ts, through the frontend", () => {
  const source = (body: string) => `import { model, input, relu, mse } from "gradc";
import { dense, mlp } from "gradc/layers";

export default model("m", () => {
  const x = input("x", ["batch", 4]);
  const y = input("y", ["batch", 2]);
${body}
});
`;
  const error = (body: string): { code: string; message: string; line: number } => {
    try {
      loadModelSource(path.join(dir, "model.ts"), source(body));
    } catch (e) {
      if (!isGradcError(e)) throw e;
      return { code: e.code, message: e.message, line: e.loc?.line ?? 0 };
    }
    throw new Error("expected an error");
  };

  it("type-checks and traces an import from gradc/layers", () => {
    const g = loadModelSource(path.join(dir, "model.ts"), source(`  const h1 = relu(dense(x, 4, 8, { name: "fc1" }));
  const out = dense(h1, 2);
  return { loss: mse(out, y), outputs: { out } };`));
    expect(g.params.map((p) => p.attrs.name)).toEqual(["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]);
    expect(g.nodes.find((n) => n.op === "relu")!.name).toBe("h1");
  });

  it("a wrong inFeatures is GC2001 at the layer's line", () => {
    expect(error(`  const out = dense(x, 5, 2);
  return { loss: mse(out, y), outputs: { out } };`)).toEqual({ code: "GC2001", message: "dense: the input has 4 features (last dimension of [batch, 4]), the layer expects 5", line: 7 });
  });

  it("an unknown option is GC2007; a misuse of the types is GC1002", () => {
    expect(error(`  const out = mlp(x, [4, 2], { activation: "relu", dropout: 0.5 } as never);
  return { loss: mse(out, y), outputs: { out } };`)).toMatchObject({ code: "GC2007", message: 'mlp: unknown option "dropout" (name, activation, bias, init, biasInit)', line: 7 });
    expect(error(`  const out = dense(x, "two");
  return { loss: mse(out, y), outputs: { out } };`)).toMatchObject({ code: "GC1002", line: 7 });
  });

  it("two layers with one name are GC2004", () => {
    expect(error(`  const out = dense(dense(x, 3, { name: "a" }), 2, { name: "a" });
  return { loss: mse(out, y), outputs: { out } };`)).toMatchObject({ code: "GC2004", line: 7 });
  });
});

describe("a layered model reads and trains as the hand-written one", () => {
  const hand = `import { model, input, param, matmul, add, relu, softmaxCrossEntropy } from "gradc";

export default model("mlp", () => {
  const x = input("x", ["batch", 6]);
  const y = input("y", ["batch"], { dtype: "int" });
  const W1 = param("W1", [6, 8]);
  const b1 = param("b1", [8]);
  const W2 = param("W2", [8, 3]);
  const b2 = param("b2", [3]);
  const h1 = relu(add(matmul(x, W1), b1));
  const logits = add(matmul(h1, W2), b2);
  return { loss: softmaxCrossEntropy(logits, y), outputs: { logits } };
});
`;
  const layered = `import { model, input, relu, softmaxCrossEntropy } from "gradc";
import { dense } from "gradc/layers";

export default model("mlp", () => {
  const x = input("x", ["batch", 6]);
  const y = input("y", ["batch"], { dtype: "int" });
  const h1 = relu(dense(x, 6, 8, { name: "fc1" }));
  const logits = dense(h1, 3, { name: "fc2" });
  return { loss: softmaxCrossEntropy(logits, y), outputs: { logits } };
});
`;
  const withMlp = layered.replace('import { dense } from "gradc/layers";', 'import { mlp } from "gradc/layers";').replace(
    `  const h1 = relu(dense(x, 6, 8, { name: "fc1" }));
  const logits = dense(h1, 3, { name: "fc2" });`,
    `  const logits = mlp(x, [6, 8, 3]);`,
  );
  const files = { hand, layered, withMlp };
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, `${name}.ts`), text);
  // fc1.weight is named W₁ in the hand-written model: map the names, drop the locations, compare.
  const rename: [RegExp, string][] = [[/fc1\.weight|mlp1\.0\.weight/g, "W₁"], [/fc1\.bias|mlp1\.0\.bias/g, "b₁"], [/fc2\.weight|mlp1\.2\.weight/g, "W₂"], [/fc2\.bias|mlp1\.2\.bias/g, "b₂"]];
  const explained = async (name: string) => {
    let text = (await explainFile(path.join(dir, `${name}.ts`))).replace(/ *\([^()]*\.ts:\d+:\d+[^()]*\)/g, "").replace(`(${name}.ts)`, "(model.ts)");
    for (const [from, to] of rename) text = text.replace(from, to);
    return text;
  };

  it("gradc explain: the same equations (zℓ, hℓ, δℓ), parameter names aside", async () => {
    const want = await explained("hand");
    expect(want).toContain("z₁ = x·W₁ + b₁");
    expect(want).toContain("δ₁ = ∂L/∂z₁ = δ₂·W₂ᵀ ⊙ relu'(z₁)");
    expect(await explained("layered")).toBe(want);
    expect(await explained("withMlp")).toBe(want);
  });

  it("trains: the loss of a layered model falls", async () => {
    const { module } = await compileAndImport(path.join(dir, "layered.ts"));
    const params = module.initParams(1);
    const trainer = module.createTrainer(params, { optimizer: { kind: "adam", lr: 0.05 } });
    const rng = mulberry32(12);
    const x = uniformArray(rng, 16 * 6);
    const y = Array.from({ length: 16 }, (_, i) => (x[i * 6]! > 0 ? (x[i * 6 + 1]! > 0 ? 2 : 1) : 0));
    const first = trainer.step({ x, y });
    let last = first;
    for (let k = 0; k < 60; k++) last = trainer.step({ x, y });
    expect(last).toBeLessThan(first / 2);
  });
});
