// Activations. Their derivatives reuse the forward value where the textbook does:
// σ' = σ(1−σ), tanh' = 1−tanh², relu' = [z > 0]; softplus' = σ.
//
// NaN in, NaN out, as in PyTorch: relu(NaN) = leakyRelu(NaN) = softplus(NaN) = NaN (a diverged network
// must not report a finite loss). Every comparison is written so that NaN takes the branch that
// returns it: `z <= 0 ? 0 : z`, not `z > 0 ? z : 0`, which would turn NaN into 0.
//
// ReLU and its derivative are the one place where that branch costs: a pre-activation's sign is as good
// as random, so the CPU mispredicts every other element. relu is gradc/runtime's branch-free `relu(z)`
// (runtime/branchless.ts: exactly `z <= 0 ? 0 : z`), relu' the comparison as a number, `+!(z <= 0)`
// (1 for NaN, as `z <= 0 ? 0 : 1`), which V8 computes without a jump: 1.2× on the MNIST CNN's step.
import { codes } from "../../runtime/errors.js";
import { fail, make } from "../ir/context.js";
import type { Node } from "../ir/node.js";
import { describe, number, tensorOf, unary, type Operand, type Tensor } from "./build.js";
import { elementwise, type Builders } from "./op.js";

// Operands may be compound expressions once lowering fuses chains ("a + b", "-x"): parenthesize them
// wherever a prefix minus or a product would otherwise bind to part of the operand.
const paren = (s: string) => (/^[\w.]+$/.test(s) ? s : `(${s})`);

export const sigmoidOp = elementwise({
  name: "sigmoid", arity: 1,
  // 1/(1+e^−x) is finite everywhere: e^1000 = ∞ gives 1/∞ = 0, never ∞/∞.
  expr: ([a]) => `1 / (1 + Math.exp(-${paren(a!)}))`,
  rowFunction: "sigmoidRow",
  vjp: (g, y, { mul, sub }) => [mul(g, mul(y, sub(1, y)))],
  notation: ([a]) => `σ(${a})`,
});

export const tanhOp = elementwise({
  name: "tanh", arity: 1,
  expr: ([a]) => `Math.tanh(${a})`,
  rowFunction: "tanhRow",
  vjp: (g, y, { mul, sub, square }) => [mul(g, sub(1, square(y)))],
  notation: ([a]) => `tanh(${a})`,
});

export const reluOp = elementwise({
  name: "relu", arity: 1,
  // `z <= 0 ? 0 : z` without a branch (see the top): NaN fails `<= 0` and is returned; −0 gives +0.
  expr: ([a]) => `relu(${a})`,
  runtime: () => ["relu"],
  vjp: (g, { inputs: [z] }, { mul, step }) => [mul(g, step(z!))],
  notation: ([a]) => `relu(${a})`,
});

export const leakyReluOp = elementwise({
  name: "leakyRelu", arity: 1,
  // NaN goes to the second branch, α·NaN = NaN.
  expr: ([a], { alpha }) => `(${a} > 0 ? ${a} : ${alpha} * ${paren(a!)})`,
  vjp: (g, { inputs: [z], attrs: { alpha } }, { mul, step }) => [mul(g, step(z!, alpha as number))],
  notation: ([a], { alpha }) => `leakyRelu_${alpha}(${a})`,
});

export const softplusOp = elementwise({
  name: "softplus", arity: 1,
  // log(1+eˣ) without overflow: x + log1p(e^−x) for x > 0; NaN takes the second branch, log1p(e^NaN) = NaN.
  expr: ([a]) => `(${a} > 0 ? ${a} + Math.log1p(Math.exp(-${paren(a!)})) : Math.log1p(Math.exp(${a})))`,
  vjp: (g, { inputs: [x] }, { mul, sigmoid }) => [mul(g, sigmoid(x!))],
  notation: ([a]) => `softplus(${a})`,
});

// GELU's constants as torch writes them (aten/src/ATen/native/cpu/Activation.cpp): 1/√2, √(2/π), 1/√(2π).
const SQRT1_2 = Math.SQRT1_2;
const SQRT_2_PI = Math.SQRT2 * (2 / Math.sqrt(Math.PI)) * 0.5;
const INV_SQRT_2PI = (2 / Math.sqrt(Math.PI)) * Math.SQRT1_2 * 0.5;
const KAPPA = 0.044715;

/** The tanh approximation's inner tanh(√(2/π)(x + 0.044715x³)), as a graph (gelu's derivative reads it). */
const geluTanhInner = (x: Node, { tanh, mul, add, square }: Builders): Node => tanh(mul(SQRT_2_PI, add(x, mul(KAPPA, mul(x, square(x))))));

/**
 * GELU as torch's nn.GELU(approximate=…), NaN in, NaN out; gelu(−∞) = −∞·0 = NaN, as in torch.
 *   "none"  x·Φ(x) = ½x(1 + erf(x/√2))                        gelu' = Φ(x) + x·φ(x), φ(x) = e^(−x²/2)/√(2π)
 *   "tanh"  ½x(1 + t), t = tanh(√(2/π)(x + 0.044715x³))        gelu' = ½(1 + t) + ½x(1 − t²)·√(2/π)(1 + 3·0.044715x²)
 * erf is gradc/runtime's (runtime/special.ts): JavaScript's Math has none.
 */
export const geluOp = elementwise({
  name: "gelu", arity: 1,
  expr: ([a], { approximate }) =>
    approximate === "tanh"
      ? `0.5 * ${paren(a!)} * (1 + Math.tanh(${SQRT_2_PI} * (${a} + ${KAPPA} * (${paren(a!)} * ${paren(a!)} * ${paren(a!)}))))`
      : `${paren(a!)} * 0.5 * (1 + erf(${paren(a!)} * ${SQRT1_2}))`,
  runtime: ({ approximate }) => (approximate === "tanh" ? [] : ["erf"]),
  vjp: (g, { inputs: [x], attrs: { approximate } }, b) => {
    const { add, erf, exp, mul, square, sub } = b;
    if (approximate === "tanh") {
      const t = geluTanhInner(x!, b);
      const inner = mul(SQRT_2_PI, add(1, mul(3 * KAPPA, square(x!))));
      return [mul(g, add(mul(0.5, add(1, t)), mul(mul(mul(0.5, x!), sub(1, square(t))), inner)))];
    }
    const cdf = mul(0.5, add(1, erf(mul(x!, SQRT1_2))));
    const pdf = mul(exp(mul(-0.5, square(x!))), INV_SQRT_2PI);
    return [mul(g, add(cdf, mul(x!, pdf)))];
  },
  notation: ([a], { approximate }) => (approximate === "tanh" ? `gelu_tanh(${a})` : `gelu(${a})`),
});

/**
 * [x > 0] as 1, else `below` (0 for relu', α for leakyRelu'). At NaN, as PyTorch's derivatives: relu'
 * is 1 (torch differentiates relu through its result, `result <= 0 ? 0 : g`, and NaN passes), leakyRelu'
 * is α (torch's leaky_relu_backward is `x > 0 ? g : α·g`).
 */
export const stepOp = elementwise({
  name: "step", arity: 1,
  // relu' as a number, `+!(z <= 0)`: the same values as `z <= 0 ? 0 : 1` without a branch (see the top).
  expr: ([a], { below }) => (below === 0 ? `+!(${a} <= 0)` : `(${a} > 0 ? 1 : ${below})`),
  vjp: () => [null],
  notation: ([a], { below }) => (below ? `[${a} > 0 | ${below}]` : `[${a} > 0]`),
});

// ── the DSL functions (model.ts imports them from "gradc": ../dsl/index.ts re-exports them) ─────────

export const sigmoid = unary(sigmoidOp);
export const tanh = unary(tanhOp);
export const relu = unary(reluOp);
export const softplus = unary(softplusOp);
export function leakyRelu(x: Operand, alpha = 0.01): Tensor {
  return make(leakyReluOp, [tensorOf(x)], { alpha: number(alpha, "leakyRelu alpha") });
}
/** [x > 0] as 1 or `below` (relu' and leakyRelu'). */
export function step(x: Operand, below = 0): Tensor {
  return make(stepOp, [tensorOf(x)], { below });
}
/**
 * GELU, x·Φ(x) with Φ the standard normal CDF (torch's nn.GELU): `approximate: "none"` (the default) is
 * the exact form ½x(1 + erf(x/√2)), `"tanh"` the approximation ½x(1 + tanh(√(2/π)(x + 0.044715x³))).
 */
export function gelu(x: Operand, options: { approximate?: "none" | "tanh" } = {}): Tensor {
  if (!options || typeof options !== "object") fail(codes.badArgument, `gelu: options must be an object like { approximate: "tanh" }, got ${describe(options)}`);
  for (const k of Object.keys(options)) if (k !== "approximate") fail(codes.badArgument, `gelu: unknown option "${k}" (approximate)`);
  const approximate = options.approximate ?? "none";
  if (approximate !== "none" && approximate !== "tanh") fail(codes.badArgument, `gelu: approximate must be "none" or "tanh" (as torch's nn.GELU), got ${JSON.stringify(approximate)}`);
  return make(geluOp, [tensorOf(x)], { approximate });
}
