// Kernel code: each planned kernel becomes a loop nest over flat row-major arrays with compile-time
// bounds (the batch size `n` is the one run-time bound). Small static loops are unrolled into
// straight-line scalar code; every kernel is preceded by a comment with its math and origin.
import { formatLoc } from "../ir/loc.js";
import type { Node } from "../ir/node.js";
import { formatNumber } from "../ops/leaf.js";
import { getOp } from "../ops/index.js";
import type { Kernel, Plan } from "../lower/plan.js";
import { storageOf } from "../lower/plan.js";
import { affine, broadcastOffset, sizeExpr, stridesOf } from "./affine.js";
import { commentText, type Names } from "./names.js";

/** Unroll the innermost static loops when they cover at most this many elements. */
export const UNROLL_ELEMENTS = 16;
/** Keep matmul output columns in scalar accumulators up to this many. */
export const REGISTER_COLUMNS = 8;

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
}

type Idx = readonly (string | number)[];

/** Per iteration point: statements so far and values already computed there. */
interface Body {
  readonly lines: string[];
  readonly values: Map<Node, string>;
  readonly suffix: string;
  /** The running matmul sum an epilogue reads. */
  readonly acc?: { readonly node: Node; readonly name: string };
}

const isSimple = (s: string) => /^[\w$.]+$/.test(s) || /^-?\d/.test(s);

export function literal(v: number): string {
  if (Object.is(v, -0)) return "-0";
  if (v === Infinity) return "Infinity";
  if (v === -Infinity) return "-Infinity";
  return v < 0 ? `(${v})` : String(v);
}

export class KernelEmitter {
  readonly out: string[] = [];
  constructor(private readonly env: KernelEnv) {}

  emit(k: Kernel): void {
    this.out.push(this.comment(k));
    switch (k.kind) {
      case "elementwise":
        return this.elementwise(k.node);
      case "matmul":
        return this.matmul(k.node, k.matmul ?? k.node);
      case "reduce":
        return this.reduce(k.node);
      case "rowwise":
        return this.rowwise(k.node);
      case "transpose":
        return this.transpose(k.node);
    }
  }

  // ── comments: the math of the whole fused kernel, where it came from ──

  formula(n: Node, top = true): string {
    if (!top && !this.env.plan.inline.has(n)) return this.env.display(n);
    if (n.op === "const" && n.attrs.value !== undefined) return formatNumber(n.attrs.value as number);
    if (n.op === "reshape" || (n.op === "broadcastTo" && !top)) return this.formula(n.inputs[0]!, false);
    return getOp(n.op).notation(n.inputs.map((i) => this.formula(i, false)), n.attrs);
  }

  private comment(k: Kernel): string {
    const n = k.node;
    const where = [this.env.backward.has(n) && n.origin ? n.origin : "", formatLoc(n.loc)].filter(Boolean).join(", ");
    return `// ${commentText(`${this.env.display(n)} = ${this.formula(n)}`)}${where ? `   (${commentText(where)})` : ""}`;
  }

  // ── reading values ──

  /** The value of `n` at iteration index `idx` (over a domain of rank idx.length), as an expression. */
  private valueAt(n: Node, idx: Idx, body: Body): string {
    const known = body.values.get(n);
    if (known !== undefined) return known;
    if (body.acc && body.acc.node === n) return body.acc.name;
    if (n.op === "const" && n.attrs.value !== undefined) return literal(n.attrs.value as number);
    if (n.op === "dim") return "n";
    if (this.env.scalars.has(n)) return this.env.storage.get(n)!;
    if (this.env.plan.inline.has(n)) return this.compute(n, idx, body);
    if (n.op === "broadcastTo" && !this.env.storage.has(n)) return this.valueAt(n.inputs[0]!, idx, body);
    if (n.op === "onehot" && !this.env.storage.has(n)) {
      // [labels[row] = class], read at this point of a [rows, classes] loop.
      const off = idx.length - n.shape.length;
      const label = this.valueAt(n.inputs[0]!, idx.slice(0, idx.length - 1), body);
      return `(${label} === ${idx[off + 1]} ? 1 : 0)`;
    }
    return `${this.env.storage.get(storageOf(n))}[${broadcastOffset(n.shape, idx)}]`;
  }

  /** Emits `const t = expr` for an elementwise node at this point and returns t. */
  private compute(n: Node, idx: Idx, body: Body): string {
    const op = getOp(n.op);
    let expr: string;
    if (n.op === "broadcastTo") expr = this.valueAt(n.inputs[0]!, idx, body);
    else {
      const args = n.inputs.map((i) => this.valueAt(i, idx, body));
      const probe = op.expr!(n.inputs.map((_, k) => `\u0000${k}\u0000`), n.attrs);
      const bound = args.map((a, k) => {
        if (isSimple(a) || probe.split(`\u0000${k}\u0000`).length <= 2) return a;
        const t = this.env.names.fresh(`${this.hint(n.inputs[k]!)}${body.suffix}`);
        body.lines.push(`const ${t} = ${a};`);
        return t;
      });
      expr = op.expr!(bound, n.attrs);
    }
    const name = this.env.names.fresh(`${this.hint(n)}${body.suffix}`);
    body.lines.push(`const ${name} = ${expr};`);
    body.values.set(n, name);
    return name;
  }

  private hint(n: Node): string {
    return n.name ?? (n.op === "const" ? "c" : n.op);
  }

  private store(n: Node): string {
    return this.env.storage.get(storageOf(n))!;
  }

  // ── loops ──

  /**
   * Loops over `dims` (row-major), unrolling the innermost static dims whose product is small.
   * `body(idx, suffix)` returns the statements for one point.
   */
  private nest(dims: readonly (number | string)[], body: (idx: Idx, suffix: string) => string[], vars = ["i", "j", "k", "l", "m"]): string[] {
    let unrollFrom = dims.length;
    let product = 1;
    while (unrollFrom > 0) {
      const d = dims[unrollFrom - 1]!;
      if (typeof d !== "number" || product * d > UNROLL_ELEMENTS) break;
      product *= d;
      unrollFrom--;
    }
    const inner = dims.slice(unrollFrom) as number[];
    const points: number[][] = [[]];
    for (const d of inner) points.splice(0, points.length, ...points.flatMap((p) => Array.from({ length: d }, (_, k) => [...p, k])));
    const loopVars = vars.slice(0, unrollFrom);
    const lines: string[] = [];
    const emitPoints = () => {
      for (const p of points) {
        const suffix = points.length > 1 ? `_${p.join("_")}` : "";
        lines.push(...body([...loopVars, ...p], suffix));
      }
    };
    const open = loopVars.map((v, d) => `for (let ${v} = 0; ${v} < ${dims[d] === undefined ? 0 : typeof dims[d] === "number" ? dims[d] : "n"}; ${v}++) {`);
    lines.push(...open);
    emitPoints();
    lines.push(...open.map(() => "}"));
    return lines;
  }

  private freshBody(suffix: string, acc?: Body["acc"]): Body {
    return { lines: [], values: new Map(), suffix, ...(acc ? { acc } : {}) };
  }

  // ── kernels ──

  private elementwise(n: Node): void {
    if (this.env.scalars.has(n)) {
      const body = this.freshBody("");
      const v = this.computeTop(n, [], body);
      this.out.push(...body.lines, `const ${this.env.storage.get(n)} = ${v};`);
      return;
    }
    const target = this.store(n);
    this.out.push(
      ...this.nest(n.shape, (idx, suffix) => {
        const body = this.freshBody(suffix);
        const v = this.computeTop(n, idx, body);
        return [...body.lines, `${target}[${broadcastOffset(n.shape, idx)}] = ${v};`];
      }),
    );
  }

  /** The kernel node's own value at idx: its expression over its inputs (never a read of itself). */
  private computeTop(n: Node, idx: Idx, body: Body): string {
    if (n.op === "broadcastTo" || n.op === "transpose") return this.valueAt(n.inputs[0]!, idx, body);
    const op = getOp(n.op);
    const args = n.inputs.map((i) => this.valueAt(i, idx, body));
    const probe = op.expr!(n.inputs.map((_, k) => `\u0000${k}\u0000`), n.attrs);
    const bound = args.map((a, k) => {
      if (isSimple(a) || probe.split(`\u0000${k}\u0000`).length <= 2) return a;
      const t = this.env.names.fresh(`${this.hint(n.inputs[k]!)}${body.suffix}`);
      body.lines.push(`const ${t} = ${a};`);
      return t;
    });
    return op.expr!(bound, n.attrs);
  }

  private reduce(n: Node): void {
    const x = n.inputs[0]!;
    const axis = n.attrs.axis as number | null;
    const isMax = n.op === "max";
    const init = isMax ? "-Infinity" : "0";
    const combine = (acc: string, v: string) => (isMax ? `if (${v} > ${acc}) ${acc} = ${v};` : `${acc} += ${v};`);
    const dims = x.shape;
    if (axis === null || (axis === dims.length - 1 && this.env.scalars.has(n))) {
      const acc = this.env.scalars.has(n) ? this.env.storage.get(n)! : this.env.names.fresh("acc");
      this.out.push(`let ${acc} = ${init};`);
      this.out.push(
        ...this.nest(dims, (idx, suffix) => {
          const body = this.freshBody(suffix);
          const v = this.valueAt(x, idx, body);
          return [...body.lines, combine(acc, v)];
        }),
      );
      if (!this.env.scalars.has(n)) this.out.push(`${this.store(n)}[0] = ${acc};`);
      return;
    }
    // Reduce one axis: accumulate into the output, iterating the input in row-major order.
    const target = this.store(n);
    const outShape = dims.map((d, i) => (i === axis ? 1 : d));
    this.out.push(`${target}.fill(${init});`);
    this.out.push(
      ...this.nest(dims, (idx, suffix) => {
        const body = this.freshBody(suffix);
        const v = this.valueAt(x, idx, body);
        return [...body.lines, combine(`${target}[${broadcastOffset(outShape, idx)}]`, v)];
      }),
    );
  }

  private rowwise(n: Node): void {
    const op = getOp(n.op);
    const x0 = n.inputs[0]!;
    const perRowOutput = n.shape.length < Math.max(...n.inputs.map((i) => i.shape.length));
    const rowsShape = perRowOutput ? n.shape : n.shape.slice(0, -1);
    const rowSource = n.inputs.find((i) => i.shape.length > rowsShape.length) ?? n;
    const len = rowSource.shape[rowSource.shape.length - 1] as number;
    const r = "r";
    const at = (node: Node, j: string) => `${this.store(node)}[${affine([[r, len]])} + ${isSimple(j) ? j : `(${j})`}]`.replace(/^(.*)\[0 \+ /, "$1[");
    const lines = op.lowerRow!(
      {
        len,
        input: (i, j) => at(n.inputs[i]!, j),
        hasRowScalar: (i) => n.inputs[i]!.shape.length === rowsShape.length,
        rowScalar: (i) => `${this.store(n.inputs[i]!)}[${r}]`,
        output: (j) => (perRowOutput ? `${this.store(n)}[${r}]` : at(n, j)),
        local: (hint) => this.env.names.fresh(hint),
      },
      n.attrs,
    );
    void x0;
    this.out.push(`for (let ${r} = 0; ${r} < ${sizeExpr(rowsShape)}; ${r}++) {`, ...lines, "}");
  }

  private transpose(n: Node): void {
    const x = n.inputs[0]!;
    const perm = n.attrs.perm as number[];
    const xs = stridesOf(x.shape);
    const target = this.store(n);
    this.out.push(
      ...this.nest(n.shape, (idx) => {
        const src = affine(perm.map((p, d) => [idx[d]!, xs[p]!] as const));
        return [`${target}[${broadcastOffset(n.shape, idx)}] = ${this.store(x)}[${src}];`];
      }),
    );
  }

  /**
   * C = op(A)·op(B), then the epilogue (the elementwise node `owner`, which reads C) per element.
   * Loop order keeps the innermost access contiguous: rows of A against rows of B (dot products)
   * when B is transposed, otherwise C's row accumulates a·B[k, :]; a batch-long contraction (a
   * weight gradient xᵀ·δ) runs the batch outermost.
   */
  private matmul(owner: Node, mm: Node): void {
    const [a, b] = mm.inputs as [Node, Node];
    const { transA, transB } = mm.attrs as { transA: boolean; transB: boolean };
    const [M, N] = mm.shape as [number | string, number | string];
    const K = transA ? a.shape[0]! : a.shape[1]!;
    const A = (i: string | number, k: string | number) => `${this.store(a)}[${transA ? affine([[k, M], [i, 1]]) : affine([[i, K], [k, 1]])}]`;
    const B = (k: string | number, j: string | number) => `${this.store(b)}[${transB ? affine([[j, K], [k, 1]]) : affine([[k, N], [j, 1]])}]`;
    const C = this.store(owner);
    const cAt = (i: string | number, j: string | number) => `${C}[${affine([[i, N], [j, 1]])}]`;
    const bound = (d: number | string) => (typeof d === "number" ? String(d) : "n");
    const epilogue = (i: string | number, j: string | number, acc: string, suffix: string): string[] => {
      if (owner === mm) return [`${cAt(i, j)} = ${acc};`];
      const body = this.freshBody(suffix, { node: mm, name: acc });
      const v = this.computeTop(owner, [i, j], body);
      return [...body.lines, `${cAt(i, j)} = ${v};`];
    };
    const rows = (inner: (i: string | number) => string[]): string[] =>
      typeof M === "number" && M <= 4 ? Array.from({ length: M }, (_, i) => inner(i)).flat() : [`for (let i = 0; i < ${bound(M)}; i++) {`, ...inner("i"), "}"];

    if (typeof K === "number" && typeof N === "number" && N <= REGISTER_COLUMNS) {
      // Few columns: one scalar accumulator per column; a short contraction is written out in full.
      this.out.push(
        ...rows((i) => {
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
        }),
      );
      return;
    }
    if (typeof K !== "number" && typeof M === "number" && typeof N === "number") {
      // Contraction over the batch: C = Σ_batch op(A)[:, k]ᵀ op(B)[k, :], the batch loop outermost.
      this.out.push(`${C}.fill(0);`, "for (let k = 0; k < n; k++) {");
      if (M * N <= UNROLL_ELEMENTS) {
        for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) this.out.push(`${cAt(i, j)} += ${A(i, "k")} * ${B("k", j)};`);
      } else {
        this.out.push(`for (let i = 0; i < ${M}; i++) {`, `const aik = ${A("i", "k")};`, `const cRow = ${affine([["i", N]])};`, `for (let j = 0; j < ${N}; j++) ${C}[cRow + j] += aik * ${B("k", "j")};`, "}");
      }
      this.out.push("}");
      if (owner !== mm) {
        this.out.push(
          ...this.nest([M, N], (idx, suffix) => {
            const acc = this.env.names.fresh(`acc${suffix}`);
            return [`const ${acc} = ${cAt(idx[0]!, idx[1]!)};`, ...epilogue(idx[0]!, idx[1]!, acc, suffix)];
          }),
        );
      }
      return;
    }
    if (typeof K === "number" && typeof N === "number" && !transB) {
      // Many columns: C's row accumulates a·B[k, :] (contiguous in B and C), then the epilogue.
      this.out.push(
        `for (let i = 0; i < ${bound(M)}; i++) {`,
        `const cRow = ${affine([["i", N]])};`,
        `${C}.fill(0, cRow, cRow + ${N});`,
        `for (let k = 0; k < ${K}; k++) {`,
        `const aik = ${A("i", "k")};`,
        `const bRow = ${affine([["k", N]])};`,
        `for (let j = 0; j < ${N}; j++) ${C}[cRow + j] += aik * ${this.store(b)}[bRow + j];`,
        "}",
      );
      if (owner !== mm) {
        const acc = this.env.names.fresh("acc");
        this.out.push(`for (let j = 0; j < ${N}; j++) {`, `const ${acc} = ${C}[cRow + j];`, ...epilogue("i", "j", acc, ""), "}");
      }
      this.out.push("}");
      return;
    }
    // Dot products (B transposed, rows of A against rows of B), or any other case.
    const acc = this.env.names.fresh("acc");
    this.out.push(
      `for (let i = 0; i < ${bound(M)}; i++) {`,
      `for (let j = 0; j < ${bound(N)}; j++) {`,
      `let ${acc} = 0;`,
      `for (let k = 0; k < ${bound(K)}; k++) ${acc} += ${A("i", "k")} * ${B("k", "j")};`,
      ...epilogue("i", "j", acc, ""),
      "}",
      "}",
    );
  }
}
