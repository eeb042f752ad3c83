// The "gradc/layers" module: the usual building blocks with PyTorch's defaults and names, written as
// plain functions over the DSL. A layer declares its parameters with `param` and computes with the
// DSL's ops, so its graph is exactly the graph of the same model written by hand: gradients, `gradc
// explain` (zℓ, hℓ, δℓ) and the emitted code read the same. Every node a layer makes is located at the
// layer's call in model.ts, and `const h1 = relu(dense(…))` names values as usual. Values inside a
// layer stay unnamed, so `gradc explain` numbers them by depth (zℓ, hℓ) as it does for a hand-written
// model's unnamed values; a name given inside (h1) would repeat when the layer is used twice.
//
//   layer                                  as PyTorch's            parameters (gradc's [in, out] layout)
//   dense(x, [in,] out)                    nn.Linear               NAME.weight [in, out], NAME.bias [out]
//   conv2dLayer(x, [in,] out, kernel)      nn.Conv2d (NHWC)        NAME.weight [kh, kw, in, out], NAME.bias [out]
//   mlp(x, [784, 128, 10]) / mlp(sizes)    nn.Sequential(Linear, ReLU, Linear, …)   NAME.0.weight, NAME.0.bias, NAME.2.weight, …
//   embeddingLayer(indices, num, dim)      nn.Embedding            NAME.weight [num, dim]
//   lstmLayer(xs, hidden)                  nn.LSTM(batch_first)    NAME.weight_ih_l0 [in, 4H], NAME.weight_hh_l0 [H, 4H], NAME.bias_ih_l0, NAME.bias_hh_l0
//
// Parameter names are PyTorch's state_dict keys; weights are the transposes of PyTorch's (gradc applies
// x·W with W [in, out]; a conv filter is [kh, kw, in, out]). Initialization is PyTorch's default:
// Linear and Conv2d draw weight and bias from U(−1/√fan_in, 1/√fan_in) with the weight's fan_in
// (kaiming_uniform_(a=√5) for the weight, the same bound for the bias); Embedding draws N(0, 1); LSTM
// draws every weight and bias from U(−1/√H, 1/√H). Without a `name`, a layer is named after its kind
// and the first free number in call order: fc1, fc2, conv1, mlp1, embedding1, lstm1.
// Tested in test/dsl/layers.test.ts.
import { codes } from "../diagnostics.js";
import { formatShape } from "../ir/shape.js";
import { context, fail } from "../ir/context.js";
import { add, gelu, leakyRelu, matmul, param, relu, sigmoid, softplus, tanh, zeros, type Tensor } from "./core.js";
import { conv2d, type Conv2dOptions, type Pair } from "./conv.js";
import { embedding } from "./indexing.js";
import type { InitOption } from "./init.js";
import { lstmCell, type CellParams } from "./recurrent.js";
import { scan } from "./scan.js";

/** What every layer with parameters accepts. */
export interface LayerOptions {
  /** Prefix of the parameters' names (`NAME.weight`, …); by default the kind and a number: fc1, conv2, … */
  readonly name?: string;
}

export interface DenseOptions extends LayerOptions {
  /** Add a learned bias (default true, as nn.Linear's bias=True). */
  readonly bias?: boolean;
  /** The weight's init (default: PyTorch's, U(±1/√in)); any `param` init name, a number or values. */
  readonly init?: InitOption;
  /** The bias's init (default: PyTorch's, U(±1/√in) with the weight's fan-in). */
  readonly biasInit?: InitOption;
}

/**
 * nn.Linear: x [batch, in] · weight [in, out] + bias [out]. `inFeatures` may be left out (it is x's last
 * dimension); when given it must match.
 */
export function dense(x: Tensor, outFeatures: number, options?: DenseOptions): Tensor;
export function dense(x: Tensor, inFeatures: number, outFeatures: number, options?: DenseOptions): Tensor;
export function dense(x: Tensor, ...args: readonly unknown[]): Tensor {
  const { sizes, options } = splitArgs("dense", args, 1, 2, ["name", "bias", "init", "biasInit"]);
  checkTensor(x, "dense", "x");
  const out = sizes[sizes.length - 1]!;
  const inFeatures = features(x, "dense", sizes.length === 2 ? sizes[0] : undefined);
  const name = layerName(options.name, "fc", "dense");
  const { weight, bias } = linearParams(name, [inFeatures, out], inFeatures, out, options as DenseOptions);
  const xw = matmul(x, weight);
  return bias ? add(xw, bias) : xw;
}

export interface Conv2dLayerOptions extends LayerOptions, Conv2dOptions {
  /** Add a learned bias (default true). */
  readonly bias?: boolean;
  /** The filters' init (default: PyTorch's, U(±1/√(kh·kw·in))). */
  readonly init?: InitOption;
  /** The bias's init (default: PyTorch's, U(±1/√(kh·kw·in))). */
  readonly biasInit?: InitOption;
}

/**
 * nn.Conv2d in NHWC: x [batch, H, W, in] → [batch, H', W', out], filters [kh, kw, in, out] and a bias
 * [out]. PyTorch's defaults: stride 1, padding 0 ("valid"), dilation 1, bias. `inChannels` may be left out.
 */
export function conv2dLayer(x: Tensor, outChannels: number, kernelSize: Pair, options?: Conv2dLayerOptions): Tensor;
export function conv2dLayer(x: Tensor, inChannels: number, outChannels: number, kernelSize: Pair, options?: Conv2dLayerOptions): Tensor;
export function conv2dLayer(x: Tensor, ...args: readonly unknown[]): Tensor {
  const { sizes, options } = splitArgs("conv2dLayer", args, 2, 3, ["name", "bias", "init", "biasInit", "stride", "padding", "dilation"], true);
  checkTensor(x, "conv2dLayer", "x");
  if (x.shape.length !== 4) fail(codes.shape, `conv2dLayer: expects an NHWC tensor [batch, height, width, channels], got ${formatShape(x.shape)}`);
  const [kh, kw] = kernel(sizes[sizes.length - 1]);
  const out = count(sizes[sizes.length - 2], "conv2dLayer", "outChannels");
  const inChannels = features(x, "conv2dLayer", sizes.length === 3 ? count(sizes[0], "conv2dLayer", "inChannels") : undefined, "channels");
  const name = layerName(options.name, "conv", "conv2dLayer");
  const o = options as Conv2dLayerOptions;
  const { weight, bias } = linearParams(name, [kh, kw, inChannels, out], kh * kw * inChannels, out, o);
  const convOptions: Conv2dOptions = {
    ...(o.stride !== undefined ? { stride: o.stride } : {}),
    ...(o.padding !== undefined ? { padding: o.padding } : {}),
    ...(o.dilation !== undefined ? { dilation: o.dilation } : {}),
  };
  const y = conv2d(x, weight, convOptions);
  return bias ? add(y, bias) : y;
}

export type Activation = "relu" | "tanh" | "sigmoid" | "leakyRelu" | "softplus" | "gelu";

export interface MlpOptions extends LayerOptions {
  /** The activation between layers (default "relu"); none after the last layer, which gives logits. */
  readonly activation?: Activation;
  /** A bias in every layer (default true). */
  readonly bias?: boolean;
  /** The weights' init (default: PyTorch's, U(±1/√in) per layer). */
  readonly init?: InitOption;
  /** The biases' init (default: PyTorch's, U(±1/√in) per layer). */
  readonly biasInit?: InitOption;
}

const ACTIVATIONS: Record<Activation, (x: Tensor) => Tensor> = { relu, tanh, sigmoid, leakyRelu: (x) => leakyRelu(x), softplus, gelu: (x) => gelu(x) };

/**
 * A multilayer perceptron, as nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10)):
 * `sizes` are the widths from the input to the output. `mlp(x, sizes)` applies it to x; `mlp(sizes)`
 * declares the parameters and returns the network as a function (call it more than once to share them).
 */
export function mlp(x: Tensor, sizes: readonly number[], options?: MlpOptions): Tensor;
export function mlp(sizes: readonly number[], options?: MlpOptions): (x: Tensor) => Tensor;
export function mlp(first: Tensor | readonly number[], ...rest: readonly unknown[]): Tensor | ((x: Tensor) => Tensor) {
  if (Array.isArray(first)) return buildMlp(first, rest[0]);
  checkTensor(first, "mlp", "x");
  return buildMlp(rest[0], rest[1])(first as Tensor);
}

function buildMlp(sizesArg: unknown, optionsArg: unknown): (x: Tensor) => Tensor {
  if (!Array.isArray(sizesArg) || sizesArg.length < 2) fail(codes.badArgument, `mlp: sizes must list at least the input and output widths, as [784, 128, 10], got ${describe(sizesArg)}`);
  const sizes = sizesArg.map((s, k) => count(s, "mlp", `sizes[${k}]`));
  const options = optionsOf("mlp", optionsArg, ["name", "activation", "bias", "init", "biasInit"]) as MlpOptions;
  const activation = options.activation ?? "relu";
  if (!(activation in ACTIVATIONS)) fail(codes.badArgument, `mlp: activation must be one of ${Object.keys(ACTIVATIONS).join(", ")}, got ${JSON.stringify(activation)}`);
  const name = layerName(options.name, "mlp", "mlp");
  // nn.Sequential numbers every module, activations included: the linear layers are 0, 2, 4, …
  const layers = sizes.slice(1).map((out, k) => linearParams(`${name}.${2 * k}`, [sizes[k]!, out], sizes[k]!, out, options));
  return (x: Tensor): Tensor => {
    checkTensor(x, "mlp", "x");
    features(x, "mlp", sizes[0]);
    let h = x;
    layers.forEach(({ weight, bias }, k) => {
      const z = bias ? add(matmul(h, weight), bias) : matmul(h, weight);
      h = k < layers.length - 1 ? ACTIVATIONS[activation](z) : z;
    });
    return h;
  };
}

export interface EmbeddingLayerOptions extends LayerOptions {
  /** The table's init (default: PyTorch's, N(0, 1)). */
  readonly init?: InitOption;
}

/** nn.Embedding: the rows of a table [numEmbeddings, embeddingDim] picked by integer indices of any shape → [...indices, embeddingDim]. */
export function embeddingLayer(indices: Tensor, numEmbeddings: number, embeddingDim: number, options: EmbeddingLayerOptions = {}): Tensor {
  checkTensor(indices, "embeddingLayer", "indices");
  const o = optionsOf("embeddingLayer", options, ["name", "init"]) as EmbeddingLayerOptions;
  const rows = count(numEmbeddings, "embeddingLayer", "numEmbeddings");
  const dim = count(embeddingDim, "embeddingLayer", "embeddingDim");
  const name = layerName(o.name, "embedding", "embeddingLayer");
  const weight = param(`${name}.weight`, [rows, dim], o.init !== undefined ? { init: o.init } : { init: "normal", mean: 0, std: 1 });
  return embedding(indices, weight);
}

export interface LstmLayerOptions extends LayerOptions {
  /** Stacked LSTM layers, each reading the previous one's outputs (default 1). */
  readonly numLayers?: number;
  /** Biases b_ih and b_hh (default true). */
  readonly bias?: boolean;
  /** First hidden and cell states [batch, H] (default zeros): one tensor, or one per layer. */
  readonly h0?: Tensor | readonly Tensor[];
  readonly c0?: Tensor | readonly Tensor[];
}

/**
 * nn.LSTM(batch_first=True): xs [batch, T, in] → every step's hidden state of the last layer
 * `outputs` [batch, T, H], and that layer's last `h` and `c` [batch, H]. Gates i, f, g, o as torch.
 */
export function lstmLayer(xs: Tensor, hiddenSize: number, options: LstmLayerOptions = {}): { outputs: Tensor; h: Tensor; c: Tensor } {
  checkTensor(xs, "lstmLayer", "xs");
  const o = optionsOf("lstmLayer", options, ["name", "numLayers", "bias", "h0", "c0"]) as LstmLayerOptions;
  const hidden = count(hiddenSize, "lstmLayer", "hiddenSize");
  const layers = count(o.numLayers ?? 1, "lstmLayer", "numLayers");
  if (xs.shape.length !== 3 || typeof xs.shape[2] !== "number") fail(codes.shape, `lstmLayer: the sequence must be [batch, T, features], got ${formatShape(xs.shape)}`);
  const name = layerName(o.name, "lstm", "lstmLayer");
  const initial = (given: Tensor | readonly Tensor[] | undefined, what: string, l: number): Tensor => {
    if (Array.isArray(given) && given.length !== layers) fail(codes.badArgument, `lstmLayer: ${what} has ${given.length} states for ${layers} layers`);
    const state = Array.isArray(given) ? (given as readonly Tensor[])[l] : l === 0 ? (given as Tensor | undefined) : undefined;
    return state ?? zeros([xs.shape[0]!, hidden]);
  };
  let seq = xs;
  let last = { h: xs, c: xs };
  for (let l = 0; l < layers; l++) {
    const p = lstmParams(name, l, seq.shape[2] as number, hidden, o.bias ?? true);
    const r = scan(
      (state: { h: Tensor; c: Tensor }, x: Tensor) => {
        const next = lstmCell(x, state, p);
        return { carry: next, output: next.h };
      },
      { h: initial(o.h0, "h0", l), c: initial(o.c0, "c0", l) },
      seq,
    );
    seq = r.outputs;
    last = r.carry;
  }
  return { outputs: seq, h: last.h, c: last.c };
}

/** torch's LSTM parameters of layer l: weight_ih_l{l} [in, 4H], weight_hh_l{l} [H, 4H], bias_ih_l{l}, bias_hh_l{l}, all U(±1/√H). */
function lstmParams(name: string, l: number, inputSize: number, hidden: number, bias: boolean): CellParams {
  const k = 1 / Math.sqrt(hidden);
  const init = { init: "uniform" as const, low: -k, high: k };
  return {
    Wih: param(`${name}.weight_ih_l${l}`, [inputSize, 4 * hidden], init),
    Whh: param(`${name}.weight_hh_l${l}`, [hidden, 4 * hidden], init),
    bih: bias ? param(`${name}.bias_ih_l${l}`, [4 * hidden], init) : null,
    bhh: bias ? param(`${name}.bias_hh_l${l}`, [4 * hidden], init) : null,
  };
}

// ── shared ──────────────────────────────────────────────────────────────────────────────────────

/**
 * A weight and an optional bias with PyTorch's Linear/Conv2d init: both U(±1/√fanIn), fanIn the
 * weight's (the DSL's "default" init gives the weight exactly that; the bias's bound is explicit because
 * "default" on a bias alone would use the bias's own size).
 */
function linearParams(name: string, shape: readonly number[], fanIn: number, out: number, o: { bias?: boolean; init?: InitOption; biasInit?: InitOption }): { weight: Tensor; bias: Tensor | null } {
  const bound = 1 / Math.sqrt(fanIn);
  const weight = param(`${name}.weight`, shape, { init: o.init ?? "default" });
  const bias = (o.bias ?? true) ? param(`${name}.bias`, [out], o.biasInit !== undefined ? { init: o.biasInit } : { init: "uniform", low: -bound, high: bound }) : null;
  return { weight, bias };
}

/** The given name, or `${base}${k}` for the first k ≥ 1 no declared parameter uses. */
function layerName(given: unknown, base: string, what: string): string {
  if (given !== undefined) {
    if (typeof given !== "string" || given === "") fail(codes.badArgument, `${what}: name must be a non-empty string, got ${describe(given)}`);
    return given;
  }
  const names = [...context().names.keys()];
  for (let k = 1; ; k++) if (!names.some((n) => n.startsWith(`${base}${k}.`))) return `${base}${k}`;
}

/** x's last dimension, checked against the size the caller gave. */
function features(x: Tensor, what: string, given: number | undefined, called = "features"): number {
  const d = x.shape[x.shape.length - 1];
  if (x.shape.length === 0 || typeof d !== "number") fail(codes.shape, `${what}: the input's last dimension (its ${called}) must be static, got ${formatShape(x.shape)}`);
  if (given !== undefined && given !== d) fail(codes.shape, `${what}: the input has ${d} ${called} (last dimension of ${formatShape(x.shape)}), the layer expects ${given}`);
  return d;
}

/** Leading size arguments (min..max of them), then an optional options object with known keys. */
function splitArgs(what: string, args: readonly unknown[], min: number, max: number, keys: readonly string[], lastIsKernel = false): { sizes: number[]; options: Record<string, unknown> } {
  const isSize = (a: unknown) => typeof a === "number" || (lastIsKernel && Array.isArray(a));
  let n = 0;
  while (n < args.length && isSize(args[n])) n++;
  if (n < min || n > max || args.length > n + 1) {
    fail(codes.badArgument, `${what}: expected ${min === max ? min : `${min} or ${max}`} sizes and an optional options object, got (${args.map(describe).join(", ")})`);
  }
  const sizes = args.slice(0, n).map((a, k) => (Array.isArray(a) ? (a as number[]) : count(a, what, `size ${k + 1}`))) as number[];
  return { sizes, options: optionsOf(what, args[n], keys) };
}

function optionsOf(what: string, o: unknown, keys: readonly string[]): Record<string, unknown> {
  if (o === undefined) return {};
  if (!o || typeof o !== "object" || Array.isArray(o)) fail(codes.badArgument, `${what}: options must be an object, got ${describe(o)}`);
  for (const k of Object.keys(o)) if (!keys.includes(k)) fail(codes.badArgument, `${what}: unknown option "${k}" (${keys.join(", ")})`);
  return o as Record<string, unknown>;
}

/** A positive integer size, or a located GC2007. */
function count(v: unknown, what: string, called: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) fail(codes.badArgument, `${what}: ${called} must be a positive integer, got ${describe(v)}`);
  return v;
}

/** A kernel size: a positive integer or a pair [kh, kw]. */
function kernel(v: unknown): [number, number] {
  if (Array.isArray(v) && v.length === 2) return [count(v[0], "conv2dLayer", "kernelSize[0]"), count(v[1], "conv2dLayer", "kernelSize[1]")];
  const k = count(v, "conv2dLayer", "kernelSize");
  return [k, k];
}

function checkTensor(x: unknown, what: string, called: string): void {
  if (!x || typeof x !== "object" || !("op" in x) || !("shape" in x)) fail(codes.badArgument, `${what}: ${called} must be a tensor, got ${describe(x)}`);
}

const describe = (v: unknown): string => (v === null ? "null" : Array.isArray(v) ? `[${v.map(describe).join(", ")}]` : typeof v === "object" ? "an object" : typeof v === "string" ? JSON.stringify(v) : String(v));
