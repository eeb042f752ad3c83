// Saying what the gradient is: stopGradient(x) (no gradient through x, as x.detach()) and
// customGradient(forward, vjp) (a function whose vector-Jacobian product the model gives, as
// jax.custom_vjp / tf.customGrad / torch.autograd.Function).
//
//   const ste = customGradient((x: Tensor) => sign(x), (g: Tensor) => [g]);   // straight-through sign
//   const q = ste(h);
//
// A call traces `forward` on its arguments as ordinary nodes — the passes optimize it, the emitter
// emits it, explain and source maps see its model.ts lines — and traces `vjp` once into a graph of its
// own, with placeholders for g = ∂L/∂y, y and the arguments (as a scan body is traced, ./scan.ts).
// Both are recorded in one customGradient node (../ops/customGradient.ts), whose derivative rule copies
// the vjp graph into the backward pass instead of differentiating the forward. Each call traces anew,
// so one function can be used at several call sites with different shapes.
import { codes, GradcError } from "../diagnostics.js";
import { makeGraph, reachable } from "../ir/graph.js";
import { Builder, type Node } from "../ir/node.js";
import { formatShape, sameShape } from "../ir/shape.js";
import { bodyKey } from "../ir/body.js";
import type { CustomVjp } from "../ops/customGradient.js";
import { callerLoc, context, createContext, fail, make, withContext, type TraceContext } from "../ir/context.js";
import { scalar, type Operand, type Tensor } from "./core.js";
import { customGradientOp } from "../ops/customGradient.js";
import { inputOp } from "../ops/leaf.js";
import { stopGradientOp } from "../ops/stopGradient.js";

const isTensor = (x: unknown): x is Tensor => !!x && typeof x === "object" && "op" in x && "shape" in x && "inputs" in x;
const describe = (x: unknown): string => (x === null ? "null" : Array.isArray(x) ? "an array" : typeof x);

/** The value of x, through which no gradient flows (PyTorch's x.detach(), JAX's lax.stop_gradient). */
export function stopGradient(x: Operand): Tensor {
  if (typeof x === "number") return make(stopGradientOp, [scalar(x)]);
  if (!isTensor(x)) fail(codes.badArgument, `stopGradient: expected a tensor, got ${describe(x)}`);
  return make(stopGradientOp, [x]);
}

/**
 * A function of tensors whose gradient is `vjp`'s: `forward(...xs)` computes the value y,
 * `vjp(g, y, ...xs)` returns one gradient per argument (each of that argument's shape; null or
 * undefined: no gradient), given g = ∂L/∂y. Both are written with DSL functions.
 */
export function customGradient<Args extends Tensor[]>(
  forward: (...xs: Args) => Tensor,
  vjp: (g: Tensor, y: Tensor, ...xs: Args) => readonly (Tensor | null | undefined)[],
): (...xs: Args) => Tensor {
  if (typeof forward !== "function" || typeof vjp !== "function") {
    fail(codes.badArgument, `customGradient(forward, vjp): both must be functions, got ${describe(forward)} and ${describe(vjp)}`);
  }
  return (...args: Args) => traceCall(forward as unknown as Forward, vjp as unknown as Vjp, args);
}

type Forward = (...xs: Tensor[]) => unknown;
type Vjp = (g: Tensor, y: Tensor, ...xs: Tensor[]) => unknown;

/** One call: the forward traced on the arguments, the vjp traced on placeholders, one node recording both. */
function traceCall(forward: Forward, vjp: Vjp, args: readonly unknown[]): Tensor {
  const outer = context();
  const xs = args.map((x, k) => {
    if (typeof x === "number") return scalar(x);
    if (!isTensor(x)) fail(codes.badArgument, `customGradient: argument ${k + 1} is ${describe(x)}, expected a tensor`);
    return x;
  });
  const y = forward(...xs);
  if (!isTensor(y)) fail(codes.badArgument, `customGradient: the forward function must return one tensor, got ${describe(y)}`);
  checkNoClosure(y, xs, outer);

  const { graph, captures } = traceVjp(vjp, y, xs, outer);
  return make(customGradientOp, [y, ...xs, ...captures], { vjp: { canonicalKey: bodyKey(), graph, arity: xs.length } satisfies CustomVjp });
}

/**
 * The forward may read, among the values gradients flow to, only its arguments: a trainable parameter
 * it closes over (or, inside a scan body, a carry, step input or captured weight) would get no gradient
 * through it, since the vjp gives gradients for the arguments only (JAX refuses the same). A value
 * behind stopGradient is read on purpose without a gradient.
 */
function checkNoClosure(y: Tensor, xs: readonly Tensor[], ctx: TraceContext): void {
  const declared = new Set(ctx.inputs);
  const seen = new Set<Node>(xs);
  const stack: [Node, Node][] = [[y, y]]; // a value and a node of the forward that reads it
  while (stack.length) {
    const [n, reader] = stack.pop()!;
    if (seen.has(n) || n.op === "stopGradient") continue;
    seen.add(n);
    // A placeholder of an enclosing scan body or vjp is an `input` the model did not declare.
    const trainable = n.op === "param" && n.attrs.trainable !== false;
    if (trainable || (n.op === "input" && n.dtype === "f" && !declared.has(n))) {
      const what = trainable ? `the parameter "${String(n.attrs.name)}"` : `${n.name ? `"${n.name}"` : "a value"} from the enclosing scan body`;
      throw new GradcError(
        codes.badArgument,
        `customGradient: the forward function reads ${what}, which is not one of its arguments, so its gradient would be lost (the vjp gives gradients for the arguments only); pass it as an argument`,
        reader.loc.line ? reader.loc : callerLoc(),
      );
    }
    for (const i of n.inputs) stack.push([i, n]);
  }
}

/** Traces the vjp in a builder of its own, with placeholders for g, y and the arguments. */
function traceVjp(vjp: Vjp, y: Tensor, xs: readonly Tensor[], outer: TraceContext): { graph: CustomVjp["graph"]; captures: Node[] } {
  // Values from outside that the vjp reads become inputs of the node (constants are copied in).
  const captures: Node[] = [];
  const captured = new Map<Node, Node>();
  const constantLike = (n: Node) => [...reachable([n])].every((x) => x.inputs.length > 0 || x.op === "const" || x.op === "dim");
  const inner: Builder = new Builder((f) => {
    if (constantLike(f)) return inner.make(f.def, f.inputs.map((x) => inner.local(x)), f.attrs, f.loc, f.name);
    let p = captured.get(f);
    if (!p) {
      p = inner.make(inputOp, [], { name: `capture${captures.length}`, shape: f.shape, dtype: f.dtype }, f.loc, f.name ?? `captured${captures.length}`);
      captures.push(f);
      captured.set(f, p);
    }
    return p;
  });
  const placeholder = (name: string, like: Node, display: string) => inner.make(inputOp, [], { name, shape: like.shape, dtype: like.dtype }, like.loc, display);
  const g = inner.make(inputOp, [], { name: "g", shape: y.shape, dtype: "f" }, y.loc, y.name ? `d${y.name}` : "g");
  const yPh = placeholder("y", y, y.name ?? "y");
  const xPh = xs.map((x, k) => placeholder(`x${k + 1}`, x, x.name ?? `x${k + 1}`));

  const vjpCtx: TraceContext = {
    ...createContext({ ...(outer.modelFile ? { modelFile: outer.modelFile } : {}), ...(outer.sourceFiles ? { sourceFiles: outer.sourceFiles } : {}), ...(outer.mapPosition ? { mapPosition: outer.mapPosition } : {}), ...(outer.fixedBatch !== undefined ? { fixedBatch: outer.fixedBatch } : {}), ...(outer.differentiateBody ? { differentiateBody: outer.differentiateBody } : {}) }),
    builder: inner,
    names: outer.names,
    batchDim: outer.batchDim,
  };
  const result = withContext(vjpCtx, () => vjp(g, yPh, ...xPh));
  if (vjpCtx.params.length || vjpCtx.inputs.length || vjpCtx.updates.length) fail(codes.badArgument, "customGradient: declare inputs, parameters and batchNorm outside the vjp (it may use them)");
  if (!Array.isArray(result)) {
    fail(codes.badArgument, `customGradient: the vjp must return an array with one gradient per argument (${xs.length}), got ${isTensor(result) ? "a tensor (write [g] for one argument)" : describe(result)}`);
  }
  if (result.length !== xs.length) {
    fail(codes.badArgument, `customGradient: the vjp returns ${result.length} gradient${result.length === 1 ? "" : "s"} for ${xs.length} argument${xs.length === 1 ? "" : "s"}; return one per argument (null for none)`);
  }
  const outputs: [string, Node][] = [];
  result.forEach((d: unknown, k) => {
    if (d === null || d === undefined) return;
    if (!isTensor(d)) fail(codes.badArgument, `customGradient: the vjp's gradient for argument ${k + 1} is ${describe(d)}, expected a tensor (or null for none)`);
    if (!sameShape(d.shape, xs[k]!.shape)) {
      const made = inner.local(d);
      const loc = made.op !== "input" && made.loc.line ? made.loc : callerLoc();
      throw new GradcError(codes.shape, `customGradient: the vjp's gradient for argument ${k + 1} has shape ${formatShape(d.shape)}, the argument has shape ${formatShape(xs[k]!.shape)}`, loc);
    }
    outputs.push([`d${k + 1}`, inner.local(d)]);
  });
  const graph = makeGraph({ name: "vjp", batchDim: outer.batchDim, inputs: [g, yPh, ...xPh, ...captures.map((c) => captured.get(c)!)], params: [], loss: null, outputs, grads: [] });
  if (graph.nodes.some((n) => n.op === "dropoutMask")) fail(codes.badArgument, "customGradient: dropout inside the vjp is not supported");
  return { graph, captures };
}
