// C = op(A)·op(B) for 2-D operands, op = identity or transpose (attrs transA, transB). Transposes are
// flags, never copies: the derivative rules below only flip them.
//   ∂L/∂A = g·op(B)ᵀ        ∂L/∂B = op(A)ᵀ·g        (with the flags worked out for transposed operands)
import { make } from "../ir/context.js";
import { formatShape, ShapeError } from "../ir/shape.js";
import { tensorOf, type Operand, type Tensor } from "./build.js";
import { reshape } from "./layout.js";
import { defineOp, texParen } from "./op.js";

export const matmulOp = defineOp({
  name: "matmul",
  kind: "matmul",
  shape: ([a, b], { transA, transB }) => {
    if (a!.shape.length !== 2 || b!.shape.length !== 2) {
      throw new ShapeError(`expects matrices (or a vector and a matrix), got ${formatShape(a!.shape)} and ${formatShape(b!.shape)}`);
    }
    const [m, ka] = transA ? [a!.shape[1]!, a!.shape[0]!] : [a!.shape[0]!, a!.shape[1]!];
    const [kb, n] = transB ? [b!.shape[1]!, b!.shape[0]!] : [b!.shape[0]!, b!.shape[1]!];
    if (ka !== kb) {
      throw new ShapeError(`inner dimensions differ: ${formatShape(a!.shape)}${transA ? "ᵀ" : ""} · ${formatShape(b!.shape)}${transB ? "ᵀ" : ""} (${ka} vs ${kb})`);
    }
    return [m, n];
  },
  eval: ([a, b], { transA, transB }, shape) => {
    const [m, n] = shape as [number, number];
    const k = transA ? a!.shape[0]! : a!.shape[1]!;
    const A = (i: number, p: number) => (transA ? a!.data[p * m + i]! : a!.data[i * k + p]!);
    const B = (p: number, j: number) => (transB ? b!.data[j * k + p]! : b!.data[p * n + j]!);
    const out = new Float64Array(m * n);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += A(i, p) * B(p, j);
        out[i * n + j] = s;
      }
    return { shape, data: out };
  },
  vjp: (g, { inputs: [a, b], attrs: { transA, transB } }, { matmul }) => [
    transA ? matmul(b!, g, { transA: !!transB, transB: true }) : matmul(g, b!, { transB: !transB }),
    transB ? matmul(g, a!, { transA: true, transB: !!transA }) : matmul(a!, g, { transA: !transA }),
  ],
  notation: ([a, b], { transA, transB }) => `${a}${transA ? "ᵀ" : ""}·${b}${transB ? "ᵀ" : ""}`,
  // Typeset matrix products are juxtaposed: x^⊤ δ.
  latex: ([a, b], { transA, transB }) => `${transA ? `{${texParen(a!)}}^{\\top}` : texParen(a!)} ${transB ? `{${texParen(b!)}}^{\\top}` : texParen(b!)}`,
});

// ── the DSL functions (model.ts imports them from "gradc": ../dsl/index.ts re-exports them) ─────────

/** Matrix product; a vector on the left is a row (x·W), on the right a column (W·v). */
export function matmul(a: Operand, b: Operand, options: { transA?: boolean; transB?: boolean } = {}): Tensor {
  const at = tensorOf(a), bt = tensorOf(b);
  if (at.shape.length === 1 && bt.shape.length === 2) return reshape(matmul(reshape(at, [1, at.shape[0]!]), bt, options), [bt.shape[options.transB ? 0 : 1]!]);
  if (at.shape.length === 2 && bt.shape.length === 1) return reshape(matmul(at, reshape(bt, [bt.shape[0]!, 1]), options), [at.shape[options.transA ? 1 : 0]!]);
  return make(matmulOp, [at, bt], { transA: !!options.transA, transB: !!options.transB });
}
