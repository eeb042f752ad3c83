// float32 modules: the elementwise chain fused after a kernel on the runtime's WebAssembly, run there on
// the result in place in the engine's memory and copied out with one typed-array `set`, instead of an
// emitted JavaScript loop over every element — four floats at a time, with no branch-free table lookup
// or comparison per element that costs JavaScript ~1–3 ns (the first convolution of the MNIST CNN stores
// 295,000 a step, and its pooling gradient as many):
//   - after a product (a matmul or a convolution), a layer's `relu(x·W + b)`, `x·W + b` or `relu(x·W)`:
//     the runtime's `epilogue` (scripts/epilogue-wat.js);
//   - after a backward product or a max pooling's gradient, the ReLU′ of the layer before, `g ⊙ [z > 0]`
//     with z a stored value: the runtime's `reluMask` (scripts/mask-wat.js).
// Any other chain keeps the JavaScript epilogue.
import { sameShape } from "../ir/shape.js";
import type { Node } from "../ir/node.js";
import type { KernelContext } from "./op.js";

/** What the runtime's epilogue does to C: add the bias param (when there is one), then the ReLU (or not). */
export interface SimdEpilogue {
  readonly bias?: Node;
  readonly relu: boolean;
}

/**
 * The chain from the product `ctx.node` to the array it is stored in (`ctx.owner`) as a SimdEpilogue, or
 * null when it is anything else (or nothing: the product stored as it is, which its lowering copies out).
 * The bias must be a parameter of one row's length: its array holds exactly the values to add.
 */
export function simdEpilogue(ctx: KernelContext): SimdEpilogue | null {
  const product = ctx.node;
  let n = ctx.owner;
  if (n === product) return null;
  const relu = n.op === "relu";
  if (relu) n = n.inputs[0]!;
  if (n === product) return { relu };
  if (n.op !== "add") return null;
  const [a, b] = n.inputs as [Node, Node];
  const bias = a === product ? b : b === product ? a : null;
  const width = product.shape[product.shape.length - 1];
  if (!bias || bias.op !== "param" || bias.shape.length !== 1 || bias.shape[0] !== width || n.shape.length !== product.shape.length) return null;
  return { bias, relu };
}

/** relu's derivative at z applied to a kernel's result: z and the array that holds it. */
export interface SimdReluMask {
  readonly z: Node;
  readonly array: string;
}

/**
 * z when the chain from the kernel `ctx.node` to the array it is stored in is relu's derivative applied
 * to it, `ctx.node ⊙ [z > 0]` (the step below 0 is 0: relu′, not leakyRelu′), z a float32 value of its
 * shape stored whole; null for anything else.
 */
export function simdReluMask(ctx: KernelContext): SimdReluMask | null {
  const { node, owner } = ctx;
  if (owner.op !== "mul") return null; // of node's shape: plan.ts fuses no other
  const [a, b] = owner.inputs as [Node, Node];
  const step = a === node ? b : b === node ? a : null;
  if (!step || step.op !== "step" || step.attrs.below !== 0) return null;
  const z = step.inputs[0]!;
  if (!sameShape(z.shape, node.shape)) return null;
  const array = ctx.stored(z); // none for integers
  return array === undefined ? null : { z, array };
}
