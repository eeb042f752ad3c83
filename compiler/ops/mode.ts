// Ops whose value depends on whether the model trains or infers: `select(train, infer)` (batchNorm uses
// batch statistics while training and running statistics otherwise) and `dropoutMask` (a fresh
// Bernoulli mask scaled by 1/(1−p) in every training step, all ones otherwise). The pass
// passes/specialize.ts removes both before lowering: the training pass keeps the training branch and
// the mask, forward() and evaluate() take the inference branch and drop the mask. Derivatives are
// those of training.
import { ShapeError, formatShape, sameShape } from "../ir/shape.js";
import { defineOp } from "./op.js";

/** The training value or the inference value of the same quantity. */
export const selectOp = defineOp({
  name: "select",
  kind: "elementwise",
  shape: ([a, b]) => {
    if (!sameShape(a!.shape, b!.shape)) throw new ShapeError(`the training and inference values differ in shape: ${formatShape(a!.shape)} vs ${formatShape(b!.shape)}`);
    return a!.shape;
  },
  eval: ([a]) => a!, // the interpreter evaluates training semantics; specialize("infer") first for inference
  expr: ([a]) => a!,
  vjp: (g) => [g, null],
  notation: ([a, b]) => `(train: ${a} | infer: ${b})`,
});

/**
 * Each element 1/(1−p) with probability 1−p, else 0, drawn from the trainer's generator in row-major
 * order (`u < 1 − p` with u = rng.uniform()); attrs { p, shape, site }. The interpreter draws the
 * same numbers from createRng(seed) in node order, so compiled and interpreted training agree.
 */
export const dropoutMaskOp = defineOp({
  name: "dropoutMask",
  kind: "leaf", // a value with no inputs, like an input; unlike one, the training pass draws it (lowerKernel)
  shape: (_, a) => a.shape as (number | string)[],
  eval: () => {
    throw new Error("dropoutMask has no intrinsic value: the interpreter draws it");
  },
  lowerKernel(ctx, { p }) {
    const keep = 1 - (p as number);
    const dims = ctx.output.dims;
    const vars = dims.map((_, d) => ctx.local(`i${d}`));
    const lines: string[] = [];
    dims.forEach((d, k) => lines.push(`for (let ${vars[k]} = 0; ${vars[k]} < ${d}; ${vars[k]}++)`));
    lines.push(`${ctx.output.at(...vars)} = rng.uniform() < ${keep} ? ${1 / keep} : 0;`);
    return lines;
  },
  notation: (_, { p }) => `mask_p=${p}`,
});
