// Kernel code: each planned kernel becomes a loop nest over flat row-major arrays with compile-time
// bounds (the batch size `n` is the one run-time bound). Small static loops are unrolled into
// straight-line scalar code; every kernel is preceded by a comment with its math and origin.
//
// A kernel whose outermost loop runs over the batch returns that loop's body separately (`loop`),
// with the batch index always named `i`, so the pass emitter can run several kernels in one loop
// over the batch (see ./fuseBatch.ts). `reads` records, for every array read, which index selected
// its batch row: a kernel can join a loop only if it reads that loop's results at row `i`.
// Every element read is spelled by `element` (../ops/op.ts): `a[k]!`, which passes a user's
// `noUncheckedIndexedAccess` and is erased from the JavaScript (test/emit/strict.test.ts).
import { formatLoc } from "../ir/loc.js";
import type { Node } from "../ir/node.js";
import { opOf } from "../ops/op.js";
import { element, type NestedContext, type Precision, type TensorRef } from "../ops/op.js";
import type { Kernel, Plan } from "../lower/plan.js";
import { storageOf } from "../lower/plan.js";
import { affine, broadcastOffset, stridesOf } from "./affine.js";
import { commentText, gemmLocal, type Names } from "./names.js";
import { formula } from "./notation.js";

/** Unroll the innermost static loops when they cover at most this many elements. */
export const UNROLL_ELEMENTS = 16;
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

export interface KernelEnv {
  readonly plan: Plan;
  readonly names: Names;
  /** Identifier of each node's storage: an array (buffers, inputs, params, constants) or a scalar local. */
  readonly storage: Map<Node, string>;
  /** Nodes held in scalar locals rather than arrays. */
  readonly scalars: Set<Node>;
  /** Nodes of the backward pass (for the comment's derivative-rule note). */
  readonly backward: ReadonlySet<Node>;
  /** Human names used in comments. */
  readonly display: (n: Node) => string;
  /** The name `gradc explain` gives a value (z1, delta2, v1), if it gives one: a local's hint. */
  readonly textbook?: ReadonlyMap<Node, string>;
  /**
   * Batch-leading values kept as per-row scalars (`h1_0`, `h1_1`) instead of arrays: the fused batch
   * loop writes and reads each element of row i at a compile-time position (see ./module.ts).
   */
  readonly rowScalars: ReadonlySet<Node>;
  /** How kernel templates emit a graph inside their loop (a scan's body). */
  readonly nested?: NestedContext;
  /** The blocked GEMM's register block (default GEMM_ROWS × GEMM_COLS). */
  readonly gemmBlock?: { readonly rows: number; readonly cols: number };
  /**
   * float32 modules: the identifier of the runtime's SIMD product engine (runtime/gemm.ts) that large
   * matmuls call; absent (float64), every matmul is a JS loop nest.
   */
  readonly simdGemm?: string;
  /** The element type of the module's arrays (elementwise ops that compare exactly need it). */
  readonly precision: Precision;
}

export interface KernelCode {
  readonly node: Node;
  readonly comment: string;
  /** Statements before the batch loop (initialize accumulators). */
  readonly pre: string[];
  /** The body of the loop over batch rows `i`, or null when the kernel has no batch loop. */
  readonly loop: string[] | null;
  /** Statements after the batch loop, or the whole kernel when it has none. */
  readonly post: string[];
  /** Arrays read → the index expressions that selected their batch row. */
  readonly reads: Map<Node, Set<string>>;
  /** Whether the kernel sums over the batch (its value is complete only after the loop). */
  readonly accumulates: boolean;
  /** Arrays read somewhere at a run-time position within the row (they cannot become row scalars). */
  readonly varReads: Set<Node>;
  /** Whether every element the kernel writes is at (row i, compile-time position). */
  readonly constWrite: boolean;
  /** Arrays the kernel writes besides its node's own (the parts of a scan). */
  readonly writes: readonly Node[];
}

type Idx = readonly (string | number)[];
/** A value computation that yields each operand it needs ([node, index]) and is sent back its expression. */
type Steps = Generator<readonly [Node, Idx], string, string>;

/** Per iteration point: statements so far and values already computed there. */
interface Body {
  readonly lines: string[];
  readonly values: Map<Node, string>;
  readonly suffix: string;
  /** The running matmul sum an epilogue reads. */
  readonly acc?: { readonly node: Node; readonly name: string };
}

const isSimple = (s: string) => /^[\w$.]+$/.test(s) || /^-?\d/.test(s);
const isBatch = (d: number | string | undefined) => typeof d === "string";

export function literal(v: number): string {
  if (Object.is(v, -0)) return "-0";
  if (v === Infinity) return "Infinity";
  if (v === -Infinity) return "-Infinity";
  return v < 0 ? `(${v})` : String(v);
}

export class KernelEmitter {
  private reads = new Map<Node, Set<string>>();
  private varReads = new Set<Node>();
  private constWrite = true;
  /** Row-scalar identifiers: `${node id}:${position in row}` → name. */
  private readonly rowScalarNames = new Map<string, string>();
  constructor(private readonly env: KernelEnv) {}

  emit(k: Kernel): KernelCode {
    this.reads = new Map();
    this.varReads = new Set();
    this.constWrite = true;
    const parts = this.parts(k);
    if (parts.pre?.length || parts.post?.length) this.constWrite = false;
    return {
      node: k.node,
      comment: this.comment(k),
      pre: parts.pre ?? [],
      loop: parts.loop ?? null,
      post: parts.post ?? [],
      reads: this.reads,
      accumulates: parts.accumulates ?? false,
      writes: parts.writes ?? [],
      varReads: this.varReads,
      constWrite: this.constWrite,
    };
  }

  private parts(k: Kernel): Parts {
    switch (k.kind) {
      case "elementwise":
        return this.elementwise(k.node);
      case "matmul":
        return this.matmul(k.node, k.producer ?? k.node);
      case "reduce":
        return this.reduce(k.node);
      case "rowwise":
        return this.rowwise(k.node);
      case "transpose":
        return this.transpose(k.node);
      case "kernel":
        return this.templated(k.node, k.producer);
    }
  }

  formula(n: Node): string {
    return formula(n, this.env.plan.expanded, this.env.display);
  }

  private comment(k: Kernel): string {
    const n = k.node;
    const where = [this.env.backward.has(n) && n.origin ? n.origin : "", formatLoc(n.loc)].filter(Boolean).join(", ");
    return `// ${commentText(`${this.env.display(n)} = ${this.formula(n)}`)}${where ? `   (${commentText(where)})` : ""}`;
  }

  // ── reading values ──

  /** An element of a stored array, `index` giving one entry per dimension of `n`'s shape. */
  private read(n: Node, index: Idx): string {
    const s = storageOf(n);
    const b = n.shape.findIndex(isBatch);
    if (b >= 0) {
      const set = this.reads.get(s) ?? new Set<string>();
      set.add(String(index[b]));
      this.reads.set(s, set);
    } else if (!this.reads.has(s)) this.reads.set(s, new Set());
    const position = rowPosition(n, index);
    if (position === null) this.varReads.add(s);
    if (this.env.rowScalars.has(s)) {
      const name = this.rowScalarNames.get(`${s.id}:${position}`);
      if (name === undefined) throw new Error(`internal: row scalar ${this.env.storage.get(s)}[${String(position)}] read before it is written`);
      return name;
    }
    return element(this.env.storage.get(s)!, flatIndex(n.shape, index));
  }

  /** A read of a whole array by flat index (kernel templates): its batch rows vary, so never row-local. */
  noteFlatRead(n: Node): void {
    const s = storageOf(n);
    const set = this.reads.get(s) ?? new Set<string>();
    set.add("*");
    this.reads.set(s, set);
    this.varReads.add(s);
  }

  /** A read of `n` at iteration index `idx` of a larger domain, with NumPy broadcasting. */
  private readBroadcast(n: Node, idx: Idx): string {
    const off = idx.length - n.shape.length;
    return this.read(n, n.shape.map((_, d) => idx[d + off]!));
  }

  /** The value of `n` at iteration index `idx` (over a domain of rank idx.length), as an expression. */
  private valueAt(n: Node, idx: Idx, body: Body): string {
    return this.evaluate(this.valueSteps(n, idx, body), body);
  }

  /** A kernel node's own expression over its inputs at idx (operands used twice are bound first). */
  private expression(n: Node, idx: Idx, body: Body): string {
    return this.evaluate(this.expressionSteps(n, idx, body), body);
  }

  /**
   * Runs `valueSteps`/`expressionSteps` with an explicit stack instead of recursion: a step generator
   * yields each operand it needs, which is evaluated on the same stack and sent back. An inline chain
   * n values deep (a thousand element-wise steps fused into one loop) then takes n entries of a heap
   * array, not n JavaScript frames; the order of the statements and names is that of the recursion.
   */
  private evaluate(top: Steps, body: Body): string {
    const stack: Steps[] = [top];
    let sent = "";
    for (;;) {
      const r = stack[stack.length - 1]!.next(sent);
      if (r.done) {
        stack.pop();
        if (!stack.length) return r.value;
        sent = r.value;
      } else {
        stack.push(this.valueSteps(r.value[0], r.value[1], body));
        sent = "";
      }
    }
  }

  /** valueAt's steps: yields [node, index] for each value it needs first and receives its expression. */
  private *valueSteps(n: Node, idx: Idx, body: Body): Steps {
    const known = body.values.get(n);
    if (known !== undefined) return known;
    if (body.acc && body.acc.node === n) return body.acc.name;
    if (n.op === "const" && n.attrs.value !== undefined) return literal(n.attrs.value as number);
    if (n.op === "dim") return "n";
    if (this.env.scalars.has(n)) {
      if (!this.reads.has(n)) this.reads.set(n, new Set());
      return this.env.storage.get(n)!;
    }
    if (this.env.plan.inline.has(n)) {
      // Computed here: `const t = expr` at this point, and t stands for it from now on.
      const expr = yield* this.expressionSteps(n, idx, body);
      const name = this.env.names.fresh(`${this.hint(n)}${body.suffix}`);
      body.lines.push(`const ${name} = ${expr};`);
      body.values.set(n, name);
      return name;
    }
    if (!this.env.storage.has(storageOf(n))) {
      if (n.op === "broadcastTo") return yield [n.inputs[0]!, idx];
      if (n.op === "slice") {
        // x[…, start + step·j, …]: the slice's index along its axis, moved into its input.
        const { axis, start, step } = n.attrs as { axis: number; start: number; step: number };
        const off = idx.length - n.shape.length;
        const own = n.shape.map((d, k) => (d === 1 ? 0 : idx[k + off]!));
        const j = own[axis]!;
        own[axis] = typeof j === "number" ? start + step * j : `${step === 1 ? j : `${j} * ${step}`}${start ? ` + ${start}` : ""}`;
        return yield [n.inputs[0]!, own];
      }
      if (n.op === "onehot") {
        // [labels[row] = class] at this point of a [rows, classes] loop.
        const off = idx.length - n.shape.length;
        const label = yield [n.inputs[0]!, idx.slice(0, idx.length - 1)];
        return `(${label} === ${idx[off + 1]} ? 1 : 0)`;
      }
    }
    return this.readBroadcast(n, idx);
  }

  /** expression's steps (see valueSteps). */
  private *expressionSteps(n: Node, idx: Idx, body: Body): Steps {
    if (n.op === "broadcastTo" || n.op === "transpose") return yield [n.inputs[0]!, idx];
    const op = opOf(n);
    const args: string[] = [];
    for (const i of n.inputs) args.push(yield [i, idx]);
    const probe = op.expr!(n.inputs.map((_, k) => `\u0000${k}\u0000`), n.attrs, this.env.precision);
    const bound = args.map((a, k) => {
      if (isSimple(a) || probe.split(`\u0000${k}\u0000`).length <= 2) return a;
      const t = this.env.names.fresh(`${this.hint(n.inputs[k]!)}${body.suffix}`);
      body.lines.push(`const ${t} = ${a};`);
      return t;
    });
    return op.expr!(bound, n.attrs, this.env.precision);
  }

  private hint(n: Node): string {
    return this.env.textbook?.get(n) ?? n.name ?? (n.op === "const" ? "c" : n.op);
  }

  private store(n: Node): string {
    return this.env.storage.get(storageOf(n))!;
  }

  /** The target of an assignment to element idx of n: an array element, or a new row scalar. */
  private write(n: Node, idx: Idx): string {
    const s = storageOf(n);
    // A write inside a loop within the row (`for (let j = 0; j < 1; j++)`, a size-1 column of a dot
    // product over the batch) is at a compile-time position, but a row scalar declared there would be
    // scoped to the loop's block: such a value keeps its buffer.
    const inLoop = idx.slice(1).some((k) => typeof k === "string");
    const position = inLoop ? null : rowPosition(n, idx);
    if (position === null) this.constWrite = false;
    if (this.env.rowScalars.has(s)) {
      const name = this.env.names.fresh(`${this.env.storage.get(s)}_${position}`);
      this.rowScalarNames.set(`${s.id}:${position}`, name);
      return `const ${name}`;
    }
    return `${this.store(n)}[${flatIndex(n.shape, idx)}]`;
  }

  // ── loops ──

  /**
   * Loops over `dims` (row-major), unrolling the innermost static dims whose product is small.
   * `body(idx, suffix)` gives the statements for one point. A leading batch dimension becomes the
   * `loop` part (index i); the rest is in `post`.
   */
  private nest(dims: readonly (number | string)[], body: (idx: Idx, suffix: string) => string[]): { loop?: string[]; post?: string[] } {
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
    const vars = ["i", "j", "k", "l", "m", "q"].slice(0, unrollFrom);
    const lines: string[] = [];
    for (const p of points) lines.push(...body([...vars, ...p], points.length > 1 ? `_${p.join("_")}` : ""));
    const loopsFrom = isBatch(dims[0]) ? 1 : 0;
    const open = vars.slice(loopsFrom).map((v, d) => `for (let ${v} = 0; ${v} < ${bound(dims[d + loopsFrom]!)}; ${v}++) {`);
    const code = [...open, ...lines, ...open.map(() => "}")];
    return loopsFrom ? { loop: code } : { post: code };
  }

  private freshBody(suffix: string, acc?: Body["acc"]): Body {
    return { lines: [], values: new Map(), suffix, ...(acc ? { acc } : {}) };
  }

  // ── kernels ──

  private elementwise(n: Node): Parts {
    if (this.env.scalars.has(n)) {
      const body = this.freshBody("");
      const v = this.expression(n, [], body);
      return { post: [...body.lines, `const ${this.env.storage.get(n)} = ${v};`] };
    }
    return this.nest(n.shape, (idx, suffix) => {
      const body = this.freshBody(suffix);
      const v = this.expression(n, idx, body);
      return [...body.lines, `${this.write(n, idx)} = ${v};`];
    });
  }

  private reduce(n: Node): Parts {
    const x = n.inputs[0]!;
    const axis = n.attrs.axis as number | null;
    const isMax = n.op === "max";
    const init = isMax ? "-Infinity" : "0";
    // max: NaN wins (torch.amax), so a diverged value is never skipped.
    const combine = (acc: string, v: string) => (isMax ? `if (${v} > ${acc} || ${v} !== ${v}) ${acc} = ${v};` : `${acc} += ${v};`);
    const dims = x.shape;
    const overBatch = axis === null ? dims.some(isBatch) : isBatch(dims[axis]);
    const point = (target: (idx: Idx) => string) => (idx: Idx, suffix: string) => {
      const body = this.freshBody(suffix);
      let v = this.valueAt(x, idx, body);
      if (isMax && !isSimple(v)) {
        // max reads its operand three times: once, into a local.
        const t = this.env.names.fresh(`v${suffix}`);
        body.lines.push(`const ${t} = ${v};`);
        v = t;
      }
      return [...body.lines, combine(target(idx), v)];
    };
    // A reduction to a scalar is a full reduction whatever its axis (`sum(v, 0)` of a [batch] vector):
    // one accumulator, which may be the scalar local itself (a scalar has no array to fill).
    if (axis === null || n.shape.length === 0) {
      const scalar = this.env.scalars.has(n);
      const acc = scalar ? this.env.storage.get(n)! : this.env.names.fresh("acc");
      const loops = this.nest(dims, point(() => acc));
      const finish = scalar ? [] : [`${this.write(n, n.shape.map(() => 0))} = ${acc};`];
      return { pre: [`let ${acc} = ${init};`], ...loops, post: [...(loops.post ?? []), ...finish], accumulates: overBatch };
    }
    // One axis: accumulate into the output, iterating the input in row-major order.
    const keep = dims.map((d, i) => (i === axis ? 1 : d));
    const strides = stridesOf(keep);
    const flat = (idx: Idx) => affine(keep.map((d, k) => [d === 1 ? 0 : idx[k]!, strides[k]!] as const));
    const rowSize = dims.slice(1).reduce<number>((s, d) => (typeof d === "number" ? s * d : Infinity), 1);
    if (axis === 0 && isBatch(dims[0]) && rowSize <= UNROLL_ELEMENTS && !this.env.scalars.has(n)) {
      // A small sum over the batch (a bias gradient) runs in scalar locals and is stored once.
      const sums = Array.from({ length: rowSize }, (_, q) => this.env.names.fresh(`${this.store(n)}_${q}`));
      const loops = this.nest(dims, point((idx) => sums[Number(flat(idx))]!));
      return { pre: sums.map((s) => `let ${s} = ${init};`), ...loops, post: [`// ${commentText(this.env.display(n))}: store the sums over the batch`, ...sums.map((s, q) => `${this.store(n)}[${q}] = ${s};`)], accumulates: true };
    }
    const target = (idx: Idx) => element(this.store(n), flat(idx)); // read and updated in place
    return { pre: [`${this.store(n)}.fill(${init});`], ...this.nest(dims, point(target)), accumulates: overBatch };
  }

  private rowwise(n: Node): Parts {
    const op = opOf(n);
    const perRowOutput = n.shape.length < Math.max(...n.inputs.map((i) => i.shape.length));
    const rowsShape = perRowOutput ? n.shape : n.shape.slice(0, -1);
    const rowSource = n.inputs.find((i) => i.shape.length > rowsShape.length) ?? n;
    const last = rowSource.shape[rowSource.shape.length - 1]!;
    const len = typeof last === "number" ? last : "n"; // rows along the batch dimension: [batch, batch] attention
    const batchRows = isBatch(rowsShape[0]);
    // One index per row dimension: the batch loop's i (or r), then r1, r2, … in loops of their own.
    const rowVars = rowsShape.map((_, k) => (k === 0 ? (batchRows ? "i" : "r") : this.env.names.fresh(`r${k}`)));
    const rowIndex = (node: Node, j: string) => [...rowVars, j].slice(-node.shape.length);
    const lines = op.lowerRow!(
      {
        len,
        input: (i, j) => this.read(n.inputs[i]!, rowIndex(n.inputs[i]!, isSimple(j) ? j : `(${j})`)),
        hasRowScalar: (i) => n.inputs[i]!.shape.length === rowsShape.length,
        rowScalar: (i) => this.read(n.inputs[i]!, rowVars),
        output: (j) => (perRowOutput ? this.write(n, rowVars) : this.write(n, rowIndex(n, j))),
        local: (hint) => this.env.names.fresh(hint),
      },
      n.attrs,
    );
    const loops = rowVars.flatMap((v, k) => (v === "i" ? [] : [`for (let ${v} = 0; ${v} < ${bound(rowsShape[k]!)}; ${v}++) {`]));
    const body = rowsShape.length ? [...loops, ...lines, ...loops.map(() => "}")] : ["{", ...lines, "}"];
    return batchRows ? { loop: body } : { post: body };
  }

  private transpose(n: Node): Parts {
    const x = n.inputs[0]!;
    const perm = n.attrs.perm as number[];
    const code = this.nest(n.shape, (idx) => {
      const src = perm.map((_, d) => idx[perm.indexOf(d)]!);
      return [`${this.write(n, idx)} = ${this.read(x, src)};`];
    });
    return code.loop ? { post: ["for (let i = 0; i < n; i++) {", ...code.loop, "}"] } : code;
  }

  /** An op with its own loop nest (lowerKernel), in a block of its own so its locals stay local. */
  /** A kernel op's own loop nest; with `producer`, `owner` is the elementwise chain applied as each element is stored. */
  private templated(owner: Node, producer?: Node): Parts {
    const n = producer ?? owner;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    const ref = (node: Node, write: boolean): TensorRef => {
      const full = (index: (string | number)[]): Idx => {
        if (index.length !== node.shape.length) throw new Error(`internal: ${n.op} indexes a rank-${node.shape.length} tensor with ${index.length} indices`);
        return index.map((i) => (typeof i === "string" && /[^\w$]/.test(i) ? `(${i})` : i));
      };
      return {
        dims: node.shape.map((d) => (typeof d === "number" ? d : "n")),
        // Flat access through the array is a read at positions the emitter cannot see: record it as such.
        get array() {
          if (!write) self.noteFlatRead(node);
          return self.store(node);
        },
        at: (...index) => (write ? this.write(node, full(index)) : this.read(node, full(index))),
        inPlace: (...index) => element(this.store(node), flatIndex(node.shape, full(index))),
      };
    };
    const rank = owner.shape.length;
    const store = (flat: string, last: string | number, value: string): string[] => {
      if (!producer) return [`${this.store(owner)}[${flat}] = ${value};`];
      // The epilogue reads only scalars and vectors along the last axis (plan.ts checks), so the
      // element's other indices are never used.
      const body = this.freshBody("", { node: producer, name: value });
      const idx = [...Array.from({ length: rank - 1 }, () => 0), last];
      const v = this.expression(owner, idx, body);
      return [...body.lines, `${this.store(owner)}[${flat}] = ${v};`];
    };
    const op = opOf(n);
    // A tuple op writes the arrays of its part nodes (null where a result is not used).
    const parts = op.tuple ? this.partsOf(n) : undefined;
    const lines = op.lowerKernel!(
      {
        inputs: n.inputs.map((i) => ref(i, false)),
        output: ref(producer ? owner : n, true),
        local: (hint) => this.env.names.fresh(hint),
        store,
        ...(parts ? { parts: parts.map((p) => (p ? { array: this.store(p) } : null)) } : {}),
        ...(this.env.nested ? { nested: this.env.nested } : {}),
        ...(this.env.simdGemm && this.env.precision === "f32" ? { simdGemm: this.env.simdGemm } : {}),
      },
      n.attrs,
    );
    this.constWrite = false;
    return { post: ["{", ...lines, "}"], ...(parts ? { writes: parts.filter((p): p is Node => p !== null) } : {}) };
  }

  /** The part nodes reading each result of tuple node n, by result index. */
  private partsOf(n: Node): (Node | null)[] {
    const out: (Node | null)[] = [];
    for (const p of this.env.plan.nodes) if (p.op === "part" && p.inputs[0] === n) out[p.attrs.index as number] = p;
    return Array.from(out, (p) => p ?? null);
  }

  /**
   * C = op(A)·op(B), then the epilogue (the elementwise node `owner`, which reads C) per element.
   * Loop order keeps the innermost access contiguous: rows of A against rows of B (dot products)
   * when B is transposed, otherwise C's row accumulates a·B[k, :]; a batch-long contraction (a
   * weight gradient xᵀ·δ) runs the batch outermost.
   */
  private matmul(owner: Node, mm: Node): Parts {
    const [a, b] = mm.inputs as [Node, Node];
    const { transA, transB } = mm.attrs as { transA: boolean; transB: boolean };
    const [M, N] = mm.shape as [number | string, number | string];
    const K = transA ? a.shape[0]! : a.shape[1]!;
    const A = (i: string | number, k: string | number) => this.read(a, transA ? [k, i] : [i, k]);
    const B = (k: string | number, j: string | number) => this.read(b, transB ? [j, k] : [k, j]);
    const C = this.store(owner);
    const cAt = (i: string | number, j: string | number) => this.write(owner, [i, j]);
    const epilogue = (i: string | number, j: string | number, acc: string, suffix: string): string[] => {
      if (owner === mm) return [`${cAt(i, j)} = ${acc};`];
      const body = this.freshBody(suffix, { node: mm, name: acc });
      const v = this.expression(owner, [i, j], body);
      return [...body.lines, `${cAt(i, j)} = ${v};`];
    };
    // The rows of C: a batch loop (returned as `loop`), a short static run written out, or a loop.
    const rows = (inner: (i: string | number) => string[]): Parts => {
      if (isBatch(M)) return { loop: inner("i") };
      if (typeof M === "number" && M <= 4) return { post: Array.from({ length: M }, (_, i) => inner(i)).flat() };
      return { post: [`for (let i = 0; i < ${bound(M)}; i++) {`, ...inner("i"), "}"] };
    };

    const staticWork = [M, N, K].reduce<number>((w, d) => (typeof d === "number" ? w * d : w), 1);
    if (staticWork >= GEMM_WORK && !(typeof K === "number" && K <= REGISTER_COLUMNS && typeof N === "number" && N <= REGISTER_COLUMNS)) {
      // float32: the runtime's WebAssembly SIMD product; float64: the JS loop nest.
      const floats = mm.inputs.every((x) => x.dtype === "f");
      return { post: this.env.simdGemm && floats ? this.simdGemm(owner, mm, this.env.simdGemm) : this.gemm(owner, mm) };
    }
    if (typeof K === "number" && typeof N === "number" && N <= REGISTER_COLUMNS) {
      // Few columns: one scalar accumulator per column; a short contraction is written out in full.
      return rows((i) => {
        const suffix = typeof i === "number" ? `_${i}` : "";
        const accs = Array.from({ length: N }, (_, j) => this.env.names.fresh(`${this.hint(mm)}${suffix}_${j}`));
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
        const sums = Array.from({ length: M * N }, (_, q) => this.env.names.fresh(`${C}_${q}`));
        for (let p = 0; p < M; p++) for (let j = 0; j < N; j++) loop.push(`${sums[p * N + j]} += ${A(p, "i")} * ${B("i", j)};`);
        const post: string[] = [`// ${commentText(this.env.display(owner))}: store the sums over the batch`];
        for (let p = 0; p < M; p++) {
          for (let j = 0; j < N; j++) post.push(...(owner === mm ? [`${cAt(p, j)} = ${sums[p * N + j]};`] : epilogue(p, j, sums[p * N + j]!, `_${p}_${j}`)));
        }
        return { pre: sums.map((s) => `let ${s} = 0;`), loop, post, accumulates: true };
      } else {
        loop.push(`for (let p = 0; p < ${M}; p++) {`, `const aik = ${A("p", "i")};`, `const cRow = ${affine([["p", N]])};`, `for (let j = 0; j < ${N}; j++) ${element(C, "cRow + j")} += aik * ${B("i", "j")};`, "}");
      }
      const post: string[] = [];
      if (owner !== mm) {
        const finish = this.nest([M, N], (idx, suffix) => {
          const acc = this.env.names.fresh(`acc${suffix}`);
          return [`const ${acc} = ${element(C, affine([[idx[0]!, N], [idx[1]!, 1]]))};`, ...epilogue(idx[0]!, idx[1]!, acc, suffix)];
        });
        post.push(...(finish.post ?? []));
      }
      return { pre: [`${C}.fill(0);`], loop, post, accumulates: true };
    }
    if (typeof K === "number" && typeof N === "number" && !transB) {
      // Many columns: C's row accumulates a·B[k, :] (contiguous in B and C), then the epilogue.
      void B("k", "j"); // records the read of B
      this.constWrite = false; // C's row is written through a loop over j
      return rows((i) => {
        const cRow = this.env.names.fresh("cRow");
        const lines = [
          `const ${cRow} = ${affine([[i, N]])};`,
          `${C}.fill(0, ${cRow}, ${cRow} + ${N});`,
          `for (let k = 0; k < ${K}; k++) {`,
          `const aik = ${A(i, "k")};`,
          `const bRow = ${affine([["k", N]])};`,
          `for (let j = 0; j < ${N}; j++) ${element(C, `${cRow} + j`)} += aik * ${element(this.store(b), "bRow + j")};`, // B(k, j), row base hoisted
          "}",
        ];
        if (owner !== mm) {
          const acc = this.env.names.fresh("acc");
          lines.push(`for (let j = 0; j < ${N}; j++) {`, `const ${acc} = ${element(C, `${cRow} + j`)};`, ...epilogue(i, "j", acc, ""), "}");
        }
        return lines;
      });
    }
    // Dot products (B transposed: rows of A against rows of B), or any other case.
    return rows((i) => {
      const acc = this.env.names.fresh("acc");
      return [
        `for (let j = 0; j < ${bound(N)}; j++) {`,
        `let ${acc} = 0;`,
        `for (let k = 0; k < ${bound(K)}; k++) ${acc} += ${A(i, "k")} * ${B("k", "j")};`,
        ...epilogue(i, "j", acc, ""),
        "}",
      ];
    });
  }

  /** A large matmul's operands as strides: A(i, k) = A[i·sAi + k·sAk], B(k, j) = B[k·sBk + j·sBj]; records the reads. */
  private operands(mm: Node) {
    const [a, b] = mm.inputs as [Node, Node];
    const { transA, transB } = mm.attrs as { transA: boolean; transB: boolean };
    const [M, N] = mm.shape as [number | string, number | string];
    const K = transA ? a.shape[0]! : a.shape[1]!;
    const [sAi, sAk] = transA ? [1, dim(M)] : [dim(K), 1];
    const [sBk, sBj] = transB ? [1, dim(K)] : [dim(N), 1];
    void this.read(a, transA ? ["k", "i"] : ["i", "k"]); // records the reads (batch rows vary: never row-local)
    void this.read(b, transB ? ["j", "k"] : ["k", "j"]);
    return { a, b, M, N, K, sAi, sAk, sBk, sBj };
  }

  /**
   * A large float32 matmul on the runtime's WebAssembly SIMD product (runtime/gemm.ts): the operands
   * are handed over with their strides, and the epilogue runs as C is stored from the engine's memory.
   */
  private simdGemm(owner: Node, mm: Node, engine: string): string[] {
    const { a, b, M, N, K, sAi, sAk, sBk, sBj } = this.operands(mm);
    const at = this.env.names.fresh("at"), mem = this.env.names.fresh("mem");
    const acc = element(mem, affine([[at, 1], ["i", dim(N)], ["j", 1]]));
    const store = (): string[] => {
      if (owner === mm) return [`${this.write(owner, ["i", "j"])} = ${acc};`];
      const body = this.freshBody("", { node: mm, name: acc });
      const v = this.expression(owner, ["i", "j"], body);
      return [...body.lines, `${this.write(owner, ["i", "j"])} = ${v};`];
    };
    this.constWrite = false;
    return [
      "{",
      `// the product on the runtime's WebAssembly SIMD GEMM (float32), then ${owner === mm ? "stored" : "the epilogue as each element is stored"}`,
      `const ${at} = ${engine}.product(${bound(M)}, ${bound(N)}, ${bound(K)}, ${this.store(a)}, ${sAi}, ${sAk}, ${this.store(b)}, ${sBk}${sBj === 1 ? "" : `, ${sBj}`});`,
      `const ${mem} = ${engine}.mem;`,
      `for (let i = 0; i < ${bound(M)}; i++) {`,
      `for (let j = 0; j < ${bound(N)}; j++) {`,
      ...store(),
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
  private gemm(owner: Node, mm: Node): string[] {
    const { a, b, M, N, K, sAi, sAk, sBk, sBj } = this.operands(mm);
    const An = this.store(a), Bn = this.store(b);
    const at = (v: string, r: number) => (r ? `${v} + ${r}` : v);
    const block = (rows: number, cols: number): string[] => {
      const acc = (r: number, c: number) => gemmLocal("c", `${r}${c}`);
      const lines: string[] = [];
      for (let r = 0; r < rows; r++) lines.push(`let ${Array.from({ length: cols }, (_, c) => `${acc(r, c)} = 0`).join(", ")};`);
      lines.push(`for (let k = 0; k < ${bound(K)}; k++) {`);
      for (let r = 0; r < rows; r++) lines.push(`const ${gemmLocal("a", r)} = ${element(An, affine([["i", sAi], [r, sAi], ["k", sAk]]))};`);
      for (let c = 0; c < cols; c++) lines.push(`const ${gemmLocal("b", c)} = ${element(Bn, affine([["k", sBk], ["j", sBj], [c, sBj]]))};`);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) lines.push(`${acc(r, c)} += ${gemmLocal("a", r)} * ${gemmLocal("b", c)};`);
      lines.push("}");
      for (let r = 0; r < rows; r++)
        for (let c = 0; c < cols; c++) {
          const [i, j] = [at("i", r), at("j", c)];
          if (owner === mm) lines.push(`${this.write(owner, [i, j])} = ${acc(r, c)};`);
          else {
            const body = this.freshBody(`_${r}${c}`, { node: mm, name: acc(r, c) });
            const v = this.expression(owner, [i, j], body);
            lines.push(...body.lines, `${this.write(owner, [i, j])} = ${v};`);
          }
        }
      return lines;
    };
    const R = this.env.gemmBlock?.rows ?? GEMM_ROWS, C = this.env.gemmBlock?.cols ?? GEMM_COLS;
    const columns = (rows: number): string[] => {
      const out = ["let j = 0;"];
      if (typeof N !== "number" || N >= C) out.push(`for (; j + ${C - 1} < ${bound(N)}; j += ${C}) {`, ...block(rows, C), "}");
      if (typeof N !== "number" || N % C) out.push(`for (; j < ${bound(N)}; j++) {`, ...block(rows, 1), "}");
      return out;
    };
    const out = ["{", "let i = 0;"];
    if (typeof M !== "number" || M >= R) out.push(`for (; i + ${R - 1} < ${bound(M)}; i += ${R}) {`, ...columns(R), "}");
    if (typeof M !== "number" || M % R) out.push(`for (; i < ${bound(M)}; i++) {`, ...columns(1), "}");
    out.push("}");
    this.constWrite = false;
    return out;
  }
}

/** The flat row-major index of element `index` of a tensor of `shape` (a size-1 dimension is read at 0: broadcasting). */
function flatIndex(shape: Node["shape"], index: Idx): string {
  const strides = stridesOf(shape);
  return affine(shape.map((d, k) => [d === 1 ? 0 : index[k]!, strides[k]!] as const));
}

/** The position within batch row i of element `index` of a batch-leading n, or null when not a compile-time number. */
function rowPosition(n: Node, index: Idx): number | null {
  if (!isBatch(n.shape[0]) || index[0] !== "i") return null;
  let position = 0;
  for (let d = 1; d < n.shape.length; d++) {
    const k = n.shape[d] === 1 ? 0 : index[d]; // a size-1 dimension is read at 0 (broadcasting)
    if (typeof k !== "number") return null;
    position = position * (n.shape[d] as number) + k;
  }
  return position;
}

export interface GemmEmitter {
  gemm(owner: Node, mm: Node): string[];
}

interface Parts {
  pre?: string[];
  loop?: string[];
  post?: string[];
  accumulates?: boolean;
  writes?: Node[];
}

const bound = (d: number | string) => (typeof d === "number" ? String(d) : "n");
/** A dimension as a stride factor: a number, or the run-time batch size `n`. */
const dim = (d: number | string): number | string => (typeof d === "number" ? d : "n");
