// float32 modules: the elementwise chain fused after a product (a matmul or a convolution on the runtime's
// WebAssembly SIMD product), when it is a layer's `relu(x·W + b)`, `x·W + b` or `relu(x·W)`, run by the
// runtime's `epilogue` on C in place in the engine's memory (scripts/epilogue-wat.js) and copied out with
// one typed-array `set`, instead of an emitted JavaScript loop over every element: four floats at a time,
// and a ReLU without the branch-free table lookup that costs JavaScript ~2–3 ns an element (the first
// convolution of the MNIST CNN stores 295,000 a step). Any other chain keeps the JavaScript epilogue.
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
