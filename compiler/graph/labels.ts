// The words on a graph picture: node labels (`h1 = relu · [N,128]`) and kernel labels, which repeat
// the comment the emitter writes above that kernel (`h1 = relu(x·W1 + b1)`), so a reader can find the
// cluster's code in the generated module by its text. Format-neutral: the renderers escape.
import type { Node } from "../ir/node.js";
import type { Shape } from "../ir/shape.js";
import { formatLoc } from "../ir/loc.js";
import { formatNumber } from "../ops/leaf.js";
import type { Kernel } from "../lower/plan.js";

/** Labels are one line: a line break (or other control character) in a user's name becomes a space. */
export const oneLine = (s: string): string => s.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, " ");

/** `[N,128]`: the symbolic batch dimension is N, as in `gradc explain`; a scalar says so. */
export function shapeText(shape: Shape, tuple = false): string {
  if (tuple) return "several results";
  if (shape.length === 0) return "scalar";
  return `[${shape.map((d) => (typeof d === "string" ? "N" : String(d))).join(",")}]`;
}

/** The op with the attributes that change its meaning: which matmul operand is transposed, which axis a reduction sums. */
export function opText(n: Node): string {
  const a = n.attrs;
  if (n.op === "matmul" && (a.transA || a.transB)) return `matmul ${a.transA ? "aᵀ" : "a"}·${a.transB ? "bᵀ" : "b"}`;
  if ((n.op === "sum" || n.op === "mean" || n.op === "max") && a.axis !== null && a.axis !== undefined) {
    return `${n.op} axis ${Array.isArray(a.axis) ? a.axis.join(",") : String(a.axis)}${a.keepdims ? " keepdims" : ""}`;
  }
  if (n.op === "scan") {
    const steps = a.length as number;
    return `scan over t = ${a.reverse ? `${steps}…1` : `1…${steps}`} (its step: gradc explain)`;
  }
  if (n.op === "part") return `result ${String(a.index)}`;
  return n.op;
}

/**
 * A node's label. Scalar constants and the batch size show their value (`2`, `N`); every other node
 * shows `name = op · shape` (or `op · shape` when it has no name), and a gradient node adds the
 * derivative rule that made it (`relu'`).
 */
export function nodeLabel(n: Node, name: string | undefined, gradient: boolean): string {
  if (n.op === "dim") return "N";
  if (n.op === "const" && n.attrs.value !== undefined) return formatNumber(n.attrs.value as number);
  const what = `${opText(n)} · ${shapeText(n.shape, n.op === "scan")}`;
  const rule = gradient && n.origin ? ` · ${n.origin}` : "";
  return oneLine(`${name !== undefined ? `${name} = ` : ""}${what}${rule}`);
}

/** What a kernel is, in words: its loop structure as the emitter generates it. */
export function kernelKindText(k: Kernel): string {
  switch (k.kind) {
    case "matmul":
      return k.producer ? "matmul + fused epilogue" : "matmul";
    case "kernel":
      return k.producer ? "loop nest + fused epilogue" : "loop nest";
    default:
      return k.kind;
  }
}

/**
 * A kernel's label: first the math of its comment in the generated module (`h1 = relu(x·W1 + b1)`),
 * then its number in the pass, its kind, and where it comes from (`relu', model.ts:11:14`).
 */
export function kernelLabel(k: Kernel, index: number, math: string, gradient: boolean): readonly string[] {
  const n = k.node;
  const where = [gradient && n.origin ? n.origin : "", formatLoc(n.loc)].filter(Boolean).join(", ");
  return [oneLine(math), oneLine(`kernel ${index + 1} · ${kernelKindText(k)}${where ? ` · ${where}` : ""}`)];
}
