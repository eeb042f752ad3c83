// DSL functions whose behaviour differs between training and inference (see ../ops/mode.ts):
// dropout, and batchNorm with running statistics kept as non-trainable state.
import { codes } from "../diagnostics.js";
import type { Node } from "../ir/node.js";
import { formatShape } from "../ir/shape.js";
import { callerLoc, context, fail, make } from "../ir/context.js";
import { add, count, div, mul, sqrt, square, sub, sum, type Operand, type Tensor } from "./core.js";
import { resolveInit } from "./init.js";
import { paramOp } from "../ops/leaf.js";
import { dropoutMaskOp, selectOp } from "../ops/mode.js";

/**
 * Inverted dropout (PyTorch's nn.Dropout): while training, each element is zeroed with probability p
 * and the others scaled by 1/(1−p), with a fresh mask every step; forward() and evaluate() pass x through.
 */
export function dropout(x: Tensor, p = 0.5): Tensor {
  return masked("dropout", x, p, x.shape);
}

/**
 * Channel dropout (torch's nn.Dropout1d, channels last): each example's channels of x [batch, L, C]
 * are zeroed whole with probability p (one mask value per example and channel, shared along L), the
 * others scaled by 1/(1−p); identity in forward() and evaluate().
 */
export function dropout1d(x: Tensor, p = 0.5): Tensor {
  return channelDropout("dropout1d", x, p, 3, "[batch, length, channels]");
}

/** Channel dropout of images x [batch, H, W, C] (torch's nn.Dropout2d, NHWC): whole feature maps are zeroed, as dropout1d. */
export function dropout2d(x: Tensor, p = 0.5): Tensor {
  return channelDropout("dropout2d", x, p, 4, "[batch, height, width, channels]");
}

function channelDropout(what: string, x: Tensor, p: number, rank: number, layout: string): Tensor {
  if (x.shape.length !== rank) fail(codes.shape, `${what}: expects ${layout}, got ${formatShape(x.shape)}`);
  return masked(what, x, p, x.shape.map((d, k) => (k === 0 || k === rank - 1 ? d : 1)));
}

/** x ⊙ mask, the mask [shape] (broadcast to x's) drawn afresh in every training step. */
function masked(what: string, x: Tensor, p: number, shape: readonly (number | string)[]): Tensor {
  if (typeof p !== "number" || !(p >= 0 && p < 1)) fail(codes.badArgument, `${what}: p must be in [0, 1), got ${String(p)}`);
  if (p === 0) return x;
  const loc = callerLoc();
  const mask = make(dropoutMaskOp, [], { p, shape: [...shape], site: `${loc.line}:${loc.col}:${context().builder.size}` });
  return mul(x, mask);
}

/** The training value or the inference value of the same quantity (see ../ops/mode.ts). */
export const select = (train: Tensor, infer: Tensor): Tensor => make(selectOp, [train, infer]);

/** A non-trainable parameter: saved, loaded and copied with the others, never given to the optimizer. */
export function stateParam(name: string, shape: readonly number[], init: "zeros" | "ones"): Tensor {
  const ctx = context();
  if (ctx.names.has(name)) fail(codes.duplicate, `duplicate name "${name}"`);
  ctx.names.set(name, callerLoc());
  const node = make(paramOp, [], { name, shape: [...shape], init: resolveInit(name, shape, { init }), trainable: false }, name);
  ctx.params.push(node);
  return node;
}

/**
 * Batch normalization over every axis but the last (the channels), PyTorch's BatchNorm semantics:
 * while training, normalize with the batch's mean and biased variance and update the running
 * statistics (momentum 0.1, the unbiased variance); forward() and evaluate() use the running
 * statistics. Declares `${name}.weight` (γ, ones), `${name}.bias` (β, zeros) and the state
 * `${name}.runningMean` (zeros), `${name}.runningVar` (ones).
 */
export function batchNorm(x: Tensor, name: string, options: { momentum?: number; eps?: number } = {}): Tensor {
  const { momentum = 0.1, eps = 1e-5 } = options;
  const channels = x.shape[x.shape.length - 1];
  if (x.shape.length < 2 || typeof channels !== "number") fail(codes.shape, `batchNorm: needs [batch, ..., channels] with static channels, got ${formatShape(x.shape)}`);
  const gamma = make(paramOp, [], { name: `${name}.weight`, shape: [channels], init: resolveInit(`${name}.weight`, [channels], { init: "ones" }) }, `${name}.weight`);
  const beta = make(paramOp, [], { name: `${name}.bias`, shape: [channels], init: resolveInit(`${name}.bias`, [channels], { init: "zeros" }) }, `${name}.bias`);
  for (const p of [gamma, beta]) {
    const n = p.attrs.name as string;
    if (context().names.has(n)) fail(codes.duplicate, `duplicate name "${n}"`);
    context().names.set(n, callerLoc());
    context().params.push(p);
  }
  const runningMean = stateParam(`${name}.runningMean`, [channels], "zeros");
  const runningVar = stateParam(`${name}.runningVar`, [channels], "ones");

  // Every axis but the channels holds samples: view x as [rows..., channels] and reduce axis by axis.
  const reduced = x.shape.slice(0, -1);
  const meanOver = (t: Operand): Node => {
    let r = t as Node;
    for (let k = 0; k < reduced.length; k++) r = sum(r, 0);
    return div(r, count(reduced));
  };
  const batchMean = meanOver(x);
  const centered = sub(x, batchMean);
  const batchVar = meanOver(square(centered)); // biased, for normalizing
  const train = add(mul(div(centered, sqrt(add(batchVar, eps))), gamma), beta);
  const infer = add(mul(div(sub(x, runningMean), sqrt(add(runningVar, eps))), gamma), beta);

  const samples = count(reduced);
  const unbiased = mul(batchVar, div(samples, sub(samples, 1)));
  context().updates.push([`${name}.runningMean`, add(mul(1 - momentum, runningMean), mul(momentum, batchMean))]);
  context().updates.push([`${name}.runningVar`, add(mul(1 - momentum, runningVar), mul(momentum, unbiased))]);
  return select(train, infer);
}
