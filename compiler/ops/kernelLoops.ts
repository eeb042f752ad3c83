// Helpers for kernel templates (lowerKernel): loop nests over a tensor's dimensions, written the way
// a person would write them, and the index arithmetic and local names they are written with. A
// dimension of size 1 gets no loop (its index is the literal 0); the batch dimension's bound is the
// run-time `n`. Loops over a sliding window (convolution, pooling) are in ./windowLoops.ts.
import type { KernelContext, TensorRef } from "./op.js";

export type Index = string | number;

/**
 * Loop variables named after the axis they run over: `${hint}0`, `${hint}1`, … (made unique by
 * ctx.local). Sibling loops over the same axis can share a name.
 */
export const axisVars = (ctx: KernelContext, rank: number, hint = "i"): string[] =>
  Array.from({ length: rank }, (_, k) => ctx.local(`${hint}${k}`));

/**
 * `for` loops over `dims` (outermost first) around `body(index)`, whose index has one entry per
 * dimension: the loop variable `vars[k]`, or 0 for a dimension of size 1 (no loop).
 */
export function loopNest(dims: readonly (number | "n")[], vars: readonly string[], body: (index: Index[]) => string[]): string[] {
  const index: Index[] = [];
  const open: string[] = [];
  dims.forEach((d, k) => {
    if (d === 1) {
      index.push(0);
      return;
    }
    const v = vars[k]!;
    index.push(v);
    open.push(`for (let ${v} = 0; ${v} < ${d}; ${v}++) {`);
  });
  return [...open, ...body(index), ...open.map(() => "}")];
}

/** `step·v + start` as an index expression, without the parts that are 0 or 1. */
export function strided(v: Index, start: number, step = 1): Index {
  if (typeof v === "number") return start + v * step;
  const scaled = step === 1 ? v : `${step} * ${v}`;
  return start === 0 ? scaled : `${scaled} + ${start}`;
}

/** Σ coef·term + constant as an index expression, dropping zero terms and unit factors. */
export function lin(terms: readonly (readonly [string | number, number])[], constant = 0): string {
  let c = constant;
  const parts: string[] = [];
  for (const [t, k] of terms) {
    if (k === 0) continue;
    if (typeof t === "number") c += t * k;
    else {
      const term = /^[\w$]+$/.test(t) ? t : `(${t})`;
      parts.push(k === 1 ? term : `${term} * ${k}`);
    }
  }
  let s = parts.join(" + ");
  if (c > 0 || !s) s = s ? `${s} + ${c}` : `${c}`;
  else if (c < 0) s = `${s} - ${-c}`;
  return s;
}

/** `base + k` for a constant k. */
export const plus = (base: string, k: number): string => (k === 0 ? base : `${base} + ${k}`);
export const addOffset = (base: string, c0: string | number): string => (c0 === 0 ? base : `${base} + ${c0}`);
export const range = (n: number): number[] => Array.from({ length: n }, (_, k) => k);
/** v·m as an expression. */
export const times = (v: string, m: number): string => (m === 1 ? v : `${v} * ${m}`);

/** One fresh identifier per hint for the whole kernel (sibling scopes reuse it). */
export type Namer = (hint: string) => string;
export function namer(ctx: KernelContext): Namer {
  const names = new Map<string, string>();
  return (hint) => {
    let name = names.get(hint);
    if (name === undefined) names.set(hint, (name = ctx.local(hint)));
    return name;
  };
}

/**
 * The flat array of a tensor for hand-written index arithmetic. The one `at()` call records the read
 * with the emitter (which orders kernels by what they read); the element itself is not used.
 */
export function flat(t: TensorRef): string {
  void t.at(...t.dims.map(() => 0));
  return t.array;
}

/**
 * Blocks of `block` along a dimension of `count` (channels, taps): a loop over the full blocks (the
 * offset a variable) or the one full block at 0, then the remainder at its literal offset. Each
 * emitted block is a scope of its own (they declare the same locals).
 */
export function blocks(nm: Namer, hint: string, count: number, block: number, emit: (at: string | number, width: number) => string[]): string[] {
  const full = Math.floor(count / block), tail = count % block;
  const parts: string[][] = [];
  if (full === 1) parts.push(emit(0, block));
  else if (full > 1) {
    const v = nm(hint);
    parts.push([`for (let ${v} = 0; ${v} < ${full * block}; ${v} += ${block}) {`, ...emit(v, block), "}"]);
  }
  if (tail) parts.push(emit(full * block, tail));
  return parts.length === 1 ? parts[0]! : parts.flatMap((p) => (p[0]!.startsWith("for ") ? p : ["{", ...p, "}"]));
}

/** A tensor's dimensions as a kernel template reads them (the batch one is `n`). */
export const dimsOf = (t: TensorRef) => t.dims as readonly (number | "n")[];

/**
 * `n^power · elements` as code: "4", "n * 4", "n * n" (a value with the batch dimension twice, such as
 * a similarity matrix [batch, batch], has n² elements).
 */
export function scaledByBatch(power: number, elements: number): string {
  const factors = Array.from({ length: power }, () => "n");
  if (elements !== 1 || !power) factors.push(String(elements));
  return factors.join(" * ");
}

// ── loops over a kernel's whole iteration domain, shared by the pass emitter's elementwise kernels
// (../emit/kernels.ts) and the lowerings that join its batch loop (matmul, reduce, transpose) ──

/** Unroll the innermost static loops when they cover at most this many elements. */
export const UNROLL_ELEMENTS = 16;

/** Whether a dimension is the batch (symbolic) one. */
export const isBatch = (d: number | string | undefined): boolean => typeof d === "string";
/** A dimension as a loop bound: a number, or the run-time batch size `n`. */
export const bound = (d: number | string): string => (typeof d === "number" ? String(d) : "n");
/** An expression that needs no local of its own to be read twice: an identifier, a property path or a number. */
export const isSimple = (s: string): boolean => /^[\w$.]+$/.test(s) || /^-?\d/.test(s);

/**
 * The loop variable of depth d in a nest: i (the batch rows: the pass's own loop), j, k, l, m, q (names
 * emit/names.ts reserves), then q$1, q$2, … (a rank-7 tensor needs seven; an `undefined` here once
 * compiled into wrong gradients), with a `$`, which no sanitized model name has.
 */
const loopVariable = (d: number): string => ["i", "j", "k", "l", "m", "q"][d] ?? `q$${d - 5}`;

/**
 * Loops over `dims` (row-major), unrolling the innermost static dims whose product is small.
 * `body(idx, suffix)` gives the statements for one point. A leading batch dimension becomes the
 * `loop` part (index i: the body of the pass's loop over batch rows); the rest is in `post`.
 */
export function unrolledNest(dims: readonly (number | string)[], body: (idx: readonly Index[], suffix: string) => string[]): { loop?: string[]; post?: string[] } {
  let unrollFrom = dims.length;
  let product = 1;
  while (unrollFrom > 0) {
    const d = dims[unrollFrom - 1]!;
    if (typeof d !== "number" || product * d > UNROLL_ELEMENTS) break;
    product *= d;
    unrollFrom--;
  }
  const inner = dims.slice(unrollFrom) as number[];
  let points: number[][] = [[]];
  for (const d of inner) points = points.flatMap((p) => Array.from({ length: d }, (_, k) => [...p, k]));
  const vars = Array.from({ length: unrollFrom }, (_, d) => loopVariable(d));
  const lines: string[] = [];
  for (const p of points) lines.push(...body([...vars, ...p], points.length > 1 ? `_${p.join("_")}` : ""));
  const loopsFrom = isBatch(dims[0]) ? 1 : 0;
  const open = vars.slice(loopsFrom).map((v, d) => `for (let ${v} = 0; ${v} < ${bound(dims[d + loopsFrom]!)}; ${v}++) {`);
  const code = [...open, ...lines, ...open.map(() => "}")];
  return loopsFrom ? { loop: code } : { post: code };
}
