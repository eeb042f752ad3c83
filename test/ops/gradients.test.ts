// Table-driven gradient checks (after JAX's check_grads over LAX_GRAD_OPS): every op in allOps has
// entries below, and a meta test fails when one does not.
//
// Each entry declares parameters (the differentiated operands) and maybe inputs, builds the op, and the
// loss is Σ C ⊙ op(...) for a fixed random C, so every output element matters. The symbolic gradient
// (grad() + interpreter) must match central finite differences of the loss in float64. Values are
// seeded per entry and chosen away from kinks (relu/abs at 0, max ties except where ties are the point).
//
// Ops with no gradient by design (step, sign, eq, onehot) get an entry asserting their derivative rule
// returns null for every input and that their eval agrees with their definition.

import { describe, expect, it } from "vitest";
import { grad } from "../../compiler/autodiff/grad.js";
import * as d from "../../compiler/dsl/core.js";
import { withContext } from "../../compiler/ir/context.js";
import * as cv from "../../compiler/dsl/conv.js";
import * as ix from "../../compiler/dsl/indexing.js";
import { layerNorm, variance } from "../../compiler/dsl/normalization.js";
import { dropout, dropout1d, dropout2d, select } from "../../compiler/dsl/training.js";
import { scan } from "../../compiler/dsl/scan.js";
import { customGradient, stopGradient } from "../../compiler/dsl/gradients.js";
import type { Node } from "../../compiler/ir/node.js";
import type { Dim } from "../../compiler/ir/shape.js";
import { allOps, getOp } from "../../compiler/ops/index.js";
import type { OpDef } from "../../compiler/ops/op.js";
import { checkGradients, interpretedGradients, randomlyWeighted, traceModel } from "../helpers/gradcheck.js";
import { evalNode, inContext } from "../helpers/evalNode.js";
import { awayFromZero, mulberry32, seedOf, uniformArray, type Rng } from "../helpers/rng.js";
import { nonEmpty } from "../helpers/nonEmpty.js";
import { conv2dBackwardFilter, conv2dBackwardInput } from "../../compiler/ops/conv.js";
import { scatterAdd } from "../../compiler/ops/gather.js";
import { pickGrad } from "../../compiler/ops/pick.js";
import { avgPool2dBackward, maxPool2dBackward, maxPool2dSelect } from "../../compiler/ops/pool.js";
import { sliceGrad } from "../../compiler/ops/slice.js";
import { builders } from "../../compiler/autodiff/builders.js";

// ── value generators ──────────────────────────────────────────────────────────────────────────────

type Gen = (rng: Rng, n: number) => number[];
const U = (lo: number, hi: number): Gen => (rng, n) => uniformArray(rng, n, lo, hi);
const SMALL = U(-1, 1);
const WIDE = U(-3, 3);
const POS = U(0.3, 2.5);
/** |x| in [0.1, 1.5), random signs except the first, which is positive (so relu of one element is not 0). */
const AWAY: Gen = (rng, n) => awayFromZero(rng, n, 0.1, 1.5).map((v, k) => (k === 0 ? Math.abs(v) : v));
/** Values at least 0.05 apart (no ties, no near-ties), in random order. */
const DISTINCT: Gen = (rng, n) => {
  const v = Array.from({ length: n }, (_, k) => -1 + 0.15 * k + 0.05 * rng());
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [v[i], v[j]] = [v[j]!, v[i]!];
  }
  return v;
};
const FIXED = (values: number[]): Gen => () => values;

// ── the table ─────────────────────────────────────────────────────────────────────────────────────

interface ParamSpec {
  readonly shape: number[];
  readonly gen: Gen;
}
interface InputSpec {
  readonly shape: Dim[];
  readonly values: number[];
  readonly dtype?: "int";
}
interface GradCase {
  /** The op under test: a name in allOps, or a composite DSL function (mse, crossEntropy, ...). */
  readonly op: string;
  readonly name: string;
  readonly params: Record<string, ParamSpec>;
  readonly inputs?: Record<string, InputSpec>;
  readonly build: (v: Record<string, Node>) => Node;
  /** Set when the true gradient is zero everywhere (so the non-vacuity check is skipped). */
  readonly zeroGradient?: boolean;
}

const P = (shape: number[], gen: Gen = SMALL): ParamSpec => ({ shape, gen });
const I = (shape: Dim[], values: number[], dtype?: "int"): InputSpec => ({ shape, values, ...(dtype ? { dtype } : {}) });

/** The same variants for each broadcasting binary op. */
function binaryCases(op: string, f: (a: d.Operand, b: d.Operand) => Node, ga: Gen, gb: Gen): GradCase[] {
  return [
    { op, name: "[3,4] ∘ [3,4]", params: { A: P([3, 4], ga), B: P([3, 4], gb) }, build: (v) => f(v.A!, v.B!) },
    { op, name: "[3,4] ∘ bias [4]", params: { A: P([3, 4], ga), b: P([4], gb) }, build: (v) => f(v.A!, v.b!) },
    { op, name: "bias [4] ∘ [3,4]", params: { b: P([4], ga), A: P([3, 4], gb) }, build: (v) => f(v.b!, v.A!) },
    { op, name: "[3,4] ∘ scalar param []", params: { A: P([3, 4], ga), s: P([], gb) }, build: (v) => f(v.A!, v.s!) },
    { op, name: "scalar param [] ∘ [3,4]", params: { s: P([], ga), A: P([3, 4], gb) }, build: (v) => f(v.s!, v.A!) },
    { op, name: "[3,1] ∘ [1,4] (both broadcast)", params: { c: P([3, 1], ga), r: P([1, 4], gb) }, build: (v) => f(v.c!, v.r!) },
    { op, name: "[2,3,4] ∘ [3,1]", params: { A: P([2, 3, 4], ga), c: P([3, 1], gb) }, build: (v) => f(v.A!, v.c!) },
    { op, name: "[1,1] ∘ [1,1]", params: { a: P([1, 1], ga), b: P([1, 1], gb) }, build: (v) => f(v.a!, v.b!) },
    { op, name: "[3,4] ∘ a number constant", params: { A: P([3, 4], ga) }, build: (v) => f(v.A!, gb(mulberry32(7), 1)[0]!) },
    // a − a and a / a are constants: the two adjoints must cancel exactly.
    { op, name: "[3,4] ∘ itself", params: { A: P([3, 4], ga === gb ? ga : POS) }, build: (v) => f(v.A!, v.A!), zeroGradient: op === "sub" || op === "div" },
  ];
}

function unaryCases(op: string, f: (x: Node) => Node, gen: Gen): GradCase[] {
  return [
    { op, name: "[3,4]", params: { X: P([3, 4], gen) }, build: (v) => f(v.X!) },
    { op, name: "[1,1]", params: { X: P([1, 1], gen) }, build: (v) => f(v.X!) },
    { op, name: "scalar []", params: { X: P([], gen) }, build: (v) => f(v.X!) },
    { op, name: "[2,3,2] after a bias broadcast", params: { X: P([2, 3, 2], gen), b: P([2], U(-0.05, 0.05)) }, build: (v) => f(d.add(v.X!, v.b!)) },
  ];
}

const reduceCases = (op: string, f: typeof d.sum, gen: Gen): GradCase[] => [
  { op, name: "all of [3,4]", params: { X: P([3, 4], gen) }, build: (v) => f(v.X!) },
  { op, name: "axis 0 of [3,4]", params: { X: P([3, 4], gen) }, build: (v) => f(v.X!, 0) },
  { op, name: "axis 1 of [3,4]", params: { X: P([3, 4], gen) }, build: (v) => f(v.X!, 1) },
  { op, name: "axis −1 of [3,4]", params: { X: P([3, 4], gen) }, build: (v) => f(v.X!, -1) },
  { op, name: "axis 0 of [3,4], keepdims", params: { X: P([3, 4], gen) }, build: (v) => f(v.X!, 0, true) },
  { op, name: "axis 1 of [3,4], keepdims", params: { X: P([3, 4], gen) }, build: (v) => f(v.X!, 1, true) },
  { op, name: "all of [3,4], keepdims", params: { X: P([3, 4], gen) }, build: (v) => f(v.X!, undefined, true) },
  { op, name: "axis 1 of [2,3,4]", params: { X: P([2, 3, 4], gen) }, build: (v) => f(v.X!, 1) },
  { op, name: "axis 2 of [2,3,4], keepdims", params: { X: P([2, 3, 4], gen) }, build: (v) => f(v.X!, 2, true) },
  { op, name: "all of a vector [5]", params: { X: P([5], gen) }, build: (v) => f(v.X!) },
  { op, name: "axis 0 of [1,1]", params: { X: P([1, 1], gen) }, build: (v) => f(v.X!, 0) },
];

const mm = (o: { transA?: boolean; transB?: boolean } = {}) => (v: Record<string, Node>) => d.matmul(v.A!, v.B!, o);

/** Σ over the batch of x², a static shape randomlyWeighted can weight; the square keeps each row's part distinct. */
const overBatch = (x: Node): Node => d.sum(d.square(x), 0);

/** Float target rows (non-negative, each summing to 1) for 3 rows of 4 classes. */
const targetRows = [0.1, 0.2, 0.3, 0.4, 0.7, 0.1, 0.1, 0.1, 0, 0, 1, 0];

// ── convolution and pooling (NHWC) ────────────────────────────────────────────────────────────────

/** conv2d's resolved attrs, for calling the gradient ops directly. */
const convAttrs = (stride: [number, number], padding: [number, number, number, number], dilation: [number, number] = [1, 1]) => ({ stride, padding, dilation });
const poolAttrs = (size: [number, number], stride: [number, number] = size, padding: [number, number] = [0, 0]) => ({ size, stride, padding });
/** Fixed distinct values (no ties in any pooling window) for an input. */
const distinct = (n: number, seed: number) => DISTINCT(mulberry32(seed), n);

const convCases: GradCase[] = [
  { op: "conv2d", name: "x[2,5,5,3] ⊛ w[3,3,3,4], valid", params: { X: P([2, 5, 5, 3]), Wt: P([3, 3, 3, 4]) }, build: (v) => cv.conv2d(v.X!, v.Wt!) },
  { op: "conv2d", name: "stride 2, padding 1: x[2,5,5,2] ⊛ w[3,3,2,3] → 3×3", params: { X: P([2, 5, 5, 2]), Wt: P([3, 3, 2, 3]) }, build: (v) => cv.conv2d(v.X!, v.Wt!, { stride: 2, padding: 1 }) },
  { op: "conv2d", name: "dilation 2, same: x[1,6,6,2] ⊛ w[3,3,2,2]", params: { X: P([1, 6, 6, 2]), Wt: P([3, 3, 2, 2]) }, build: (v) => cv.conv2d(v.X!, v.Wt!, { dilation: 2, padding: "same" }) },
  { op: "conv2d", name: "even filter, same (one row/column of zeros at the bottom/right): x[2,4,5,1] ⊛ w[2,2,1,3]", params: { X: P([2, 4, 5, 1]), Wt: P([2, 2, 1, 3]) }, build: (v) => cv.conv2d(v.X!, v.Wt!, { padding: "same" }) },
  { op: "conv2d", name: "same with stride 2 (output ⌈H/2⌉×⌈W/2⌉): x[1,5,6,2] ⊛ w[3,3,2,2]", params: { X: P([1, 5, 6, 2]), Wt: P([3, 3, 2, 2]) }, build: (v) => cv.conv2d(v.X!, v.Wt!, { stride: 2, padding: "same" }) },
  { op: "conv2d", name: "stride [2,1], padding [1,0], dilation [1,2], odd sizes: x[1,7,6,2] ⊛ w[3,2,2,3]", params: { X: P([1, 7, 6, 2]), Wt: P([3, 2, 2, 3]) }, build: (v) => cv.conv2d(v.X!, v.Wt!, { stride: [2, 1], padding: [1, 0], dilation: [1, 2] }) },
  { op: "conv2d", name: "stride 3 leaves the last row and column of x unused: x[1,7,7,1] ⊛ w[2,2,1,2]", params: { X: P([1, 7, 7, 1]), Wt: P([2, 2, 1, 2]) }, build: (v) => cv.conv2d(v.X!, v.Wt!, { stride: 3 }) },
  { op: "conv2d", name: "1×1 filter on a 1×1 image: x[3,1,1,2] ⊛ w[1,1,2,3]", params: { X: P([3, 1, 1, 2]), Wt: P([1, 1, 2, 3]) }, build: (v) => cv.conv2d(v.X!, v.Wt!) },
  { op: "conv2d", name: "the filter covers the image (1×1 output): x[2,3,3,2] ⊛ w[3,3,2,2]", params: { X: P([2, 3, 3, 2]), Wt: P([3, 3, 2, 2]) }, build: (v) => cv.conv2d(v.X!, v.Wt!) },
  { op: "conv2d", name: "padding 2 around a 2×2 filter (border outputs see only zeros): x[1,3,3,1] ⊛ w[2,2,1,2]", params: { X: P([1, 3, 3, 1]), Wt: P([2, 2, 1, 2]) }, build: (v) => cv.conv2d(v.X!, v.Wt!, { padding: 2 }) },
  {
    op: "conv2d", name: "input image over a symbolic batch, + bias [cout]",
    params: { Wt: P([2, 2, 1, 3]), b: P([3]) }, inputs: { x: I(["batch", 3, 3, 1], [0.5, -1, 2, 0.1, 0.3, -0.7, 1.2, 0.8, -0.4, 0, 0.25, -2, 1, 0.6, -0.3, 0.9, 1.5, -1.1]) },
    build: (v) => d.sum(d.tanh(d.add(cv.conv2d(v.x!, v.Wt!, { padding: 1 }), v.b!)), 0), // summed over the batch (the weights need a static shape)
  },
  { op: "conv2dBackwardInput", name: "g[2,3,3,3], w[3,3,2,3], stride 2, padding 1 → x 5×5", params: { G: P([2, 3, 3, 3]), Wt: P([3, 3, 2, 3]) }, build: (v) => conv2dBackwardInput(v.G!, v.Wt!, convAttrs([2, 2], [1, 1, 1, 1]), [5, 5]) },
  { op: "conv2dBackwardInput", name: "g[1,4,3,2], w[3,2,3,2], stride [1,2], dilation [2,1], padding [1,0,1,1] → x 6×5", params: { G: P([1, 4, 3, 2]), Wt: P([3, 2, 3, 2]) }, build: (v) => conv2dBackwardInput(v.G!, v.Wt!, convAttrs([1, 2], [1, 0, 1, 1], [2, 1]), [6, 5]) },
  { op: "conv2dBackwardFilter", name: "x[2,5,5,2], g[2,3,3,3], stride 2, padding 1 → w 3×3", params: { X: P([2, 5, 5, 2]), G: P([2, 3, 3, 3]) }, build: (v) => conv2dBackwardFilter(v.X!, v.G!, convAttrs([2, 2], [1, 1, 1, 1]), [3, 3]) },
  { op: "conv2dBackwardFilter", name: "x[1,6,5,3], g[1,4,3,2], stride [1,2], dilation [2,1], padding [1,0,1,1] → w 3×2", params: { X: P([1, 6, 5, 3]), G: P([1, 4, 3, 2]) }, build: (v) => conv2dBackwardFilter(v.X!, v.G!, convAttrs([1, 2], [1, 0, 1, 1], [2, 1]), [3, 2]) },
  { op: "maxPool2d", name: "2×2 windows of [2,4,4,3]", params: { X: P([2, 4, 4, 3], DISTINCT) }, build: (v) => cv.maxPool2d(v.X!, { size: 2 }) },
  { op: "maxPool2d", name: "3×3, stride 2, padding 1 (overlapping windows) of [1,5,5,2]", params: { X: P([1, 5, 5, 2], DISTINCT) }, build: (v) => cv.maxPool2d(v.X!, { size: 3, stride: 2, padding: 1 }) },
  { op: "maxPool2d", name: "size [2,3], stride [1,2] of [1,4,7,2]", params: { X: P([1, 4, 7, 2], DISTINCT) }, build: (v) => cv.maxPool2d(v.X!, { size: [2, 3], stride: [1, 2] }) },
  { op: "maxPool2d", name: "2×2 of an odd [1,5,5,1] (last row and column unused)", params: { X: P([1, 5, 5, 1], DISTINCT) }, build: (v) => cv.maxPool2d(v.X!, { size: 2 }) },
  { op: "maxPool2d", name: "one window covering [2,3,3,2]", params: { X: P([2, 3, 3, 2], DISTINCT) }, build: (v) => cv.maxPool2d(v.X!, { size: 3 }) },
  { op: "maxPool2dBackward", name: "2×2 of x[1,4,4,2] (input), g[1,2,2,2]", params: { G: P([1, 2, 2, 2]) }, inputs: { x: I([1, 4, 4, 2], distinct(32, 1)) }, build: (v) => maxPool2dBackward(v.x!, v.G!, poolAttrs([2, 2])) },
  { op: "maxPool2dBackward", name: "3×3, stride 2, padding 1 of x[1,5,5,2] (overlapping windows share positions)", params: { G: P([1, 3, 3, 2]) }, inputs: { x: I([1, 5, 5, 2], distinct(50, 2)) }, build: (v) => maxPool2dBackward(v.x!, v.G!, poolAttrs([3, 3], [2, 2], [1, 1])) },
  { op: "maxPool2dSelect", name: "2×2 of x[1,4,4,2] (input), h[1,4,4,2]", params: { Hv: P([1, 4, 4, 2]) }, inputs: { x: I([1, 4, 4, 2], distinct(32, 3)) }, build: (v) => maxPool2dSelect(v.x!, v.Hv!, poolAttrs([2, 2])) },
  { op: "maxPool2dSelect", name: "size [2,3], stride [1,2], padding [1,1] of x[1,4,5,2]", params: { Hv: P([1, 4, 5, 2]) }, inputs: { x: I([1, 4, 5, 2], distinct(40, 4)) }, build: (v) => maxPool2dSelect(v.x!, v.Hv!, poolAttrs([2, 3], [1, 2], [1, 1])) },
  { op: "avgPool2d", name: "2×2 windows of [2,4,4,3]", params: { X: P([2, 4, 4, 3]) }, build: (v) => cv.avgPool2d(v.X!, { size: 2 }) },
  { op: "avgPool2d", name: "3×3, stride 2, padding 1 (padding counts as zeros) of [1,5,5,2]", params: { X: P([1, 5, 5, 2]) }, build: (v) => cv.avgPool2d(v.X!, { size: 3, stride: 2, padding: 1 }) },
  { op: "avgPool2d", name: "size [2,3], stride [1,2] of an odd [1,4,7,2]", params: { X: P([1, 4, 7, 2]) }, build: (v) => cv.avgPool2d(v.X!, { size: [2, 3], stride: [1, 2] }) },
  { op: "avgPool2dBackward", name: "g[1,3,3,2], 3×3, stride 2, padding 1 → x 5×5", params: { G: P([1, 3, 3, 2]) }, build: (v) => avgPool2dBackward(v.G!, poolAttrs([3, 3], [2, 2], [1, 1]), [5, 5]) },
  { op: "avgPool2dBackward", name: "g[2,2,2,3], 2×2 → x 5×4 (last row unused)", params: { G: P([2, 2, 2, 3]) }, build: (v) => avgPool2dBackward(v.G!, poolAttrs([2, 2]), [5, 4]) },
  { op: "reshape", name: "flatten [2,3,2,2] NHWC → [2,12], then ·W", params: { X: P([2, 3, 2, 2]), Wm: P([12, 3]) }, build: (v) => d.matmul(d.tanh(cv.flatten(v.X!)), v.Wm!) },
];

const table: GradCase[] = [
  // elementwise arithmetic
  ...binaryCases("add", d.add, SMALL, SMALL),
  ...binaryCases("sub", d.sub, SMALL, SMALL),
  ...binaryCases("mul", d.mul, SMALL, SMALL),
  ...binaryCases("div", d.div, SMALL, AWAY),
  ...binaryCases("pow", d.pow, POS, U(-1.5, 2.5)),
  { op: "pow", name: "[3,4] ^ 3 (integer constant exponent, negative base)", params: { A: P([3, 4], AWAY) }, build: (v) => d.pow(v.A!, 3) },
  { op: "pow", name: "2 ^ [3,4] (constant base)", params: { B: P([3, 4], SMALL) }, build: (v) => d.pow(2, v.B!) },
  ...unaryCases("neg", d.neg, SMALL),
  ...unaryCases("exp", d.exp, WIDE),
  ...unaryCases("log", d.log, POS),
  ...unaryCases("sqrt", d.sqrt, POS),
  ...unaryCases("square", d.square, WIDE),
  ...unaryCases("abs", d.abs, AWAY),
  // activations
  ...unaryCases("sigmoid", d.sigmoid, WIDE),
  { op: "sigmoid", name: "large |x| (saturated)", params: { X: P([2, 3], FIXED([-30, -12, -5, 5, 12, 30])) }, build: (v) => d.sigmoid(v.X!) },
  ...unaryCases("tanh", d.tanh, WIDE),
  ...unaryCases("relu", d.relu, AWAY),
  ...unaryCases("leakyRelu", (x) => d.leakyRelu(x, 0.1), AWAY),
  { op: "leakyRelu", name: "default alpha (0.01)", params: { X: P([3, 4], AWAY) }, build: (v) => d.leakyRelu(v.X!) },
  { op: "leakyRelu", name: "alpha 1.5", params: { X: P([3, 4], AWAY) }, build: (v) => d.leakyRelu(v.X!, 1.5) },
  ...unaryCases("softplus", d.softplus, WIDE),
  { op: "softplus", name: "both branches, large |x|", params: { X: P([2, 4], FIXED([-40, -8, -0.3, 0.2, 0.9, 8, 40, 3])) }, build: (v) => d.softplus(v.X!) },
  // ops without a gradient, as constants inside a differentiable expression (their derivative is 0 a.e.)
  { op: "sign", name: "x·sign(x) = |x| (sign is a constant)", params: { X: P([3, 4], AWAY) }, build: (v) => d.mul(v.X!, d.sign(v.X!)) },
  { op: "step", name: "x·step(x) = relu(x) (step is a constant)", params: { X: P([3, 4], AWAY) }, build: (v) => d.mul(v.X!, d.step(v.X!, 0.1)) },
  { op: "eq", name: "x·([x = x] + [x = 5]) = x (eq is a constant)", params: { X: P([3, 4], SMALL) }, build: (v) => d.mul(v.X!, d.add(d.eq(v.X!, v.X!), d.eq(v.X!, 5))) },
  // reductions
  ...reduceCases("sum", d.sum, SMALL),
  ...reduceCases("max", d.max, DISTINCT),
  { op: "max", name: "2-way ties along axis 1 (central differences see the equal split)", params: { X: P([2, 3], FIXED([0.3, 0.7, 0.7, 0.5, -0.2, 0.5])) }, build: (v) => d.max(v.X!, 1) },
  { op: "max", name: "a 2-way tie over all elements", params: { X: P([2, 2], FIXED([0.9, 0.1, 0.9, -0.4])) }, build: (v) => d.max(v.X!) },
  { op: "max", name: "all negative, axis 0", params: { X: P([3, 2], FIXED([-3, -0.5, -1, -2, -2.5, -4])) }, build: (v) => d.max(v.X!, 0) },
  // layout
  { op: "reshape", name: "[3,4] → [2,6]", params: { X: P([3, 4]) }, build: (v) => d.reshape(v.X!, [2, 6]) },
  { op: "reshape", name: "[3,4] → [12]", params: { X: P([3, 4]) }, build: (v) => d.reshape(v.X!, [12]) },
  { op: "reshape", name: "[12] → [2,3,2]", params: { X: P([12]) }, build: (v) => d.reshape(v.X!, [2, 3, 2]) },
  { op: "reshape", name: "[1,1] → [1]", params: { X: P([1, 1]) }, build: (v) => d.reshape(v.X!, [1]) },
  { op: "reshape", name: "then a nonlinearity: tanh(reshape(X))·W", params: { X: P([2, 3]), W: P([3, 2]) }, build: (v) => d.matmul(d.tanh(d.reshape(v.X!, [3, 2])), v.W!, { transB: true }) },
  { op: "broadcastTo", name: "[4] → [3,4]", params: { x: P([4]) }, build: (v) => d.broadcastTo(v.x!, [3, 4]) },
  { op: "broadcastTo", name: "[3,1] → [3,4]", params: { x: P([3, 1]) }, build: (v) => d.broadcastTo(v.x!, [3, 4]) },
  { op: "broadcastTo", name: "[] → [2,3]", params: { x: P([]) }, build: (v) => d.broadcastTo(v.x!, [2, 3]) },
  { op: "broadcastTo", name: "[1,4] → [2,3,4]", params: { x: P([1, 4]) }, build: (v) => d.broadcastTo(v.x!, [2, 3, 4]) },
  { op: "broadcastTo", name: "[1,1] → [1,5]", params: { x: P([1, 1]) }, build: (v) => d.broadcastTo(v.x!, [1, 5]) },
  { op: "transpose", name: "2-D [3,4]ᵀ", params: { X: P([3, 4]) }, build: (v) => d.transpose(v.X!) },
  { op: "transpose", name: "3-D [2,3,4] perm [2,0,1]", params: { X: P([2, 3, 4]) }, build: (v) => d.transpose(v.X!, [2, 0, 1]) },
  { op: "transpose", name: "3-D [2,3,4] perm [1,0,2]", params: { X: P([2, 3, 4]) }, build: (v) => d.transpose(v.X!, [1, 0, 2]) },
  { op: "transpose", name: "3-D [2,3,4] reversed", params: { X: P([2, 3, 4]) }, build: (v) => d.transpose(v.X!) },
  { op: "transpose", name: "[1,1]ᵀ", params: { X: P([1, 1]) }, build: (v) => d.transpose(v.X!) },
  // matmul
  { op: "matmul", name: "A[2,3]·B[3,4]", params: { A: P([2, 3]), B: P([3, 4]) }, build: mm() },
  { op: "matmul", name: "A[2,3]·B[4,3]ᵀ (transB)", params: { A: P([2, 3]), B: P([4, 3]) }, build: mm({ transB: true }) },
  { op: "matmul", name: "A[3,2]ᵀ·B[3,4] (transA)", params: { A: P([3, 2]), B: P([3, 4]) }, build: mm({ transA: true }) },
  { op: "matmul", name: "A[3,2]ᵀ·B[4,3]ᵀ (transA, transB)", params: { A: P([3, 2]), B: P([4, 3]) }, build: mm({ transA: true, transB: true }) },
  { op: "matmul", name: "vector x[3] · matrix W[3,4]", params: { A: P([3]), B: P([3, 4]) }, build: mm() },
  { op: "matmul", name: "vector x[3] · W[4,3]ᵀ", params: { A: P([3]), B: P([4, 3]) }, build: mm({ transB: true }) },
  { op: "matmul", name: "matrix A[2,3] · vector v[3]", params: { A: P([2, 3]), B: P([3]) }, build: mm() },
  { op: "matmul", name: "[1,1]·[1,1]", params: { A: P([1, 1]), B: P([1, 1]) }, build: mm() },
  { op: "matmul", name: "outer product [3,1]·[1,2]", params: { A: P([3, 1]), B: P([1, 2]) }, build: mm() },
  { op: "matmul", name: "A·Aᵀ (one param, both sides)", params: { A: P([2, 3]) }, build: (v) => d.matmul(v.A!, v.A!, { transB: true }) },
  { op: "matmul", name: "x[2,3]·W[3,4] + b[4] (an input on the left)", params: { W: P([3, 4]), b: P([4]) }, inputs: { x: I([2, 3], [0.5, -1, 2, 0.1, 0.3, -0.7]) }, build: (v) => d.add(d.matmul(v.x!, v.W!), v.b!) },
  ...convCases,
  // softmax family
  { op: "softmax", name: "rows of [3,4]", params: { X: P([3, 4], WIDE) }, build: (v) => d.softmax(v.X!) },
  { op: "softmax", name: "a vector [5]", params: { X: P([5], WIDE) }, build: (v) => d.softmax(v.X!) },
  { op: "softmax", name: "[2,2,3] (last axis)", params: { X: P([2, 2, 3], WIDE) }, build: (v) => d.softmax(v.X!) },
  { op: "softmax", name: "[1,1] (constant 1)", params: { X: P([1, 1], WIDE) }, build: (v) => d.softmax(v.X!), zeroGradient: true },
  { op: "logSoftmax", name: "rows of [3,4]", params: { X: P([3, 4], WIDE) }, build: (v) => d.logSoftmax(v.X!) },
  { op: "logSoftmax", name: "a vector [5]", params: { X: P([5], WIDE) }, build: (v) => d.logSoftmax(v.X!) },
  { op: "logSoftmax", name: "[2,2,3] (last axis)", params: { X: P([2, 2, 3], WIDE) }, build: (v) => d.logSoftmax(v.X!) },
  { op: "logSoftmax", name: "[2,1] (constant 0)", params: { X: P([2, 1], WIDE) }, build: (v) => d.logSoftmax(v.X!), zeroGradient: true },
  { op: "softmaxCE", name: "logits [3,4], integer labels", params: { X: P([3, 4], WIDE) }, inputs: { y: I([3], [0, 3, 1], "int") }, build: (v) => d.softmaxCrossEntropyRows(v.X!, v.y!) },
  { op: "softmaxCE", name: "logits [3,4], float target rows (input)", params: { X: P([3, 4], WIDE) }, inputs: { t: I([3, 4], targetRows) }, build: (v) => d.softmaxCrossEntropyRows(v.X!, v.t!) },
  { op: "softmaxCE", name: "logits and unnormalized targets both params", params: { X: P([3, 4], WIDE), T: P([3, 4], POS) }, build: (v) => d.softmaxCrossEntropyRows(v.X!, v.T!) },
  { op: "softmaxCE", name: "logits [1,1], label 0 (loss ≡ 0)", params: { X: P([1, 1], WIDE) }, inputs: { y: I([1], [0], "int") }, build: (v) => d.softmaxCrossEntropyRows(v.X!, v.y!), zeroGradient: true },
  { op: "softmaxCE", name: "logits = x·W with a batch dimension", params: { W: P([2, 3]) }, inputs: { x: I(["batch", 2], [1, -0.5, 0.3, 2, -1, -1]), y: I(["batch"], [2, 0, 1], "int") }, build: (v) => d.sum(d.softmaxCrossEntropyRows(d.matmul(v.x!, v.W!), v.y!)) },
  // composites from the public DSL
  { op: "mse", name: "prediction param [3,2] vs target input", params: { X: P([3, 2], WIDE) }, inputs: { y: I([3, 2], [0.5, -1, 2, 0, 1, 1]) }, build: (v) => d.mse(v.X!, v.y!) },
  { op: "mse", name: "x·W + b over a symbolic batch", params: { W: P([2, 2]), b: P([2]) }, inputs: { x: I(["batch", 2], [1, 2, -1, 0.5, 0.2, 0.3]), y: I(["batch", 2], [0, 1, 1, 0, 0.5, 0.5]) }, build: (v) => d.mse(d.add(d.matmul(v.x!, v.W!), v.b!), v.y!) },
  { op: "mse", name: "both arguments params", params: { A: P([2, 3]), B: P([2, 3]) }, build: (v) => d.mse(v.A!, v.B!) },
  { op: "crossEntropy", name: "softmax probabilities, integer labels", params: { X: P([3, 4], WIDE) }, inputs: { y: I([3], [2, 0, 3], "int") }, build: (v) => d.crossEntropy(d.softmax(v.X!), v.y!) },
  { op: "crossEntropy", name: "softmax probabilities, float target rows", params: { X: P([3, 4], WIDE) }, inputs: { t: I([3, 4], targetRows) }, build: (v) => d.crossEntropy(d.softmax(v.X!), v.t!) },
  { op: "crossEntropy", name: "probabilities as a param directly", params: { Pr: P([2, 3], U(0.1, 0.9)) }, inputs: { y: I([2], [1, 2], "int") }, build: (v) => d.crossEntropy(v.Pr!, v.y!) },
  { op: "softmaxCrossEntropy", name: "integer labels over a symbolic batch", params: { W: P([2, 3]) }, inputs: { x: I(["batch", 2], [1, -0.5, 0.3, 2, -1, -1, 0.4, 0.4]), y: I(["batch"], [2, 0, 1, 1], "int") }, build: (v) => d.softmaxCrossEntropy(d.matmul(v.x!, v.W!), v.y!) },
  { op: "softmaxCrossEntropy", name: "one-hot rows", params: { X: P([3, 4], WIDE) }, inputs: { t: I([3, 4], [0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1]) }, build: (v) => d.softmaxCrossEntropy(v.X!, v.t!) },
  { op: "binaryCrossEntropy", name: "sigmoid outputs vs targets in [0,1]", params: { X: P([3, 2], WIDE) }, inputs: { t: I([3, 2], [0, 1, 0.3, 0.8, 1, 0]) }, build: (v) => d.binaryCrossEntropy(d.sigmoid(v.X!), v.t!) },
  { op: "binaryCrossEntropy", name: "probabilities as a param", params: { Pr: P([4], U(0.1, 0.9)) }, inputs: { t: I([4], [0, 1, 0.5, 1]) }, build: (v) => d.binaryCrossEntropy(v.Pr!, v.t!) },
  { op: "mean", name: "all of [3,4]", params: { X: P([3, 4]) }, build: (v) => d.mean(v.X!) },
  { op: "mean", name: "axis 0 of [3,4]", params: { X: P([3, 4]) }, build: (v) => d.mean(v.X!, 0) },
  { op: "mean", name: "axis −1 of [3,4], keepdims", params: { X: P([3, 4]) }, build: (v) => d.mean(v.X!, -1, true) },
  { op: "select", name: "the training branch gets the gradient, the inference branch none", params: { A: P([2, 3]), B: P([2, 3]) }, build: (v) => select(d.tanh(v.A!), d.sigmoid(v.B!)) },
  { op: "dropout", name: "p = 0.3 on [4,5] (the interpreter draws the generated code's masks)", params: { X: P([4, 5]) }, build: (v) => dropout(d.tanh(v.X!), 0.3) },
  { op: "mean", name: "over a symbolic batch axis", params: { W: P([2, 3]) }, inputs: { x: I(["batch", 2], [1, 2, 3, 4, 5, 6]) }, build: (v) => d.mean(d.matmul(v.x!, v.W!), 0) },
  // joining, slicing, indexing (concat, slice, gather, pick and the adjoint ops sliceGrad, scatterAdd, pickGrad)
  { op: "concat", name: "[2,3] and [2,2] along the last axis (default)", params: { A: P([2, 3]), B: P([2, 2]) }, build: (v) => ix.concat([v.A!, v.B!]) },
  { op: "concat", name: "three tensors along a middle axis: [2,1,3], [2,2,3], [2,3,3]", params: { A: P([2, 1, 3]), B: P([2, 2, 3]), C: P([2, 3, 3]) }, build: (v) => ix.concat([v.A!, v.B!, v.C!], 1) },
  { op: "concat", name: "axis −2 of [3,2] and [1,2] (a size-1 piece)", params: { A: P([3, 2]), B: P([1, 2]) }, build: (v) => ix.concat([v.A!, v.B!], -2) },
  { op: "concat", name: "one tensor twice (its two adjoints add up)", params: { A: P([2, 2]) }, build: (v) => ix.concat([v.A!, v.A!, v.A!], 0) },
  { op: "concat", name: "vectors [3] and [1]", params: { a: P([3]), b: P([1]) }, build: (v) => ix.concat([v.a!, v.b!], 0) },
  { op: "concat", name: "[x·W, x, tanh(x·V)] over a symbolic batch", params: { W: P([2, 3]), V: P([2, 1]) }, inputs: { x: I(["batch", 2], [1, -0.5, 0.3, 2, -1, 0.4]) }, build: (v) => overBatch(ix.concat([d.matmul(v.x!, v.W!), v.x!, d.tanh(d.matmul(v.x!, v.V!))], -1)) },
  { op: "slice", name: "[3,5][:, 1:4]", params: { X: P([3, 5]) }, build: (v) => ix.slice(v.X!, { start: 1, end: 4 }) },
  { op: "slice", name: "[2,7][:, 1::2] (step 2)", params: { X: P([2, 7]) }, build: (v) => ix.slice(v.X!, { axis: 1, start: 1, step: 2 }) },
  { op: "slice", name: "[7,2][-6:-1:3] (negative bounds, step 3, axis 0)", params: { X: P([7, 2]) }, build: (v) => ix.slice(v.X!, { axis: 0, start: -6, end: -1, step: 3 }) },
  { op: "slice", name: "middle axis of [2,4,3], −2 as the axis", params: { X: P([2, 4, 3]) }, build: (v) => ix.slice(v.X!, { axis: -2, start: 1, end: 3 }) },
  { op: "slice", name: "one column of [4,3] (a size-1 result)", params: { X: P([4, 3]) }, build: (v) => ix.slice(v.X!, { start: 2 }) },
  { op: "slice", name: "[1,5][:, 2:] (a size-1 leading axis)", params: { X: P([1, 5]) }, build: (v) => ix.slice(v.X!, { start: 2 }) },
  { op: "slice", name: "two slices of one tensor (adjoints add up)", params: { X: P([2, 6]) }, build: (v) => d.mul(ix.slice(v.X!, { end: 3 }), ix.slice(v.X!, { start: 2, end: 5 })) },
  { op: "slice", name: "(x·W)[:, ::2] over a symbolic batch", params: { W: P([2, 5]) }, inputs: { x: I(["batch", 2], [1, -0.5, 0.3, 2, -1, 0.4]) }, build: (v) => overBatch(ix.slice(d.matmul(v.x!, v.W!), { step: 2 })) },
  { op: "sliceGrad", name: "[2,3] at [:, 1::2] of 7 columns", params: { G: P([2, 3]) }, build: (v) => sliceGrad(v.G!, 1, 1, 2, 7) },
  { op: "sliceGrad", name: "[1,3] at row 3 of 4", params: { G: P([1, 3]) }, build: (v) => sliceGrad(v.G!, 0, 3, 1, 4) },
  { op: "sliceGrad", name: "(x·W) at [:, 2:5] of 6 columns, symbolic batch", params: { W: P([2, 3]) }, inputs: { x: I(["batch", 2], [1, -0.5, 0.3, 2, -1, 0.4]) }, build: (v) => overBatch(sliceGrad(d.matmul(v.x!, v.W!), 1, 2, 1, 6)) },
  { op: "gather", name: "table [5,3], indices [4] with a repeat", params: { T: P([5, 3]) }, inputs: { idx: I([4], [1, 3, 1, 0], "int") }, build: (v) => ix.gather(v.T!, v.idx!) },
  { op: "gather", name: "token matrix [2,3] into [2,3,2], repeats across rows", params: { T: P([4, 2]) }, inputs: { idx: I([2, 3], [3, 0, 3, 3, 2, 0], "int") }, build: (v) => ix.gather(v.T!, v.idx!) },
  { op: "gather", name: "a vector table [4] (scalar rows)", params: { t: P([4]) }, inputs: { idx: I([3], [2, 2, 0], "int") }, build: (v) => ix.gather(v.t!, v.idx!) },
  { op: "gather", name: "rows that are matrices: table [3,2,2]", params: { T: P([3, 2, 2]) }, inputs: { idx: I([2], [2, 0], "int") }, build: (v) => ix.gather(v.T!, v.idx!) },
  { op: "gather", name: "a one-row table [1,3]", params: { T: P([1, 3]) }, inputs: { idx: I([2], [0, 0], "int") }, build: (v) => ix.gather(v.T!, v.idx!) },
  { op: "gather", name: "embedding(tokens [batch,3], E [5,2]), then tanh", params: { E: P([5, 2]) }, inputs: { tok: I(["batch", 3], [4, 1, 4, 0, 0, 2], "int") }, build: (v) => overBatch(d.tanh(ix.embedding(v.tok!, v.E!))) },
  { op: "scatterAdd", name: "[4,3] into 5 rows, a repeated index", params: { G: P([4, 3]) }, inputs: { idx: I([4], [1, 3, 1, 0], "int") }, build: (v) => scatterAdd(v.G!, v.idx!, 5) },
  { op: "scatterAdd", name: "[2,3,2] by indices [2,3] into 4 rows", params: { G: P([2, 3, 2]) }, inputs: { idx: I([2, 3], [3, 0, 3, 3, 2, 0], "int") }, build: (v) => scatterAdd(v.G!, v.idx!, 4) },
  { op: "scatterAdd", name: "(x·W) rows by labels [batch] into 3 rows", params: { W: P([2, 2]) }, inputs: { x: I(["batch", 2], [1, -0.5, 0.3, 2, -1, 0.4]), idx: I(["batch"], [2, 0, 2], "int") }, build: (v) => d.square(scatterAdd(d.matmul(v.x!, v.W!), v.idx!, 3)) },
  { op: "pick", name: "one element of each row of [4,3], a repeated column", params: { X: P([4, 3], WIDE) }, inputs: { a: I([4], [2, 0, 2, 1], "int") }, build: (v) => ix.pick(v.X!, v.a!) },
  { op: "pick", name: "[2,3,4] by indices [2,3] (rows over two axes)", params: { X: P([2, 3, 4], WIDE) }, inputs: { a: I([2, 3], [3, 0, 1, 1, 2, 3], "int") }, build: (v) => ix.pick(v.X!, v.a!) },
  { op: "pick", name: "log π(a|s) = pick(logSoftmax(x·W), actions) over a batch", params: { W: P([2, 3]) }, inputs: { x: I(["batch", 2], [1, -0.5, 0.3, 2, -1, 0.4]), a: I(["batch"], [2, 0, 2], "int") }, build: (v) => overBatch(ix.pick(d.logSoftmax(d.matmul(v.x!, v.W!)), v.a!)) },
  { op: "pick", name: "a single column [3,1]", params: { X: P([3, 1], WIDE) }, inputs: { a: I([3], [0, 0, 0], "int") }, build: (v) => ix.pick(v.X!, v.a!) },
  { op: "pickGrad", name: "[4] into rows of 3", params: { G: P([4]) }, inputs: { a: I([4], [2, 0, 2, 1], "int") }, build: (v) => pickGrad(v.G!, v.a!, 3) },
  { op: "pickGrad", name: "[2,3] into [2,3,4]", params: { G: P([2, 3]) }, inputs: { a: I([2, 3], [3, 0, 1, 1, 2, 3], "int") }, build: (v) => pickGrad(v.G!, v.a!, 4) },
  { op: "pickGrad", name: "(x·w) [batch] into rows of 3", params: { w: P([2]) }, inputs: { x: I(["batch", 2], [1, -0.5, 0.3, 2, -1, 0.4]), a: I(["batch"], [1, 2, 0], "int") }, build: (v) => overBatch(pickGrad(d.matmul(v.x!, v.w!), v.a!, 3)) },
  // normalization (composites: their gradients come from the derivative rules of mean, sub, square, sqrt, div)
  { op: "layerNorm", name: "rows of [3,4], γ and β", params: { X: P([3, 4], WIDE), g: P([4], U(0.5, 1.5)), b: P([4]) }, build: (v) => layerNorm(v.X!, v.g!, v.b!) },
  { op: "layerNorm", name: "no affine (γ, β omitted)", params: { X: P([3, 5], WIDE) }, build: (v) => layerNorm(v.X!) },
  { op: "layerNorm", name: "rank 3 [2,3,4], eps 0.1", params: { X: P([2, 3, 4], WIDE), g: P([4], U(0.5, 1.5)) }, build: (v) => layerNorm(v.X!, v.g!, null, { eps: 0.1 }) },
  { op: "layerNorm", name: "[4,1,3] (a size-1 middle axis)", params: { X: P([4, 1, 3], WIDE), b: P([3]) }, build: (v) => layerNorm(v.X!, undefined, v.b!) },
  { op: "layerNorm", name: "[3,1] (one element per row: the output is β)", params: { X: P([3, 1], WIDE), g: P([1], U(0.5, 1.5)), b: P([1]) }, build: (v) => layerNorm(v.X!, v.g!, v.b!) },
  { op: "layerNorm", name: "x·W over a symbolic batch", params: { W: P([2, 4]), g: P([4], U(0.5, 1.5)), b: P([4]) }, inputs: { x: I(["batch", 2], [1, -0.5, 0.3, 2, -1, 0.4]) }, build: (v) => overBatch(layerNorm(d.matmul(v.x!, v.W!), v.g!, v.b!)) },
  { op: "variance", name: "all of [3,4]", params: { X: P([3, 4], WIDE) }, build: (v) => variance(v.X!) },
  { op: "variance", name: "axis 0 of [3,4], keepdims", params: { X: P([3, 4], WIDE) }, build: (v) => variance(v.X!, 0, true) },
  { op: "variance", name: "axis −1 of [2,3,4], correction 1 (unbiased)", params: { X: P([2, 3, 4], WIDE) }, build: (v) => variance(v.X!, -1, false, { correction: 1 }) },
  { op: "variance", name: "over a symbolic batch axis, correction 1", params: { W: P([2, 3]) }, inputs: { x: I(["batch", 2], [1, -0.5, 0.3, 2, -1, 0.4]) }, build: (v) => variance(d.matmul(v.x!, v.W!), 0, false, { correction: 1 }) },
  // recurrence: a scan's gradient is a reverse scan over its body's derivative (part reads one result)
  { op: "scan", name: "tanh RNN over a sequence param [2,4,3]: carry, captures and step inputs all differentiated", params: { X: P([2, 4, 3]), W: P([3, 2]), U: P([2, 2]), h0: P([2, 2]) }, build: (v) => scan((h: Node, x: Node) => { const h2 = d.tanh(d.add(d.matmul(x, v.W!), d.matmul(h, v.U!))); return { carry: h2, output: h2 }; }, v.h0!, v.X!).outputs as Node },
  { op: "scan", name: "two carries and an object of outputs, reverse, over a symbolic batch", params: { W: P([2, 3]), V: P([3, 3]) }, inputs: { xs: I(["batch", 3, 2], [1, -0.5, 0.3, 2, -1, 0.4, 0.2, 0.7, -0.3, 1, 0.5, -0.8]) }, build: (v) => { const r = scan((s: { a: Node; b: Node }, x: Node) => { const a = d.sigmoid(d.add(d.matmul(x, v.W!), d.matmul(s.b, v.V!))); const b = d.mul(s.a, d.tanh(a)); return { carry: { a, b }, output: { a, ab: d.mul(a, b) } }; }, { a: d.zeros(["batch", 3]), b: d.add(d.zeros(["batch", 3]), 0.5) }, v.xs!, { reverse: true }); return overBatch(d.add(d.sum(r.outputs.ab, 1), d.mul(r.carry.a, r.carry.b))); } },
  { op: "scan", name: "no sequence: { length: 3 } steps of a captured map", params: { A: P([2, 2]), h0: P([1, 2]) }, build: (v) => scan((h: Node) => ({ carry: d.tanh(d.matmul(h, v.A!)) }), v.h0!, null, { length: 3 }).carry },
  { op: "part", name: "final carry of a 3-step scan", params: { A: P([2, 2]), h0: P([2, 2]) }, build: (v) => scan((h: Node) => ({ carry: d.sigmoid(d.matmul(h, v.A!)) }), v.h0!, null, { length: 3 }).carry },
  // customGradient with a vjp that is the true derivative: the gradient is the vjp's, and agrees with finite differences
  ...customGradientCases(),
  ...newOpCases(),
];

/**
 * gelu, erf, the comparisons and what is built on them (where, maximum, minimum, clamp), logSumExp,
 * conv1d (a conv2d over one row) and the channel dropouts. Values stay away from the kinks (a clamp
 * bound, a tie of maximum): central differences see a tie's equal split, but not torch's convention
 * at a clamp bound (the gradient passes there), which test/ops/torchParity.test.ts checks.
 */
function newOpCases(): GradCase[] {
  const conv1dIn = (v: Record<string, Node>, o: cv.Conv1dOptions = {}) => cv.conv1d(v.X!, v.K!, o);
  return [
    ...unaryCases("erf", d.erf, U(-1.5, 1.5)),
    { op: "erf", name: "the tails (|x| ≥ 2.5, the third series)", params: { X: P([2, 3], FIXED([-5.5, -3, -2.6, 2.6, 3.2, 4.5])) }, build: (v) => d.erf(v.X!) },
    ...unaryCases("gelu", d.gelu, WIDE),
    ...unaryCases("gelu", (x) => d.gelu(x, { approximate: "tanh" }), WIDE).map((c) => ({ ...c, name: `approximate "tanh": ${c.name}` })),
    { op: "gelu", name: "large |x|, both forms", params: { X: P([2, 4], FIXED([-7, -4, -2.5, 1.5, 2.5, 4, 6, -0.2])) }, build: (v) => d.add(d.gelu(v.X!), d.gelu(v.X!, { approximate: "tanh" })) },
    // comparisons: constants inside a differentiable expression (their derivative is 0 a.e.)
    { op: "greater", name: "x·[x > 0.3] (greater is a constant)", params: { X: P([3, 4], WIDE) }, build: (v) => d.mul(v.X!, d.greater(v.X!, 0.3)) },
    { op: "greaterEqual", name: "x·[x ≥ −0.2] + x·[0.1 ≤ x] (greaterEqual, both ways round)", params: { X: P([3, 4], WIDE) }, build: (v) => d.add(d.mul(v.X!, d.greaterEqual(v.X!, -0.2)), d.mul(v.X!, d.lessEqual(0.1, v.X!))) },
    // where: the gradient goes to the branch taken, through broadcasting
    { op: "where", name: "condition input [3,4], a and b [3,4]", params: { A: P([3, 4]), B: P([3, 4]) }, inputs: { c: I([3, 4], [1, 0, 0, 1, 1, 1, 0, 0, 1, 0, 1, 0]) }, build: (v) => d.where(v.c!, v.A!, v.B!) },
    { op: "where", name: "condition [3,1], a [4], b scalar [] (all broadcast)", params: { a: P([4]), s: P([]) }, inputs: { c: I([3, 1], [0, 1, 0]) }, build: (v) => d.where(v.c!, v.a!, v.s!) },
    { op: "where", name: "where([A > B], A, B) = maximum(A, B) away from ties", params: { A: P([3, 4], DISTINCT), B: P([3, 4], DISTINCT) }, build: (v) => d.where(d.greater(v.A!, v.B!), v.A!, v.B!) },
    { op: "where", name: "a condition that is a float, non-zero = true (−2.5 and 0.1 select a)", params: { A: P([2, 2]), B: P([2, 2]) }, inputs: { c: I([2, 2], [-2.5, 0, 0.1, 0]) }, build: (v) => d.where(v.c!, d.tanh(v.A!), d.square(v.B!)) },
    // maximum / minimum: ties split the gradient equally (central differences see it too)
    ...binaryCases("maximum", d.maximum, SMALL, SMALL),
    ...binaryCases("minimum", d.minimum, SMALL, U(0.2, 1)), // the number constant in (0.2, 1), above some of A
    { op: "maximum", name: "exact ties get half each", params: { A: P([2, 3], FIXED([0.5, -1, 2, 0.25, 0.25, 3])), B: P([2, 3], FIXED([0.5, 1, 2, 0.25, -0.5, 3])) }, build: (v) => d.maximum(v.A!, v.B!) },
    { op: "minimum", name: "exact ties get half each, against a number", params: { A: P([2, 3], FIXED([0.5, -1, 2, 0.25, 0.5, 3])) }, build: (v) => d.minimum(v.A!, 0.5) },
    // clamp: the gradient passes inside the bounds (the values avoid the bounds themselves)
    ...unaryCases("clamp", (x) => d.clamp(x, -0.5, 0.8), U(-0.45, 0.75)),
    { op: "clamp", name: "[3,4], values on both sides of both bounds", params: { X: P([3, 4], WIDE) }, build: (v) => d.clamp(v.X!, -0.5, 0.8) },
    { op: "clamp", name: "min only: clamp(x, 0) = relu(x)", params: { X: P([3, 4], AWAY) }, build: (v) => d.clamp(v.X!, 0) },
    { op: "clamp", name: "max only, an infinite min", params: { X: P([3, 4], WIDE) }, build: (v) => d.clamp(v.X!, -Infinity, 0.25) },
    { op: "clamp", name: "min > max: max everywhere, no gradient", params: { X: P([3, 4], WIDE) }, build: (v) => d.clamp(v.X!, 1, -1), zeroGradient: true },
    // logSumExp: the last axis is the op; other axes are a transpose first; all of x is one axis after another
    { op: "logSumExp", name: "rows of [3,4]", params: { X: P([3, 4], WIDE) }, build: (v) => d.logSumExp(v.X!, -1) },
    { op: "logSumExp", name: "a vector [5], keepdims", params: { X: P([5], WIDE) }, build: (v) => d.logSumExp(v.X!, 0, true) },
    { op: "logSumExp", name: "axis 0 of [3,4] (a transpose first)", params: { X: P([3, 4], WIDE) }, build: (v) => d.logSumExp(v.X!, 0) },
    { op: "logSumExp", name: "axis 1 of [2,3,4], keepdims", params: { X: P([2, 3, 4], WIDE) }, build: (v) => d.logSumExp(v.X!, 1, true) },
    { op: "logSumExp", name: "all of [2,3] (the rows, then the column of their results)", params: { X: P([2, 3], WIDE) }, build: (v) => d.logSumExp(v.X!) },
    { op: "logSumExp", name: "large values (the max factored out): rows near ±500", params: { X: P([2, 3], FIXED([500, 499, 498.5, -500, -501, -499.5])) }, build: (v) => d.logSumExp(v.X!, 1) },
    { op: "logSumExp", name: "over a symbolic batch axis of x·W", params: { W: P([2, 3]) }, inputs: { x: I(["batch", 2], [1, -0.5, 0.3, 2, -1, 0.4]) }, build: (v) => d.logSumExp(d.matmul(v.x!, v.W!), 0) },
    // conv1d: conv2d over a one-row image
    { op: "conv1d", name: "x[2,7,2] ⊛ w[3,2,3], valid", params: { X: P([2, 7, 2]), K: P([3, 2, 3]) }, build: (v) => conv1dIn(v) },
    { op: "conv1d", name: "stride 2, padding 1, dilation 2", params: { X: P([2, 8, 2]), K: P([3, 2, 2]) }, build: (v) => conv1dIn(v, { stride: 2, padding: 1, dilation: 2 }) },
    { op: "conv1d", name: "same, an even kernel (the extra zero at the end), + bias", params: { X: P([1, 6, 3]), K: P([4, 3, 2]), b: P([2]) }, build: (v) => d.add(conv1dIn(v, { padding: "same" }), v.b!) },
    // channel dropout: one mask value per example and channel
    { op: "dropout1d", name: "p = 0.4 on [3,5,4]", params: { X: P([3, 5, 4]) }, build: (v) => dropout1d(d.tanh(v.X!), 0.4) },
    { op: "dropout2d", name: "p = 0.3 on [2,3,3,4]", params: { X: P([2, 3, 3, 4]) }, build: (v) => dropout2d(d.tanh(v.X!), 0.3) },
  ];
}

/** customGradient entries: each vjp is the true derivative, so central differences must agree with it. */
function customGradientCases(): GradCase[] {
  const tanhVjp = () => customGradient((x: Node) => d.tanh(x), (g: Node, y: Node) => [d.mul(g, d.sub(1, d.square(y)))]);
  const squareVjp = () => customGradient((x: Node) => d.square(x), (g: Node, _y: Node, x: Node) => [d.mul(g, d.mul(2, x))]);
  return [
    { op: "customGradient", name: "tanh with its textbook vjp g ⊙ (1 − y²)", params: { X: P([3, 4], WIDE) }, build: (v) => tanhVjp()(v.X!) },
    {
      op: "customGradient", name: "a ⊙ b with a bias b [4]: one gradient per argument, b's summed to its shape",
      params: { A: P([3, 4]), b: P([4]) },
      build: (v) => customGradient((a: Node, b: Node) => d.mul(a, b), (g: Node, _y: Node, a: Node, b: Node) => [d.mul(g, b), d.sum(d.mul(g, a), 0)])(v.A!, v.b!),
    },
    { op: "customGradient", name: "a vjp that reads a value computed outside it (captured)", params: { X: P([2, 3]) }, build: (v) => { const e = d.exp(v.X!); return customGradient((x: Node) => d.exp(x), (g: Node) => [d.mul(g, e)])(v.X!); } },
    {
      op: "customGradient", name: "null for an argument without a gradient (an input)",
      params: { X: P([3, 2]) }, inputs: { c: I([3, 2], [0.5, -1, 2, 0.1, 0.3, -0.7]) },
      build: (v) => customGradient((x: Node, c: Node) => d.mul(x, c), (g: Node, _y: Node, _x: Node, c: Node) => [d.mul(g, c), null])(v.X!, v.c!),
    },
    { op: "customGradient", name: "one function at two call sites of different shapes", params: { A: P([2, 3]), b: P([3]) }, build: (v) => { const f = squareVjp(); return d.add(d.sum(f(v.A!), 0), f(v.b!)); } },
    {
      op: "customGradient", name: "nested: the forward calls another customGradient (the outer vjp is used)",
      params: { X: P([3, 3], WIDE) },
      build: (v) => {
        const inner = tanhVjp();
        return customGradient((x: Node) => d.mul(inner(x), 2), (g: Node, y: Node) => [d.mul(g, d.mul(2, d.sub(1, d.square(d.div(y, 2)))))])(v.X!);
      },
    },
    {
      op: "scan", name: "a customGradient inside the body (its vjp in the reverse body)", params: { X: P([2, 3, 2]), W: P([2, 2]), h0: P([2, 2]) },
      build: (v) => { const f = tanhVjp(); return scan((h: Node, x: Node) => { const h2 = f(d.add(d.matmul(x, v.W!), h)); return { carry: h2, output: h2 }; }, v.h0!, v.X!).outputs as Node; },
    },
  ];
}

// ── running an entry ──────────────────────────────────────────────────────────────────────────────

function caseValues(c: GradCase) {
  const rng = mulberry32(seedOf(`${c.op}: ${c.name}`));
  const params: Record<string, number[]> = {};
  for (const [name, s] of Object.entries(c.params)) params[name] = s.gen(rng, s.shape.reduce((a, b) => a * b, 1));
  const inputs: Record<string, number[]> = {};
  for (const [name, s] of Object.entries(c.inputs ?? {})) inputs[name] = s.values;
  return { params, inputs };
}

/** The model for an entry: declares its inputs and params, loss = Σ C ⊙ op(...) with a fixed C. */
const caseModel = (c: GradCase) => () => {
  const v: Record<string, Node> = {};
  for (const [name, s] of Object.entries(c.inputs ?? {})) v[name] = d.input(name, s.shape, s.dtype ? { dtype: s.dtype } : {});
  for (const [name, s] of Object.entries(c.params)) v[name] = d.param(name, s.shape, { init: "zeros" });
  return { loss: randomlyWeighted(c.build(v), mulberry32(seedOf(`weights of ${c.op}: ${c.name}`))) };
};

const opNames = new Set(allOps.map((o) => o.name));
const leaves = new Set(allOps.filter((o) => o.kind === "leaf").map((o) => o.name));

describe("gradients match central finite differences", () => {
  const byOp = new Map<string, GradCase[]>();
  for (const c of table) byOp.set(c.op, [...(byOp.get(c.op) ?? []), c]);
  for (const [op, cases] of byOp) {
    describe(op, () => {
      it.each(cases.map((c) => [c.name, c] as const))("%s", (_, c) => {
        const r = checkGradients(caseModel(c), caseValues(c));
        if (opNames.has(c.op)) expect(r.forward.nodes.some((n) => n.op === c.op), `the traced graph has no "${c.op}" node`).toBe(true);
        const largest = Math.max(...Object.values(r.numeric).flatMap((a) => [...a].map(Math.abs)));
        if (c.zeroGradient) expect(largest).toBeLessThan(1e-6);
        else expect(largest, "the gradient is zero everywhere: the check would pass vacuously").toBeGreaterThan(1e-3);
      });
    });
  }
});

// ── max: ties share the gradient equally (as torch.amax) ──────────────────────────────────────────

describe("max sends the adjoint to its maxima, split equally among ties", () => {
  const maxGrad = (shape: number[], values: number[], build: (X: Node) => Node) =>
    interpretedGradients(traceModel(() => ({ loss: build(d.param("X", shape)) })), { params: { X: values } }).grads.X!;

  it("axis 1: a 2-way and a 3-way tie", () => {
    // loss = 2·max(row 0) + 3·max(row 1)
    const g = maxGrad([2, 3], [3, 1, 3, 2, 2, 2], (X) => d.sum(d.mul(d.max(X, 1), d.constant([2, 3]))));
    expect(Array.from(g)).toEqual([1, 0, 1, 1, 1, 1]);
  });

  it("axis 0 with keepdims: ties in one column only", () => {
    const g = maxGrad([3, 2], [5, 1, 5, 4, 5, 0], (X) => d.sum(d.mul(d.max(X, 0, true), d.constant([[6, 10]]))));
    expect(Array.from(g)).toEqual([2, 0, 2, 10, 2, 0]);
  });

  it("over all elements: 4 tied maxima get a quarter each", () => {
    const g = maxGrad([2, 3], [7, 7, -1, 7, 0, 7], (X) => d.mul(d.max(X), 8));
    expect(Array.from(g)).toEqual([2, 2, 0, 2, 0, 2]);
  });

  it("all elements equal: an even split", () => {
    const g = maxGrad([1, 4], [0.5, 0.5, 0.5, 0.5], (X) => d.sum(d.max(X, 1)));
    expect(Array.from(g)).toEqual([0.25, 0.25, 0.25, 0.25]);
  });
});

// ── ops with no gradient by design ────────────────────────────────────────────────────────────────

interface NoGradCase {
  readonly op: string;
  readonly name: string;
  /** Builds the op's node from constants. */
  readonly build: () => Node;
  /** The expected value, from the op's definition (for elementwise ops eval *is* the compiled expr). */
  readonly expected: number[];
}

const noGradTable: NoGradCase[] = [
  { op: "step", name: "[x > 0] (relu')", build: () => d.step(d.constant([-2, -1e-9, 0, 1e-9, 3])), expected: [0, 0, 0, 1, 1] },
  { op: "step", name: "[x > 0 | α] (leakyRelu')", build: () => d.step(d.constant([-2, 0, 0.5]), 0.1), expected: [0.1, 0.1, 1] },
  { op: "sign", name: "sign(x), 0 at 0", build: () => d.sign(d.constant([-3, -1e-300, 0, 2e-300, 4])), expected: [-1, -1, 0, 1, 1] },
  { op: "eq", name: "[a = b] with broadcasting", build: () => d.eq(d.constant([[1, 2], [3, 2]]), d.constant([1, 2])), expected: [1, 1, 0, 1] },
  { op: "onehot", name: "labels [3] → [3,4]", build: () => d.onehot(d.input("y", [3], { dtype: "int" }), 4), expected: [0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1] },
  // Its derivative is not the finite difference's (that is the point): test/ops/gradientMarkers.test.ts checks what it gives.
  { op: "stopGradient", name: "the value passes unchanged", build: () => stopGradient(d.constant([-2, 0, 3.5, 1e-300])), expected: [-2, 0, 3.5, 1e-300] },
  { op: "greater", name: "[a > b] with broadcasting; equal is not greater", build: () => d.greater(d.constant([[1, 2], [3, -2]]), d.constant([1, -3])), expected: [0, 1, 1, 1] },
  { op: "greaterEqual", name: "[a ≥ b]; less/lessEqual swap the operands", build: () => d.greaterEqual(d.constant([1, 2, -3]), d.constant([1, 3, -4])), expected: [1, 0, 1] },
];
const noGradBindings = { inputs: { y: [2, 0, 3] } };

describe("ops without a gradient: derivative rule returns null, eval matches the definition", () => {
  it.each(noGradTable.map((c) => [`${c.op}: ${c.name}`, c] as const))("%s", (_, c) => {
    const { ctx, result: node } = inContext(c.build);
    expect(node.op).toBe(c.op);
    const vjp = getOp(c.op).vjp;
    expect(vjp, `${c.op} has no derivative rule at all; it should have one that returns null`).toBeDefined();
    const contributions = withContext(ctx, () => vjp!(d.broadcastTo(d.scalar(1), node.shape), node, builders));
    expect(contributions).toHaveLength(node.inputs.length);
    expect(contributions.every((x) => x === null)).toBe(true);
    expect(evalNode(c.build, noGradBindings).data).toEqual(c.expected);
  });

  it("grad() treats them as constants (no adjoint flows through them)", () => {
    const g = grad(traceModel(() => {
      const X = d.param("X", [2, 2]);
      return { loss: d.sum(d.add(d.add(d.sign(X), d.step(X)), d.eq(X, X))) };
    }));
    const dX = g.grads[0]![1];
    expect(dX.op).toBe("broadcastTo"); // the zero gradient of an unreached parameter
    expect(dX.inputs[0]!.op).toBe("const");
  });
});

// ── meta: every op is covered ─────────────────────────────────────────────────────────────────────

describe("meta", () => {
  const differentiable = allOps.filter((o) => o.kind !== "leaf").map((o) => o.name);

  it("every non-leaf op in allOps has an entry in the gradient table or the no-gradient table", () => {
    const covered = new Set([...table.map((c) => c.op), ...noGradTable.map((c) => c.op)]);
    const missing = differentiable.filter((name) => !covered.has(name));
    expect(missing, `ops with no table entry: ${missing.join(", ")}`).toEqual([]);
  });

  it("ops with a gradient have a gradient-table entry; the no-gradient table lists only ops whose rule is null", () => {
    const noGrad = new Set(noGradTable.map((c) => c.op));
    const withGradient = differentiable.filter((name) => !noGrad.has(name));
    const inTable = new Set(table.map((c) => c.op));
    expect(withGradient.filter((name) => !inTable.has(name))).toEqual([]);
    // A tuple op's rule takes the adjoints of all its parts (vjpParts); a part's adjoint goes to its
    // tuple unchanged (autodiff/sweep.ts), so `part` has no rule of its own.
    for (const name of nonEmpty(withGradient.filter((n) => n !== "part"), "ops with a gradient")) expect(getOp(name).vjp ?? getOp(name).vjpParts, `${name} has no derivative rule`).toBeDefined();
  });

  it("every entry catches a 1% error in its op's derivative rule (no entry passes vacuously)", () => {
    const noGrad = new Set(noGradTable.map((c) => c.op));
    const undetected: string[] = [];
    const unchecked: string[] = [];
    for (const name of nonEmpty(differentiable.filter((n) => !noGrad.has(n) && n !== "part"), "ops with a gradient")) {
      const op = getOp(name) as { vjp?: OpDef["vjp"]; vjpParts?: OpDef["vjpParts"] };
      const key = op.vjp ? "vjp" : "vjpParts";
      const original = op[key]! as (a: never, b: Node) => readonly (Node | null)[];
      (op as Record<string, unknown>)[key] = (g: never, node: Node) => original(g, node).map((c) => c && d.mul(c, 1.01));
      try {
        const entries = table.filter((c) => c.op === name && !c.zeroGradient);
        if (entries.length === 0) unchecked.push(name);
        for (const c of entries) {
          try {
            checkGradients(caseModel(c), caseValues(c));
            undetected.push(`${c.op}: ${c.name}`);
          } catch {
            // detected
          }
        }
      } finally {
        (op as Record<string, unknown>)[key] = original;
      }
    }
    expect(undetected).toEqual([]);
    expect(unchecked, "ops with no entry whose gradient is not zero").toEqual([]);
  });

  it("table entries name real ops or public DSL composites", () => {
    const composites = new Set(["mse", "crossEntropy", "softmaxCrossEntropy", "binaryCrossEntropy", "mean", "dropout", "layerNorm", "variance", "conv1d", "dropout1d", "dropout2d"]);
    const unknown = [...table, ...noGradTable].map((c) => c.op).filter((op) => !opNames.has(op) && !composites.has(op));
    expect(unknown).toEqual([]);
    expect([...table, ...noGradTable].some((c) => leaves.has(c.op))).toBe(false);
  });
});
