// Whether a model's training loss is row-independent: the mean over the batch of a term per row, where
// row i of every batched value depends only on row i of the inputs. Exactly then a batch split into
// shards gives the whole batch's loss and gradient as Σ_s (n_s/n)·(shard s's loss and gradient), which
// is how the data-parallel trainer (runtime/parallel.ts) combines its shards. The generated module's
// spec says so (`rowIndependent`, and `rowMixing`, the reason, when not), and createParallelTrainer
// refuses threads > 1 for a model that mixes rows: batchNorm in training mode (each row is normalized
// with statistics of the whole batch), a [batch, batch] value (h·hᵀ), a softmax or max along the batch,
// a loss that sums over the batch instead of averaging (shard losses are averaged).
//
// An abstract interpretation over the training graph, one class per node:
//   N(q)  no rows: a constant times n^q (n the batch size; a parameter is N(0), the `dim` node N(1));
//   R(q)  batch-leading values, row i a function of row i of the inputs alone, times n^q;
//   A(q)  a sum over the rows of an R(0) value, times n^q (A(−1) is a mean over the batch);
//   X     rows mixed: the node and why.
// Linear ops keep A (Σ rows, then ·W, ÷N, + a constant only for a mean); anything nonlinear of an A,
// or an A flowing back into rows, is X; ops unknown to the rules are X, so the answer errs on refusing.
// Tested in test/ir/rows.test.ts; the refusal in test/runtime/parallelRows.test.ts.
import type { Graph } from "./graph.js";
import { formatLoc } from "./loc.js";
import type { Node } from "./node.js";
import type { Dim } from "./shape.js";

type Class = { readonly k: "N" | "R" | "A"; readonly q: number } | { readonly k: "X"; readonly why: string };

export type RowIndependence = { readonly independent: true } | { readonly independent: false; readonly why: string };

const isBatch = (d: Dim): boolean => typeof d !== "number";
/** The batch dimension exactly once, leading. */
const batchLeading = (shape: readonly Dim[]): boolean => shape.length > 0 && isBatch(shape[0]!) && shape.filter(isBatch).length === 1;
const batched = (shape: readonly Dim[]): boolean => shape.some(isBatch);

const at = (n: Node): string => {
  const where = formatLoc(n.loc);
  return where ? ` (${n.op} at ${where})` : ` (${n.op})`;
};
const mixed = (n: Node, why: string): Class => ({ k: "X", why: `${why}${at(n)}` });

/** The class of every node the loss (and the training updates) depend on. */
function classify(n: Node, ins: readonly Class[]): Class {
  const x = ins.find((c) => c.k === "X");
  if (x) return x;
  const cs = ins as readonly { k: "N" | "R" | "A"; q: number }[];
  const allN = cs.every((c) => c.k === "N");
  const rows = (q: number): Class => (batchLeading(n.shape) ? { k: "R", q } : mixed(n, `its result ${shapeText(n.shape)} does not keep the batch as its leading axis, once`));
  const op = n.def;

  if (op.kind === "leaf") {
    if (n.op === "dim") return { k: "N", q: 1 };
    if (!batched(n.shape)) return { k: "N", q: 0 };
    return batchLeading(n.shape) ? { k: "R", q: 0 } : mixed(n, `${n.attrs.name ? `"${String(n.attrs.name)}" ` : ""}holds the batch ${shapeText(n.shape)} other than once as the leading axis`);
  }
  if (n.op === "select") return ins[0]!; // the training value (the trainer trains)
  if (allN) {
    const q = cs.map((c) => c.q);
    if (n.op === "mul") return { k: "N", q: q[0]! + q[1]! };
    if (n.op === "div") return { k: "N", q: q[0]! - q[1]! };
    if (n.op === "neg" || op.kind === "view" || op.kind === "layout" || n.op === "sum") return { k: "N", q: q[0]! };
    return { k: "N", q: q.every((v) => v === 0) ? 0 : NaN };
  }
  const aggregate = cs.find((c) => c.k === "A");

  if (op.kind === "elementwise") {
    if (n.op === "add" || n.op === "sub") return linearSum(n, cs);
    if (n.op === "neg" || n.op === "stopGradient") return cs[0]!;
    if (n.op === "mul" || n.op === "div") {
      const [a, b] = cs as [(typeof cs)[number], (typeof cs)[number]];
      const q = n.op === "mul" ? a.q + b.q : a.q - b.q;
      if (Number.isNaN(q)) return mixed(n, "it scales a batched value by a function of the batch size");
      if (aggregate) {
        if (a.k === "A" && b.k === "N") return { k: "A", q };
        if (n.op === "mul" && a.k === "N" && b.k === "A") return { k: "A", q };
        return mixed(n, "it combines a value over the whole batch with each row, or with another such value");
      }
      return rows(q);
    }
    if (aggregate) return mixed(n, "it is a nonlinear function of a value over the whole batch");
    if (cs.some((c) => c.q !== 0)) return mixed(n, "it is a nonlinear function of a value scaled by the batch size");
    return rows(0);
  }
  if (op.kind === "reduce") {
    const [c] = cs as [(typeof cs)[number]];
    const axis = n.attrs.axis as number | null;
    const x0 = n.inputs[0]!;
    const overBatch = c.k === "R" && (axis === null || isBatch(x0.shape[axis]!));
    if (n.op === "sum") {
      if (c.k === "A") return c;
      return overBatch ? { k: "A", q: c.q } : rows(c.q);
    }
    if (c.k === "A") return mixed(n, "it is a nonlinear reduction of a value over the whole batch");
    return overBatch ? mixed(n, `${n.op} along the batch compares rows with each other`) : rows(c.q);
  }
  if (op.kind === "view" || op.kind === "layout") {
    const [c] = cs as [(typeof cs)[number]];
    if (c.k === "A") return batched(n.shape) ? mixed(n, "a value over the whole batch is broadcast back to every row") : c;
    if (n.op === "transpose" && (n.attrs.perm as number[])[0] !== 0) return mixed(n, "it moves the batch away from the leading axis");
    return rows(c.q);
  }
  if (aggregate) return mixed(n, "it reads a value over the whole batch");
  if (cs.some((c) => c.q !== 0)) return mixed(n, "it reads a value scaled by the batch size");
  if (op.kind === "matmul") {
    const [a, b] = n.inputs as [Node, Node];
    if (batched(b.shape) || n.attrs.transA) return mixed(n, `${shapeText(a.shape)}${n.attrs.transA ? "ᵀ" : ""}·${shapeText(b.shape)}${n.attrs.transB ? "ᵀ" : ""} pairs or sums rows of the batch`);
    return rows(0);
  }
  if (op.kind === "rowwise") {
    // Along the last axis of each row of its first operand: the batch itself when that is a [batch]
    // vector; other operands hold one value or one row per row (class labels, targets).
    const x0 = n.inputs[0]!;
    if (batched(x0.shape) && x0.shape.length < 2) return mixed(n, `${n.op} runs along the batch of ${shapeText(x0.shape)}`);
    if (n.inputs.some((i) => batched(i.shape) && !batchLeading(i.shape))) return mixed(n, "an operand holds the batch other than once as the leading axis");
    return rows(0);
  }
  if (op.tuple) {
    // A scan: its body runs on every row's slice of the sequences; the body itself must not mix rows.
    if (n.inputs.some((i) => batched(i.shape) && !batchLeading(i.shape))) return mixed(n, "an operand holds the batch other than once as the leading axis");
    const body = (n.attrs.body as { graph?: Graph } | undefined)?.graph;
    const inner = body ? classifyAll(body.outputs.map(([, o]) => o)) : null;
    const bad = inner && body!.outputs.map(([, o]) => inner.get(o)!).find((c) => c.k === "X" || c.k === "A");
    if (bad) return bad.k === "X" ? bad : mixed(n, "its body sums over the batch");
    return { k: "R", q: 0 };
  }
  // kernel ops (convolution, pooling, slicing, concat, gather, scan): row-wise when every batched
  // operand has the batch leading, the op does not work along axis 0, and a gathered table has no rows.
  if (n.op === "gather" && batched(n.inputs[0]!.shape)) return mixed(n, "it looks rows of the batch up by index");
  if (n.op === "scatterAdd") return mixed(n, "it adds rows of the batch into a table");
  if (n.inputs.some((i) => batched(i.shape) && !batchLeading(i.shape))) return mixed(n, "an operand holds the batch other than once as the leading axis");
  if (n.attrs.axis === 0 && n.inputs.some((i) => batched(i.shape))) return mixed(n, `${n.op} works along the batch`);
  return rows(0);
}

/** add/sub: same-scaled rows, same-scaled sums over rows, or a mean plus a constant. */
function linearSum(n: Node, cs: readonly { k: "N" | "R" | "A"; q: number }[]): Class {
  const kinds = new Set(cs.filter((c) => !(c.k === "N" && c.q === 0)).map((c) => c.k));
  const scales = new Set(cs.filter((c) => c.k !== "N" || c.q !== 0).map((c) => c.q));
  const withConstant = cs.some((c) => c.k === "N" && c.q === 0);
  if (kinds.size === 1 && scales.size === 1) {
    const [k] = kinds as Set<"N" | "R" | "A">;
    const [q] = scales as Set<number>;
    if (k === "A") {
      if (batched(n.shape)) return mixed(n, "a value over the whole batch is combined with every row");
      if (withConstant && q !== -1) return mixed(n, "it adds a constant to a sum over the batch (a shard's sum plus the constant is not its share)");
      return { k: "A", q };
    }
    if (k === "R" && (q === 0 || !withConstant)) return batchLeading(n.shape) ? { k: "R", q } : mixed(n, "its result does not keep the batch leading");
    if (k === "N") return { k: "N", q: NaN };
  }
  if (kinds.has("A")) return mixed(n, batched(n.shape) ? "a value over the whole batch is combined with every row" : "it adds values over the batch of different scales");
  return mixed(n, "it adds values scaled by different powers of the batch size");
}

/** The class of every node `roots` depend on, inputs first (ids are a topological order). */
function classifyAll(roots: readonly Node[]): Map<Node, Class> {
  const cls = new Map<Node, Class>();
  const need = new Set<Node>();
  const stack = [...roots];
  while (stack.length) {
    const n = stack.pop()!;
    if (need.has(n)) continue;
    need.add(n);
    stack.push(...n.inputs);
  }
  for (const n of [...need].sort((a, b) => a.id - b.id)) cls.set(n, classify(n, n.inputs.map((i) => cls.get(i)!)));
  return cls;
}

const shapeText = (s: readonly Dim[]): string => `[${s.join(", ")}]`;

/**
 * Whether the training graph's loss is the mean over the batch of row-independent terms (and the
 * state updates, batchNorm's running statistics, do not read the batch). Needs a symbolic batch.
 */
export function rowIndependence(g: Graph): RowIndependence {
  if (!g.loss || g.batchDim === null) return { independent: false, why: "the model has no symbolic batch dimension to split (it was compiled with --batch, or has no batch)" };
  const cls = classifyAll([g.loss, ...(g.updates ?? []).map(([, u]) => u)]);
  const loss = cls.get(g.loss)!;
  if (loss.k === "X") return { independent: false, why: loss.why };
  if (!(loss.k === "N" && loss.q === 0) && !(loss.k === "A" && loss.q === -1)) {
    const what = loss.k === "A" && loss.q === 0 ? "sums over the batch where shards' losses are averaged: it needs a mean" : "is not the mean over the batch of a term per row";
    return { independent: false, why: `the loss ${what}${at(g.loss)}` };
  }
  for (const [name, u] of g.updates ?? []) {
    const c = cls.get(u)!;
    if (!(c.k === "N" && c.q === 0)) return { independent: false, why: `the training update of "${name}" reads the batch (its statistics would be a shard's)${at(u)}` };
  }
  return { independent: true };
}
