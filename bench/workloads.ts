// The benchmark workloads: one entry each. Adding a workload (W5, the CNN, once the DSL has convolutions)
// is one more entry in WORKLOADS: its model file, batch, optimizer, data and FLOP count, and for the TF.js
// peer either `layers` (a dense stack, built generically) or its own `tfModel`.

import type { TfModelBuilder } from "./peers/tfjs.js";

export type Activation = "relu" | "tanh" | "sigmoid" | "linear";

/** One dense layer, y = act(x·W + b), with W [in, out] and b [out] — gradc's params in spec order. */
export interface Dense {
  readonly in: number;
  readonly out: number;
  readonly act: Activation;
}

export type OptimizerSpec =
  | { kind: "sgd"; lr: number }
  | { kind: "adam"; lr: number; beta1: number; beta2: number; eps: number };

export interface Batch {
  /** Row-major [batch, features]. */
  readonly x: Float32Array;
  /** Float targets [batch, outputs] for "mse"; integer class labels [batch] for "softmaxCrossEntropy". */
  readonly y: Float32Array | Int32Array;
}

export interface BrainSetup {
  /** brain.js applies one activation to every layer, output included. */
  readonly activation: "relu" | "sigmoid" | "tanh" | "leaky-relu";
  /** Why its numbers are not the same computation (printed in the table). */
  readonly note: string;
}

export interface Workload {
  readonly id: string;
  readonly title: string;
  /** The model file, relative to the repository root; compiled with `gradc compile`. */
  readonly model: string;
  readonly batch: number;
  readonly loss: "mse" | "softmaxCrossEntropy";
  readonly optimizer: OptimizerSpec;
  /** Dense layers for the generic TF.js / brain.js builders (omit for non-MLP workloads, give tfModel). */
  readonly layers?: readonly Dense[];
  /** A custom TF.js model for workloads that are not a dense stack (the CNN). */
  readonly tfModel?: TfModelBuilder;
  /** brain.js, where it can express a comparable net; omitted where it cannot. */
  readonly brain?: BrainSetup;
  /** Nominal FLOPs per training step (see mlpFlops). */
  readonly flopsPerStep: number;
  /** The distinct batches a run cycles through (same data for every implementation). */
  readonly data: () => readonly Batch[];
  /** Whether bench/handwritten has a trainer for it (only W3). */
  readonly handwritten?: "w3";
}

/**
 * The nominal FLOP count of one training step of a dense stack: 2·batch·in·out for each forward
 * matmul and the same for each of the two backward matmuls (∂W and ∂x), i.e. 6·batch·Σ in·out. The
 * first layer's ∂x is not needed and no implementation computes it, so the true count is lower by
 * 2·batch·in₀·out₀ (for W3 ≈ 33% lower); every implementation is counted the same way.
 */
export function mlpFlops(layers: readonly Dense[], batch: number): number {
  return layers.reduce((s, l) => s + 6 * batch * l.in * l.out, 0);
}

/** A small deterministic generator (mulberry32) so every implementation sees the same data. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * MNIST-shaped synthetic batches: pixels in [0, 1) with ~80% exact zeros (as in MNIST digits), labels
 * uniform in 0…9. Dense kernels do the same work whatever the values, so synthetic data keeps the
 * benchmark free of data loading.
 */
function mnistLike(batch: number, count: number, seed: number): Batch[] {
  const rnd = generator(seed);
  return Array.from({ length: count }, () => {
    const x = new Float32Array(batch * 784);
    for (let i = 0; i < x.length; i++) x[i] = rnd() < 0.8 ? 0 : rnd();
    const y = new Int32Array(batch);
    for (let i = 0; i < batch; i++) y[i] = Math.floor(rnd() * 10);
    return { x, y };
  });
}

const W1_LAYERS: Dense[] = [
  { in: 1, out: 2, act: "relu" },
  { in: 2, out: 1, act: "linear" },
];
const W2_LAYERS: Dense[] = [
  { in: 2, out: 8, act: "tanh" },
  { in: 8, out: 1, act: "sigmoid" },
];
const W3_LAYERS: Dense[] = [
  { in: 784, out: 128, act: "relu" },
  { in: 128, out: 10, act: "linear" },
];
const W4_LAYERS: Dense[] = [
  { in: 784, out: 512, act: "relu" },
  { in: 512, out: 512, act: "relu" },
  { in: 512, out: 10, act: "linear" },
];

export const WORKLOADS: readonly Workload[] = [
  {
    id: "W1",
    title: "1-2-1 ReLU, MSE, Adam, batch 3 (examples/simple)",
    model: "examples/simple/model.ts",
    batch: 3,
    loss: "mse",
    optimizer: { kind: "adam", lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 },
    layers: W1_LAYERS,
    flopsPerStep: mlpFlops(W1_LAYERS, 3),
    // The PyTorch snippet's data: y = x/2 on three points.
    data: () => [{ x: Float32Array.of(1, 2, 3), y: Float32Array.of(0.5, 1, 1.5) }],
  },
  {
    id: "W2",
    title: "XOR 2-8-1 tanh/sigmoid, MSE, SGD, batch 4",
    model: "bench/models/xor-mse.model.ts",
    batch: 4,
    loss: "mse",
    optimizer: { kind: "sgd", lr: 0.5 },
    layers: W2_LAYERS,
    brain: {
      activation: "sigmoid",
      note: "sigmoid in both layers (brain.js has one activation for all layers), online per-sample SGD, its own init",
    },
    flopsPerStep: mlpFlops(W2_LAYERS, 4),
    data: () => [{ x: Float32Array.of(0, 0, 0, 1, 1, 0, 1, 1), y: Float32Array.of(0, 1, 1, 0) }],
  },
  {
    id: "W3",
    title: "784-128-10 ReLU, softmax CE, SGD, batch 64 (examples/mnist-mlp)",
    model: "examples/mnist-mlp/model.ts",
    batch: 64,
    loss: "softmaxCrossEntropy",
    optimizer: { kind: "sgd", lr: 0.01 },
    layers: W3_LAYERS,
    brain: {
      activation: "relu",
      note: "ReLU in every layer incl. the output, MSE on one-hot targets (no softmax CE), online per-sample SGD",
    },
    flopsPerStep: mlpFlops(W3_LAYERS, 64),
    data: () => mnistLike(64, 4, 3),
    handwritten: "w3",
  },
  {
    id: "W4",
    title: "784-512-512-10 ReLU, softmax CE, SGD, batch 128",
    model: "bench/models/mlp-784-512-512-10.model.ts",
    batch: 128,
    loss: "softmaxCrossEntropy",
    optimizer: { kind: "sgd", lr: 0.01 },
    layers: W4_LAYERS,
    brain: {
      activation: "relu",
      note: "ReLU in every layer incl. the output, MSE on one-hot targets (no softmax CE), online per-sample SGD",
    },
    flopsPerStep: mlpFlops(W4_LAYERS, 128),
    data: () => mnistLike(128, 2, 4),
  },
  // W5, the CNN, once the DSL has convolutions: one entry like
  // { id: "W5", title: "…", model: "examples/cnn/model.ts", batch: 32, loss: "softmaxCrossEntropy",
  //   optimizer: { kind: "sgd", lr: 0.01 }, tfModel: (tf, vars, x) => …logits…, flopsPerStep: …,
  //   data: () => mnistLike(32, 2, 5) },
];
