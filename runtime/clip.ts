// Gradient clipping with the semantics of torch.nn.utils.clip_grad_norm_ (norm_type 2) and
// clip_grad_value_ (torch 1.13, torch/nn/utils/clip_grad.py), in place, between the gradients and the
// optimizer's update. The optimizer runs them when a trainer is created with `clipGradNorm` or
// `clipGradValue` (optim.ts); generated trainers run them through the same update (update.ts).
//
// clip_grad_norm_, operation by operation:
//   norms      = [‖g‖₂ for each parameter's gradient]             one tensor of the gradients' dtype each
//   total      = ‖stack(norms)‖₂                                  the norm of the norms, not one long sum
//   clip_coef  = max_norm / (total + 1e-6)                        Python's scalar / tensor is
//              = reciprocal(total + 1e-6) · max_norm              Tensor.__rtruediv__: a reciprocal, then a product
//   g         *= clamp(clip_coef, max=1)                          (× 1 changes nothing, so it is skipped; a NaN
//                                                                  coefficient still multiplies, as in torch)
// In float32 every one of those tensors is float32, and the Python scalars 1e-6 and max_norm enter the
// float32 kernels as float32: each step is rounded to float32 here where torch rounds it.
//
// Known limit of bit-faithfulness: torch's CPU norm accumulates the squares with fused multiply-add, in
// SIMD lanes for long tensors (measured on torch 1.13: small float64 tensors match sequential FMA
// accumulation exactly). JavaScript has no FMA, so each ‖g‖² is summed in double, sequentially, and
// rounded once to the dtype: the result can differ from torch's in the last bit of a norm (more often
// for long float32 gradients, where torch's float32 accumulation is the less exact of the two). The
// formulas after the norms are torch's exactly.
//
// clip_grad_value_: g.clamp_(−v, v), elementwise; NaN stays NaN. When both are set, values are clamped
// first and the norm is taken of the clamped gradients.
import type { Dtype, FloatArray } from "./init.js";

/** Scales the gradients in place so their global L2 norm is at most maxNorm; returns the norm before clipping. */
export function clipGradNorm(grads: readonly FloatArray[], maxNorm: number, dtype: Dtype): number {
  const round = dtype === "f32" ? Math.fround : (x: number) => x;
  let squares = 0;
  for (const g of grads) {
    let sum = 0;
    for (let e = 0; e < g.length; e++) sum += g[e]! * g[e]!;
    const norm = round(Math.sqrt(sum));
    squares += norm * norm;
  }
  const total = round(Math.sqrt(squares));
  const coef = round(round(1 / round(total + round(1e-6))) * round(maxNorm));
  if (!(coef >= 1)) for (const g of grads) for (let e = 0; e < g.length; e++) g[e] = g[e]! * coef;
  return total;
}

/** Clamps every gradient element to [−value, value] in place. */
export function clipGradValue(grads: readonly FloatArray[], value: number): void {
  const low = -value;
  for (const g of grads) {
    for (let e = 0; e < g.length; e++) {
      const x = g[e]!;
      if (x > value) g[e] = value;
      else if (x < low) g[e] = low;
    }
  }
}

/** A clipping threshold must be a finite number > 0 (0 would zero every gradient). */
export function checkClip(x: unknown, what: string): number {
  if (typeof x !== "number" || !(x > 0) || !Number.isFinite(x)) throw new Error(`${what} must be a finite number > 0, got ${String(x)}`);
  return x;
}
