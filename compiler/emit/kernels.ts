// Kernel code: each planned kernel becomes a loop nest over flat row-major arrays with compile-time
// bounds (the batch size `n` is the one run-time bound). Small static loops are unrolled into
// straight-line scalar code; every kernel is preceded by a comment with its math and origin.
// Elementwise and rowwise kernels are written here; every other op lowers itself (its lowerKernel:
// matmul and its GEMM in ../ops/matmul.ts, reductions in ../ops/reduce.ts, transpose in
// ../ops/layout.ts, convolutions in ../ops/conv.ts…), handed a KernelContext by `templated` below.
// (Over 400 lines because reading values, writing them and the kernel forms share one emitter's state.)
//
// A kernel whose outermost loop runs over the batch returns that loop's body separately (`loop`),
// with the batch index always named `i`, so the pass emitter can run several kernels in one loop
// over the batch (see ./fuseBatch.ts). `reads` records, for every array read, which index selected
// its batch row: a kernel can join a loop only if it reads that loop's results at row `i`.
// Every element read is spelled by `element` (../ops/op.ts): `a[k]!`, which passes a user's
// `noUncheckedIndexedAccess` and is erased from the JavaScript (test/emit/strict.test.ts).
import { formatLoc } from "../ir/loc.js";
import type { Node } from "../ir/node.js";
import { element, opOf, type KernelParts, type TensorRef } from "../ops/op.js";
import { bound, isBatch, isSimple, UNROLL_ELEMENTS, unrolledNest } from "../ops/kernelLoops.js";
import { storageOf, type Kernel } from "../lower/plan.js";
import type { KernelCode, KernelEnv } from "./kernelCode.js";
import { commentText } from "./names.js";
import { formula } from "./notation.js";
import { flatIndex, stepPlace } from "./placement.js";

export type { KernelCode, KernelEnv } from "./kernelCode.js";

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
      case "rowwise":
        return this.rowwise(k.node);
      // The op lowers itself (its lowerKernel: a matmul, a reduction, a transpose, a convolution…).
      case "matmul":
      case "reduce":
      case "transpose":
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
    return element(...this.place(n, index));
  }

  /** The array holding element `index` of n and its position there (a step value held in place: its stacked array). */
  private place(n: Node, index: Idx): [string, string] {
    const s = storageOf(n);
    const view = this.env.views?.get(s);
    if (!view) return [this.env.storage.get(s)!, flatIndex(n.shape, index)];
    if (n !== s) throw new Error(`internal: ${this.env.storage.get(s)} is stored in place, not read through a ${n.op}`);
    return [view.array, stepPlace(view, n.shape, index)];
  }

  /** A read of a whole array by flat index (kernel templates): its batch rows vary, so never row-local. */
  noteFlatRead(n: Node): void {
    const s = storageOf(n);
    if (this.env.views?.has(s)) throw new Error(`internal: ${this.env.storage.get(s)} is read in place, not by flat index`);
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

  /** Whether n's float values are held in an array of their own (not computed inline, not in scalar or per-row locals). */
  private hasArray(n: Node): boolean {
    const s = storageOf(n);
    return this.env.storage.has(s) && !this.env.plan.expanded.has(n) && !this.env.scalars.has(n) && !this.env.rowScalars.has(s) && n.dtype !== "i";
  }
  private hint(n: Node): string {
    return this.env.textbook?.get(n) ?? n.name ?? (n.op === "const" ? "c" : n.op);
  }

  private store(n: Node): string {
    if (this.env.views?.has(storageOf(n))) throw new Error(`internal: ${this.env.storage.get(storageOf(n))} is read in place, not as an array`);
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
    const [array, at] = this.place(n, idx);
    return `${array}[${at}]`;
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
    return (
      this.rowCalls(n) ??
      unrolledNest(n.shape, (idx, suffix) => {
        const body = this.freshBody(suffix);
        const v = this.expression(n, idx, body);
        return [...body.lines, `${this.write(n, idx)} = ${v};`];
      })
    );
  }

  /**
   * A float32 kernel that is one op with a row function (σ, tanh: runtime/quickMath.ts) over a stored array,
   * or a slice of one along the last axis, is a call of that function per row — `sigmoidRow(i_gate, i * 128,
   * gates, i * 512, 128)` — instead of a loop calling Math.exp per element: the runtime's loop is optimized on
   * its own, with its e^x inlined, which the pass's own loops cannot afford (quickMath.ts says why). Only for
   * rows longer than UNROLL_ELEMENTS (shorter ones are written out element by element); null otherwise.
   */
  private rowCalls(n: Node): Parts | null {
    const fn = this.env.precision === "f32" ? opOf(n).rowFunction : undefined;
    const last = n.shape.length - 1;
    const length = n.shape[last];
    if (fn === undefined || typeof length !== "number" || length <= UNROLL_ELEMENTS || this.env.rowScalars.has(storageOf(n))) return null;
    // The row's source: the input itself, or the array a slice along the last axis (step 1) reads.
    let source = n.inputs[0]!;
    let start = 0;
    if (!this.env.storage.has(storageOf(source)) && source.op === "slice") {
      const { axis, start: from, step } = source.attrs as { axis: number; start: number; step: number };
      if (axis !== last || step !== 1) return null;
      start = from;
      source = source.inputs[0]!;
    }
    const sameRows = source.shape.length === n.shape.length && source.shape.every((d, k) => k === last || d === n.shape[k]);
    if (!this.hasArray(source) || !sameRows) return null;
    this.constWrite = false; // every element of the row, at run-time positions
    this.varReads.add(storageOf(source));
    return unrolledNest(n.shape.slice(0, last), (idx) => {
      this.read(source, [...idx, start]); // notes the batch row it reads
      // Each row where it lies: the node's and the source's storage, or a step's place in its stacked array.
      const [to, at] = this.place(n, [...idx, 0]);
      const [from, fromAt] = this.place(source, [...idx, start]);
      return [`${fn}(${to}, ${at}, ${from}, ${fromAt}, ${length});`];
    });
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

  /**
   * An op that lowers itself (its lowerKernel): a plain list of statements goes in a block of its own
   * so its locals stay local; parts (matmul, reduce, transpose) join the pass's batch loop as given.
   * With `producer`, `owner` is the elementwise chain applied as each element is stored (the epilogue).
   */
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
        ...(this.env.simdGemm ? { simdGemm: this.env.simdGemm } : {}), // float32 modules only (pass.ts)
        node: n,
        owner,
        read: (node, index) => this.read(node, index),
        write: (node, index) => this.write(node, index),
        epilogue: (index, value, suffix) => {
          if (!producer) return [`${this.write(owner, index)} = ${value};`];
          const body = this.freshBody(suffix, { node: producer, name: value });
          const v = this.expression(owner, index, body);
          return [...body.lines, `${this.write(owner, index)} = ${v};`];
        },
        value: (node, index, suffix) => {
          const body = this.freshBody(suffix);
          const value = this.valueAt(node, index, body);
          return { lines: body.lines, value };
        },
        array: (node) => this.store(node),
        stored: (node) => {
          if (!this.hasArray(node) || this.env.views?.has(storageOf(node))) return undefined;
          this.noteFlatRead(node);
          return this.store(node);
        },
        scalarLocal: (node) => (this.env.scalars.has(node) ? this.env.storage.get(node)! : undefined),
        hint: (node) => this.hint(node),
        label: (node) => commentText(this.env.display(node)),
        ...(this.env.gemmBlock ? { gemmBlock: this.env.gemmBlock } : {}),
      },
      n.attrs,
    );
    if (!Array.isArray(lines)) {
      if (lines.constWrite === false) this.constWrite = false;
      return lines;
    }
    // Lines of their own (after the loop): emit() counts them as not constant writes.
    return { post: ["{", ...lines, "}"], ...(parts ? { writes: parts.filter((p): p is Node => p !== null) } : {}) };
  }

  /** The part nodes reading each result of tuple node n, by result index. */
  private partsOf(n: Node): (Node | null)[] {
    const out: (Node | null)[] = [];
    for (const p of this.env.plan.nodes) if (p.op === "part" && p.inputs[0] === n) out[p.attrs.index as number] = p;
    return Array.from(out, (p) => p ?? null);
  }
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

interface Parts extends KernelParts {
  readonly writes?: Node[];
}

