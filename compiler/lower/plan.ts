// Kernel planning: which nodes get a buffer and which are computed inline inside another node's loop.
//
//  - An elementwise node with one consumer that iterates over the same shape (an elementwise node, or
//    a reduction of it) is computed inline in that consumer's loop: `h1 = relu(x·W1 + b1)` is one loop.
//  - A matmul whose only consumer is an elementwise node of its shape becomes that node's prologue:
//    the bias and activation are its epilogue, applied as each output element is finished.
//  - Reductions, rowwise ops (softmax, cross-entropy) and matmuls are kernels of their own.
//  - reshape is free (the same buffer, read with another shape); broadcastTo, slices and transpose-free
//    reads are index arithmetic in the consumer; a scalar lives in a local variable, not a buffer.
import { reachable, type Graph } from "../ir/graph.js";
import type { Node } from "../ir/node.js";
import { sameShape } from "../ir/shape.js";
import { getOp } from "../ops/index.js";

export type KernelKind = "elementwise" | "reduce" | "matmul" | "rowwise" | "transpose" | "kernel";

export interface Kernel {
  readonly kind: KernelKind;
  /** The node whose value the kernel stores. */
  readonly node: Node;
  /** For elementwise kernels fused after a matmul: that matmul (its value is the epilogue's input). */
  readonly matmul?: Node;
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

export function plan(g: Graph, roots: readonly Node[]): Plan {
  const needed = reachable(roots);
  const nodes = g.nodes.filter((n) => needed.has(n));
  const rootSet = new Set(roots);
  const consumers = new Map<Node, Node[]>();
  for (const n of nodes) for (const i of n.inputs) consumers.set(i, [...(consumers.get(i) ?? []), n]);

  const kind = (n: Node) => getOp(n.op).kind;
  // Which inputs of `c` are read once per element of the loop c runs, at c's own index.
  const readsElementwise = (c: Node, n: Node): boolean =>
    (kind(c) === "elementwise" && sameShape(c.shape, n.shape)) || (kind(c) === "reduce" && c.inputs[0] === n);

  const inline = new Set<Node>();
  for (const n of nodes) {
    if (kind(n) !== "elementwise" || rootSet.has(n) || n.shape.length === 0) continue;
    const cs = consumers.get(n) ?? [];
    if (cs.length === 1 && cs[0]!.inputs.filter((i) => i === n).length === 1 && readsElementwise(cs[0]!, n)) inline.add(n);
  }

  // The materialized node an inline node's value ends up in.
  const home = (n: Node): Node => (inline.has(n) ? home(consumers.get(n)![0]!) : n);
  const fusedMatmul = new Map<Node, Node>(); // epilogue owner → matmul
  for (const n of nodes) {
    if (n.op !== "matmul" || rootSet.has(n)) continue;
    const cs = consumers.get(n) ?? [];
    if (cs.length !== 1 || kind(cs[0]!) !== "elementwise" || !sameShape(cs[0]!.shape, n.shape)) continue;
    if (cs[0]!.inputs.filter((i) => i === n).length !== 1) continue;
    const owner = home(cs[0]!);
    if (kind(owner) !== "elementwise" || !sameShape(owner.shape, n.shape) || fusedMatmul.has(owner)) continue;
    fusedMatmul.set(owner, n);
    inline.add(n);
  }

  const kernels: Kernel[] = [];
  const expanded = new Set(inline);
  for (const n of nodes) {
    if (inline.has(n)) continue;
    const k = kind(n);
    if (k === "leaf" && getOp(n.op).lowerKernel) kernels.push({ kind: "kernel", node: n }); // drawn, not given
    if (k === "leaf" || k === "view") continue;
    // A broadcast or a onehot read by elementwise loops is index arithmetic there; otherwise a copy.
    if (indexed(n) && !rootSet.has(n) && (consumers.get(n) ?? []).every((c) => readsElementwise(c, n) || kind(c) === "elementwise")) {
      if (n.op === "slice") expanded.add(n);
      continue;
    }
    if (k === "elementwise") {
      const m = fusedMatmul.get(n);
      kernels.push(m ? { kind: "matmul", node: n, matmul: m } : { kind: "elementwise", node: n });
    } else if (k === "layout") kernels.push({ kind: n.op === "transpose" ? "transpose" : "elementwise", node: n });
    else kernels.push({ kind: k as KernelKind, node: n });
  }
  return { kernels, inline, expanded, nodes };
}
