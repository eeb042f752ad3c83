// TensorFlow.js peers: @tensorflow/tfjs (its gradients and optimizers) with the CPU backend
// (@tensorflow/tfjs-backend-cpu) and with the WASM backend (@tensorflow/tfjs-backend-wasm, its .wasm
// files loaded from the package's dist/; SIMD as Node supports it, no threads in Node).
//
// Loaded with require (the CommonJS builds), all from the one tfjs-core instance that @tensorflow/tfjs
// itself uses, so that gradients are registered and variableGrads/minimize work (see
// shared/PERF-NOTES.md). Same initial values as gradc (its initParams copied into tf.variables), same
// batches (tensors made once, outside the timing), same optimizer and loss; one step is
// `tf.tidy(() => optimizer.minimize(loss, false, vars))`.

import { createRequire } from "node:module";
import path from "node:path";
import type * as TF from "@tensorflow/tfjs";
import type { Impl, ParamArrays } from "./impl.js";
import type { Batch, Dense, Workload } from "../workloads.js";

export type Tf = typeof TF;
/** The network's output (logits or predictions) from its variables (in gradc's param order) and a batch. */
export type TfModelBuilder = (tf: Tf, vars: readonly TF.Variable[], x: TF.Tensor) => TF.Tensor;

const require = createRequire(import.meta.url);
let loaded: Tf | null = null;

/** Loads TF.js and registers both backends (the WASM one with its .wasm from the package). */
export function loadTf(): Tf {
  if (loaded) return loaded;
  const tf = require("@tensorflow/tfjs") as Tf;
  require("@tensorflow/tfjs-backend-cpu");
  const wasm = require("@tensorflow/tfjs-backend-wasm") as { setWasmPaths(prefix: string): void };
  wasm.setWasmPaths(path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm")) + path.sep);
  // Production mode: TF.js skips its correctness checks (its fastest setting; also silences the
  // "install tfjs-node" banner).
  tf.enableProdMode();
  loaded = tf;
  return tf;
}

export function tfVersion(): string {
  const v = loadTf().version as Record<string, string>;
  return v["tfjs"] ?? v["tfjs-core"] ?? "?";
}

/**
 * The generic builder for a dense stack. ReLU and linear layers use tf.fused.matMul (matmul + bias +
 * activation in one kernel, what tf.layers.dense uses, and the fastest path on both backends); tanh and
 * sigmoid, whose fused gradients TF.js does not implement, are matMul + add + activation.
 */
export function denseModel(layers: readonly Dense[]): TfModelBuilder {
  return (tf, vars, x) => {
    let h = x;
    layers.forEach((l, i) => {
      const W = vars[2 * i]!;
      const b = vars[2 * i + 1]!;
      if (l.act === "relu" || l.act === "linear") {
        h = tf.fused.matMul({ a: h as TF.Tensor2D, b: W as TF.Tensor2D, bias: b, activation: l.act });
      } else {
        const z = tf.add(tf.matMul(h as TF.Tensor2D, W as TF.Tensor2D), b);
        h = l.act === "tanh" ? tf.tanh(z) : tf.sigmoid(z);
      }
    });
    return h;
  };
}

export async function tfImpl(
  backend: "cpu" | "wasm",
  w: Workload,
  init: ParamArrays,
  paramShapes: readonly { readonly name: string; readonly shape: readonly number[] }[],
  batches: readonly Batch[],
): Promise<Impl> {
  const tf = loadTf();
  await tf.setBackend(backend);
  await tf.ready();
  const build = w.tfModel ?? (w.layers ? denseModel(w.layers) : null);
  if (!build) throw new Error(`${w.id}: neither layers nor tfModel given for TF.js`);
  const vars = paramShapes.map((p) => tf.variable(tf.tensor(Float32Array.from(init[p.name]!), [...p.shape]), true, `${w.id}_${backend}_${p.name}`));
  const inputSize = w.batch === 0 ? 0 : batches[0]!.x.length / w.batch;
  const xs = batches.map((b) => tf.tensor2d(b.x, [w.batch, inputSize]));
  const ys = batches.map((b) => {
    if (w.loss === "mse") return tf.tensor2d(b.y as Float32Array, [w.batch, b.y.length / w.batch]);
    const classes = w.layers ? w.layers[w.layers.length - 1]!.out : 10;
    return tf.tidy(() => tf.oneHot(tf.tensor1d(b.y as Int32Array, "int32"), classes).toFloat());
  });
  const o = w.optimizer;
  // TF.js Adam's epsilon default (1e-7) differs from torch's (1e-8): always pass the workload's.
  const optimizer = o.kind === "sgd" ? tf.train.sgd(o.lr) : tf.train.adam(o.lr, o.beta1, o.beta2, o.eps);
  const losses = batches.map((_, i) => (): TF.Scalar => {
    const out = build(tf, vars, xs[i]!);
    return w.loss === "mse" ? (tf.losses.meanSquaredError(ys[i]!, out) as TF.Scalar) : (tf.losses.softmaxCrossEntropy(ys[i]!, out) as TF.Scalar);
  });
  let next = 0;
  const count = batches.length;
  return {
    id: `tfjs-${backend}`,
    label: `TF.js ${tf.version.tfjs} ${backend}`,
    async before() {
      if (tf.getBackend() !== backend) await tf.setBackend(backend);
    },
    stepWithLoss(): number {
      const cost = tf.tidy(() => optimizer.minimize(losses[next]!, true, vars) as TF.Scalar);
      next = (next + 1) % count;
      const v = cost.dataSync()[0]!;
      cost.dispose();
      return v;
    },
    run(steps: number): number {
      for (let s = 0; s < steps; s++) {
        const f = losses[next]!;
        tf.tidy(() => {
          optimizer.minimize(f, false, vars);
        });
        next = next + 1 === count ? 0 : next + 1;
      }
      // The CPU and WASM backends run kernels synchronously; reading one value makes sure of it.
      vars[0]!.dataSync();
      return steps;
    },
    params(): ParamArrays {
      const out: ParamArrays = {};
      paramShapes.forEach((p, i) => (out[p.name] = vars[i]!.dataSync() as Float32Array));
      return out;
    },
  };
}
