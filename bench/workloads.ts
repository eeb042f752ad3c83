// The benchmark workloads: one entry each. A workload is its model file, batch, optimizer, data and FLOP
// count, and a description of its network that every peer builds generically from: `layers` (a dense
// stack), `cnn` (convolutions, pools and a dense stack) or `lstm` (an LSTM and a dense head), or for the
// TF.js peer its own `tfModel`.

import type { TfModelBuilder } from "./peers/tfjs.js";

export type Activation = "relu" | "tanh" | "sigmoid" | "linear";

/** One dense layer, y = act(x·W + b), with W [in, out] and b [out] — gradc's params in spec order. */
export interface Dense {
  readonly in: number;
  readonly out: number;
  readonly act: Activation;
}

/**
 * One convolution block of a CNN: a kh×kw "valid" convolution with stride 1 and `out` filters
 * ([kh, kw, in, out], gradc's layout and TF.js's), a bias [out], an activation, then a size×size max-pool
 * with stride size — gradc's params in spec order: filters, then bias.
 */
export interface ConvBlock {
  readonly kernel: number;
  readonly out: number;
  readonly act: "relu";
  readonly pool: number;
}

/** A CNN over NHWC images: the flat input [batch, h·w·c] reshaped to [batch, h, w, c], conv blocks, flatten, dense layers. */
export interface ConvNet {
  readonly input: readonly [h: number, w: number, c: number];
  readonly convs: readonly ConvBlock[];
  readonly dense: readonly Dense[];
}

/**
 * One LSTM layer over a sequence (torch's nn.LSTM(batch_first=True): gates i, f, g, o, biases b_ih and
 * b_hh, zero initial states), then dense layers on its last hidden state. The flat input [batch, steps·input]
 * is the sequence [batch, steps, input] row-major. gradc's params in spec order: W_ih [input, 4·hidden],
 * W_hh [hidden, 4·hidden], b_ih [4·hidden], b_hh [4·hidden], then W, b per dense layer.
 */
export interface LstmNet {
  readonly input: number;
  readonly hidden: number;
  readonly steps: number;
  readonly dense: readonly Dense[];
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
  /** Dense layers for the generic TF.js / brain.js builders (omit for non-MLP workloads, give cnn or tfModel). */
  readonly layers?: readonly Dense[];
  /** A CNN for the generic TF.js builder. */
  readonly cnn?: ConvNet;
  /** An LSTM for the generic builders. */
  readonly lstm?: LstmNet;
  /** A custom TF.js model for workloads that are none of these. */
  readonly tfModel?: TfModelBuilder;
  /** brain.js, where it can express a comparable net; omitted where it cannot. */
  readonly brain?: BrainSetup;
  /** Why brain.js is not in this workload's rows (said in the table and its notes). */
  readonly noBrain?: string;
  /** Also run gradc f32 through createParallelTrainer with 2 threads at this workload's batch. */
  readonly parallel?: boolean;
  /** The large-batch 2-thread speed-up measurement (phase 2c): batch and data. */
  readonly speedup?: { readonly batch: number; readonly data: () => readonly Batch[] };
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

/**
 * The nominal FLOP count of one training step of a CNN, counted like mlpFlops: for each convolution
 * 2·outputs·kh·kw·Cin forward (outputs = batch·oh·ow·Cout) and the same for each of its two backward
 * convolutions (∂K, ∂x — the first layer's unneeded ∂x included), then the dense layers as in mlpFlops.
 * ReLU, pooling, bias and softmax are not counted. compiler/ir/flops.ts counts conv2d,
 * conv2dBackwardFilter and the input gradient the same way (test/bench/workloads.test.ts checks it).
 */
export function cnnFlops(net: ConvNet, batch: number): number {
  let [h, w, c] = net.input;
  let total = 0;
  for (const b of net.convs) {
    const oh = h - b.kernel + 1;
    const ow = w - b.kernel + 1;
    total += 3 * 2 * batch * oh * ow * b.out * b.kernel * b.kernel * c;
    h = Math.floor(oh / b.pool);
    w = Math.floor(ow / b.pool);
    c = b.out;
  }
  if (net.dense[0] && net.dense[0].in !== h * w * c) throw new Error(`cnnFlops: the first dense layer takes ${net.dense[0].in} features, the convolutions give ${h}·${w}·${c}`);
  return total + mlpFlops(net.dense, batch);
}

/**
 * The nominal FLOP count of one training step of an LSTM, counted like mlpFlops: per time step the two
 * gate matmuls x·W_ih (2·batch·input·4H) and h·W_hh (2·batch·H·4H) forward and the same again for each
 * of their two backward matmuls (∂W, ∂x / ∂h; the input's unneeded ∂x included), then the dense head
 * as in mlpFlops. Gate nonlinearities and the cell's elementwise products are not counted.
 */
export function lstmFlops(net: LstmNet, batch: number): number {
  if (net.dense[0] && net.dense[0].in !== net.hidden) throw new Error(`lstmFlops: the first dense layer takes ${net.dense[0].in} features, the LSTM gives ${net.hidden}`);
  return 6 * batch * net.steps * (net.input + net.hidden) * 4 * net.hidden + mlpFlops(net.dense, batch);
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

/**
 * Character-level language-model-shaped batches: `steps` one-hot characters of a `classes`-letter
 * alphabet per sequence (uniform, seeded), the label the character that follows. Matmuls do the same
 * work whatever the values (no implementation here exploits the zeros).
 */
function charSequences(batch: number, steps: number, classes: number, count: number, seed: number): Batch[] {
  const rnd = generator(seed);
  return Array.from({ length: count }, () => {
    const x = new Float32Array(batch * steps * classes);
    const y = new Int32Array(batch);
    for (let i = 0; i < batch; i++) {
      for (let t = 0; t < steps; t++) x[(i * steps + t) * classes + Math.floor(rnd() * classes)] = 1;
      y[i] = Math.floor(rnd() * classes);
    }
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

/** examples/mnist-cnn/model.ts: 28×28×1 → conv 5×5×8 → ReLU → pool 2 → conv 5×5×16 → ReLU → pool 2 → 256 → 10. */
const W5_CNN: ConvNet = {
  input: [28, 28, 1],
  convs: [
    { kernel: 5, out: 8, act: "relu", pool: 2 },
    { kernel: 5, out: 16, act: "relu", pool: 2 },
  ],
  dense: [{ in: 256, out: 10, act: "linear" }],
};

/** bench/models/lstm-32-128-t32.model.ts: 32 steps of 32 inputs → LSTM 128 → last h → dense 32. */
const W6_LSTM: LstmNet = { input: 32, hidden: 128, steps: 32, dense: [{ in: 128, out: 32, act: "linear" }] };

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
    parallel: true,
    speedup: { batch: 1024, data: () => mnistLike(1024, 2, 13) },
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
    parallel: true,
    speedup: { batch: 512, data: () => mnistLike(512, 2, 14) },
  },
  {
    id: "W5",
    title: "CNN conv 5×5×8 → ReLU → maxpool 2 → conv 5×5×16 → ReLU → maxpool 2 → 10, softmax CE, Adam 5e-3, batch 64 (examples/mnist-cnn)",
    model: "examples/mnist-cnn/model.ts",
    batch: 64,
    loss: "softmaxCrossEntropy",
    // The example's optimizer, Adam(lr 5e-3), without its cosine schedule (a schedule changes lr between
    // steps, not the work of a step).
    optimizer: { kind: "adam", lr: 5e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 },
    cnn: W5_CNN,
    noBrain: "brain.js's NeuralNetwork has only dense layers (no convolution or pooling), so it cannot express W5",
    flopsPerStep: cnnFlops(W5_CNN, 64),
    data: () => mnistLike(64, 4, 5),
    parallel: true,
    speedup: { batch: 512, data: () => mnistLike(512, 2, 15) },
  },
  {
    id: "W6",
    title: "LSTM 32 steps × 32 inputs → hidden 128 → last h → dense 32, softmax CE, Adam 1e-3, batch 32",
    model: "bench/models/lstm-32-128-t32.model.ts",
    batch: 32,
    loss: "softmaxCrossEntropy",
    optimizer: { kind: "adam", lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 },
    lstm: W6_LSTM,
    noBrain: "brain.js's recurrent LSTM trains its own character model (its own loss, one sequence at a time, no dense head, no way to set its weights), not this network",
    flopsPerStep: lstmFlops(W6_LSTM, 32),
    data: () => charSequences(32, W6_LSTM.steps, W6_LSTM.input, 4, 6),
  },
];
