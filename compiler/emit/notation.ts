// The math of a kernel: a node's notation with inline (fused) inputs expanded and stored inputs
// shown by name. Emitted comments and `gradc explain` both print it.
import type { Node } from "../ir/node.js";
import { opOf } from "../ops/op.js";
import { notate, notated, type Notated } from "../ops/notate.js";

/**
 * `expanded`: the nodes written out where they are used (inline computations, slices read in place).
 * Written with an explicit stack rather than recursion: a kernel that fuses a thousand element-wise
 * steps has a formula a thousand operations deep.
 */
export function formula(n: Node, expanded: ReadonlySet<Node>, display: (n: Node) => string, top = true): string {
  /** Operations whose operands are being written, innermost last, with the operands done so far. */
  const open: { readonly node: Node; readonly args: Notated[] }[] = [];
  let next: Node | null = n;
  let nextTop = top;
  let text: Notated = notated("");
  for (;;) {
    if (next) {
      const m: Node = next;
      next = null;
      if (!nextTop && !expanded.has(m)) text = notated(display(m));
      else if (m.inputs.length) {
        open.push({ node: m, args: [] });
        next = m.inputs[0]!;
        nextTop = false;
        continue;
      } else text = notated(opOf(m).notation([], m.attrs));
    }
    // `text` is the next operand of the innermost open operation (or, with none open, the formula).
    const op = open[open.length - 1];
    if (!op) return text.text;
    op.args.push(text);
    if (op.args.length < op.node.inputs.length) {
      next = op.node.inputs[op.args.length]!;
      nextTop = false;
      continue;
    }
    open.pop();
    text = notation(op.node, op.args);
  }
}

/**
 * An op's notation, with a sum over the batch rows written Σ_rows, as `gradc explain` writes it;
 * written around placeholders (compiler/ops/notate.ts), so a deep formula is not rescanned per operation.
 */
function notation(n: Node, args: readonly Notated[]): Notated {
  if (n.op === "sum" && n.attrs.axis === 0 && typeof n.inputs[0]!.shape[0] === "string") return { text: `Σ_rows ${args[0]!.text}`, compound: true };
  const { text, compound } = notate(opOf(n).notation, n.attrs, args);
  return { text, compound };
}
