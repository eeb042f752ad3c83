// The math of a kernel: a node's notation with inline (fused) inputs expanded and stored inputs
// shown by name. Emitted comments and `gradc explain` both print it.
import type { Node } from "../ir/node.js";
import { getOp } from "../ops/index.js";
import { formatNumber } from "../ops/leaf.js";

/** `expanded`: the nodes written out where they are used (inline computations, slices read in place). */
export function formula(n: Node, expanded: ReadonlySet<Node>, display: (n: Node) => string, top = true): string {
  if (!top && !expanded.has(n)) return display(n);
  if (n.op === "const" && n.attrs.value !== undefined) return formatNumber(n.attrs.value as number);
  if (n.op === "reshape" || (n.op === "broadcastTo" && !top)) return formula(n.inputs[0]!, expanded, display, false);
  return getOp(n.op).notation(n.inputs.map((i) => formula(i, expanded, display, false)), n.attrs);
}
