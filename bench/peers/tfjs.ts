// TensorFlow.js peers: @tensorflow/tfjs (its gradients and optimizers) with the CPU backend
// (@tensorflow/tfjs-backend-cpu) and with the WASM backend (@tensorflow/tfjs-backend-wasm, its .wasm
// files loaded from the package's dist/; SIMD as Node supports it, no threads in Node).
//
// Loaded with require (the CommonJS builds), all from the one tfjs-core instance that @tensorflow/tfjs
// itself uses, so that gradients are registered and variableGrads/minimize work (see
// shared/PERF-NOTES.md). Same initial values as gradc (its initParams copied into tf.variables), same
// batches (tensors made once, outside the timing), same optimizer and loss; one step is
// `tf.tidy(() => optimizer.minimize(loss, false, vars))`.
//
// CNNs (W5): tf.conv2d with "valid" padding in NHWC, filters [kh, kw, in, out] as gradc's, tf.maxPool
// with "valid" padding. On the CPU backend the convolution is tf.fused.conv2d (conv + bias + ReLU in one
// kernel, as tf.layers.conv2d uses), differentiated by TF.js itself. The WASM backend of TF.js 4.22 has
// no Conv2DBackpropFilter kernel ("Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'"),
// so tf.conv2d cannot be trained there as is: wasmConv2d below is tf.conv2d forward with a custom
// gradient — ∂x by TF.js's own wasm Conv2DBackpropInput kernel (tf.conv2dTranspose), ∂K as one more
// wasm tf.conv2d over transposed operands (batch as the contracted channel axis), the standard rewrite.

import { createRequire } from "node:module";
import path from "node:path";
import type * as TF from "@tensorflow/tfjs";
import type { Impl, ParamArrays } from "./impl.js";
import type { Batch, ConvNet, Dense, LstmNet, Workload } from "../workloads.js";

export type Tf = typeof TF;
/** The network's output (logits or predictions) from its variables (in gradc's param order) and a batch. */
export type TfModelBuilder = (tf: Tf, vars: readonly TF.Variable[], x: TF.Tensor, backend: "cpu" | "wasm") => TF.Tensor;

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

/**
 * A valid, stride-1 NHWC convolution whose gradient needs no Conv2DBackpropFilter kernel:
 *   ∂K[a, b, c, o] = Σ_{n,i,j} x[n, i+a, j+b, c]·dy[n, i, j, o]
 *                  = conv2d(xᵀ [C, H, W, N], dyᵀ [OH, OW, N, O]) [C, KH, KW, O], transposed to [KH, KW, C, O];
 *   ∂x = conv2dTranspose(dy, K) (TF.js's Conv2DBackpropInput), only when `needDx` (not for the input image).
 */
export function wasmConv2d(tf: Tf, x: TF.Tensor4D, K: TF.Tensor4D, needDx: boolean): TF.Tensor4D {
  type Grad = Parameters<Tf["customGrad"]>[0];
  const dK = (xv: TF.Tensor4D, dy: TF.Tensor4D) => tf.transpose(tf.conv2d(tf.transpose(xv, [3, 1, 2, 0]), tf.transpose(dy, [1, 2, 0, 3]), 1, "valid"), [1, 2, 0, 3]);
  if (needDx) {
    const both = (xv: TF.Tensor4D, kv: TF.Tensor4D, save: TF.GradSaveFunc) => {
      save([xv, kv]);
      return {
        value: tf.conv2d(xv, kv, 1, "valid"),
        gradFunc: (dy: TF.Tensor4D, saved: TF.Tensor[]) => {
          const [xs, ks] = saved as TF.Tensor4D[];
          return [tf.conv2dTranspose(dy, ks!, xs!.shape, 1, "valid"), dK(xs!, dy)];
        },
      };
    };
    return tf.customGrad(both as unknown as Grad)(x, K) as TF.Tensor4D;
  }
  const filterOnly = (kv: TF.Tensor4D) => ({ value: tf.conv2d(x, kv, 1, "valid"), gradFunc: (dy: TF.Tensor4D) => [dK(x, dy)] });
  return tf.customGrad(filterOnly as unknown as Grad)(K) as TF.Tensor4D;
}

/**
 * The generic builder for a CNN (see ConvNet): reshape to NHWC, per block conv + bias + ReLU and a
 * max-pool, flatten (row-major h, w, c as gradc's flatten), then the dense stack. Variables in gradc's
 * param order: K, c per block, then W, b per dense layer.
 */
export function cnnModel(net: ConvNet): TfModelBuilder {
  return (tf, vars, x, backend) => {
    const [H, W, C] = net.input;
    let h = tf.reshape(x, [-1, H, W, C]) as TF.Tensor4D;
    net.convs.forEach((b, i) => {
      const K = vars[2 * i] as TF.Tensor4D;
      const bias = vars[2 * i + 1]!;
      if (backend === "cpu") h = tf.fused.conv2d({ x: h, filter: K, strides: 1, pad: "valid", bias, activation: b.act });
      else h = tf.relu(tf.add(wasmConv2d(tf, h, K, i > 0), bias)) as TF.Tensor4D;
      h = tf.maxPool(h, b.pool, b.pool, "valid");
    });
    const flat = tf.reshape(h, [h.shape[0], -1]);
    return denseModel(net.dense)(tf, vars.slice(2 * net.convs.length), flat, backend);
  };
}

/** Whether the WASM backend runs multithreaded here (its own feature test; TF.js 4.22 says no in Node) and its thread count. */
export async function wasmThreading(): Promise<{ multithread: boolean; threads: number }> {
  const tf = loadTf();
  const wasm = require("@tensorflow/tfjs-backend-wasm") as { getThreadsCount(): number };
  const multithread = (await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT")) as boolean;
  if (tf.getBackend() !== "wasm") await tf.setBackend("wasm");
  return { multithread, threads: wasm.getThreadsCount() };
}

/** A TF.js network: the variables the optimizer trains, the forward pass, and its parameters in gradc's layout. */
interface TfNet {
  readonly vars: TF.Variable[];
  forward(x: TF.Tensor): TF.Tensor;
  params(): ParamArrays;
  /** Parameters not compared after the first step, and why. */
  readonly unchecked?: { readonly names: readonly string[]; readonly why: string };
}

/** gradc's parameters copied into tf.variables (same layouts), and a builder over them. */
function variablesModel(tf: Tf, w: Workload, backend: "cpu" | "wasm", init: ParamArrays, paramShapes: readonly { readonly name: string; readonly shape: readonly number[] }[]): TfNet {
  const build = w.tfModel ?? (w.layers ? denseModel(w.layers) : w.cnn ? cnnModel(w.cnn) : null);
  if (!build) throw new Error(`${w.id}: none of layers, cnn, lstm, tfModel given for TF.js`);
  const vars = paramShapes.map((p) => tf.variable(tf.tensor(Float32Array.from(init[p.name]!), [...p.shape]), true, `${w.id}_${backend}_${p.name}`));
  return {
    vars,
    forward: (x) => build(tf, vars, x, backend),
    params() {
      const out: ParamArrays = {};
      paramShapes.forEach((p, i) => (out[p.name] = vars[i]!.dataSync() as Float32Array));
      return out;
    },
  };
}

/**
 * An LSTM as a TF.js user writes it: tf.layers.lstm (recurrentActivation "sigmoid": TF.js's default is
 * hardSigmoid), called eagerly on the batch [batch, steps, input], its last output into the dense head.
 * Its kernel [in, 4H] and recurrent kernel [H, 4H] have gradc's layout and gate order (i, f, c, o = torch's
 * i, f, g, o); it has one bias where torch and gradc have b_ih and b_hh, so it starts from their sum. Its
 * update then differs (one bias moved once where two are moved), so the biases are not compared after
 * the first step; the loss and every other parameter are.
 */
function lstmModel(tf: Tf, net: LstmNet, id: string, backend: "cpu" | "wasm", init: ParamArrays, paramShapes: readonly { readonly name: string; readonly shape: readonly number[] }[]): TfNet {
  const H = net.hidden;
  const [wih, whh, bih, bhh, ...head] = paramShapes;
  // Zero initializers: the weights are set right after (TF.js's default orthogonal one is slow at this size and says so).
  const layer = tf.layers.lstm({ units: H, recurrentActivation: "sigmoid", returnSequences: false, kernelInitializer: "zeros", recurrentInitializer: "zeros", name: `${id}_${backend}_lstm` });
  tf.tidy(() => {
    layer.apply(tf.zeros([1, net.steps, net.input]));
  });
  const bias = Float32Array.from(init[bih!.name]!, (b, i) => b + init[bhh!.name]![i]!);
  layer.setWeights([tf.tensor2d(Float32Array.from(init[wih!.name]!), [net.input, 4 * H]), tf.tensor2d(Float32Array.from(init[whh!.name]!), [H, 4 * H]), tf.tensor1d(bias)]);
  const [kernel, recurrent, b] = layer.trainableWeights.map((v) => v.read() as TF.Variable);
  const headVars = head.map((p) => tf.variable(tf.tensor(Float32Array.from(init[p.name]!), [...p.shape]), true, `${id}_${backend}_${p.name}`));
  const dense = denseModel(net.dense);
  return {
    vars: [kernel!, recurrent!, b!, ...headVars],
    forward: (x) => dense(tf, headVars, layer.apply(x) as TF.Tensor, backend),
    params() {
      const out: ParamArrays = { [wih!.name]: kernel!.dataSync() as Float32Array, [whh!.name]: recurrent!.dataSync() as Float32Array };
      head.forEach((p, i) => (out[p.name] = headVars[i]!.dataSync() as Float32Array));
      return out;
    },
    unchecked: { names: [bih!.name, bhh!.name], why: "tf.layers.lstm has one bias where torch and gradc have two (b_ih + b_hh), so Adam moves their sum differently" },
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
  const model = w.lstm ? lstmModel(tf, w.lstm, w.id, backend, init, paramShapes) : variablesModel(tf, w, backend, init, paramShapes);
  const inputSize = w.batch === 0 ? 0 : batches[0]!.x.length / w.batch;
  const xs = batches.map((b) => (w.lstm ? tf.tensor3d(b.x, [w.batch, w.lstm.steps, w.lstm.input]) : tf.tensor2d(b.x, [w.batch, inputSize])));
  const ys = batches.map((b) => {
    if (w.loss === "mse") return tf.tensor2d(b.y as Float32Array, [w.batch, b.y.length / w.batch]);
    const dense = w.layers ?? w.cnn?.dense ?? w.lstm?.dense;
    const classes = dense ? dense[dense.length - 1]!.out : 10;
    return tf.tidy(() => tf.oneHot(tf.tensor1d(b.y as Int32Array, "int32"), classes).toFloat());
  });
  const o = w.optimizer;
  // TF.js Adam's epsilon default (1e-7) differs from torch's (1e-8): always pass the workload's.
  const optimizer = o.kind === "sgd" ? tf.train.sgd(o.lr) : tf.train.adam(o.lr, o.beta1, o.beta2, o.eps);
  const losses = batches.map((_, i) => (): TF.Scalar => {
    const out = model.forward(xs[i]!);
    return w.loss === "mse" ? (tf.losses.meanSquaredError(ys[i]!, out) as TF.Scalar) : (tf.losses.softmaxCrossEntropy(ys[i]!, out) as TF.Scalar);
  });
  let next = 0;
  const count = batches.length;
  return {
    id: `tfjs-${backend}`,
    label: `TF.js ${tf.version.tfjs} ${backend}`,
    ...(backend === "wasm" && w.cnn
      ? { note: "TF.js 4.22's WASM backend has no Conv2DBackpropFilter kernel, so tf.conv2d cannot be trained there as is; here the filter gradient is one more wasm tf.conv2d over transposed operands, ∂x TF.js's own wasm Conv2DBackpropInput (bench/peers/tfjs.ts, wasmConv2d); forward tf.conv2d + add + relu, tf.maxPool" }
      : {}),
    ...(model.unchecked ? { uncheckedParams: model.unchecked } : {}),
    async before() {
      if (tf.getBackend() !== backend) await tf.setBackend(backend);
    },
    stepWithLoss(): number {
      const cost = tf.tidy(() => optimizer.minimize(losses[next]!, true, model.vars) as TF.Scalar);
      next = (next + 1) % count;
      const v = cost.dataSync()[0]!;
      cost.dispose();
      return v;
    },
    run(steps: number): number {
      for (let s = 0; s < steps; s++) {
        const f = losses[next]!;
        tf.tidy(() => {
          optimizer.minimize(f, false, model.vars);
        });
        next = next + 1 === count ? 0 : next + 1;
      }
      // The CPU and WASM backends run kernels synchronously; reading one value makes sure of it.
      model.vars[0]!.dataSync();
      return steps;
    },
    params: () => model.params(),
  };
}
