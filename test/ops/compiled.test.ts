// Every op's compiled code, checked (the interpreter-level table is ./gradients.test.ts; this one runs
// what gradc emits). For every op in the registry (compiler/ops/index.ts) at least one entry below
// builds a small model around it, over a batch of 2 or more rows, and:
//
//  1. compiles it to a float64 module and compares lossAndGrad with central finite differences of the
//     reference interpreter's loss (elements on a kink of the loss are left out and must be none);
//  2. compares the module's forward() with the interpreter's outputs;
//  3. compiles it to a float32 module and compares its forward outputs, loss and raw gradients with the
//     float64 module's at the same (float32-rounded) values, to float32 precision;
//  4. type-checks both modules of every entry under a user's strict tsconfig (noUncheckedIndexedAccess, …:
//     ../helpers/strictTypeCheck.ts), so every op's lowering emits code that passes it.
//
// The loss is Σ C ⊙ y for the op's result y and fixed random weights C (an input when y has the batch
// dimension), so every element of y matters. A meta test fails when an op has no entry, and every entry
// checks that its op survives the optimizer into the compiled graph (a pass must not rewrite it away
// unnoticed). Values are seeded per entry and chosen away from kinks (relu at 0, ties of a max).
import { describe, expect, it } from "vitest";
import * as cv from "../../compiler/dsl/conv.js";
import * as d from "../../compiler/dsl/core.js";
import * as ix from "../../compiler/dsl/indexing.js";
import { model, type ModelDef } from "../../compiler/dsl/model.js";
import { scan } from "../../compiler/dsl/scan.js";
import { customGradient, stopGradient } from "../../compiler/dsl/gradients.js";
import { dropout, dropout2d, select } from "../../compiler/dsl/training.js";
import { evaluate } from "../../compiler/ir/interpret.js";
import type { Node } from "../../compiler/ir/node.js";
import type { Dim } from "../../compiler/ir/shape.js";
import { allOps } from "../../compiler/ops/index.js";
import { compileAndImport, type GeneratedModule } from "../helpers/compiled.js";
import { strictTypeErrors, type SourceFile } from "../helpers/strictTypeCheck.js";
import { gradientReport, randomlyWeighted, traceModel } from "../helpers/gradcheck.js";
import { awayFromZero, mulberry32, seedOf, uniformArray, type Rng } from "../helpers/rng.js";
import { conv2dBackwardFilter, conv2dBackwardInput } from "../../compiler/ops/conv.js";
import { scatterAdd } from "../../compiler/ops/gather.js";
import { pickGrad } from "../../compiler/ops/pick.js";
import { avgPool2dBackward, maxPool2dBackward, maxPool2dSelect } from "../../compiler/ops/pool.js";
import { sliceGrad } from "../../compiler/ops/slice.js";

// ── value generators ──────────────────────────────────────────────────────────────────────────────

type Gen = (rng: Rng, n: number) => number[];
const U = (lo: number, hi: number): Gen => (rng, n) => uniformArray(rng, n, lo, hi);
const SMALL = U(-1, 1);
const WIDE = U(-3, 3);
const POS = U(0.4, 2);
/** |v| in [0.3, 1.5) with random signs: products of two such values stay ≥ 0.09 away from 0. */
const AWAY: Gen = (rng, n) => awayFromZero(rng, n, 0.3, 1.5);
/** Distinct values at least 0.1 apart, shuffled: no ties in any max or pooling window. */
const DISTINCT: Gen = (rng, n) => {
  const v = Array.from({ length: n }, (_, k) => -2 + 0.13 * k + 0.03 * rng());
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [v[i], v[j]] = [v[j]!, v[i]!];
  }
  return v;
};
/** Distinct and all negative: a compiled max that started from 0 instead of −∞ would return 0. */
const NEGATIVE: Gen = (rng, n) => DISTINCT(rng, n).map((v) => v - 2 - 0.13 * n);
/** Integers in [0, k). */
const INT = (k: number): Gen => (rng, n) => Array.from({ length: n }, () => Math.floor(rng() * k));

// ── the table ─────────────────────────────────────────────────────────────────────────────────────

interface Spec {
  readonly shape: Dim[];
  readonly gen: Gen;
  readonly int?: boolean;
}
interface CompiledCase {
  /** The op under test: its name in the registry. */
  readonly op: string;
  readonly name: string;
  readonly params: Record<string, Spec>;
  /** Inputs; "batch" in a shape is the batch dimension. */
  readonly inputs?: Record<string, Spec>;
  readonly build: (v: Record<string, Node>) => Node;
  /** Rows in the batch (default 3; always ≥ 2). */
  readonly batch?: number;
}

const P = (shape: number[], gen: Gen = SMALL): Spec => ({ shape, gen });
const I = (shape: Dim[], gen: Gen = SMALL): Spec => ({ shape, gen });
const L = (shape: Dim[], classes: number): Spec => ({ shape, gen: INT(classes), int: true });
const B = "batch";

const binary = (op: string, f: (a: Node, b: Node) => Node, ga: Gen, gb: Gen): CompiledCase[] => [
  { op, name: "x[batch,4] ∘ W[4] (a bias broadcast over rows)", params: { W: P([4], gb) }, inputs: { x: I([B, 4], ga) }, build: (v) => f(v.x!, v.W!) },
  { op, name: "W[4] ∘ x[batch,4]", params: { W: P([4], ga) }, inputs: { x: I([B, 4], gb) }, build: (v) => f(v.W!, v.x!) },
  { op, name: "x·A ∘ x·B, both [batch,3] and differentiated", params: { A: P([2, 3], ga), Bm: P([2, 3], gb) }, inputs: { x: I([B, 2], POS) }, build: (v) => f(d.matmul(v.x!, v.A!), d.matmul(v.x!, v.Bm!)) },
  { op, name: "x[batch,1] ∘ r[1,3] (an outer broadcast)", params: { r: P([1, 3], gb) }, inputs: { x: I([B, 1], ga) }, build: (v) => f(v.x!, v.r!) },
  { op, name: "a scalar param ∘ x[batch,2,3]", params: { s: P([], ga) }, inputs: { x: I([B, 2, 3], gb) }, build: (v) => f(v.s!, v.x!) },
];

const unary = (op: string, f: (z: Node) => Node, gx: Gen, gw: Gen): CompiledCase[] => [
  { op, name: "of x ⊙ W [batch,4]", params: { W: P([4], gw) }, inputs: { x: I([B, 4], gx) }, build: (v) => f(d.mul(v.x!, v.W!)) },
  { op, name: "of x·W + b, fused into the matmul's epilogue [batch,3]", params: { W: P([2, 3], gw), b: P([3], U(-0.05, 0.05)) }, inputs: { x: I([B, 2], gx) }, build: (v) => f(d.add(d.matmul(v.x!, v.W!), v.b!)) },
];

/** A large product x[batch, 40]·W[40, 24] + b: the blocked GEMM (f64) and the SIMD product (f32), the activation as its epilogue. */
const gemmCase = (op: string, f: (z: Node) => Node): CompiledCase => ({
  op, name: "epilogue of a large x[batch,40]·W[40,24] + b (blocked GEMM in f64, the SIMD product in f32)",
  params: { W: P([40, 24], U(-0.3, 0.3)), b: P([24], U(0.5, 1)) }, inputs: { x: I([B, 40], POS) }, build: (v) => f(d.add(d.matmul(v.x!, v.W!), v.b!)), batch: 5,
});

const poolAttrs = (size: [number, number], stride: [number, number] = size, padding: [number, number] = [0, 0]) => ({ size, stride, padding });
const convAttrs = (stride: [number, number], padding: [number, number, number, number]) => ({ stride, padding, dilation: [1, 1] as [number, number] });

const table: CompiledCase[] = [
  // leaves (every model uses input and param; const and dim get entries of their own)
  { op: "input", name: "x read directly", params: { W: P([3]) }, inputs: { x: I([B, 3]) }, build: (v) => d.mul(v.x!, v.W!) },
  { op: "param", name: "a parameter read directly", params: { W: P([2, 2]) }, inputs: { x: I([B, 2]) }, build: (v) => d.matmul(v.x!, v.W!) },
  { op: "const", name: "a constant tensor in the product", params: { W: P([3]) }, inputs: { x: I([B, 3]) }, build: (v) => d.mul(d.mul(v.x!, v.W!), d.constant([0.5, -2, 3])) },
  { op: "dim", name: "the batch size: mean(v, 0) of a [batch] vector", params: { W: P([2, 1]) }, inputs: { x: I([B, 2]) }, build: (v) => d.mean(d.reshape(d.tanh(d.matmul(v.x!, v.W!)), [B]), 0) },
  { op: "dim", name: "the batch size: mean over the batch", params: { W: P([2, 3]) }, inputs: { x: I([B, 2]) }, build: (v) => d.mean(d.tanh(d.matmul(v.x!, v.W!)), 0) },
  // elementwise arithmetic
  ...binary("add", d.add, SMALL, SMALL),
  ...binary("sub", d.sub, SMALL, SMALL),
  ...binary("mul", d.mul, SMALL, SMALL),
  ...binary("div", d.div, SMALL, POS),
  ...binary("pow", d.pow, POS, U(-1.5, 2.5)),
  { op: "pow", name: "x[batch,4] ^ 3 (integer constant exponent, negative bases)", params: { W: P([4], AWAY) }, inputs: { x: I([B, 4], AWAY) }, build: (v) => d.pow(d.mul(v.x!, v.W!), 3) },
  ...unary("neg", d.neg, SMALL, SMALL),
  ...unary("exp", d.exp, SMALL, WIDE),
  ...unary("log", (z) => d.log(d.add(d.square(z), 0.5)), SMALL, WIDE),
  { op: "log", name: "of x ⊙ W, both positive", params: { W: P([4], POS) }, inputs: { x: I([B, 4], POS) }, build: (v) => d.log(d.mul(v.x!, v.W!)) },
  { op: "sqrt", name: "of x ⊙ W, both positive", params: { W: P([4], POS) }, inputs: { x: I([B, 4], POS) }, build: (v) => d.sqrt(d.mul(v.x!, v.W!)) },
  ...unary("square", d.square, SMALL, WIDE),
  ...unary("abs", d.abs, AWAY, AWAY),
  { op: "sign", name: "z·sign(z) = |z| (sign is a constant)", params: { W: P([4], AWAY) }, inputs: { x: I([B, 4], AWAY) }, build: (v) => { const z = d.mul(v.x!, v.W!); return d.mul(z, d.sign(z)); } },
  { op: "eq", name: "z·(1 + [z = z]) = 2z (eq is a constant)", params: { W: P([4]) }, inputs: { x: I([B, 4]) }, build: (v) => { const z = d.mul(v.x!, v.W!); return d.mul(z, d.add(1, d.eq(z, z))); } },
  // activations
  ...unary("sigmoid", d.sigmoid, SMALL, WIDE),
  gemmCase("sigmoid", d.sigmoid),
  ...unary("tanh", d.tanh, SMALL, WIDE),
  ...unary("relu", d.relu, AWAY, AWAY),
  gemmCase("relu", (z) => d.relu(d.sub(z, 1.3))),
  ...unary("leakyRelu", (z) => d.leakyRelu(z, 0.1), AWAY, AWAY),
  ...unary("softplus", d.softplus, SMALL, WIDE),
  { op: "step", name: "z·step(z, 0.1) = leakyRelu(z) (step is a constant)", params: { W: P([4], AWAY) }, inputs: { x: I([B, 4], AWAY) }, build: (v) => { const z = d.mul(v.x!, v.W!); return d.mul(z, d.step(z, 0.1)); } },
  // reductions
  { op: "sum", name: "along rows of x ⊙ W [batch,4]", params: { W: P([4]) }, inputs: { x: I([B, 4]) }, build: (v) => d.sum(d.mul(v.x!, v.W!), 1) },
  { op: "sum", name: "over the batch (axis 0), keepdims", params: { W: P([4]) }, inputs: { x: I([B, 4]) }, build: (v) => d.sum(d.tanh(d.mul(v.x!, v.W!)), 0, true) },
  { op: "sum", name: "over everything", params: { W: P([4]) }, inputs: { x: I([B, 4]) }, build: (v) => d.sum(d.square(d.mul(v.x!, v.W!))) },
  { op: "sum", name: "Σ over the last axis of tanh(x·A) ⊙ tanh(x·B): one gradient row read by both factors' gradients", params: { A: P([2, 3]), Bm: P([2, 3]) }, inputs: { x: I([B, 2]) }, build: (v) => d.sum(d.mul(d.tanh(d.matmul(v.x!, v.A!)), d.tanh(d.matmul(v.x!, v.Bm!))), -1) },
  { op: "sum", name: "the only axis of a [batch] vector (sum(v, 0): every element)", params: { W: P([3, 1]) }, inputs: { x: I([B, 3]) }, build: (v) => d.sum(d.reshape(d.tanh(d.matmul(v.x!, v.W!)), [B]), 0) },
  { op: "sum", name: "axis 1 of [batch,2,3]", params: { W: P([2, 3]) }, inputs: { x: I([B, 2, 3]) }, build: (v) => d.sum(d.mul(v.x!, v.W!), 1) },
  { op: "sum", name: "axis 2 of [batch,2,2,2,17]: five nested loops (the last dimension too large to unroll)", params: { W: P([2, 2, 2, 17]) }, inputs: { x: I([B, 2, 2, 2, 17]) }, build: (v) => d.sum(d.mul(v.x!, v.W!), 2) },
  { op: "sum", name: "axis 3 of [batch,2,1,2,1,2,17]: seven nested loops", params: { W: P([2, 1, 2, 1, 2, 17]) }, inputs: { x: I([B, 2, 1, 2, 1, 2, 17]) }, build: (v) => d.sum(d.mul(v.x!, v.W!), 3) },
  { op: "transpose", name: "[batch,2,1,2,1,2,17] perm [0,6,5,4,3,2,1]: seven nested loops", params: { W: P([2, 1, 2, 1, 2, 17]) }, inputs: { x: I([B, 2, 1, 2, 1, 2, 17]) }, build: (v) => d.tanh(d.transpose(d.mul(v.x!, v.W!), [0, 6, 5, 4, 3, 2, 1])) },
  { op: "max", name: "axis 2 of [batch,2,2,1,2,1,17]: seven nested loops", params: { W: P([2, 2, 1, 2, 1, 17], U(0.5, 1)) }, inputs: { x: I([B, 2, 2, 1, 2, 1, 17], DISTINCT) }, build: (v) => d.max(d.mul(v.x!, v.W!), 2) },
  { op: "max", name: "along rows, all values negative", params: { W: P([4], NEGATIVE) }, inputs: { x: I([B, 4], U(-0.01, 0.01)) }, build: (v) => d.max(d.add(v.x!, v.W!), 1) },
  { op: "max", name: "along rows of x ⊙ W, keepdims", params: { W: P([5], U(1, 2)) }, inputs: { x: I([B, 5], DISTINCT) }, build: (v) => d.max(d.mul(v.x!, v.W!), 1, true) },
  { op: "max", name: "over the batch (axis 0), all negative", params: { W: P([3], U(0.5, 1)) }, inputs: { x: I([B, 3], NEGATIVE) }, build: (v) => d.max(d.mul(v.x!, v.W!), 0), batch: 5 },
  { op: "max", name: "over everything, all negative", params: { W: P([2], U(0.5, 1)) }, inputs: { x: I([B, 2], NEGATIVE) }, build: (v) => d.max(d.mul(v.x!, v.W!)) },
  { op: "max", name: "over everything, keepdims: a [1,1] array, not a scalar local", params: { W: P([2], U(0.5, 1)) }, inputs: { x: I([B, 2], NEGATIVE) }, build: (v) => d.max(d.mul(v.x!, v.W!), undefined, true) },
  { op: "max", name: "the only axis of a [batch] vector, all negative", params: { W: P([1], U(0.5, 1)) }, inputs: { x: I([B], NEGATIVE) }, build: (v) => d.max(d.mul(v.x!, v.W!), 0), batch: 4 },
  { op: "max", name: "axis 2 of [batch,2,3]", params: { W: P([3], U(0.5, 1)) }, inputs: { x: I([B, 2, 3], DISTINCT) }, build: (v) => d.max(d.mul(v.x!, v.W!), 2) },
  // layout
  { op: "reshape", name: "[batch,6] → [batch,2,3], then tanh", params: { W: P([2, 6], U(0.5, 1)) }, inputs: { x: I([B, 2], POS) }, build: (v) => d.tanh(d.reshape(d.matmul(v.x!, v.W!), [B, 2, 3])) },
  { op: "broadcastTo", name: "b[1,4] to [batch,4], then a matmul", params: { b: P([1, 4]), V: P([4, 2]) }, inputs: { x: I([B, 4]) }, build: (v) => d.matmul(d.broadcastTo(v.b!, v.x!.shape), v.V!) },
  { op: "transpose", name: "[batch,2,3] perm [0,2,1]", params: { W: P([2, 3]) }, inputs: { x: I([B, 2, 3]) }, build: (v) => d.tanh(d.transpose(d.mul(v.x!, v.W!), [0, 2, 1])) },
  { op: "transpose", name: "[batch,2,3] perm [1,0,2]: the batch in the middle", params: { W: P([2, 3]) }, inputs: { x: I([B, 2, 3]) }, build: (v) => d.sigmoid(d.transpose(d.mul(v.x!, v.W!), [1, 0, 2])) },
  { op: "transpose", name: "[batch,2,3] perm [2,0,1] (a 3-cycle: not its own inverse)", params: { W: P([2, 3]) }, inputs: { x: I([B, 2, 3]) }, build: (v) => d.tanh(d.transpose(d.mul(v.x!, v.W!), [2, 0, 1])) },
  { op: "transpose", name: "[batch,3]ᵀ read by a softmax along the batch", params: { W: P([2, 3], WIDE) }, inputs: { x: I([B, 2]) }, build: (v) => d.softmax(d.transpose(d.matmul(v.x!, v.W!))) },
  // joining, slicing, indexing
  { op: "concat", name: "[x·W, x] along the last axis", params: { W: P([2, 3]) }, inputs: { x: I([B, 2]) }, build: (v) => d.tanh(ix.concat([d.matmul(v.x!, v.W!), v.x!])) },
  { op: "concat", name: "[batch,1,3] and [batch,2,3] along a middle axis", params: { A: P([2, 3]), Bm: P([2, 6]) }, inputs: { x: I([B, 2]) }, build: (v) => ix.concat([d.reshape(d.matmul(v.x!, v.A!), [B, 1, 3]), d.reshape(d.matmul(v.x!, v.Bm!), [B, 2, 3])], 1) },
  { op: "slice", name: "(x·W)[:, 1::2]", params: { W: P([2, 5]) }, inputs: { x: I([B, 2]) }, build: (v) => d.tanh(ix.slice(d.matmul(v.x!, v.W!), { start: 1, step: 2 })) },
  { op: "slice", name: "W[1:2, :] [1,4] read inline, broadcast over the batch rows", params: { W: P([3, 4]) }, inputs: { x: I([B, 4]) }, build: (v) => d.tanh(d.mul(v.x!, ix.slice(v.W!, { axis: 0, start: 1, end: 2 }))) },
  { op: "slice", name: "w[1:] of a vector read inline by [batch,4] rows (a lower rank)", params: { w: P([5]) }, inputs: { x: I([B, 4]) }, build: (v) => d.tanh(d.mul(v.x!, ix.slice(v.w!, { start: 1 }))) },
  { op: "slice", name: "w[::2] of a [40] vector read inline in a loop over 20 columns", params: { w: P([40]) }, inputs: { x: I([B, 20]) }, build: (v) => d.tanh(d.mul(v.x!, ix.slice(v.w!, { step: 2 }))) },
  { op: "slice", name: "a middle axis of [batch,4,3]", params: { W: P([4, 3]) }, inputs: { x: I([B, 4, 3]) }, build: (v) => ix.slice(d.mul(v.x!, v.W!), { axis: 1, start: 1, end: 3 }) },
  { op: "sliceGrad", name: "(x·W) placed at [:, 2:5] of 6 columns", params: { W: P([2, 3]) }, inputs: { x: I([B, 2]) }, build: (v) => sliceGrad(d.matmul(v.x!, v.W!), 1, 2, 1, 6) },
  { op: "gather", name: "embedding(tokens [batch,3], E [5,2]) with repeats", params: { E: P([5, 2]) }, inputs: { tok: L([B, 3], 5) }, build: (v) => d.tanh(ix.embedding(v.tok!, v.E!)), batch: 4 },
  { op: "pick", name: "one element of each row of x·W [batch,4], chosen by labels", params: { W: P([2, 4]) }, inputs: { x: I([B, 2]), a: L([B], 4) }, build: (v) => ix.pick(d.matmul(v.x!, v.W!), v.a!), batch: 5 },
  { op: "pick", name: "[batch,3,4] by [batch,3] (a next-token log-likelihood)", params: { W: P([3, 4]) }, inputs: { x: I([B, 3, 4]), a: L([B, 3], 4) }, build: (v) => ix.pick(d.logSoftmax(d.mul(v.x!, v.W!)), v.a!) },
  { op: "pickGrad", name: "Σ_row x ⊙ W [batch] placed at label columns of 4", params: { W: P([2]) }, inputs: { x: I([B, 2]), a: L([B], 4) }, build: (v) => d.tanh(pickGrad(d.sum(d.mul(v.x!, v.W!), 1), v.a!, 4)), batch: 5 },
  { op: "scatterAdd", name: "rows of x·W [batch,2] added into 3 rows by labels", params: { W: P([2, 2]) }, inputs: { x: I([B, 2]), idx: L([B], 3) }, build: (v) => d.square(scatterAdd(d.matmul(v.x!, v.W!), v.idx!, 3)), batch: 5 },
  // matmul, in each of the emitter's forms
  { op: "matmul", name: "x[batch,3]·W[3,2] (few columns, a short contraction written out)", params: { W: P([3, 2]) }, inputs: { x: I([B, 3]) }, build: (v) => d.matmul(v.x!, v.W!) },
  { op: "matmul", name: "x[batch,12]·W[12,5] (few columns, a looped contraction)", params: { W: P([12, 5]) }, inputs: { x: I([B, 12]) }, build: (v) => d.matmul(v.x!, v.W!) },
  { op: "matmul", name: "x[batch,3]·W[3,11] (many columns: rows accumulate)", params: { W: P([3, 11]) }, inputs: { x: I([B, 3]) }, build: (v) => d.matmul(v.x!, v.W!) },
  { op: "matmul", name: "x[batch,3]·W[3,11] read at fixed positions in its own row loop (its row is written by a loop over j, so it keeps its array)", params: { W: P([3, 11]) }, inputs: { x: I([B, 3]), u: I([B, 11]) }, build: (v) => { const h = d.matmul(v.x!, v.W!); return d.add(d.mul(d.tanh(h), v.u!), d.sigmoid(h)); } },
  { op: "matmul", name: "x[batch,3]·W[11,3]ᵀ (dot products)", params: { W: P([11, 3]) }, inputs: { x: I([B, 3]) }, build: (v) => d.matmul(v.x!, v.W!, { transB: true }) },
  { op: "matmul", name: "xᵀ·(x·W) [3,4]: a contraction over the batch", params: { W: P([3, 4]) }, inputs: { x: I([B, 3]) }, build: (v) => d.matmul(v.x!, d.matmul(v.x!, v.W!), { transA: true }) },
  { op: "matmul", name: "tanh(xᵀ·(x·W)) [3,4]: a contraction over the batch in scalar sums, stored through its epilogue", params: { W: P([3, 4]) }, inputs: { x: I([B, 3]) }, build: (v) => d.tanh(d.matmul(v.x!, d.matmul(v.x!, v.W!), { transA: true })) },
  { op: "matmul", name: "(h·hᵀ)ᵀ·h: a contraction over the batch whose rows are the batch too (dot products)", params: { W: P([2, 3]) }, inputs: { x: I([B, 2]) }, build: (v) => { const h = d.tanh(d.matmul(v.x!, v.W!)); return d.matmul(d.matmul(h, h, { transB: true }), h, { transA: true }); }, batch: 4 },
  { op: "matmul", name: "tanh(xᵀ·(x·W)) [5,4]: a contraction over the batch too large for scalar sums, its epilogue after the loop", params: { W: P([5, 4]) }, inputs: { x: I([B, 5]) }, build: (v) => d.tanh(d.matmul(v.x!, d.matmul(v.x!, v.W!), { transA: true })) },
  { op: "matmul", name: "x[batch,40]·W[40,24] (blocked GEMM in f64, SIMD in f32; δ·Wᵀ and xᵀ·δ too)", params: { W: P([40, 24], U(-0.3, 0.3)) }, inputs: { x: I([B, 40]) }, build: (v) => d.matmul(d.tanh(v.x!), v.W!), batch: 5 },
  { op: "matmul", name: "a sequence x[batch,3,4]·W[4,5] + b (at every position; its weight gradient sums over them)", params: { W: P([4, 5]), b: P([5]) }, inputs: { x: I([B, 3, 4]) }, build: (v) => d.tanh(d.add(d.matmul(v.x!, v.W!), v.b!)) },
  { op: "matmul", name: "a sequence x[batch,1,4]·W[5,4]ᵀ (a length-1 axis; transB)", params: { W: P([5, 4]) }, inputs: { x: I([B, 1, 4]) }, build: (v) => d.sigmoid(d.matmul(v.x!, v.W!, { transB: true })) },
  { op: "matmul", name: "a sequence x[batch,6,40]·W[40,24] (GEMM / SIMD, rows batch·6)", params: { W: P([40, 24], U(-0.3, 0.3)) }, inputs: { x: I([B, 6, 40]) }, build: (v) => d.matmul(d.tanh(v.x!), v.W!), batch: 3 },
  { op: "matmul", name: "Σ over positions tanh(x·A)ᵀ·(x·B) [5,3] (transA of two sequences)", params: { A: P([4, 5]), Bm: P([4, 3]) }, inputs: { x: I([B, 3, 4]) }, build: (v) => d.matmul(d.tanh(d.matmul(v.x!, v.A!)), d.matmul(v.x!, v.Bm!), { transA: true }) },
  { op: "matmul", name: "a static sequence S[2,3,4]·W[4,5] ⊙ x (rows 6, no batch)", params: { S: P([2, 3, 4]), W: P([4, 5]) }, inputs: { x: I([B, 5]) }, build: (v) => d.mul(d.sum(d.sum(d.matmul(v.S!, v.W!), 0), 0), v.x!) },
  { op: "matmul", name: "Σ over the static positions of S[2,3,4]ᵀ·T[2,3,5], then ⊙ x", params: { S: P([2, 3, 4]), T: P([2, 3, 5]) }, inputs: { x: I([B, 5]) }, build: (v) => d.mul(d.sum(d.matmul(v.S!, v.T!, { transA: true }), 0), v.x!) },
  { op: "matmul", name: "h·hᵀ [batch,batch] with h [batch,520]: the large product with the batch as its rows and its columns (f64: blocked loops of run-time bounds, and their remainders at 5 rows)", params: { W: P([2, 520], U(-0.2, 0.2)) }, inputs: { x: I([B, 2]) }, build: (v) => { const h = d.tanh(d.matmul(v.x!, v.W!)); return d.matmul(h, h, { transB: true }); }, batch: 5 },
  { op: "matmul", name: "h·hᵀ [batch,batch] (the batch as both outer sizes)", params: { W: P([2, 3]) }, inputs: { x: I([B, 2]) }, build: (v) => { const h = d.tanh(d.matmul(v.x!, v.W!)); return d.matmul(h, h, { transB: true }); }, batch: 4 },
  // convolution and pooling (NHWC)
  { op: "conv2d", name: "x[batch,5,5,2] ⊛ w[3,3,2,3], stride 2, padding 1, + bias", params: { Wt: P([3, 3, 2, 3]), b: P([3]) }, inputs: { x: I([B, 5, 5, 2]) }, build: (v) => d.tanh(d.add(cv.conv2d(v.x!, v.Wt!, { stride: 2, padding: 1 }), v.b!)), batch: 2 },
  { op: "conv2d", name: "two layers: the first's input gradient is conv2dBackwardInput", params: { W1: P([2, 2, 1, 2]), W2: P([2, 2, 2, 2]) }, inputs: { x: I([B, 4, 4, 1]) }, build: (v) => cv.conv2d(d.tanh(cv.conv2d(v.x!, v.W1!)), v.W2!), batch: 2 },
  { op: "conv2dBackwardInput", name: "g[batch,3,3,3] ⊙ G, w[3,3,2,3], stride 2, padding 1 → x 5×5", params: { G: P([3, 3, 3]), Wt: P([3, 3, 2, 3]) }, inputs: { g: I([B, 3, 3, 3]) }, build: (v) => conv2dBackwardInput(d.mul(v.g!, v.G!), v.Wt!, convAttrs([2, 2], [1, 1, 1, 1]), [5, 5]), batch: 2 },
  { op: "conv2dBackwardFilter", name: "x[batch,5,5,2] ⊙ X, g[batch,3,3,3] ⊙ G → w 3×3", params: { X: P([5, 5, 2]), G: P([3, 3, 3]) }, inputs: { x: I([B, 5, 5, 2]), g: I([B, 3, 3, 3]) }, build: (v) => conv2dBackwardFilter(d.mul(v.x!, v.X!), d.mul(v.g!, v.G!), convAttrs([2, 2], [1, 1, 1, 1]), [3, 3]), batch: 2 },
  { op: "maxPool2d", name: "2×2 windows of x[batch,4,4,2] ⊙ s (s > 0 keeps each window's argmax)", params: { s: P([2], U(0.5, 1.5)) }, inputs: { x: I([B, 4, 4, 2], DISTINCT) }, build: (v) => cv.maxPool2d(d.mul(v.x!, v.s!), { size: 2 }), batch: 2 },
  { op: "maxPool2d", name: "3×3, stride 2, padding 1 (overlapping windows), all negative", params: { s: P([2], U(0.5, 1.5)) }, inputs: { x: I([B, 5, 5, 2], NEGATIVE) }, build: (v) => cv.maxPool2d(d.mul(v.x!, v.s!), { size: 3, stride: 2, padding: 1 }), batch: 2 },
  { op: "maxPool2d", name: "2×2 of 10 channels (two channel blocks of the argmax kernels)", params: { s: P([10], U(0.5, 1.5)) }, inputs: { x: I([B, 2, 2, 10], DISTINCT) }, build: (v) => cv.maxPool2d(d.mul(v.x!, v.s!), { size: 2 }), batch: 2 },
  { op: "maxPool2dBackward", name: "g = x' ⊙ G routed to the argmax of x [batch,4,4,2]", params: { G: P([2, 2, 2]) }, inputs: { x: I([B, 4, 4, 2], DISTINCT), g: I([B, 2, 2, 2]) }, build: (v) => maxPool2dBackward(v.x!, d.mul(v.g!, v.G!), poolAttrs([2, 2])), batch: 2 },
  { op: "maxPool2dSelect", name: "h = x' ⊙ H read at the argmax of x, 3×3 stride 2 padding 1", params: { H: P([5, 5, 2]) }, inputs: { x: I([B, 5, 5, 2], DISTINCT), h: I([B, 5, 5, 2]) }, build: (v) => maxPool2dSelect(v.x!, d.mul(v.h!, v.H!), poolAttrs([3, 3], [2, 2], [1, 1])), batch: 2 },
  { op: "avgPool2d", name: "3×3, stride 2, padding 1 of x ⊙ X", params: { X: P([5, 5, 2]) }, inputs: { x: I([B, 5, 5, 2]) }, build: (v) => cv.avgPool2d(d.mul(v.x!, v.X!), { size: 3, stride: 2, padding: 1 }), batch: 2 },
  { op: "avgPool2dBackward", name: "g = x ⊙ G, 2×2 → 5×4 (the last row unused)", params: { G: P([2, 2, 3]) }, inputs: { g: I([B, 2, 2, 3]) }, build: (v) => avgPool2dBackward(d.mul(v.g!, v.G!), poolAttrs([2, 2]), [5, 4]), batch: 2 },
  // softmax family
  { op: "softmax", name: "rows of x·W [batch,4]", params: { W: P([2, 4], WIDE) }, inputs: { x: I([B, 2]) }, build: (v) => d.softmax(d.matmul(v.x!, v.W!)) },
  { op: "softmax", name: "rows of one element [batch,1] (constant 1)", params: { W: P([2, 1], WIDE), V: P([2, 1]) }, inputs: { x: I([B, 2]) }, build: (v) => d.mul(d.softmax(d.matmul(v.x!, v.W!)), d.matmul(v.x!, v.V!)) },
  { op: "logSoftmax", name: "rows of x·W [batch,4]", params: { W: P([2, 4], WIDE) }, inputs: { x: I([B, 2]) }, build: (v) => d.logSoftmax(d.matmul(v.x!, v.W!)) },
  { op: "logSoftmax", name: "[batch,2,3] (the last axis)", params: { W: P([2, 3], WIDE) }, inputs: { x: I([B, 2, 3]) }, build: (v) => d.logSoftmax(d.mul(v.x!, v.W!)) },
  { op: "softmaxCE", name: "logits x·W, integer labels", params: { W: P([2, 4], WIDE) }, inputs: { x: I([B, 2]), y: L([B], 4) }, build: (v) => d.softmaxCrossEntropyRows(d.matmul(v.x!, v.W!), v.y!), batch: 5 },
  { op: "softmaxCE", name: "logits x·W, float target rows", params: { W: P([2, 3], WIDE) }, inputs: { x: I([B, 2]), t: I([B, 3], U(0, 1)) }, build: (v) => d.softmaxCrossEntropyRows(d.matmul(v.x!, v.W!), v.t!) },
  { op: "onehot", name: "onehot(labels)·W: a matmul reads it, so it is stored (its own row loop)", params: { W: P([4, 3]) }, inputs: { y: L([B], 4) }, build: (v) => d.matmul(d.onehot(v.y!, 4), v.W!), batch: 5 },
  { op: "onehot", name: "onehot(labels) ⊙ tanh(x·W)", params: { W: P([2, 4]) }, inputs: { x: I([B, 2]), y: L([B], 4) }, build: (v) => d.mul(d.onehot(v.y!, 4), d.tanh(d.matmul(v.x!, v.W!))), batch: 5 },
  // training-mode ops (lossAndGrad runs the training pass: dropout masks, the training branch)
  { op: "select", name: "the training branch tanh(x·W) (forward: the inference branch)", params: { W: P([2, 3]) }, inputs: { x: I([B, 2]) }, build: (v) => select(d.tanh(d.matmul(v.x!, v.W!)), d.matmul(v.x!, v.W!)) },
  { op: "dropoutMask", name: "dropout(tanh(x·W), 0.3): the interpreter draws the compiled masks", params: { W: P([2, 5]) }, inputs: { x: I([B, 2]) }, build: (v) => dropout(d.tanh(d.matmul(v.x!, v.W!)), 0.3), batch: 4 },
  // gradient control: the finite differences see the value, so the marked part must carry no parameter
  { op: "stopGradient", name: "tanh(x·W) ⊙ sg(u ⊙ u) (no parameter behind the stop)", params: { W: P([2, 3]) }, inputs: { x: I([B, 2]), u: I([B, 3]) }, build: (v) => d.mul(d.tanh(d.matmul(v.x!, v.W!)), stopGradient(d.mul(v.u!, v.u!))) },
  { op: "customGradient", name: "tanh(x·W) with its true vjp g ⊙ (1 − y²)", params: { W: P([2, 3], WIDE) }, inputs: { x: I([B, 2]) }, build: (v) => customGradient((z: Node) => d.tanh(z), (g, y) => [d.mul(g, d.sub(1, d.square(y)))])(d.matmul(v.x!, v.W!)) },
  // gelu, erf, comparisons and selection, logSumExp (see ../../compiler/ops/compare.ts, activations.ts, softmax.ts)
  ...unary("erf", d.erf, SMALL, U(-2, 2)),
  { op: "erf", name: "of x ⊙ W reaching the tails (|z| up to 6)", params: { W: P([4], U(2, 3)) }, inputs: { x: I([B, 4], U(-2, 2)) }, build: (v) => d.erf(d.mul(v.x!, v.W!)) },
  ...unary("gelu", d.gelu, SMALL, WIDE),
  ...unary("gelu", (z) => d.gelu(z, { approximate: "tanh" }), SMALL, WIDE).map((c) => ({ ...c, name: `approximate "tanh", ${c.name}` })),
  gemmCase("gelu", d.gelu),
  { op: "greater", name: "z·[z > 0.2] (greater is a constant)", params: { W: P([4], WIDE) }, inputs: { x: I([B, 4], POS) }, build: (v) => { const z = d.mul(v.x!, v.W!); return d.mul(z, d.greater(z, 0.2)); } },
  { op: "greaterEqual", name: "z·[z ≥ −0.3]·[0.9 ≥ z] (greaterEqual, lessEqual)", params: { W: P([4], WIDE) }, inputs: { x: I([B, 4], POS) }, build: (v) => { const z = d.mul(v.x!, v.W!); return d.mul(z, d.mul(d.greaterEqual(z, -0.3), d.lessEqual(z, 0.9))); } },
  { op: "where", name: "where(c, x·A, x·B) with a 0/1 condition input", params: { A: P([2, 3]), Bm: P([2, 3]) }, inputs: { x: I([B, 2]), c: { shape: [B, 3], gen: INT(2) } }, build: (v) => d.where(v.c!, d.matmul(v.x!, v.A!), d.matmul(v.x!, v.Bm!)), batch: 4 },
  { op: "where", name: "where([z > 0], tanh(z), b) with b [3] broadcast over rows", params: { W: P([2, 3], WIDE), b: P([3]) }, inputs: { x: I([B, 2], POS) }, build: (v) => { const z = d.matmul(v.x!, v.W!); return d.where(d.greater(z, 0), d.tanh(z), v.b!); }, batch: 4 },
  ...binary("maximum", d.maximum, SMALL, SMALL),
  ...binary("minimum", d.minimum, SMALL, SMALL),
  { op: "clamp", name: "clamp(x ⊙ W, −0.5, 0.8), values on both sides of both bounds", params: { W: P([4], U(1, 2)) }, inputs: { x: I([B, 4], U(-1, 1)) }, build: (v) => d.clamp(d.mul(v.x!, v.W!), -0.5, 0.8), batch: 5 },
  { op: "clamp", name: "clamp(x ⊙ W, 0.3) (a positive min only)", params: { W: P([4], U(1, 2)) }, inputs: { x: I([B, 4], U(-1, 1)) }, build: (v) => d.clamp(d.mul(v.x!, v.W!), 0.3), batch: 5 },
  { op: "clamp", name: "clamp(x ⊙ W, null, −0.2) (a negative max only)", params: { W: P([4], U(1, 2)) }, inputs: { x: I([B, 4], U(-1, 1)) }, build: (v) => d.clamp(d.mul(v.x!, v.W!), null, -0.2), batch: 5 },
  // Its gradient is zero (the bounds leave no inside); ½z beside it gives the check a gradient to test.
  { op: "clamp", name: "clamp(z, 0.8, −0.5) + ½z, z = x ⊙ W (min above max: max everywhere, as torch)", params: { W: P([4], U(1, 2)) }, inputs: { x: I([B, 4], U(-1, 1)) }, build: (v) => { const z = d.mul(v.x!, v.W!); return d.add(d.clamp(z, 0.8, -0.5), d.mul(z, 0.5)); }, batch: 5 },
  { op: "clamp", name: "clamp(x·W + b, 0) (min only) as the matmul's epilogue", params: { W: P([2, 3], WIDE), b: P([3], U(-0.05, 0.05)) }, inputs: { x: I([B, 2], SMALL) }, build: (v) => d.clamp(d.add(d.matmul(v.x!, v.W!), v.b!), 0) },
  { op: "logSumExp", name: "over everything of x·W, keepdims [1,1]", params: { W: P([2, 3], WIDE) }, inputs: { x: I([B, 2]) }, build: (v) => d.logSumExp(d.matmul(v.x!, v.W!), undefined, true) },
  { op: "logSumExp", name: "rows of x·W [batch,4]", params: { W: P([2, 4], WIDE) }, inputs: { x: I([B, 2]) }, build: (v) => d.logSumExp(d.matmul(v.x!, v.W!), 1) },
  { op: "logSumExp", name: "over the batch (axis 0: a transpose, rows of length n), keepdims", params: { W: P([2, 3], WIDE) }, inputs: { x: I([B, 2]) }, build: (v) => d.logSumExp(d.matmul(v.x!, v.W!), 0, true), batch: 4 },
  { op: "logSumExp", name: "[batch,2,3] over everything", params: { W: P([2, 3], WIDE) }, inputs: { x: I([B, 2, 3]) }, build: (v) => d.logSumExp(d.mul(v.x!, v.W!)) },
  { op: "conv2d", name: "conv1d (conv2d over one row): x[batch,7,2] ⊛ w[3,2,3], stride 2, padding 1, + bias", params: { K: P([3, 2, 3]), b: P([3]) }, inputs: { x: I([B, 7, 2]) }, build: (v) => d.tanh(d.add(cv.conv1d(v.x!, v.K!, { stride: 2, padding: 1 }), v.b!)), batch: 2 },
  { op: "dropoutMask", name: "dropout2d(tanh(x ⊙ X), 0.3): one mask value per example and channel", params: { X: P([2, 2, 3]) }, inputs: { x: I([B, 2, 2, 3]) }, build: (v) => dropout2d(d.tanh(d.mul(v.x!, v.X!)), 0.3), batch: 4 },
  // recurrence
  { op: "scan", name: "tanh RNN over xs[batch,4,2]", params: { W: P([2, 3]), U: P([3, 3]) }, inputs: { xs: I([B, 4, 2]) }, build: (v) => scan((h: Node, x: Node) => { const h2 = d.tanh(d.add(d.matmul(x, v.W!), d.matmul(h, v.U!))); return { carry: h2, output: h2 }; }, d.zeros([B, 3]), v.xs!).outputs as Node },
  { op: "part", name: "the final carry of a reverse scan", params: { W: P([2, 2]), U: P([2, 2]) }, inputs: { xs: I([B, 3, 2]) }, build: (v) => scan((h: Node, x: Node) => ({ carry: d.sigmoid(d.add(d.matmul(x, v.W!), d.matmul(h, v.U!))) }), d.zeros([B, 2]), v.xs!, { reverse: true }).carry as Node },
];

// ── running an entry ──────────────────────────────────────────────────────────────────────────────

const batchOf = (c: CompiledCase) => c.batch ?? 3;
const count = (shape: Dim[], batch: number) => shape.reduce<number>((n, s) => n * (typeof s === "number" ? s : batch), 1);

/**
 * Σ C ⊙ y: C a constant for a static y, an input "C" of y's shape for a y over the batch, and for a
 * [batch, batch] y (inputs may hold the batch once) the outer product of two inputs c1, c2 [batch].
 */
function weighted(y: Node, c: CompiledCase): Node {
  const batchAxes = y.shape.filter((s) => typeof s !== "number").length;
  if (batchAxes === 0) return randomlyWeighted(y, mulberry32(seedOf(`C of ${c.op}: ${c.name}`)));
  if (batchAxes === 1) return d.sum(d.mul(y, d.input("C", [...y.shape])));
  if (y.shape.length !== 2) throw new Error(`${c.op}: ${c.name}: weights for ${JSON.stringify(y.shape)} are not implemented`);
  return d.sum(d.mul(y, d.mul(d.reshape(d.input("c1", [B]), [B, 1]), d.reshape(d.input("c2", [B]), [1, B]))));
}

/** The entry's model: loss = Σ C ⊙ y (see weighted); y is also the output "result". */
const caseModel = (c: CompiledCase): ModelDef =>
  model("op", () => {
    const v: Record<string, Node> = {};
    for (const [name, s] of Object.entries(c.inputs ?? {})) v[name] = d.input(name, s.shape, s.int ? { dtype: "int" } : {});
    for (const [name, s] of Object.entries(c.params)) v[name] = d.param(name, s.shape as number[], { init: "zeros" });
    const y = c.build(v);
    return { loss: weighted(y, c), outputs: { result: y } };
  });

/** Seeded values for an entry; the weights C get |C| in [0.2, 1) with random signs. */
function caseValues(c: CompiledCase, def: ModelDef) {
  const rng = mulberry32(seedOf(`${c.op}: ${c.name}`));
  const batch = batchOf(c);
  const params: Record<string, number[]> = {};
  for (const [name, s] of Object.entries(c.params)) params[name] = s.gen(rng, count(s.shape, 1));
  const inputs: Record<string, number[]> = {};
  for (const [name, s] of Object.entries(c.inputs ?? {})) inputs[name] = s.gen(rng, count(s.shape, batch));
  for (const w of traceModel(def).inputs.filter((i) => ["C", "c1", "c2"].includes(i.attrs.name as string))) inputs[w.attrs.name as string] = awayFromZero(rng, count([...w.shape], batch), 0.2, 1);
  return { params, inputs };
}

/** float32-rounded copies: both modules then see exactly the same numbers. */
const rounded = (r: Record<string, number[]>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.map(Math.fround)]));
const typed = (r: Record<string, number[]>, T: Float32ArrayConstructor | Float64ArrayConstructor) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, T.from(v)]));

/** Elementwise |a − b| ≤ tol·max(1, max|b|): float32 rounding is relative to the array's scale. */
function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  expect(a.length, `${what}: length`).toBe(b.length);
  const scale = Math.max(1, ...Array.from(b, Math.abs));
  for (let k = 0; k < b.length; k++) {
    expect(Number.isFinite(a[k]!), `${what}[${k}] is ${a[k]}`).toBe(true);
    expect(Math.abs(a[k]! - b[k]!), `${what}[${k}]: ${a[k]} vs ${b[k]}`).toBeLessThanOrEqual(tol * scale);
  }
}

/** float32 precision after a few roundings of sums over tens of terms. */
const F32_TOL = 2e-5;

async function checkCase(c: CompiledCase, f64: GeneratedModule, f32: GeneratedModule) {
  const def = caseModel(c);
  const values = caseValues(c, def);
  const p64 = typed(values.params, Float64Array);

  // 1. gradients of the float64 module against central finite differences
  const r = gradientReport(def, values, { analytic: () => f64.lossAndGrad(p64, values.inputs), kinks: "skip" });
  expect(r.ok, r.message).toBe(true);
  expect(r.skipped.map((k) => `∂L/∂${k.param}[${k.coords.join(", ")}]`), "elements on a kink of the loss: choose values away from it").toEqual([]);
  const largest = Math.max(...Object.values(r.numeric).flatMap((a) => [...a].map(Math.abs)));
  expect(largest, "the gradient is zero everywhere: the check would pass vacuously").toBeGreaterThan(1e-3);

  // 2. forward() against the reference interpreter (inference mode: the same graph unless dropout or select)
  const g = traceModel(def);
  if (!g.nodes.some((n) => n.op === "dropoutMask" || n.op === "select")) {
    const reference = evaluate(g, values);
    expectClose(f64.forward(p64, values.inputs).result!, reference.get(g.outputs[0]![1])!.data, 1e-12, "f64 forward");
  }

  // 3. the float32 module against the float64 one, at the same float32-rounded values
  const params = rounded(values.params), inputs = rounded(values.inputs);
  const at64 = f64.lossAndGrad(typed(params, Float64Array), inputs);
  const at32 = f32.lossAndGrad(typed(params, Float32Array), inputs);
  expectClose([at32.loss], [at64.loss], F32_TOL, "f32 loss");
  for (const [name, grad] of Object.entries(at64.grads)) expectClose(at32.grads[name]!, grad, F32_TOL, `f32 ∂L/∂${name}`);
  expectClose(f32.forward(typed(params, Float32Array), inputs).result!, f64.forward(typed(params, Float64Array), inputs).result!, F32_TOL, "f32 forward");
}

/** Every entry's two modules, as the table's tests compiled them, for the strict type-check (4). */
const emitted = new Map<CompiledCase, SourceFile[]>();
const moduleFiles = (c: CompiledCase, f64: string, f32: string): SourceFile[] => [
  { name: `${c.op}: ${c.name}.f64.gen.ts`, code: f64 },
  { name: `${c.op}: ${c.name}.f32.gen.ts`, code: f32 },
];

describe("every op's compiled code: f64 against finite differences, f32 against f64", () => {
  const byOp = new Map<string, CompiledCase[]>();
  for (const c of table) byOp.set(c.op, [...(byOp.get(c.op) ?? []), c]);
  for (const [op, cases] of byOp) {
    describe(op, () => {
      it.each(cases.map((c) => [c.name, c] as const))("%s", async (_, c) => {
        expect(batchOf(c)).toBeGreaterThanOrEqual(2);
        const def = caseModel(c);
        const compiled = await compileAndImport(def);
        const ops = new Set(compiled.optimized.graph.nodes.map((n) => n.op));
        expect(ops.has(c.op), `no "${c.op}" node is left in the compiled graph: ${[...ops].sort().join(", ")}`).toBe(true);
        const f32 = await compileAndImport(def, { dtype: "f32" });
        emitted.set(c, moduleFiles(c, compiled.code, f32.code));
        await checkCase(c, compiled.module, f32.module);
      });
    });
  }
});

describe("every op's compiled code under a strict tsconfig", () => {
  it("both modules of every entry type-check (strict, noUncheckedIndexedAccess, exactOptionalPropertyTypes, …)", async () => {
    // The table's tests compiled them (a filtered run compiles the rest here).
    const files: SourceFile[] = [];
    for (const c of table) {
      let pair = emitted.get(c);
      if (!pair) {
        const def = caseModel(c);
        pair = moduleFiles(c, (await compileAndImport(def)).code, (await compileAndImport(def, { dtype: "f32" })).code);
      }
      files.push(...pair);
    }
    expect(files.length).toBe(2 * table.length);
    expect(strictTypeErrors(files)).toEqual([]);
  }, 300_000);
});

describe("meta", () => {
  it("every op in the registry has an entry", () => {
    const covered = new Set(table.map((c) => c.op));
    const missing = allOps.map((o) => o.name).filter((name) => !covered.has(name));
    expect(missing, `ops with no compiled entry: ${missing.join(", ")}`).toEqual([]);
  });

  it("entries name only registry ops and run at batch ≥ 2", () => {
    const names = new Set(allOps.map((o) => o.name));
    expect(table.map((c) => c.op).filter((op) => !names.has(op))).toEqual([]);
    expect(table.filter((c) => batchOf(c) < 2)).toEqual([]);
    expect(table.every((c) => Object.values(c.inputs ?? {}).some((s) => s.shape.includes(B)))).toBe(true);
  });
});
