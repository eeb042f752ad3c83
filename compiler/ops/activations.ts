// Activations. Their derivatives reuse the forward value where the textbook does:
// σ' = σ(1−σ), tanh' = 1−tanh², relu' = [z > 0]; softplus' = σ.
//
// NaN in, NaN out, as in PyTorch: relu(NaN) = leakyRelu(NaN) = softplus(NaN) = NaN (a diverged network
// must not report a finite loss). Every comparison is written so that NaN takes the branch that
// returns it: `z <= 0 ? 0 : z`, not `z > 0 ? z : 0`, which would turn NaN into 0.
import { mul, sigmoid, square, step, sub } from "../dsl/core.js";
import { elementwise } from "./op.js";

// Operands may be compound expressions once lowering fuses chains ("a + b", "-x"): parenthesize them
// wherever a prefix minus or a product would otherwise bind to part of the operand.
const paren = (s: string) => (/^[\w.]+$/.test(s) ? s : `(${s})`);

export const sigmoidOp = elementwise({
  name: "sigmoid", arity: 1,
  // 1/(1+e^−x) is finite everywhere: e^1000 = ∞ gives 1/∞ = 0, never ∞/∞.
  expr: ([a]) => `1 / (1 + Math.exp(-${paren(a!)}))`,
  vjp: (g, y) => [mul(g, mul(y, sub(1, y)))],
  notation: ([a]) => `σ(${a})`,
});

export const tanhOp = elementwise({
  name: "tanh", arity: 1,
  expr: ([a]) => `Math.tanh(${a})`,
  vjp: (g, y) => [mul(g, sub(1, square(y)))],
  notation: ([a]) => `tanh(${a})`,
});

export const reluOp = elementwise({
  name: "relu", arity: 1,
  // NaN fails `<= 0` and is returned; −0 gives +0, as before (finite results unchanged bit for bit).
  expr: ([a]) => `(${a} <= 0 ? 0 : ${a})`,
  vjp: (g, { inputs: [z] }) => [mul(g, step(z!))],
  notation: ([a]) => `relu(${a})`,
});

export const leakyReluOp = elementwise({
  name: "leakyRelu", arity: 1,
  // NaN goes to the second branch, α·NaN = NaN.
  expr: ([a], { alpha }) => `(${a} > 0 ? ${a} : ${alpha} * ${paren(a!)})`,
  vjp: (g, { inputs: [z], attrs: { alpha } }) => [mul(g, step(z!, alpha as number))],
  notation: ([a], { alpha }) => `leakyRelu_${alpha}(${a})`,
});

export const softplusOp = elementwise({
  name: "softplus", arity: 1,
  // log(1+eˣ) without overflow: x + log1p(e^−x) for x > 0; NaN takes the second branch, log1p(e^NaN) = NaN.
  expr: ([a]) => `(${a} > 0 ? ${a} + Math.log1p(Math.exp(-${paren(a!)})) : Math.log1p(Math.exp(${a})))`,
  vjp: (g, { inputs: [x] }) => [mul(g, sigmoid(x!))],
  notation: ([a]) => `softplus(${a})`,
});

/**
 * [x > 0] as 1, else `below` (0 for relu', α for leakyRelu'). At NaN, as PyTorch's derivatives: relu'
 * is 1 (torch differentiates relu through its result, `result <= 0 ? 0 : g`, and NaN passes), leakyRelu'
 * is α (torch's leaky_relu_backward is `x > 0 ? g : α·g`).
 */
export const stepOp = elementwise({
  name: "step", arity: 1,
  expr: ([a], { below }) => (below === 0 ? `(${a} <= 0 ? 0 : 1)` : `(${a} > 0 ? 1 : ${below})`),
  vjp: () => [null],
  notation: ([a], { below }) => (below ? `[${a} > 0 | ${below}]` : `[${a} > 0]`),
});
