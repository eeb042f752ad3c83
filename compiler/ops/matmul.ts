// C = op(A)·op(B), op = identity or transpose (attrs transA, transB). Transposes are flags, never
// copies: the derivative rules below only flip them.
//   ∂L/∂A = g·op(B)ᵀ        ∂L/∂B = op(A)ᵀ·g        (with the flags worked out for transposed operands)
// An operand of rank > 2 is a matrix whose rows are all its leading axes ([batch, T, K] is a matrix of
// batch·T rows, as it lies in memory), which gives two more forms, closed under the rules above:
//   A [..., K]·op(W)  → [..., N]   a linear map at every position of a sequence (torch.matmul)
//   Aᵀ·D, A [..., K], D [..., N] → [K, N]   a sum over every position: that map's weight gradient,
//   and the one product backpropagation through time makes of a weight's per-step gradients
//   (passes/hoistStepSums.ts).
// Lowering (lowerMatmul below): a loop nest chosen by shape, or the register-blocked GEMM, with the
// elementwise chain that consumes C (bias, activation) as its epilogue, applied as each element is stored.
import { make } from "../ir/context.js";
import type { Node } from "../ir/node.js";
import { batchDims, formatShape, sameShape, ShapeError, staticPart } from "../ir/shape.js";
import { affine } from "./affine.js";
import { tensorOf, type Operand, type Tensor } from "./build.js";
import { bound, isBatch, scaledByBatch, unrolledNest, UNROLL_ELEMENTS } from "./kernelLoops.js";
import { reshape } from "./layout.js";
import { defineOp, element, texParen, type KernelContext, type KernelParts } from "./op.js";
import { simdEpilogue, simdReluMask } from "./simdEpilogue.js";

export const matmulOp = defineOp({
  name: "matmul",
  kind: "matmul",
  shape: ([a, b], { transA, transB }) => {
    const ra = a!.shape.length, rb = b!.shape.length;
    if (ra > 2 && rb === 2 && !transA) {
      const [kb, n] = transB ? [b!.shape[1]!, b!.shape[0]!] : [b!.shape[0]!, b!.shape[1]!];
      const ka = a!.shape[ra - 1]!;
      if (ka !== kb) throw new ShapeError(`inner dimensions differ: ${formatShape(a!.shape)} · ${formatShape(b!.shape)}${transB ? "ᵀ" : ""} (${ka} vs ${kb})`);
      return [...a!.shape.slice(0, -1), n];
    }
    if (ra > 2 && transA) {
      if (transB || !sameShape(a!.shape.slice(0, -1), b!.shape.slice(0, -1))) { // same leading axes: same rank
        throw new ShapeError(`a sum over positions ${formatShape(a!.shape)}ᵀ · D needs D of the same leading axes, not transposed, got ${formatShape(b!.shape)}${transB ? "ᵀ" : ""}`);
      }
      return [a!.shape[ra - 1]!, b!.shape[rb - 1]!];
    }
    if (ra !== 2 || rb !== 2) {
      throw new ShapeError(`expects matrices (or a vector and a matrix, or a sequence and a matrix), got ${formatShape(a!.shape)} and ${formatShape(b!.shape)}`);
    }
    const [m, ka] = transA ? [a!.shape[1]!, a!.shape[0]!] : [a!.shape[0]!, a!.shape[1]!];
    const [kb, n] = transB ? [b!.shape[1]!, b!.shape[0]!] : [b!.shape[0]!, b!.shape[1]!];
    if (ka !== kb) {
      throw new ShapeError(`inner dimensions differ: ${formatShape(a!.shape)}${transA ? "ᵀ" : ""} · ${formatShape(b!.shape)}${transB ? "ᵀ" : ""} (${ka} vs ${kb})`);
    }
    return [m, n];
  },
  eval: ([a, b], { transA, transB }, shape) => {
    // Each operand as a matrix: its leading axes are the rows.
    const [ar, ac] = asMatrix(a!.shape), [br, bc] = asMatrix(b!.shape);
    const [m, k] = transA ? [ac, ar] : [ar, ac];
    const n = transB ? br : bc;
    const A = (i: number, p: number) => (transA ? a!.data[p * ac + i]! : a!.data[i * ac + p]!);
    const B = (p: number, j: number) => (transB ? b!.data[j * bc + p]! : b!.data[p * bc + j]!);
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
  lowerKernel: (ctx) => lowerMatmul(ctx),
  notation: ([a, b], { transA, transB }) => `${a}${transA ? "ᵀ" : ""}·${b}${transB ? "ᵀ" : ""}`,
  // Typeset matrix products are juxtaposed: x^⊤ δ.
  latex: ([a, b], { transA, transB }) => `${transA ? `{${texParen(a!)}}^{\\top}` : texParen(a!)} ${transB ? `{${texParen(b!)}}^{\\top}` : texParen(b!)}`,
});

/** [rows, columns] of a tensor read as a matrix whose rows are all its leading axes (static shapes). */
const asMatrix = (s: readonly number[]): [number, number] => [s.slice(0, -1).reduce((p, d) => p * d, 1), s[s.length - 1]!];

// ── the DSL functions (model.ts imports them from "gradc": ../dsl/index.ts re-exports them) ─────────

/**
 * Matrix product; a vector on the left is a row (x·W), on the right a column (W·v); a sequence
 * [batch, T, K] on the left is multiplied at every position ([batch, T, N], as torch.matmul), and with
 * transA two sequences of the same leading axes give the sum over every position of xₚᵀ·yₚ.
 */
export function matmul(a: Operand, b: Operand, options: { transA?: boolean; transB?: boolean } = {}): Tensor {
  const at = tensorOf(a), bt = tensorOf(b);
  if (at.shape.length === 1 && bt.shape.length === 2) return reshape(matmul(reshape(at, [1, at.shape[0]!]), bt, options), [bt.shape[options.transB ? 0 : 1]!]);
  if (at.shape.length === 2 && bt.shape.length === 1) return reshape(matmul(at, reshape(bt, [bt.shape[0]!, 1]), options), [at.shape[options.transA ? 1 : 0]!]);
  return make(matmulOp, [at, bt], { transA: !!options.transA, transB: !!options.transB });
}

// ── lowering ──────────────────────────────────────────────────────────────────────────────────────

/** Keep matmul output columns in scalar accumulators up to this many. */
export const REGISTER_COLUMNS = 8;
/** Matmuls with at least this many multiply-adds per batch row (static dims) use the blocked GEMM. */
export const GEMM_WORK = 512;
/**
 * The GEMM's register block: rows × columns of C held in local accumulators. Chosen by measurement
 * (bench/gemmBlocks.ts, 2026-11-30, f32, CPU-time medians): 3 × 4 ran 1.06–1.09× faster than 4 × 4 on
 * W3 and W4, and every other block tried (2×4, 4×2, 2×8, 4×8, 8×4, 3×8, 6×4, 3×6) was slower or equal.
 */
export const GEMM_ROWS = 3;
export const GEMM_COLS = 4;

/**
 * The blocked GEMM's register locals (a$0–a$7, b$0–b$7, c$00–c$77): a `$` no name from the model can
 * have (fresh() turns it into `_`), so they reserve nothing and a parameter b1 stays `b1`.
 */
export const gemmLocal = (base: "a" | "b" | "c", index: string | number): string => `${base}$${index}`;

/**
 * C = op(A)·op(B), then the epilogue (the elementwise node `owner`, which reads C) per element.
 * Loop order keeps the innermost access contiguous: rows of A against rows of B (dot products)
 * when B is transposed, otherwise C's row accumulates a·B[k, :]; a batch-long contraction (a
 * weight gradient xᵀ·δ) runs the batch outermost.
 */
function lowerMatmul(ctx: KernelContext): KernelParts {
  const { owner, node: mm } = ctx;
  const [a, b] = mm.inputs as [Node, Node];
  const { transA, transB } = mm.attrs as { transA: boolean; transB: boolean };
  const [M, N] = mm.shape as [number | string, number | string];
  const K = transA ? a.shape[0]! : a.shape[1]!;
  const A = (i: string | number, k: string | number) => ctx.read(a, transA ? [k, i] : [i, k]);
  const B = (k: string | number, j: string | number) => ctx.read(b, transB ? [j, k] : [k, j]);
  const C = ctx.array(owner);
  const cAt = (i: string | number, j: string | number) => ctx.write(owner, [i, j]);
  const epilogue = (i: string | number, j: string | number, acc: string, suffix: string): string[] => ctx.epilogue([i, j], acc, suffix);
  // The rows of C: a batch loop (returned as `loop`), a short static run written out, or a loop.
  const rows = (inner: (i: string | number) => string[]): KernelParts => {
    if (isBatch(M)) return { loop: inner("i") };
    if (typeof M === "number" && M <= 4) return { post: Array.from({ length: M }, (_, i) => inner(i)).flat() };
    return { post: [`for (let i = 0; i < ${bound(M)}; i++) {`, ...inner("i"), "}"] };
  };

  const staticWork = [M, N, K].reduce<number>((w, d) => (typeof d === "number" ? w * d : w), 1);
  // An operand of rank > 2 (a sequence's positions as rows) takes the large product whatever its size: its
  // rows (batch·T) are not the pass's batch loop.
  if (a.shape.length > 2) return { post: ctx.simdGemm && mm.inputs.every((x) => x.dtype === "f") ? simdGemm(ctx, ctx.simdGemm) : gemm(ctx) };
  if (staticWork >= GEMM_WORK && !(typeof K === "number" && K <= REGISTER_COLUMNS && typeof N === "number" && N <= REGISTER_COLUMNS)) {
    // float32: the runtime's WebAssembly SIMD product; float64: the JS loop nest.
    const floats = mm.inputs.every((x) => x.dtype === "f");
    return { post: ctx.simdGemm && floats ? simdGemm(ctx, ctx.simdGemm) : gemm(ctx) };
  }
  if (typeof K === "number" && typeof N === "number" && N <= REGISTER_COLUMNS) {
    // Few columns: one scalar accumulator per column; a short contraction is written out in full.
    return rows((i) => {
      const suffix = typeof i === "number" ? `_${i}` : "";
      const accs = Array.from({ length: N }, (_, j) => ctx.local(`${ctx.hint(mm)}${suffix}_${j}`));
      const lines: string[] = [];
      if (K <= REGISTER_COLUMNS) {
        accs.forEach((acc, j) => lines.push(`const ${acc} = ${Array.from({ length: K }, (_, k) => `${A(i, k)} * ${B(k, j)}`).join(" + ")};`));
      } else {
        accs.forEach((acc) => lines.push(`let ${acc} = 0;`));
        lines.push(`for (let k = 0; k < ${K}; k++) {`, `const aik = ${A(i, "k")};`, ...accs.map((acc, j) => `${acc} += aik * ${B("k", j)};`), "}");
      }
      accs.forEach((acc, j) => lines.push(...epilogue(i, j, acc, `${suffix}_${j}`)));
      return lines;
    });
  }
  if (isBatch(K) && typeof M === "number" && typeof N === "number") {
    // Contraction over the batch: C += op(A)[i, :]ᵀ op(B)[i, :] for each batch row i.
    const loop: string[] = [];
    if (M * N <= UNROLL_ELEMENTS) {
      // A small C sums in scalar locals (no fill, no read-modify-write per row) and is stored once.
      const sums = Array.from({ length: M * N }, (_, q) => ctx.local(`${C}_${q}`));
      for (let p = 0; p < M; p++) for (let j = 0; j < N; j++) loop.push(`${sums[p * N + j]} += ${A(p, "i")} * ${B("i", j)};`);
      const post: string[] = [`// ${ctx.label(owner)}: store the sums over the batch`];
      for (let p = 0; p < M; p++) {
        for (let j = 0; j < N; j++) post.push(...(owner === mm ? [`${cAt(p, j)} = ${sums[p * N + j]};`] : epilogue(p, j, sums[p * N + j]!, `_${p}_${j}`)));
      }
      return { pre: sums.map((s) => `let ${s} = 0;`), loop, post, accumulates: true };
    } else {
      loop.push(`for (let p = 0; p < ${M}; p++) {`, `const aik = ${A("p", "i")};`, `const cRow = ${affine([["p", N]])};`, `for (let j = 0; j < ${N}; j++) ${element(C, "cRow + j")} += aik * ${B("i", "j")};`, "}");
    }
    const post: string[] = [];
    if (owner !== mm) {
      const finish = unrolledNest([M, N], (idx, suffix) => {
        const acc = ctx.local(`acc${suffix}`);
        return [`const ${acc} = ${element(C, affine([[idx[0]!, N], [idx[1]!, 1]]))};`, ...epilogue(idx[0]!, idx[1]!, acc, suffix)];
      });
      post.push(...(finish.post ?? []));
    }
    return { pre: [`${C}.fill(0);`], loop, post, accumulates: true };
  }
  if (typeof K === "number" && typeof N === "number" && !transB) {
    // Many columns: C's row accumulates a·B[k, :] (contiguous in B and C), then the epilogue.
    const Bn = ctx.inputs[1]!.array; // B's rows are read flat (bRow + j), and so recorded
    // C's row is written through a loop over j (constWrite: false)
    return {
      ...rows((i) => {
        const cRow = ctx.local("cRow");
        const lines = [
          `const ${cRow} = ${affine([[i, N]])};`,
          `${C}.fill(0, ${cRow}, ${cRow} + ${N});`,
          `for (let k = 0; k < ${K}; k++) {`,
          `const aik = ${A(i, "k")};`,
          `const bRow = ${affine([["k", N]])};`,
          `for (let j = 0; j < ${N}; j++) ${element(C, `${cRow} + j`)} += aik * ${element(Bn, "bRow + j")};`, // B(k, j), row base hoisted
          "}",
        ];
        if (owner !== mm) {
          const acc = ctx.local("acc");
          lines.push(`for (let j = 0; j < ${N}; j++) {`, `const ${acc} = ${element(C, `${cRow} + j`)};`, ...epilogue(i, "j", acc, ""), "}");
        }
        return lines;
      }),
      constWrite: false,
    };
  }
  // Dot products (B transposed: rows of A against rows of B), or any other case.
  return rows((i) => {
    const acc = ctx.local("acc");
    return [
      `for (let j = 0; j < ${bound(N)}; j++) {`,
      `let ${acc} = 0;`,
      `for (let k = 0; k < ${bound(K)}; k++) ${acc} += ${A(i, "k")} * ${B("k", "j")};`,
      ...epilogue(i, "j", acc, ""),
      "}",
    ];
  });
}

/** A size of a large product as code (`32`, `n`, `n * 32`) and its compile-time value (null: it holds n). */
interface Extent {
  readonly code: string;
  readonly value: number | null;
}

/** An axis's size. */
const extentOf = (d: number | string): Extent => ({ code: bound(d), value: typeof d === "number" ? d : null });

/** The rows of an operand read as a matrix: all its leading axes as one count (a matrix's first axis). */
function rowsOf(s: readonly (number | string)[]): Extent {
  const leading = s.slice(0, -1), batch = batchDims(leading), count = staticPart(leading);
  return { code: scaledByBatch(batch, count), value: batch ? null : count };
}

/** A size as a stride factor: its value, or its code (affine() puts a compound one in parentheses). */
const stride = (e: Extent): number | string => e.value ?? e.code;

/**
 * A large matmul's operands as flat arrays with strides: A(i, k) = A[i·sAi + k·sAk], B(k, j) =
 * B[k·sBk + j·sBj]. Taking the arrays through the kernel's input refs records the reads as flat (at
 * positions the emitter cannot see): the product runs after the pass's batch loop, so only which
 * arrays it reads matters. `at(i, j)` is C's element (i, j) as an index of C's shape.
 */
function operands(ctx: KernelContext) {
  const mm = ctx.node;
  const [a, b] = [ctx.inputs[0]!.array, ctx.inputs[1]!.array];
  const [x] = mm.inputs as [Node, Node];
  const { transA, transB } = mm.attrs as { transA: boolean; transB: boolean };
  const [rows, cols] = [rowsOf(x.shape), extentOf(x.shape[x.shape.length - 1]!)];
  const [M, K] = transA ? [cols, rows] : [rows, cols];
  const N = extentOf(mm.shape[mm.shape.length - 1]!);
  const [sAi, sAk] = transA ? [1, stride(M)] : [stride(K), 1];
  const [sBk, sBj] = transB ? [1, stride(K)] : [stride(N), 1];
  const at = (i: string, j: string): (string | number)[] => [...rowIndex(mm.shape, i), j];
  return { a, b, M, N, K, sAi, sAk, sBk, sBj, at };
}

/**
 * Row r of a tensor's leading axes as an index of its shape: r at the last leading axis that is not 1 (its
 * stride is the row length, every later leading axis being 1) and 0 at the others.
 */
function rowIndex(shape: readonly (number | string)[], r: string): (string | number)[] {
  const leading = shape.slice(0, -1);
  let at = leading.length - 1;
  while (at > 0 && leading[at] === 1) at--;
  return leading.map((_, d) => (d === at ? r : 0));
}

/**
 * A large float32 matmul on the runtime's WebAssembly SIMD product (runtime/gemm.ts): the operands
 * are handed over with their strides, and the epilogue runs as C is stored from the engine's memory.
 * A product stored as it is into its own row-major array (a weight's gradient, xᵀ·δ) is one copy out
 * of the engine's memory (typed-array `set`: a memcpy), not an element loop.
 */
function simdGemm(ctx: KernelContext, engine: string): string[] {
  const { owner, node: mm } = ctx;
  const { a, b, M, N, K, sAi, sAk, sBk, sBj, at: cAt } = operands(ctx);
  const at = ctx.local("at"), mem = ctx.local("mem");
  const acc = element(mem, affine([[at, 1], ["i", stride(N)], ["j", 1]]));
  const store = ctx.epilogue(cAt("i", "j"), acc, "");
  const product = `const ${at} = ${engine}.product(${M.code}, ${N.code}, ${K.code}, ${a}, ${sAi}, ${sAk}, ${b}, ${sBk}${sBj === 1 ? "" : `, ${sBj}`});`;
  const out = ctx.output.array;
  const rowMajor = `${out}[${affine([["i", stride(N)], ["j", 1]])}] = `;
  const copyOut = `${out}.set(${engine}.mem.subarray(${at}, ${at} + ${M.code} * ${N.code}));`;
  if (owner === mm && store.length === 1 && store[0] === `${rowMajor}${acc};`) {
    return ["{", "// the product on the runtime's WebAssembly SIMD GEMM (float32), then copied out of its memory", product, copyOut, "}"];
  }
  // A layer's bias and/or ReLU: on C in place in the engine's memory (./simdEpilogue.ts), then one copy.
  const fused = simdEpilogue(ctx);
  if (fused && store[store.length - 1]!.startsWith(rowMajor)) {
    const bAt = ctx.local("bAt");
    return [
      "{",
      `// the product on the runtime's WebAssembly SIMD GEMM (float32), then ${[fused.bias ? `+ ${ctx.label(fused.bias)}` : "", fused.relu ? "relu" : ""].filter(Boolean).join(" and ")} in place in its memory (epilogue), copied out`,
      product,
      ...(fused.bias ? [`const ${bAt} = ${at} + ${M.code} * ${N.code};`, `${engine}.reserve(${bAt} + ${N.code}).set(${ctx.array(fused.bias)}, ${bAt});`] : []),
      `${engine}.epilogue(${at}, ${M.code}, ${N.code}, ${fused.bias ? bAt : -1}, ${fused.relu ? 1 : 0});`,
      copyOut,
      "}",
    ];
  }
  // The ReLU′ of the layer before (δ·Wᵀ ⊙ [h > 0]): on C in place with z copied in beside it, then one copy.
  const mask = simdReluMask(ctx);
  if (mask !== null && store[store.length - 1]!.startsWith(rowMajor)) {
    const zAt = ctx.local("zAt");
    const size = `${M.code} * ${N.code}`;
    return [
      "{",
      `// the product on the runtime's WebAssembly SIMD GEMM (float32), then ⊙ [${ctx.label(mask.z)} > 0] (relu′) in place in its memory, copied out`,
      product,
      `const ${zAt} = ${at} + ${size};`,
      `${engine}.reserve(${zAt} + ${size}).set(${mask.array}.subarray(0, ${size}), ${zAt});`,
      `${engine}.reluMask(${at}, ${zAt}, ${size});`,
      copyOut,
      "}",
    ];
  }
  return [
    "{",
    `// the product on the runtime's WebAssembly SIMD GEMM (float32), then ${owner === mm ? "stored" : "the epilogue as each element is stored"}`,
    product,
    `const ${mem} = ${engine}.mem;`,
    `for (let i = 0; i < ${M.code}; i++) {`,
    `for (let j = 0; j < ${N.code}; j++) {`,
    ...store,
    "}",
    "}",
    "}",
  ];
}

/**
 * Register-blocked GEMM for large float64 matmuls: C = op(A)·op(B) computed in 3×4 blocks whose sums
 * stay in local variables while k runs, so each loaded element of A and B feeds several multiply-adds
 * (the measured 3.5–4× over a textbook i-k-j loop, ../shared/PERF-NOTES.md). Transposed operands
 * only change strides. Each finished block goes through the epilogue (bias, activation, or the
 * activation derivative of a backward matmul) and is stored once.
 */
function gemm(ctx: KernelContext): string[] {
  const { a: An, b: Bn, M, N, K, sAi, sAk, sBk, sBj, at: cAt } = operands(ctx);
  const [Ms, Ns] = [M.value, N.value];
  const at = (v: string, r: number) => (r ? `${v} + ${r}` : v);
  const block = (rows: number, cols: number): string[] => {
    const acc = (r: number, c: number) => gemmLocal("c", `${r}${c}`);
    const lines: string[] = [];
    for (let r = 0; r < rows; r++) lines.push(`let ${Array.from({ length: cols }, (_, c) => `${acc(r, c)} = 0`).join(", ")};`);
    lines.push(`for (let k = 0; k < ${K.code}; k++) {`);
    for (let r = 0; r < rows; r++) lines.push(`const ${gemmLocal("a", r)} = ${element(An, affine([["i", sAi], [r, sAi], ["k", sAk]]))};`);
    for (let c = 0; c < cols; c++) lines.push(`const ${gemmLocal("b", c)} = ${element(Bn, affine([["k", sBk], ["j", sBj], [c, sBj]]))};`);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) lines.push(`${acc(r, c)} += ${gemmLocal("a", r)} * ${gemmLocal("b", c)};`);
    lines.push("}");
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < cols; c++) {
        lines.push(...ctx.epilogue(cAt(at("i", r), at("j", c)), acc(r, c), `_${r}${c}`));
      }
    return lines;
  };
  const R = ctx.gemmBlock?.rows ?? GEMM_ROWS, C = ctx.gemmBlock?.cols ?? GEMM_COLS;
  const columns = (rows: number): string[] => {
    const out = ["let j = 0;"];
    if (Ns === null || Ns >= C) out.push(`for (; j + ${C - 1} < ${N.code}; j += ${C}) {`, ...block(rows, C), "}");
    if (Ns === null || Ns % C) out.push(`for (; j < ${N.code}; j++) {`, ...block(rows, 1), "}");
    return out;
  };
  const out = ["{", "let i = 0;"];
  if (Ms === null || Ms >= R) out.push(`for (; i + ${R - 1} < ${M.code}; i += ${R}) {`, ...columns(R), "}");
  if (Ms === null || Ms % R) out.push(`for (; i < ${M.code}; i++) {`, ...columns(1), "}");
  out.push("}");
  return out;
}
