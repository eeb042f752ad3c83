// Activations. Their derivatives reuse the forward value where the textbook does:
// σ' = σ(1−σ), tanh' = 1−tanh², relu' = [z > 0]; softplus' = σ.
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
  expr: ([a]) => `(${a} > 0 ? ${a} : 0)`,
  vjp: (g, { inputs: [z] }) => [mul(g, step(z!))],
  notation: ([a]) => `relu(${a})`,
});

export const leakyReluOp = elementwise({
  name: "leakyRelu", arity: 1,
  expr: ([a], { alpha }) => `(${a} > 0 ? ${a} : ${alpha} * ${paren(a!)})`,
  vjp: (g, { inputs: [z], attrs: { alpha } }) => [mul(g, step(z!, alpha as number))],
  notation: ([a], { alpha }) => `leakyRelu_${alpha}(${a})`,
});

export const softplusOp = elementwise({
  name: "softplus", arity: 1,
  // log(1+eˣ) without overflow: x + log1p(e^−x) for x > 0.
  expr: ([a]) => `(${a} > 0 ? ${a} + Math.log1p(Math.exp(-${paren(a!)})) : Math.log1p(Math.exp(${a})))`,
  vjp: (g, { inputs: [x] }) => [mul(g, sigmoid(x!))],
  notation: ([a]) => `softplus(${a})`,
});

/** [x > 0] as 1, else `below` (0 for relu', α for leakyRelu'). */
export const stepOp = elementwise({
  name: "step", arity: 1,
  expr: ([a], { below }) => `(${a} > 0 ? 1 : ${below})`,
  vjp: () => [null],
  notation: ([a], { below }) => (below ? `[${a} > 0 | ${below}]` : `[${a} > 0]`),
});
