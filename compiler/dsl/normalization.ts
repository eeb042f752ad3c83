// Layer normalization and the variance it is built from. Both are composites of existing ops (mean,
// sub, square, add, sqrt, div, mul): gradc differentiates them like any other expression, so the
// emitted backward pass is the chain rule through those steps, each line naming its rule.
import { codes, GradcError } from "../diagnostics.js";
import { formatShape, normalizeAxis, sameShape } from "../ir/shape.js";
import { callerLoc, fail } from "../ir/context.js";
import { add, count, div, mean, mul, sqrt, square, sub, sum, type Tensor } from "./core.js";

const isTensor = (x: unknown): x is Tensor => !!x && typeof x === "object" && "op" in x && "shape" in x;

/**
 * Names an intermediate this call created (for emitted code and `gradc explain`: `xhat`, `dxhat`);
 * a node that existed before (the user's own mean of x, say) keeps the name model.ts gives it.
 */
function named(n: Tensor, name: string): Tensor {
  const here = callerLoc();
  if (!n.name && n.loc.line === here.line && n.loc.col === here.col && n.loc.file === here.file) n.name = name;
  return n;
}

/**
 * Σ (x − mean)² / (N − correction) over `axis` (default: all elements), N the number of elements
 * reduced. The default correction 0 is the biased (population) variance, NumPy's var and what
 * layerNorm and batchNorm normalize with; correction 1 is torch.var's default, the unbiased estimate.
 */
export function variance(x: Tensor, axis?: number, keepdims = false, options: { correction?: number } = {}): Tensor {
  if (!isTensor(x)) fail(codes.badArgument, "variance: x must be a tensor");
  const { correction = 0 } = options;
  if (typeof correction !== "number" || !Number.isFinite(correction) || correction < 0) {
    fail(codes.badArgument, `variance: correction must be a finite number ≥ 0, got ${String(correction)}`);
  }
  const deviation = square(sub(x, mean(x, axis, true)));
  if (correction === 0) return mean(deviation, axis, keepdims);
  let dims = x.shape;
  if (axis !== undefined && axis !== null) {
    try {
      dims = [x.shape[normalizeAxis(axis, x.shape.length)]!];
    } catch (e) {
      if (e instanceof GradcError) throw e;
      fail(codes.badArgument, `variance: ${(e as Error).message}`);
    }
  }
  return div(sum(deviation, axis, keepdims), sub(count(dims), correction));
}

/**
 * Layer normalization over the last axis, PyTorch's nn.LayerNorm(D) / F.layer_norm semantics:
 *   y = (x − μ) / √(σ² + eps) · γ + β     μ, σ² the mean and biased variance of each row (last axis)
 * `gamma` (γ) and `beta` (β) are [D] tensors, usually params initialized to ones and zeros; either
 * may be omitted (null/undefined), as with elementwise_affine=False. eps defaults to 1e-5.
 */
export function layerNorm(x: Tensor, gamma?: Tensor | null, beta?: Tensor | null, options: { eps?: number } = {}): Tensor {
  if (!isTensor(x)) fail(codes.badArgument, "layerNorm: x must be a tensor");
  const width = x.shape[x.shape.length - 1];
  if (typeof width !== "number") fail(codes.shape, `layerNorm: needs a static last axis to normalize over, got ${formatShape(x.shape)}`);
  for (const [what, p] of [["gamma", gamma], ["beta", beta]] as const) {
    if (p === undefined || p === null) continue;
    if (!isTensor(p)) fail(codes.badArgument, `layerNorm: ${what} must be a tensor (or null), got ${typeof p}`);
    if (!sameShape(p.shape, [width])) fail(codes.shape, `layerNorm: ${what} must have shape [${width}] (the last axis of ${formatShape(x.shape)}), got ${formatShape(p.shape)}`);
  }
  if (!options || typeof options !== "object") fail(codes.badArgument, "layerNorm: options must be an object { eps? }");
  const { eps = 1e-5 } = options;
  if (typeof eps !== "number" || !Number.isFinite(eps) || eps < 0) fail(codes.badArgument, `layerNorm: eps must be a finite number ≥ 0, got ${String(eps)}`);

  const mu = named(mean(x, -1, true), "mu");
  const centered = named(sub(x, mu), "centered");
  const std = named(sqrt(add(named(mean(square(centered), -1, true), "variance"), eps)), "std");
  const xhat = named(div(centered, std), "xhat");
  const scaled = gamma ? mul(xhat, gamma) : xhat;
  return beta ? add(scaled, beta) : scaled;
}
