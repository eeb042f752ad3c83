// Where an element of a stored value lies: the flat row-major position the kernel emitter (./kernels.ts)
// reads and writes, and for a scan's step value held in place (../ops/op.ts StepView) its position in the
// stacked array — step t's element [i, …] is the stacked array's [i, t, …] (of a scalar per step, [t]).
import type { Node } from "../ir/node.js";
import { affine, stridesOf } from "../ops/affine.js";
import type { StepView } from "../ops/op.js";

type Idx = readonly (string | number)[];

/** The flat row-major index of element `index` of a tensor of `shape` (a size-1 dimension is read at 0: broadcasting). */
export function flatIndex(shape: Node["shape"], index: Idx): string {
  const strides = stridesOf(shape);
  return affine(shape.map((d, k) => [d === 1 ? 0 : index[k]!, strides[k]!] as const));
}

/** Element `index` of a step value of `shape` held in place: its position in the view's stacked array. */
export function stepPlace(view: StepView, shape: Node["shape"], index: Idx): string {
  return flatIndex(view.stacked, shape.length === 0 ? [view.t] : [index[0]!, view.t, ...index.slice(1)]);
}
