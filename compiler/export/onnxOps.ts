// How each gradc op is written as ONNX operators (opset 13 or later), one entry per op, as data: the
// ONNX operators it becomes (for the README's table and error messages) and the function that adds
// them. Layout stays gradc's: images are NHWC inside the exported graph too, so convolution and
// pooling, which ONNX defines on NCHW, are wrapped in transposes (ONNX Runtime's optimizer cancels the
// pairs between consecutive layers), and filters [kh, kw, in, out] become OIHW initializers once.
// Ops that only derivatives make have no entry: an inference graph never holds them (see NOT_EXPORTED).
// Test: test/export/onnx.test.ts (every op is in one of the two tables; every entry runs in ONNX Runtime).
import type { ConvAttrs, PoolAttrs } from "../dsl/conv.js";
import type { Node } from "../ir/node.js";
import { float, int, ints, str, type Attr, type OnnxGraph } from "./onnxGraph.js";

/** What an op's export may ask of the exporter (compiler/export/lower.ts). */
export interface Lowering {
  /** The graph being built (the main graph, or a loop body). */
  readonly g: OnnxGraph;
  readonly opset: number;
  /** The run-time batch size as an int64 vector [1] (read from an input that has the batch dimension). */
  batch(at: Node): string;
  /** The float32 values of a parameter or constant (so weights are rearranged once, as initializers), else null. */
  valuesOf(n: Node): Float32Array | null;
  /** Where in model.ts a node came from (the ONNX nodes' doc_string). */
  doc(n: Node): string;
}

export type Emit = (cx: Lowering, n: Node, inputs: readonly string[]) => string | readonly (string | null)[];

export interface OpExport {
  /** The ONNX operators it becomes, as the README's table shows them. */
  readonly onnx: string;
  readonly emit: Emit;
  /** Inputs that are integer indices (kept int32); any other integer input of a float op is cast to float first. */
  readonly indexInputs?: readonly number[];
}

const op = (cx: Lowering, n: Node, type: string, inputs: readonly string[], attrs: Readonly<Record<string, Attr>> = {}, hint?: string) =>
  cx.g.op(type, inputs, attrs, hint ?? n.name ?? n.op, cx.doc(n));

const unary = (type: string, attrs: (n: Node) => Readonly<Record<string, Attr>> = () => ({})): OpExport => ({
  onnx: type,
  emit: (cx, n, [x]) => op(cx, n, type, [x!], attrs(n)),
});
const binary = (type: string): OpExport => ({ onnx: type, emit: (cx, n, [a, b]) => op(cx, n, type, [a!, b!]) });

/** Reduce along the axes (input since opset 13 for ReduceSum, since 18 for the others). */
function reduce(cx: Lowering, n: Node, type: string, x: string, axes: readonly number[] | null, keepdims: boolean, hint?: string): string {
  const asInput = type === "ReduceSum" ? cx.opset >= 13 : cx.opset >= 18;
  const keep = { keepdims: int(keepdims ? 1 : 0) };
  if (axes === null) return op(cx, n, type, [x], keep, hint);
  if (asInput) return op(cx, n, type, [x, cx.g.i64(axes)], keep, hint);
  return op(cx, n, type, [x], { ...keep, axes: ints(axes) }, hint);
}

const reduction = (type: string): OpExport => ({
  onnx: type,
  emit: (cx, n, [x]) => reduce(cx, n, type, x!, n.attrs.axis === null ? null : [n.attrs.axis as number], !!n.attrs.keepdims),
});

/** A shape as an int64 tensor: static dims as constants, the batch dimension -1 (Reshape infers it) or read at run time. */
function shapeTensor(cx: Lowering, n: Node, dims: Node["shape"], batch: "infer" | "runtime" | "keep", from: Node): string {
  if (dims.every((d) => typeof d === "number")) return cx.g.i64(dims as number[], "shape");
  if (batch === "infer") return cx.g.i64(dims.map((d) => (typeof d === "number" ? d : -1)), "shape");
  if (batch === "keep") return cx.g.i64(dims.map((d) => (typeof d === "number" ? d : 1)), "shape");
  const parts = dims.map((d) => (typeof d === "number" ? cx.g.i64([d], "dim") : cx.batch(from)));
  return op(cx, n, "Concat", parts, { axis: int(0) }, "shape");
}

// ── convolution and pooling: NHWC outside, NCHW inside ──────────────────────────────────────────────

const TO_NCHW = [0, 3, 1, 2];
const TO_NHWC = [0, 2, 3, 1];

/** Filters [kh, kw, in, out] as OIHW [out, in, kh, kw]: an initializer when the values are known, else a Transpose. */
function oihw(cx: Lowering, n: Node, w: Node, name: string): string {
  const values = cx.valuesOf(w);
  if (!values) return op(cx, n, "Transpose", [name], { perm: ints([3, 2, 0, 1]) }, "filters_oihw");
  const [kh, kw, ci, co] = w.shape as number[];
  return cx.g.initializer(`${w.name ?? "filters"}.oihw`, "f", [co!, ci!, kh!, kw!], oihwValues(values, w.shape as number[]));
}

/** Filter values [kh, kw, in, out] rearranged as [out, in, kh, kw]. */
function oihwValues(values: Float32Array, [kh, kw, ci, co]: readonly number[]): Float32Array {
  const out = new Float32Array(values.length);
  for (let p = 0; p < kh!; p++)
    for (let q = 0; q < kw!; q++)
      for (let c = 0; c < ci!; c++) for (let o = 0; o < co!; o++) out[((o * ci! + c) * kh! + p) * kw! + q] = values[((p * kw! + q) * ci! + c) * co! + o]!;
  return out;
}

/**
 * A convolution over one-column images (conv1d's conv2d: width 1, a k×1 filter, no column padding) as
 * ONNX's 1-D Conv: [N, L, 1, C] → squeeze → [N, C, L] → Conv with weights [out, in, k] → back.
 */
function conv1d(cx: Lowering, n: Node, x: string, w: string): string {
  const a = n.attrs as ConvAttrs;
  const filters = n.inputs[1]!;
  const source = filters.op === "reshape" ? filters.inputs[0]! : filters; // conv1d's [k, in, out] parameter, viewed as [k, 1, in, out]
  const values = cx.valuesOf(source);
  const [k, , ci, co] = filters.shape as number[];
  const weights = values
    ? cx.g.initializer(`${source.name ?? "filters"}.oik`, "f", [co!, ci!, k!], oihwValues(values, filters.shape as number[]))
    : op(cx, n, "Squeeze", [op(cx, n, "Transpose", [w], { perm: ints([3, 2, 0, 1]) }, "filters_oihw"), cx.g.i64([3])], {}, "filters_oik");
  const rows = op(cx, n, "Squeeze", [x, cx.g.i64([2])], {}, "sequence");
  const ncl = op(cx, n, "Transpose", [rows], { perm: ints([0, 2, 1]) }, "ncl");
  const y = op(cx, n, "Conv", [ncl, weights], { strides: ints([a.stride[0]]), pads: ints([a.padding[0], a.padding[2]]), dilations: ints([a.dilation[0]]) }, `${n.name ?? n.op}_ncl`);
  return op(cx, n, "Unsqueeze", [op(cx, n, "Transpose", [y], { perm: ints([0, 2, 1]) }, "nlc"), cx.g.i64([2])]);
}

/** Whether a conv2d is conv1d's: one-column images, a k×1 filter, no padding or stride along the columns. */
const isOneColumn = (n: Node): boolean => {
  const a = n.attrs as ConvAttrs;
  return n.inputs[0]!.shape[2] === 1 && n.inputs[1]!.shape[1] === 1 && a.padding[1] === 0 && a.padding[3] === 0 && a.stride[1] === 1;
};

function nchw(cx: Lowering, n: Node, x: string, type: string, extra: readonly string[], attrs: Readonly<Record<string, Attr>>): string {
  const t = op(cx, n, "Transpose", [x], { perm: ints(TO_NCHW) }, "nchw");
  const y = op(cx, n, type, [t, ...extra], attrs, `${n.name ?? n.op}_nchw`);
  return op(cx, n, "Transpose", [y], { perm: ints(TO_NHWC) });
}

const poolAttrs = (a: PoolAttrs) => ({
  kernel_shape: ints(a.size),
  strides: ints(a.stride),
  pads: ints([a.padding[0], a.padding[1], a.padding[0], a.padding[1]]),
});

// ── losses: per-row cross-entropy and one-hot rows ──────────────────────────────────────────────────

function softmaxCE(cx: Lowering, n: Node, [x, t]: readonly string[]): string {
  const logp = op(cx, n, "LogSoftmax", [x!], { axis: int(-1) }, "logp");
  if (n.inputs[1]!.dtype === "i") {
    const column = op(cx, n, "Unsqueeze", [t!, cx.g.i64([1])], {}, "label");
    const picked = op(cx, n, "GatherElements", [logp, column], { axis: int(1) }, "logp_label");
    return op(cx, n, "Neg", [op(cx, n, "Squeeze", [picked, cx.g.i64([1])], {}, "logp_label")]);
  }
  return op(cx, n, "Neg", [reduce(cx, n, "ReduceSum", op(cx, n, "Mul", [t!, logp], {}, "t_logp"), [1], false, "sum_t_logp")]);
}

function onehot(cx: Lowering, n: Node, [labels]: readonly string[]): string {
  const classes = n.attrs.classes as number;
  const range = cx.g.constant("i", [classes], Array.from({ length: classes }, (_, k) => k), "classes");
  const column = op(cx, n, "Unsqueeze", [labels!, cx.g.i64([1])], {}, "label");
  return op(cx, n, "Cast", [op(cx, n, "Equal", [column, range], {}, "is_label")], { to: int(1) });
}

/** ONNX's TensorProto.DataType.BOOL. */
const BOOL = 9;

/** GELU: ONNX's Gelu from opset 20, before it the formula itself, as gradc computes it (ops/activations.ts). */
function gelu(cx: Lowering, n: Node, [x]: readonly string[]): string {
  const tanh = n.attrs.approximate === "tanh";
  if (cx.opset >= 20) return op(cx, n, "Gelu", [x!], { approximate: str(tanh ? "tanh" : "none") });
  const half = op(cx, n, "Mul", [x!, cx.g.scalar(0.5)], {}, "half_x");
  let inner: string;
  if (tanh) {
    const cube = op(cx, n, "Mul", [op(cx, n, "Mul", [x!, x!], {}, "x2"), x!], {}, "x3");
    const arg = op(cx, n, "Mul", [op(cx, n, "Add", [x!, op(cx, n, "Mul", [cube, cx.g.scalar(0.044715)], {}, "kx3")], {}, "x_kx3"), cx.g.scalar(Math.sqrt(2 / Math.PI))], {}, "tanh_arg");
    inner = op(cx, n, "Tanh", [arg], {}, "tanh");
  } else inner = op(cx, n, "Erf", [op(cx, n, "Mul", [x!, cx.g.scalar(Math.SQRT1_2)], {}, "x_sqrt1_2")], {}, "erf");
  return op(cx, n, "Mul", [half, op(cx, n, "Add", [inner, cx.g.scalar(1)], {}, "one_plus")]);
}

/** Every op of an inference graph, by gradc op name. */
export const EXPORTS: Readonly<Record<string, OpExport>> = {
  add: binary("Add"),
  sub: binary("Sub"),
  mul: binary("Mul"),
  div: binary("Div"),
  pow: binary("Pow"),
  neg: unary("Neg"),
  exp: unary("Exp"),
  log: unary("Log"),
  sqrt: unary("Sqrt"),
  square: { onnx: "Mul", emit: (cx, n, [x]) => op(cx, n, "Mul", [x!, x!]) },
  abs: unary("Abs"),
  sign: unary("Sign"),
  eq: { onnx: "Equal, Cast", emit: (cx, n, [a, b]) => op(cx, n, "Cast", [op(cx, n, "Equal", [a!, b!], {}, "equal")], { to: int(1) }) },
  sigmoid: unary("Sigmoid"),
  tanh: unary("Tanh"),
  relu: unary("Relu"),
  leakyRelu: unary("LeakyRelu", (n) => ({ alpha: float(n.attrs.alpha as number) })),
  softplus: unary("Softplus"),
  step: {
    onnx: "Greater, Where",
    emit: (cx, n, [x]) => op(cx, n, "Where", [op(cx, n, "Greater", [x!, cx.g.scalar(0)], {}, "positive"), cx.g.scalar(1), cx.g.scalar(n.attrs.below as number)]),
  },
  erf: unary("Erf"),
  // ONNX has Gelu from opset 20; before, its formula (the same arithmetic gradc emits).
  gelu: { onnx: "Gelu (opset 20+), else Mul, Erf or Tanh, Add", emit: gelu },
  greater: { onnx: "Greater, Cast", emit: (cx, n, [a, b]) => op(cx, n, "Cast", [op(cx, n, "Greater", [a!, b!], {}, "greater")], { to: int(1) }) },
  greaterEqual: { onnx: "GreaterOrEqual, Cast", emit: (cx, n, [a, b]) => op(cx, n, "Cast", [op(cx, n, "GreaterOrEqual", [a!, b!], {}, "greater_equal")], { to: int(1) }) },
  // The condition as a bool: Cast makes every non-zero value (NaN too) true, as torch's c.bool().
  where: { onnx: "Cast (to bool), Where", emit: (cx, n, [c, a, b]) => op(cx, n, "Where", [op(cx, n, "Cast", [c!], { to: int(BOOL) }, "condition"), a!, b!]) },
  maximum: binary("Max"),
  minimum: binary("Min"),
  // Clip's bounds are inputs (opset 11+); a missing bound is an empty name. Clip is min(max(x, lo), hi): lo > hi gives hi, as torch.
  clamp: {
    onnx: "Clip",
    emit: (cx, n, [x]) => {
      const bound = (v: unknown) => (v === null ? "" : cx.g.scalar(v as number));
      return op(cx, n, "Clip", [x!, bound(n.attrs.min), bound(n.attrs.max)]);
    },
  },
  logSumExp: { onnx: "ReduceLogSumExp", emit: (cx, n, [x]) => reduce(cx, n, "ReduceLogSumExp", x!, [-1], false) },
  sum: reduction("ReduceSum"),
  max: reduction("ReduceMax"),
  reshape: { onnx: "Reshape", emit: (cx, n, [x]) => op(cx, n, "Reshape", [x!, shapeTensor(cx, n, n.shape, "infer", n.inputs[0]!)]) },
  broadcastTo: {
    onnx: "Expand",
    emit: (cx, n, [x]) => {
      // Where x already has the batch dimension in place, Expand keeps it (a 1 in the target shape).
      const from = n.inputs[0]!;
      const off = n.shape.length - from.shape.length;
      const keeps = n.shape.every((d, i) => typeof d === "number" || from.shape[i - off] === d);
      return op(cx, n, "Expand", [x!, shapeTensor(cx, n, n.shape, keeps ? "keep" : "runtime", from)]);
    },
  },
  transpose: { onnx: "Transpose", emit: (cx, n, [x]) => op(cx, n, "Transpose", [x!], { perm: ints(n.attrs.perm as number[]) }) },
  concat: { onnx: "Concat", emit: (cx, n, xs) => op(cx, n, "Concat", xs, { axis: int(n.attrs.axis as number) }) },
  slice: {
    onnx: "Slice",
    emit: (cx, n, [x]) => {
      const { axis, start, end, step } = n.attrs as { axis: number; start: number; end: number; step: number };
      return op(cx, n, "Slice", [x!, cx.g.i64([start], "starts"), cx.g.i64([end], "ends"), cx.g.i64([axis]), cx.g.i64([step], "steps")]);
    },
  },
  gather: { onnx: "Gather", indexInputs: [1], emit: (cx, n, [table, indices]) => op(cx, n, "Gather", [table!, indices!], { axis: int(0) }) },
  pick: {
    onnx: "Unsqueeze, GatherElements, Squeeze",
    indexInputs: [1],
    emit: (cx, n, [x, indices]) => {
      const column = op(cx, n, "Unsqueeze", [indices!, cx.g.i64([-1])], {}, "index");
      return op(cx, n, "Squeeze", [op(cx, n, "GatherElements", [x!, column], { axis: int(-1) }, "picked"), cx.g.i64([-1])]);
    },
  },
  matmul: {
    onnx: "Gemm (a sequence's: MatMul; its sum over positions: Reshape, Gemm)",
    emit: (cx, n, [a, b]) => {
      const [A, B] = n.inputs as [Node, Node];
      if (A.shape.length > 2 && !n.attrs.transA) {
        // x [..., K]·W at every position: ONNX's MatMul broadcasts over the leading axes.
        return op(cx, n, "MatMul", [a!, n.attrs.transB ? op(cx, n, "Transpose", [b!], { perm: ints([1, 0]) }, "weight_t") : b!]);
      }
      if (A.shape.length > 2) {
        // Aᵀ·D summed over every position: both as matrices of rows, then one Gemm.
        const rows = (x: string, s: Node["shape"]) => op(cx, n, "Reshape", [x, cx.g.i64([-1, s[s.length - 1] as number])], {}, "rows");
        return op(cx, n, "Gemm", [rows(a!, A.shape), rows(b!, B.shape)], { transA: int(1) });
      }
      return op(cx, n, "Gemm", [a!, b!], { transA: int(n.attrs.transA ? 1 : 0), transB: int(n.attrs.transB ? 1 : 0) });
    },
  },
  conv2d: {
    onnx: "Transpose, Conv, Transpose (conv1d's: Squeeze, Transpose, 1-D Conv, Transpose, Unsqueeze)",
    emit: (cx, n, [x, w]) => {
      if (isOneColumn(n)) return conv1d(cx, n, x!, w!);
      const a = n.attrs as ConvAttrs;
      return nchw(cx, n, x!, "Conv", [oihw(cx, n, n.inputs[1]!, w!)], { strides: ints(a.stride), pads: ints(a.padding), dilations: ints(a.dilation) });
    },
  },
  maxPool2d: { onnx: "Transpose, MaxPool, Transpose", emit: (cx, n, [x]) => nchw(cx, n, x!, "MaxPool", [], poolAttrs(n.attrs as PoolAttrs)) },
  // PyTorch's count_include_pad=True: padded zeros count in the mean.
  avgPool2d: {
    onnx: "Transpose, AveragePool, Transpose",
    emit: (cx, n, [x]) => nchw(cx, n, x!, "AveragePool", [], { ...poolAttrs(n.attrs as PoolAttrs), count_include_pad: int(1) }),
  },
  softmax: unary("Softmax", () => ({ axis: int(-1) })),
  logSoftmax: unary("LogSoftmax", () => ({ axis: int(-1) })),
  softmaxCE: { onnx: "LogSoftmax, GatherElements (labels) or Mul, ReduceSum (targets), Neg", indexInputs: [1], emit: softmaxCE },
  onehot: { onnx: "Unsqueeze, Equal, Cast", indexInputs: [0], emit: onehot },
  // Inference keeps the inference value (batchNorm's running statistics); specialize("infer") has chosen it already.
  select: { onnx: "(the inference value)", emit: (_, __, [, infer]) => infer! },
  dim: {
    onnx: "Shape, Gather, Cast",
    emit: (cx, n) => op(cx, n, "Cast", [op(cx, n, "Squeeze", [cx.batch(n), cx.g.i64([0])], {}, "batch")], { to: int(1) }, "batch_size"),
  },
};

/** Ops the exporter writes itself (compiler/export/lower.ts), with the ONNX operators they become. */
export const LOWERED: Readonly<Record<string, string>> = {
  input: "a graph input (same name)",
  param: "an initializer (same name)",
  const: "an initializer",
  part: "(a result of its scan)",
  scan: "Scan, or LSTM / GRU / RNN when the body is exactly gradc's cell",
};

/** Ops with no ONNX export, and why: an inference graph never holds them. */
export const NOT_EXPORTED: Readonly<Record<string, string>> = {
  dropoutMask: "dropout masks exist only while training (inference passes x through)",
  conv2dBackwardInput: "a derivative (∂L/∂x of conv2d)",
  conv2dBackwardFilter: "a derivative (∂L/∂w of conv2d)",
  maxPool2dBackward: "a derivative (∂L/∂x of maxPool2d)",
  maxPool2dSelect: "a derivative (of maxPool2d's derivative)",
  avgPool2dBackward: "a derivative (∂L/∂x of avgPool2d)",
  sliceGrad: "a derivative (∂L/∂x of slice)",
  scatterAdd: "a derivative (∂L/∂table of gather)",
  pickGrad: "a derivative (∂L/∂x of pick)",
  stopGradient: "a gradient marker, erased from the inference graph (the value it marks is exported)",
  customGradient: "a gradient marker, erased from the inference graph (its forward is exported)",
};
