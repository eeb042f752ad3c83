// stopGradient(x): the value of x, through which no gradient flows (PyTorch's x.detach(), JAX's
// lax.stop_gradient). Its derivative rule sends nothing back, so the reverse sweep treats x, seen
// through it, as a constant: mul(x, stopGradient(x)) has the derivative x, not 2x.
//
// No rewrite before grad looks through it (no rule names it), so it survives until the gradients exist;
// then it has done its work, and passes/eraseGradientMarkers.ts replaces it by x before lowering, so it
// costs no copy in emitted code. Its identity expression is only what the op would lower to on its own.
import { defineOp } from "./op.js";

export const stopGradientOp = defineOp({
  name: "stopGradient",
  kind: "elementwise",
  carries: () => [0],
  shape: ([x]) => x!.shape,
  dtype: ([x]) => x!.dtype,
  eval: ([x]) => x!,
  expr: ([a]) => a!,
  vjp: () => [null],
  flops: () => 0,
  notation: ([a]) => `sg(${a})`,
  latex: ([a]) => `\\operatorname{sg}\\left(${a}\\right)`,
});
