// The benchmark's helpers that are not timing: W5's FLOP count against the compiler's own count of the
// example's gradient graph, W5's and W6's descriptions against the models' parameters, and the
// first-step check: each peer (TF.js cpu and wasm, PyTorch when a Python with torch is there, jax-js)
// computes gradc's loss and update from the same initial parameters. No timing is measured or asserted here.
import { describe, expect, it } from "vitest";
import { grad } from "../../compiler/autodiff/grad.js";
import { loadModel } from "../../compiler/frontend/load.js";
import { flops } from "../../compiler/ir/flops.js";
import { paramsDiff, relDiff } from "../../bench/check.js";
import { gradcImpl, SEED, type GeneratedModule } from "../../bench/peers/gradc.js";
import type { Impl, ParamArrays } from "../../bench/peers/impl.js";
import { jaxImpl, transposeHost } from "../../bench/peers/jax.js";
import { probeTorch, torchImpl } from "../../bench/peers/torch.js";
import { cnnFlops, lstmFlops, mlpFlops, WORKLOADS, type Batch, type Workload } from "../../bench/workloads.js";
import { compileAndImport } from "../helpers/compiled.js";
import * as cnn from "../../examples/mnist-cnn/model.gen.js";
import { nonEmpty } from "../helpers/nonEmpty.js";

const W5 = WORKLOADS.find((w) => w.id === "W5")!;

type Arrays = Record<string, Float32Array | Float64Array>;
/** What these tests use of a generated module beyond the benchmark's view of it. */
interface LossAndGrad {
  initParams(seed?: number): Record<string, Float32Array>;
  lossAndGrad(params: Arrays, inputs: Record<string, ArrayLike<number>>): { loss: number; grads: Arrays };
}

describe("bench W5 (the CNN)", () => {
  it("is examples/mnist-cnn at batch 64 with the example's Adam(5e-3) and no brain.js row", () => {
    expect(W5.model).toBe("examples/mnist-cnn/model.ts");
    expect(W5.batch).toBe(64);
    expect(W5.optimizer).toEqual({ kind: "adam", lr: 5e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
    expect(W5.brain).toBeUndefined();
    expect(W5.noBrain).toMatch(/brain\.js/);
  });

  it("describes the model's parameters: filters [k, k, in, out] and biases, then the dense layer", () => {
    const net = W5.cnn!;
    const shapes: number[][] = [];
    let c = net.input[2];
    for (const b of net.convs) {
      shapes.push([b.kernel, b.kernel, c, b.out], [b.out]);
      c = b.out;
    }
    for (const d of net.dense) shapes.push([d.in, d.out], [d.out]);
    expect(cnn.spec.params.map((p) => [...p.shape])).toEqual(shapes);
  });

  it("counts 2·outputs·kh·kw·Cin per convolution and per backward convolution, as compiler/ir/flops.ts does", async () => {
    // Per sample: conv1 3·2·(24·24·8)·(5·5·1), conv2 3·2·(8·8·16)·(5·5·8), dense 6·256·10.
    expect(W5.flopsPerStep).toBe(64 * (3 * 2 * 24 * 24 * 8 * 25 + 3 * 2 * 8 * 8 * 16 * 200 + 6 * 256 * 10));
    expect(W5.flopsPerStep).toBe(cnnFlops(W5.cnn!, 64));
    // The compiler's count of the gradient graph's convolutions and matmuls is the same, less the first
    // convolution's ∂x (an input's gradient, which no implementation computes; counted nominally, as
    // mlpFlops counts the first dense layer's).
    const g = grad(await loadModel(W5.model));
    const kinds = new Set(["conv2d", "conv2dBackwardInput", "conv2dBackwardFilter", "matmul"]);
    const counted = flops({ ...g, nodes: g.nodes.filter((n) => kinds.has(n.op)) }, 64);
    expect(counted + 2 * 64 * (24 * 24 * 8) * 25).toBe(W5.flopsPerStep);
  });

  it("rejects a CNN whose dense layer does not fit the convolutions", () => {
    expect(() => cnnFlops({ ...W5.cnn!, dense: [{ in: 100, out: 10, act: "linear" }] }, 1)).toThrow(/256|4·4·16/);
    expect(mlpFlops([{ in: 784, out: 128, act: "relu" }], 2)).toBe(6 * 2 * 784 * 128);
  });
});

describe("bench first-step check", () => {
  it("relDiff and paramsDiff", () => {
    expect(relDiff(1.5, 1)).toBeCloseTo(0.5);
    const p0 = { a: Float32Array.of(0, 0), b: Float32Array.of(1) };
    const ref = { a: Float32Array.of(0.5, -0.25), b: Float32Array.of(1) };
    expect(paramsDiff(ref, ref, p0)).toBe(0);
    expect(paramsDiff({ a: Float32Array.of(0.5, -0.25), b: Float32Array.of(1.05) }, ref, p0)).toBeCloseTo(0.1);
    expect(() => paramsDiff({ a: Float32Array.of(0) }, ref, p0)).toThrow(/a/);
  });

  // An Adam step moves each parameter by about −lr·sign(g): it hides a gradient that is wrongly scaled.
  // So the float32 gradients are compared raw: with TF.js's own gradients of the same loss, and with
  // gradc's float64 module (test/golden/mnist-cnn.f64.gen.ts) at the same float32 values.
  it("gradc's float32 W5 gradients equal TF.js's (cpu) and the float64 module's, raw, from the same parameters", { timeout: 120_000 }, async () => {
    const { loadTf, cnnModel } = await import("../../bench/peers/tfjs.js");
    const f64 = (await import("../golden/mnist-cnn.f64.gen.js")) as unknown as LossAndGrad;
    const tf = loadTf();
    await tf.setBackend("cpu");
    await tf.ready();
    const batch = 4;
    const x = new Float32Array(batch * 784).map((_, i) => ((i * 2654435761) % 1009) / 1009);
    const y = Int32Array.of(3, 1, 4, 1);
    const mod = cnn as unknown as LossAndGrad;
    const p0 = mod.initParams(SEED);
    const shapes = nonEmpty(cnn.spec.params, "parameters");
    const ours = mod.lossAndGrad(p0, { x, y });
    const reference = f64.lossAndGrad(Object.fromEntries(Object.entries(p0).map(([k, v]) => [k, Float64Array.from(v)])), { x: Float64Array.from(x), y });

    const vars = shapes.map((p) => tf.variable(tf.tensor(Float32Array.from(p0[p.name]!), [...p.shape]), true, `W5_rawGrads_${p.name}`));
    const xs = tf.tensor2d(x, [batch, 784]);
    const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(y, "int32"), 10).toFloat());
    const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(ys, cnnModel(W5.cnn!)(tf, vars, xs, "cpu")) as ReturnType<typeof tf.scalar>, vars);
    try {
      expect(relDiff(ours.loss, value.dataSync()[0]!)).toBeLessThan(1e-5);
      expect(relDiff(ours.loss, reference.loss)).toBeLessThan(1e-5);
      for (const p of shapes) {
        const g = ours.grads[p.name]!;
        expect(g).toBeInstanceOf(Float32Array);
        // Per parameter, max |gradc − other| ≤ 1e-4 · max |other|: float32 summation order, while a gradient
        // scaled by 1.001 fails (its largest element moves by 1e-3 of the largest).
        for (const [who, other] of [["TF.js", grads[`W5_rawGrads_${p.name}`]!.dataSync() as Float32Array], ["float64 module", reference.grads[p.name]!]] as const) {
          expect(other, `${who} ∂L/∂${p.name}`).toHaveLength(g.length);
          const scale = Math.max(...Array.from(other, Math.abs));
          expect(scale, `${who} ∂L/∂${p.name} is not zero`).toBeGreaterThan(0);
          const worst = Math.max(...Array.from(g, (v, k) => Math.abs(v - other[k]!)));
          expect(worst / scale, `${who} ∂L/∂${p.name}: max difference ${worst} of max |g| ${scale}`).toBeLessThan(1e-4);
        }
      }
    } finally {
      tf.dispose([value, ...Object.values(grads), xs, ys, ...vars]);
    }
  });

  it("TF.js (cpu and wasm) computes gradc's first W5 loss and update from the same parameters", { timeout: 120_000 }, async () => {
    const { tfImpl } = await import("../../bench/peers/tfjs.js");
    const batch = 4;
    const w = { ...W5, batch };
    const x = new Float32Array(batch * 784).map((_, i) => ((i * 2654435761) % 1009) / 1009);
    const batches: Batch[] = [{ x, y: Int32Array.of(3, 1, 4, 1) }];
    const mod = cnn as unknown as GeneratedModule;
    const init = mod.initParams(SEED);
    const p0: ParamArrays = Object.fromEntries(Object.entries(init).map(([k, v]) => [k, v.slice()]));
    const ref = gradcImpl(mod, "f32", w, batches);
    const loss = (await ref.stepWithLoss()) as number;
    const after = (await ref.params!()) as ParamArrays;
    const shapes = mod.spec.params.map((p) => ({ name: p.name, shape: p.shape }));
    for (const backend of ["cpu", "wasm"] as const) {
      const tf = await tfImpl(backend, w, p0, shapes, batches);
      await tf.before?.();
      const l = await tf.stepWithLoss();
      expect(relDiff(l, loss), backend).toBeLessThan(1e-5);
      expect(paramsDiff(await tf.params!(), after, p0), backend).toBeLessThan(1e-3);
    }
  });
});

const W2 = WORKLOADS.find((w) => w.id === "W2")!;
const W6 = WORKLOADS.find((w) => w.id === "W6")!;

describe("bench W6 (the LSTM)", () => {
  it("describes bench/models/lstm-32-128-t32.model.ts: torch's nn.LSTM parameters in gradc's layout, then the head", async () => {
    const { module } = await compileAndImport(W6.model, { dtype: "f32" });
    const net = W6.lstm!;
    expect(module.spec.params.map((p) => [p.name, [...p.shape]])).toEqual([
      ["lstm.weight_ih_l0", [net.input, 4 * net.hidden]],
      ["lstm.weight_hh_l0", [net.hidden, 4 * net.hidden]],
      ["lstm.bias_ih_l0", [4 * net.hidden]],
      ["lstm.bias_hh_l0", [4 * net.hidden]],
      ["head.weight", [net.hidden, 32]],
      ["head.bias", [32]],
    ]);
    expect(module.spec.inputs.find((i) => i.name === "x")!.shape).toEqual(["batch", net.steps, net.input]);
    expect(W6.optimizer).toEqual({ kind: "adam", lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
    expect(W6.noBrain).toMatch(/brain\.js/);
  });

  it("counts the two gate matmuls per step forward and backward, then the head", () => {
    expect(W6.flopsPerStep).toBe(6 * 32 * 32 * (32 + 128) * 512 + 6 * 32 * 128 * 32);
    expect(lstmFlops(W6.lstm!, 1)).toBe(W6.flopsPerStep / 32);
    expect(() => lstmFlops({ ...W6.lstm!, dense: [{ in: 64, out: 2, act: "linear" }] }, 1)).toThrow(/128/);
  });

  it("feeds one-hot characters with the next one as the label", () => {
    const [b] = W6.data();
    const { steps, input } = W6.lstm!;
    expect(b!.x.length).toBe(32 * steps * input);
    for (let r = 0; r < 32 * steps; r++) expect(b!.x.subarray(r * input, (r + 1) * input).reduce((a, v) => a + v, 0)).toBe(1);
    expect(Math.max(...b!.y)).toBeLessThan(input);
  });
});

describe("jax-js peer layouts", () => {
  it("transposeHost permutes axes as numpy's transpose", () => {
    // [2, 3] → [3, 2]
    expect([...transposeHost(Float32Array.of(1, 2, 3, 4, 5, 6), [2, 3], [1, 0])]).toEqual([1, 4, 2, 5, 3, 6]);
    // [kh, kw, in, out] = [1, 2, 1, 2] → [out, in, kh, kw]
    expect([...transposeHost(Float32Array.of(1, 2, 3, 4), [1, 2, 1, 2], [3, 2, 0, 1])]).toEqual([1, 3, 2, 4]);
  });
});

/**
 * A small batch of a workload, gradc f32's first step on it (the loss and the parameters after), and the
 * same initial parameters for a peer.
 */
async function reference(mod: GeneratedModule, w: Workload, batch: number) {
  const wb: Workload = { ...w, batch };
  const inputs = w.lstm ? w.lstm.steps * w.lstm.input : w.cnn ? w.cnn.input.reduce((a, b) => a * b, 1) : w.layers![0]!.in;
  const x = new Float32Array(batch * inputs).map((_, i) => ((i * 2654435761) % 1009) / 1009);
  const y = w.loss === "mse" ? new Float32Array(batch).map((_, i) => i % 2) : new Int32Array(batch).map((_, i) => (i * 7 + 3) % 10);
  const batches: Batch[] = [{ x, y }];
  const init = mod.initParams(SEED);
  const p0: ParamArrays = Object.fromEntries(Object.entries(init).map(([k, v]) => [k, v.slice()]));
  const ref = gradcImpl(mod, "f32", wb, batches);
  const loss = (await ref.stepWithLoss()) as number;
  const after = (await ref.params!()) as ParamArrays;
  const shapes = mod.spec.params.map((p) => ({ name: p.name, shape: p.shape }));
  return { w: wb, batches, loss, after, p0, shapes };
}

/** Adam's first update is ≈ lr·sign(g): entries whose gradient is within float noise of 0 move by different fractions of lr, hence a looser bound on W6's parameters. */
const paramsTolerance = (w: Workload) => (w.optimizer.kind === "adam" && w.lstm ? 1e-2 : 1e-3);

async function checkPeer(make: (r: Awaited<ReturnType<typeof reference>>) => Promise<Impl>, mod: GeneratedModule, w: Workload, batch: number): Promise<void> {
  const r = await reference(mod, w, batch);
  const impl = await make(r);
  try {
    await impl.before?.();
    const l = await impl.stepWithLoss();
    expect(relDiff(l, r.loss), `${impl.label} on ${w.id}: loss ${l} vs gradc ${r.loss}`).toBeLessThan(1e-5);
    expect(paramsDiff(await impl.params!(), r.after, r.p0, impl.uncheckedParams?.names), `${impl.label} on ${w.id}`).toBeLessThan(paramsTolerance(w));
  } finally {
    await impl.close?.();
  }
}

describe("bench peers compute gradc's first step from the same parameters", () => {
  let compiled: Promise<Record<"W2" | "W5" | "W6", GeneratedModule>> | null = null;
  const modules = () =>
    (compiled ??= (async () => ({
      W2: (await compileAndImport(W2.model, { dtype: "f32" })).module as unknown as GeneratedModule,
      W5: cnn as unknown as GeneratedModule,
      W6: (await compileAndImport(W6.model, { dtype: "f32" })).module as unknown as GeneratedModule,
    }))());
  const probe = probeTorch();
  if (!probe.ok) console.log(`PyTorch peer tests skipped: ${probe.reason}`);

  it.skipIf(!probe.ok)("PyTorch (bench/peers/torch.py): W2 (MSE, tanh/sigmoid), W5 (NCHW convolutions, the flatten's row order), W6 (nn.LSTM)", { timeout: 180_000 }, async () => {
    if (!probe.ok) return;
    const m = await modules();
    for (const w of [W2, W5, W6]) await checkPeer((r) => torchImpl(probe.interpreter, probe.probe, r.w, r.p0, r.shapes, r.batches), m[w.id as keyof typeof m], w, 4);
  });

  it("jax-js (wasm): W2, W5 (lax.conv, OIHW filters, reduceWindow pooling), W6 (the unrolled LSTM)", { timeout: 180_000 }, async () => {
    const m = await modules();
    for (const w of [W2, W5, W6]) await checkPeer((r) => jaxImpl(r.w, r.p0, r.shapes, r.batches), m[w.id as keyof typeof m], w, 4);
  });

  it("TF.js (cpu and wasm): W6 with tf.layers.lstm from the summed biases; the biases are left out of the update check, and say why", { timeout: 180_000 }, async () => {
    const { tfImpl } = await import("../../bench/peers/tfjs.js");
    const m = await modules();
    for (const backend of ["cpu", "wasm"] as const) {
      await checkPeer(async (r) => {
        const impl = await tfImpl(backend, r.w, r.p0, r.shapes, r.batches);
        expect(impl.uncheckedParams?.names).toEqual(["lstm.bias_ih_l0", "lstm.bias_hh_l0"]);
        expect(impl.uncheckedParams?.why).toMatch(/one bias/);
        return impl;
      }, m.W6, W6, 4);
    }
  });

  it("says why PyTorch is skipped when no Python has torch", () => {
    const saved = process.env["GRADC_BENCH_PYTHON"];
    process.env["GRADC_BENCH_PYTHON"] = "/nonexistent/python3";
    try {
      const p = probeTorch();
      expect(p.ok).toBe(false);
      if (!p.ok) expect(p.reason).toMatch(/no Python with torch \(\/nonexistent\/python3: .*ENOENT/);
    } finally {
      if (saved === undefined) delete process.env["GRADC_BENCH_PYTHON"];
      else process.env["GRADC_BENCH_PYTHON"] = saved;
    }
  });
});
