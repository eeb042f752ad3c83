// The one place that says what an op is. Each op file calls `defineOp` (or `elementwise`) once per op
// and keeps together: its shape rule, its reference `eval`, its derivative rule (a vector-Jacobian
// product built with the graph-building functions it is handed, so gradients are ordinary graph
// nodes), its lowering and its notation.
//
// Ops sit just above compiler/ir: they import ir/ (and, to add nodes, ir/context.ts's `make`), never
// compiler/dsl or the registry (./index.ts), so no op file is tied to another through a circle.

import type { Graph } from "../ir/graph.js";
import type { Attrs, Node, OpType } from "../ir/node.js";
import type { Dim, Shape } from "../ir/shape.js";
import { broadcastShapes } from "../ir/shape.js";
import { broadcastIndex, sizeOf, type Tensor } from "../ir/tensor.js";
import { sigmoidRow, tanhRow } from "../../runtime/quickMath.js";
import { poolMax, relu } from "../../runtime/branchless.js";
import { erf } from "../../runtime/special.js";

export type { OpKind } from "../ir/node.js";

/**
 * An element of a typed array read by generated code, or updated in place (`a[k]! += v`): `a[k]!`.
 * Under `noUncheckedIndexedAccess` (a common strict setting of the projects that import generated
 * modules) every `a[k]` is `number | undefined`; the kernels index within bounds the compiler has
 * checked, so the assertion is true, and it is erased from the JavaScript: it costs nothing at run
 * time. Plain writes (`a[k] = v`) need none. Every element read of every kernel is spelled here.
 */
export const element = (array: string, index: string | number): string => `${array}[${index}]!`;

/** A stored tensor as a kernel template sees it. */
export interface TensorRef {
  /** Dimensions; the batch dimension reads as the run-time `n`. */
  readonly dims: readonly (number | "n")[];
  /**
   * The element at a full index (one entry per dimension: a loop variable, a number or an expression):
   * a read (`element`) for an input, an assignment target for the output.
   */
  at(...index: (string | number)[]): string;
  /** The element at a full index as the target of an in-place update (`${out.inPlace(i, j)} += v`). */
  inPlace(...index: (string | number)[]): string;
  /** The array's identifier (for fill(), or flat access through `element`). */
  readonly array: string;
}

/** What a kernel template writes its loops with. */
export interface KernelContext {
  readonly inputs: readonly TensorRef[];
  readonly output: TensorRef;
  /** A fresh local name (loop variables, accumulators). */
  readonly local: (hint: string) => string;
  /**
   * The statements storing `value` as the output element at flat index `flat`, whose index along the
   * last axis is `last`. Ops with `epilogue` store through it, so the elementwise chain that consumes
   * them (a bias, an activation) is applied as each element is finished, with no loop of its own.
   */
  readonly store: (flat: string, last: string | number, value: string) => string[];
  /** Tuple ops: the array of each result a `part` node reads (null: the result is unused). */
  readonly parts?: readonly ({ readonly array: string } | null)[];
  /** Ops whose loop runs a whole graph per iteration (scan). */
  readonly nested?: NestedContext;
  /**
   * float32 modules: the identifier of the runtime's WebAssembly SIMD product engine (runtime/gemm.ts,
   * `reserve`/`productAt`/`mem`) a kernel may lower its work onto (convolutions as matrix products).
   */
  readonly simdGemm?: string;

  // Element-level access, for the kernels whose loops join the pass's loop over batch rows and take
  // an epilogue at any index (matmul, reduce, transpose): they read and write exactly as the
  // emitter's elementwise code does, so a value may stay in per-row scalars (../emit/fuseBatch.ts).

  /** The kernel's own node (the matmul, not the elementwise chain fused after it). */
  readonly node: Node;
  /** The node whose array the kernel fills: the end of the fused elementwise chain, or `node` itself. */
  readonly owner: Node;
  /** The element of `n` at a full index, as an expression; the read is recorded (which batch row, which position). */
  readonly read: (n: Node, index: readonly (string | number)[]) => string;
  /** The assignment target of element `index` of `n` (an array element, or a new per-row scalar). */
  readonly write: (n: Node, index: readonly (string | number)[]) => string;
  /**
   * The statements storing `value`, the kernel node's element at `index`, into the owner: through the
   * fused elementwise chain (a bias, an activation) when there is one; its locals end in `suffix`.
   */
  readonly epilogue: (index: readonly (string | number)[], value: string, suffix: string) => string[];
  /** The statements computing the value of `n` at `index` (the inline chain it reads) and its expression. */
  readonly value: (n: Node, index: readonly (string | number)[], suffix: string) => { lines: string[]; value: string };
  /** The identifier of the array holding `n`. */
  readonly array: (n: Node) => string;
  /**
   * The array holding `n` whole, row-major, to be read by flat index (the read is recorded as such) — or
   * undefined when `n` has none: computed inline, a scalar or per-row locals, a scan step read in place,
   * or integers. For kernels that hand a value to the runtime's WebAssembly as one block of memory.
   */
  readonly stored: (n: Node) => string | undefined;
  /** The scalar local holding `n`, when the pass keeps it in one rather than an array. */
  readonly scalarLocal: (n: Node) => string | undefined;
  /** The name hint for a local holding `n`'s value (the name `gradc explain` gives it, its model.ts name, or its op). */
  readonly hint: (n: Node) => string;
  /** `n`'s human name, safe inside a `//` comment. */
  readonly label: (n: Node) => string;
  /** The blocked GEMM's register block, when a module asks for another than the default. */
  readonly gemmBlock?: { readonly rows: number; readonly cols: number };
}

/**
 * A lowering that takes part in the pass's loop over batch rows: statements before the loop, the body
 * for row `i` (null/absent: no batch loop), statements after it. A plain `string[]` from lowerKernel is
 * a block of its own after the loop.
 */
export interface KernelParts {
  readonly pre?: string[];
  readonly loop?: string[];
  readonly post?: string[];
  /** Whether the kernel sums over the batch (its value is complete only after the loop). */
  readonly accumulates?: boolean;
  /** False when the kernel writes its array other than at (row i, compile-time position) outside `write`. */
  readonly constWrite?: false;
}

export type { FlopCounter } from "../ir/node.js";

/** How a kernel template emits a graph inside its own loop (a scan's body). */
/**
 * A scan's step input read where it lies, not copied out first: element [i, …] of step t is element
 * [i, t, …] of the stacked array (of a scalar per step, element [t]). Only direct element reads and
 * writes can use it (the kernel emitter refuses any other access), so scan.ts gives one only to a step
 * input that nothing but element-wise ops read, and the emitter takes one for a per-step result only
 * when an element-wise kernel of its own writes it.
 */
export interface StepView {
  readonly array: string;
  readonly stacked: Shape;
  /** The step's loop variable. */
  readonly t: string;
}

/** Whether every op of `g` that reads `n` is element-wise (each reads it through the emitter's `read()`): a StepView can serve them. */
export const readOnlyElementwise = (g: Graph, n: Node): boolean => g.nodes.every((c) => !c.inputs.includes(n) || c.def.kind === "elementwise");

export interface NestedContext {
  /**
   * The statements computing `roots` of `g`, whose inputs are read from the arrays `bind` gives, or in
   * place (`views`); `storage` is the array (or bound input) holding each root. `outputViews` offers
   * per-step results a place in their stacked arrays: those the emitter can write there (an element-wise
   * kernel of its own, read only by element-wise ops) are in `inPlace`, the others are stored as usual.
   */
  body(
    g: Graph,
    roots: readonly Node[],
    bind: ReadonlyMap<Node, string>,
    views?: ReadonlyMap<Node, StepView>,
    outputViews?: ReadonlyMap<Node, StepView>,
  ): { lines: string[]; storage: ReadonlyMap<Node, string>; inPlace: ReadonlySet<Node> };
  /** A workspace buffer with `shape`'s elements (the batch dimension is `n`). */
  buffer(hint: string, shape: Shape): string;
}

/** Code for one row of a rowwise op: `x(j)`, `y(j)` are element accessors; `len` the row length. */
export interface RowContext {
  /** The row length: a number, or the run-time batch size `n` (a softmax over a [batch, batch] matrix's rows). */
  readonly len: number | "n";
  /** The i-th input's element j of the current row, as an expression. */
  readonly input: (i: number, j: string) => string;
  /** Whether input i holds one value per row (class labels), and that value for the current row. */
  readonly hasRowScalar: (i: number) => boolean;
  readonly rowScalar: (i: number) => string;
  /** Element j of the output row, assignable (j is ignored when the op makes one value per row). */
  readonly output: (j: string) => string;
  /** A fresh local name. */
  readonly local: (hint: string) => string;
}

/** A tensor argument of a graph-building function: a node, or a number (a constant). */
export type Operand = Node | number;

/**
 * The graph-building functions a derivative rule is handed (`vjp: (g, y, { mul, sub }) => …`): the
 * DSL's own functions, given by the autodiff layer (compiler/autodiff/builders.ts), so an op file never
 * imports another op file's functions or compiler/dsl. Each adds a node to the ambient builder.
 */
export interface Builders {
  add(a: Operand, b: Operand): Node;
  sub(a: Operand, b: Operand): Node;
  mul(a: Operand, b: Operand): Node;
  div(a: Operand, b: Operand): Node;
  pow(a: Operand, b: Operand): Node;
  neg(x: Operand): Node;
  exp(x: Operand): Node;
  log(x: Operand): Node;
  square(x: Operand): Node;
  sign(x: Operand): Node;
  erf(x: Operand): Node;
  sigmoid(x: Operand): Node;
  tanh(x: Operand): Node;
  /** [x > 0] as 1 or `below`. */
  step(x: Operand, below?: number): Node;
  eq(a: Operand, b: Operand): Node;
  greater(a: Operand, b: Operand): Node;
  greaterEqual(a: Operand, b: Operand): Node;
  where(condition: Operand, a: Operand, b: Operand): Node;
  sum(x: Operand, axis?: number, keepdims?: boolean): Node;
  /** Sums `g` down to `shape`: the adjoint of broadcasting `shape` up to g's shape. */
  sumTo(g: Node, shape: Shape): Node;
  broadcastTo(x: Operand, shape: Shape): Node;
  reshape(x: Operand, shape: readonly Dim[]): Node;
  transpose(x: Operand, perm?: readonly number[]): Node;
  matmul(a: Operand, b: Operand, options?: { transA?: boolean; transB?: boolean }): Node;
  softmax(x: Operand): Node;
  logSoftmax(x: Operand): Node;
  onehot(labels: Node, classes: number): Node;
  scalar(value: number): Node;
}

export interface OpDef extends OpType {
  /** A kernel op whose template stores through `KernelContext.store`, so it can take an epilogue. */
  readonly epilogue?: boolean;
  /**
   * A kernel op that computes its whole result first (a gradient scattered into place) and then stores
   * each element through `KernelContext.epilogue` at its full index, so its epilogue may read any value
   * of its shape at that index, as a matmul's does: the ReLU′ mask after a max pooling's gradient.
   */
  readonly indexedEpilogue?: boolean;
  /**
   * Operands read as integer class labels or row indices, each with the bound it must stay under
   * (`[operand, bound]`): a generated module checks every integer input that reaches one, on every batch
   * (compiler/emit/module.ts), so a label past the classes is an error, not a read outside a row.
   */
  indexBounds?(node: Node): readonly (readonly [number, number])[];
  /**
   * The operands whose integer values the op moves into its result unchanged (a slice's, a join's, a
   * lookup's table — not the lookup's indices): an index bound on the result bounds them too.
   */
  carries?(node: Node): readonly number[];
  /**
   * ∂L/∂input_k for each input, given g = ∂L/∂node, each with the input's shape (null: no gradient,
   * e.g. for integer labels). Built with the functions in `b`; runs inside a gradient builder.
   */
  vjp?(g: Node, node: Node, b: Builders): readonly (Node | null)[];
  /**
   * Ops with several results, read through `part` nodes (a scan): ∂L/∂input_k given the adjoint of
   * each part (null where a part is unused). Replaces `vjp` for such ops.
   */
  vjpParts?(parts: readonly (Node | null)[], node: Node, b: Builders): readonly (Node | null)[];
  /**
   * Elementwise ops: the scalar expression for one element, operands given as JS expressions.
   * `precision` is the element type of the module's arrays ("f64", as eval, when absent): JavaScript
   * computes in double, so a float32 module's locals hold more bits than its arrays, and an op whose
   * result depends on exact equality must compare values as they would be stored.
   */
  expr?(args: readonly string[], attrs: Attrs, precision?: Precision): string;
  /**
   * The gradc/runtime functions its expression calls (a name of RUNTIME_MATH, e.g. erf, which Math
   * lacks): the generated module imports them, and eval calls the same functions.
   */
  runtime?(attrs: Attrs): readonly RuntimeMath[];
  /**
   * Elementwise ops of one operand: a runtime function applying the op to a contiguous row,
   * `f(out, outStart, x, xStart, length)` (runtime/quickMath.ts's sigmoidRow). A float32 module calls it,
   * once per row, for a kernel of this op alone over a stored row (compiler/emit/kernels.ts); elsewhere the
   * op is its expression.
   */
  readonly rowFunction?: RuntimeMath;
  /** Rowwise ops: statements computing one row (see RowContext); returns the lines. */
  lowerRow?(ctx: RowContext, attrs: Attrs): string[];
  /**
   * Kernel ops: the statements computing the whole output (see KernelContext), in a block of their
   * own; or, for a kernel that joins the pass's loop over batch rows (matmul, reduce, transpose), its
   * parts before, in and after that loop.
   */
  lowerKernel?(ctx: KernelContext, attrs: Attrs): string[] | KernelParts;
  /** Math notation, operands given as strings: for `gradc explain` and emitted comments. */
  notation(args: readonly string[], attrs: Attrs): string;
  /**
   * The same notation in LaTeX, operands given as LaTeX (`gradc explain --format latex`). Optional:
   * without it the text notation is translated symbol by symbol (compiler/explain/texTranslate.ts);
   * an op defines it where typeset math reads differently (a fraction, juxtaposed matrices, a root).
   */
  latex?(args: readonly string[], attrs: Attrs): string;
}

/** A LaTeX operand in parentheses when it is compound (has a top-level space), as `paren` for text. */
export function texParen(s: string): string {
  let depth = 0;
  for (let k = 0; k < s.length; k++) {
    const c = s[k]!;
    if ("([{".includes(c)) depth++;
    else if (")]}".includes(c)) depth--;
    else if (c === " " && depth === 0 && k > 0 && k < s.length - 1) return `\\left(${s}\\right)`;
  }
  return s;
}

export const defineOp = (def: OpDef): OpDef => def;

/**
 * The op of a node as the layers above ir/ see it (derivative, lowering, notation): every node is made
 * from an OpDef — the builder is handed op objects, and only op files define them — so this is the
 * node's own op, typed in full (ir/ declares only the part it needs, OpType).
 */
export const opOf = (n: Node): OpDef => n.def as OpDef;

/** Functions of gradc/runtime (runtime/special.ts, quickMath.ts, branchless.ts) an op's expression or row function may call by these names. */
export const RUNTIME_MATH = { erf, poolMax, relu, sigmoidRow, tanhRow } as const;
export type RuntimeMath = keyof typeof RUNTIME_MATH;

/** Compiles an elementwise op's scalar expression into a JS function, so eval and emitted code agree. */
function scalarFunction(arity: number, expr: (a: readonly string[], attrs: Attrs) => string, attrs: Attrs) {
  const args = Array.from({ length: arity }, (_, i) => `a${i}`);
  const f = new Function(...Object.keys(RUNTIME_MATH), ...args, `return ${expr(args, attrs)};`) as (...xs: unknown[]) => number;
  return f.bind(null, ...Object.values(RUNTIME_MATH)) as (...xs: number[]) => number;
}

/** The element type of a generated module's arrays. */
export type Precision = "f32" | "f64";

export interface ElementwiseDef {
  readonly name: string;
  readonly arity: 1 | 2 | 3;
  readonly expr: (args: readonly string[], attrs: Attrs, precision?: Precision) => string;
  readonly runtime?: OpDef["runtime"];
  readonly rowFunction?: OpDef["rowFunction"];
  readonly vjp?: OpDef["vjp"];
  readonly notation: OpDef["notation"];
  readonly latex?: OpDef["latex"];
}

/** An elementwise op with NumPy broadcasting; its eval is its own emitted expression. */
export function elementwise(def: ElementwiseDef): OpDef {
  return defineOp({
    ...def,
    kind: "elementwise",
    shape: (inputs) => inputs.map((i) => i.shape).reduce((a, b) => broadcastShapes(a, b)),
    eval(inputs, attrs, outShape) {
      const f = scalarFunction(def.arity, def.expr, attrs);
      const idx = inputs.map((t) => broadcastIndex(t.shape, outShape));
      const out = new Float64Array(sizeOf(outShape));
      if (def.arity === 1) {
        const a = inputs[0]!.data, ia = idx[0]!;
        for (let k = 0; k < out.length; k++) out[k] = f(a[ia[k]!]!);
      } else if (def.arity === 2) {
        const a = inputs[0]!.data, ia = idx[0]!, b = inputs[1]!.data, ib = idx[1]!;
        for (let k = 0; k < out.length; k++) out[k] = f(a[ia[k]!]!, b[ib[k]!]!);
      } else {
        const a = inputs[0]!.data, ia = idx[0]!, b = inputs[1]!.data, ib = idx[1]!, c = inputs[2]!.data, ic = idx[2]!;
        for (let k = 0; k < out.length; k++) out[k] = f(a[ia[k]!]!, b[ib[k]!]!, c[ic[k]!]!);
      }
      return { shape: outShape, data: out };
    },
  });
}
