// Kernel planning: which nodes get a buffer and which are computed inline inside another node's loop.
//
//  - An elementwise node with one consumer that iterates over the same shape (an elementwise node, or
//    a reduction of it) is computed inline in that consumer's loop: `h1 = relu(x·W1 + b1)` is one loop.
//  - A matmul whose only consumer is an elementwise node of its shape becomes that node's prologue:
//    the bias and activation are its epilogue, applied as each output element is finished. So do the
//    kernel ops that store through an epilogue (conv2d: one reading the last axis only; a max pooling's
//    gradient: any value at the element's index, e.g. the ReLU′ mask of the layer before the pooling).
//  - Reductions, rowwise ops (softmax, cross-entropy) and matmuls are kernels of their own.
//  - reshape is free (the same buffer, read with another shape); broadcastTo, slices and transpose-free
//    reads are index arithmetic in the consumer; a scalar lives in a local variable, not a buffer.
import { reachable, type Graph } from "../ir/graph.js";
import type { Node } from "../ir/node.js";
import { sameShape } from "../ir/shape.js";
import { opOf } from "../ops/op.js";

export type KernelKind = "elementwise" | "reduce" | "matmul" | "rowwise" | "transpose" | "kernel";

export interface Kernel {
  readonly kind: KernelKind;
  /** The node whose value the kernel stores. */
  readonly node: Node;
  /**
   * For elementwise kernels fused after a matmul or an `epilogue` kernel op (conv2d): that node,
   * whose loop nest computes the kernel; the elementwise chain is its epilogue.
   */
  readonly producer?: Node;
}

export interface Plan {
  /** Nodes in the order they are computed (leaves excluded). */
  readonly kernels: readonly Kernel[];
  /** Nodes computed inline in a consumer's loop (no buffer). */
  readonly inline: ReadonlySet<Node>;
  /** What a kernel's formula writes out rather than names: inline nodes and slices read in place. */
  readonly expanded: ReadonlySet<Node>;
  /** Every node the roots need, topologically ordered. */
  readonly nodes: readonly Node[];
}

/** Nodes whose storage is another node's: reshape aliases its (materialized) input. */
export const storageOf = (n: Node): Node => (n.op === "reshape" ? storageOf(n.inputs[0]!) : n);

/**
 * Nodes whose elements are index arithmetic on their input: broadcastTo, onehot, and slice (element
 * j of x[:, a:b:s] is x[:, a + s·j]), read in place by the loops that consume them — never copied.
 */
export const indexed = (n: Node): boolean => n.op === "broadcastTo" || n.op === "onehot" || n.op === "slice";

/**
 * The kernels computing `roots` of `g`. `given` values exist before the pass runs (an evaluation's loss
 * part reads the outputs the forward pass left): like leaves, they are read, never computed, and the
 * plan does not look behind them.
 */
export function plan(g: Graph, roots: readonly Node[], given: ReadonlySet<Node> = NONE): Plan {
  const needed = reachableUntil(roots, given);
  const nodes = g.nodes.filter((n) => needed.has(n));
  const rootSet = new Set(roots);
  const consumers = new Map<Node, Node[]>();
  for (const n of nodes) {
    if (given.has(n)) continue;
    for (const i of n.inputs) {
      const list = consumers.get(i);
      if (list) list.push(n);
      else consumers.set(i, [n]);
    }
  }

  const kind = (n: Node) => opOf(n).kind;
  // Which inputs of `c` are read once per element of the loop c runs, at c's own index.
  const readsElementwise = (c: Node, n: Node): boolean =>
    (kind(c) === "elementwise" && sameShape(c.shape, n.shape)) || (kind(c) === "reduce" && c.inputs[0] === n);

  const inline = new Set<Node>();
  for (const n of nodes) {
    if (kind(n) !== "elementwise" || rootSet.has(n) || given.has(n) || n.shape.length === 0) continue;
    const cs = consumers.get(n) ?? [];
    if (cs.length === 1 && cs[0]!.inputs.filter((i) => i === n).length === 1 && readsElementwise(cs[0]!, n)) inline.add(n);
  }

  // The materialized node an inline node's value ends up in (up its chain of single consumers).
  const home = (n: Node): Node => {
    while (inline.has(n)) n = consumers.get(n)![0]!;
    return n;
  };
  const fusedProducer = new Map<Node, Node>(); // epilogue owner → matmul or kernel op (epilogue, indexedEpilogue)
  for (const n of nodes) {
    const op = opOf(n);
    if ((n.op !== "matmul" && !op.epilogue && !op.indexedEpilogue) || rootSet.has(n) || given.has(n)) continue;
    const cs = consumers.get(n) ?? [];
    if (cs.length !== 1 || kind(cs[0]!) !== "elementwise" || !sameShape(cs[0]!.shape, n.shape)) continue;
    if (cs[0]!.inputs.filter((i) => i === n).length !== 1) continue;
    const owner = home(cs[0]!);
    if (kind(owner) !== "elementwise" || !sameShape(owner.shape, n.shape) || fusedProducer.has(owner)) continue;
    // A kernel op's template knows each element's flat index and its index along the last axis:
    // the epilogue may read the value itself, scalars and vectors along that axis (a bias).
    if (op.epilogue && !readsOnlyLastAxis(owner, n, inline)) continue;
    fusedProducer.set(owner, n);
    inline.add(n);
  }

  const kernels: Kernel[] = [];
  const expanded = new Set(inline);
  for (const n of nodes) {
    if (inline.has(n) || given.has(n)) continue;
    const k = kind(n);
    if (k === "leaf" && opOf(n).lowerKernel) kernels.push({ kind: "kernel", node: n }); // drawn, not given
    if (k === "leaf" || k === "view") continue;
    // A broadcast or a onehot read by elementwise loops is index arithmetic there; otherwise a copy.
    if (indexed(n) && !rootSet.has(n) && (consumers.get(n) ?? []).every((c) => readsElementwise(c, n) || kind(c) === "elementwise")) {
      if (n.op === "slice") expanded.add(n);
      continue;
    }
    if (k === "elementwise") {
      const m = fusedProducer.get(n);
      kernels.push(m ? { kind: m.op === "matmul" ? "matmul" : "kernel", node: n, producer: m } : { kind: "elementwise", node: n });
    } else if (k === "layout") kernels.push({ kind: n.op === "transpose" ? "transpose" : "elementwise", node: n });
    else kernels.push({ kind: k as KernelKind, node: n });
  }
  return { kernels, inline, expanded, nodes };
}

const NONE: ReadonlySet<Node> = new Set();

/** Every node `roots` depend on without looking behind `given` nodes (which are included). */
export function reachableUntil(roots: readonly Node[], given: ReadonlySet<Node>): Set<Node> {
  if (given.size === 0) return reachable(roots);
  const seen = new Set<Node>();
  const stack = [...roots];
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    if (!given.has(n)) stack.push(...n.inputs);
  }
  return seen;
}

/** Whether the inline expression of `owner` reads, besides `producer`, only scalars and vectors along the last axis. */
function readsOnlyLastAxis(owner: Node, producer: Node, inline: ReadonlySet<Node>): boolean {
  const last = owner.shape[owner.shape.length - 1];
  // Every value the expression reads, through its inline nodes (a stack, not recursion: the chain may be long).
  const stack = [...owner.inputs];
  while (stack.length) {
    const n = stack.pop()!;
    if (n === producer) continue;
    if (n !== owner && inline.has(n)) {
      stack.push(...n.inputs);
      continue;
    }
    const dims = n.shape.filter((d, k) => !(d === 1 && k < n.shape.length - 1));
    if (!(dims.length === 0 || (dims.length === 1 && dims[0] === last && n.shape.length <= owner.shape.length))) return false;
  }
  return true;
}
