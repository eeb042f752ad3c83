// The math of a kernel: a node's notation with inline (fused) inputs expanded and stored inputs
// shown by name. Emitted comments and `gradc explain` both print it.
import type { Node } from "../ir/node.js";
import { getOp } from "../ops/index.js";
import { formatNumber } from "../ops/leaf.js";

export function formula(n: Node, inline: ReadonlySet<Node>, display: (n: Node) => string, top = true): string {
  if (!top && !inline.has(n)) return display(n);
  if (n.op === "const" && n.attrs.value !== undefined) return formatNumber(n.attrs.value as number);
  if (n.op === "reshape" || (n.op === "broadcastTo" && !top)) return formula(n.inputs[0]!, inline, display, false);
  return getOp(n.op).notation(n.inputs.map((i) => formula(i, inline, display, false)), n.attrs);
}
