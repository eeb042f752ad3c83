// The benchmark's helpers that are not timing: W5's FLOP count against the compiler's own count of the
// example's gradient graph, W5's description against the model's parameters, and the first-step check
// (each TF.js backend computes gradc's loss and update on W5 from the same initial parameters). No
// timing is measured or asserted here.
import { describe, expect, it } from "vitest";
import { grad } from "../../compiler/autodiff/grad.js";
import { loadModel } from "../../compiler/frontend/load.js";
import { flops } from "../../compiler/ir/flops.js";
import { paramsDiff, relDiff } from "../../bench/check.js";
import { gradcImpl, SEED, type GeneratedModule } from "../../bench/peers/gradc.js";
import type { ParamArrays } from "../../bench/peers/impl.js";
import { cnnFlops, mlpFlops, WORKLOADS, type Batch } from "../../bench/workloads.js";
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
    const loss = ref.stepWithLoss();
    const after = ref.params!();
    const shapes = mod.spec.params.map((p) => ({ name: p.name, shape: p.shape }));
    for (const backend of ["cpu", "wasm"] as const) {
      const tf = await tfImpl(backend, w, p0, shapes, batches);
      await tf.before?.();
      const l = tf.stepWithLoss();
      expect(relDiff(l, loss), backend).toBeLessThan(1e-5);
      expect(paramsDiff(tf.params!(), after, p0), backend).toBeLessThan(1e-3);
    }
  });
});
