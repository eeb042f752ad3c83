// scan: a recurrence written as a function of one time step, as JAX's lax.scan.
//
//   const { carry, outputs } = scan((h, x) => { const h2 = tanh(…); return { carry: h2, output: h2 }; }, h0, xs);
//
// Sequences are laid out [batch, T, …] (PyTorch's batch_first); the body sees one step [batch, …].
// Carries, step inputs and outputs may be a tensor, an array of tensors or an object of tensors.
// The body is traced once into a graph of its own; the outer values it uses (weights) become its
// captured inputs, read at every step. See ../ops/scan.ts for what the scan node computes and
// ../autodiff/scanBody.ts for how it is differentiated (called through the trace context, not imported).
import { codes } from "../diagnostics.js";
import { makeGraph, reachable } from "../ir/graph.js";
import { Builder, type Node } from "../ir/node.js";
import { formatShape, sameShape } from "../ir/shape.js";
import { part, scanOp } from "../ops/scan.js";
import { context, createContext, fail, make, withContext, type TraceContext } from "../ir/context.js";
import type { Tensor } from "./core.js";
import { inputOp } from "../ops/leaf.js";

/** A tensor, or an array or object of tensors (the structure of carries, step inputs and outputs). */
export type Tree = Tensor | readonly Tensor[] | { readonly [name: string]: Tensor };

export interface ScanOptions {
  /** The number of steps when there is no sequence to scan over. */
  readonly length?: number;
  /** Run from the last step to the first (outputs stay in time order). */
  readonly reverse?: boolean;
}

export interface ScanResult<C extends Tree, Y extends Tree | undefined> {
  /** The carry after the last step. */
  readonly carry: C;
  /** Each step's output, stacked to [batch, T, …]. */
  readonly outputs: Y;
}

const isTensor = (x: unknown): x is Tensor => !!x && typeof x === "object" && "op" in x && "shape" in x;

/** The tensors of a tree with their readable names, in a fixed order. */
function leaves(tree: unknown, what: string): { keys: string[]; nodes: Tensor[] } {
  if (isTensor(tree)) return { keys: [""], nodes: [tree] };
  const entries = Array.isArray(tree) ? tree.map((v, i) => [String(i), v] as const) : tree && typeof tree === "object" ? Object.entries(tree) : null;
  if (!entries || !entries.every(([, v]) => isTensor(v))) fail(codes.badArgument, `scan: ${what} must be a tensor, an array of tensors or an object of tensors`);
  return { keys: entries.map(([k]) => k), nodes: entries.map(([, v]) => v as Tensor) };
}

/** A tree of the same structure as `like` holding `nodes`. */
function rebuildTree<T>(like: unknown, nodes: readonly Tensor[]): T {
  if (like === null || like === undefined) return like as T;
  if (isTensor(like)) return nodes[0] as T;
  if (Array.isArray(like)) return [...nodes] as T;
  return Object.fromEntries(Object.keys(like as object).map((k, i) => [k, nodes[i]])) as T;
}

const dependsOnTrainable = (n: Node) => [...reachable([n])].some((x) => x.op === "param" && x.attrs.trainable !== false);
const constantLike = (n: Node) => [...reachable([n])].every((x) => x.inputs.length > 0 || x.op === "const" || x.op === "dim");

export function scan<C extends Tree, X extends Tree | null, Y extends Tree | undefined = undefined>(
  body: (carry: C, x: X) => { carry: C; output?: Y },
  init: C,
  xs: X,
  options: ScanOptions = {},
): ScanResult<C, Y> {
  const outer = context();
  if (typeof body !== "function") fail(codes.badArgument, "scan: the body must be a function (carry, x) => ({ carry, output })");
  const carryIn = leaves(init, "the initial carry");
  const xsIn = xs === null || xs === undefined ? { keys: [], nodes: [] } : leaves(xs, "the sequences");
  for (const c of carryIn.nodes) if (c.shape.length === 0) fail(codes.shape, "scan: a carry must have at least one dimension ([batch, …])");
  const lengths = new Set(xsIn.nodes.map((x) => x.shape[1]));
  for (const x of xsIn.nodes) if (x.shape.length < 2 || typeof x.shape[1] !== "number") fail(codes.shape, `scan: a sequence must be [batch, T, …] with a fixed T, got ${formatShape(x.shape)}`);
  if (lengths.size > 1) fail(codes.shape, `scan: the sequences have different lengths (${[...lengths].join(", ")})`);
  const length = (xsIn.nodes[0]?.shape[1] as number | undefined) ?? options.length;
  if (length === undefined || !Number.isInteger(length) || length < 1) fail(codes.badArgument, "scan: with no sequence, give the number of steps as { length }");
  if (options.length !== undefined && options.length !== length) fail(codes.shape, `scan: length ${options.length} differs from the sequences' length ${length}`);

  // The body's own builder: outer values it mentions become captured inputs (constants are copied).
  const captures: Node[] = [];
  const captured = new Map<Node, Node>();
  const inner: Builder = new Builder((f) => {
    if (constantLike(f)) return inner.make(f.def, f.inputs.map((x) => inner.local(x)), f.attrs, f.loc, f.name);
    let p = captured.get(f);
    if (!p) {
      if (f.shape.length === 0) fail(codes.badArgument, `scan: the body uses a scalar computed outside it${f.name ? ` (${f.name})` : ""}; compute it inside the body`);
      p = inner.make(inputOp, [], { name: `capture${captures.length}`, shape: f.shape, dtype: f.dtype }, f.loc, f.name ?? `captured${captures.length}`);
      captures.push(f);
      captured.set(f, p);
    }
    return p;
  });
  const placeholder = (name: string, like: Node, shape: Node["shape"], display: string) => inner.make(inputOp, [], { name, shape, dtype: like.dtype }, like.loc, display);
  const carryPh = carryIn.nodes.map((c, i) => placeholder(`carry${i}`, c, c.shape, carryIn.keys[i] || c.name || "carry"));
  const stepPh = xsIn.nodes.map((x, j) => placeholder(`step${j}`, x, [x.shape[0]!, ...x.shape.slice(2)], `${xsIn.keys[j] || x.name || "x"}_t`));

  const bodyCtx: TraceContext = {
    ...createContext({ ...(outer.modelFile ? { modelFile: outer.modelFile } : {}), ...(outer.sourceFiles ? { sourceFiles: outer.sourceFiles } : {}), ...(outer.mapPosition ? { mapPosition: outer.mapPosition } : {}), ...(outer.fixedBatch !== undefined ? { fixedBatch: outer.fixedBatch } : {}), ...(outer.differentiateBody ? { differentiateBody: outer.differentiateBody } : {}) }),
    builder: inner,
    names: outer.names,
    batchDim: outer.batchDim,
  };
  const result = withContext(bodyCtx, () => body(rebuildTree<C>(init, carryPh), rebuildTree<X>(xs, stepPh)));
  if (bodyCtx.params.length || bodyCtx.inputs.length || bodyCtx.updates.length) fail(codes.badArgument, "scan: declare inputs, parameters and batchNorm outside the scan body (the body may use them)");
  if (!result || typeof result !== "object" || !("carry" in result)) fail(codes.badArgument, "scan: the body must return { carry, output? }");
  const carryOut = leaves(result.carry, "the body's carry");
  if (carryOut.nodes.length !== carryIn.nodes.length) fail(codes.shape, `scan: the body returns ${carryOut.nodes.length} carries, the initial carry has ${carryIn.nodes.length}`);
  carryOut.nodes.forEach((c, i) => {
    if (!sameShape(c.shape, carryIn.nodes[i]!.shape)) fail(codes.shape, `scan: carry ${carryIn.keys[i] || i} changes shape from ${formatShape(carryIn.nodes[i]!.shape)} to ${formatShape(c.shape)}`);
  });
  const outputs = result.output === undefined ? { keys: [], nodes: [] } : leaves(result.output, "the body's output");
  const newCarries = carryOut.nodes.map((n) => inner.local(n));
  const stepOuts = outputs.nodes.map((n) => inner.local(n));

  const graph = makeGraph({
    name: "scan body",
    batchDim: outer.batchDim,
    inputs: [...carryPh, ...stepPh, ...captures.map((c) => captured.get(c)!)],
    params: [],
    loss: null,
    outputs: [...newCarries.map((n, i) => [`carry${i}`, n] as const), ...stepOuts.map((n, q) => [`y${q}`, n] as const)],
    grads: [],
  });
  if (graph.nodes.some((n) => n.op === "dropoutMask")) fail(codes.badArgument, "scan: dropout inside a scan body is not supported; apply it to the scan's outputs");
  // The reverse body is made now, while the body's builder is at hand, by the autodiff layer: the trace
  // context carries its entry point (compiler/frontend/load.ts puts it there), so tracing imports no autodiff.
  const differentiateBody = outer.differentiateBody;
  if (!differentiateBody) throw new Error("internal: tracing a scan needs the trace context's differentiateBody (createContext({ differentiateBody }))");
  const scanBody = differentiateBody(graph, inner, carryPh.length, stepPh.length, {
    steps: xsIn.nodes.map(dependsOnTrainable),
    captures: captures.map(dependsOnTrainable),
  });
  const node = make(scanOp, [...carryIn.nodes, ...xsIn.nodes, ...captures], { body: scanBody, length, reverse: !!options.reverse });
  // The carry's array holds h_t while the loop runs and h_T after it; ys: an output at every step.
  const finals = carryIn.nodes.map((_, i) => named(part(node, i), carryIn.keys[i] || "carry"));
  const stackedOut = outputs.nodes.map((_, q) => named(part(node, carryIn.nodes.length + q), `${outputs.keys[q] || "y"}s`));
  return { carry: rebuildTree<C>(init, finals), outputs: (result.output === undefined ? undefined : rebuildTree(result.output, stackedOut)) as Y };
}

/** Names a value (unless it has a name) as the equations do — h, c, i_gate — for generated code and `gradc explain`. */
export function named(n: Node, name: string | undefined): Node {
  if (name && !n.name) n.name = name;
  return n;
}
