// Takes the weight gradients of backpropagation through time out of its loop. The reverse scan carries
// each running sum ∂L/∂W and adds one step's share to it at every step:
//   ∂W ← ∂W + hₜᵀ·δₜ          (a product over the batch rows of step t)
//   ∂b ← ∂b + Σ_rows δₜ
// A sum of such products over the steps is one product over every position: Σₜ hₜᵀ·δₜ = Hᵀ·Δ, with H and Δ
// the per-step values stacked [batch, T, …] (matmul reads a sequence's leading axes as its rows). So the
// body stores δₜ per step instead (hₜ is a stored sequence already: a step input of the reverse body), and
// the sum is one large product after the loop, as torch and cuDNN compute an LSTM's weight gradients:
// one GEMM with a contraction of batch·T rows instead of T small ones, and no copy of ∂W per step.
//   ∂W = ∂W₀ + Hᵀ·Δ           ∂b = ∂b₀ + Σ_{batch, steps} Δ
// The sums are the same terms, added in another order (a float32 or float64 result may differ in its
// last bits from the per-step sums; it is deterministic).
//
// Only scans whose body is not differentiated again (the reverse bodies): a forward body's outputs are
// wired to its derivative by position. A carry is hoisted when the body's new value of it is
// add(carry, c) with c one of the two forms above and the carry read nowhere else.
// Test: test/passes/hoistStepSums.test.ts
import { createContext, make, withContext } from "../ir/context.js";
import { bodyKey } from "../ir/body.js";
import { makeGraph, reachable } from "../ir/graph.js";
import type { Node } from "../ir/node.js";
import { matmulOp } from "../ops/matmul.js";
import { sum } from "../ops/reduce.js";
import { part, scanOp, type ScanAttrs, type ScanBody } from "../ops/scan.js";
import { add } from "../ops/math.js";
import type { Pass } from "./pass.js";
import { withRoots } from "./rewrite.js";

/** One step's share of a running sum: Aₜᵀ·Dₜ (A present), or Σ_rows Dₜ. */
interface Share {
  readonly carry: number;
  readonly A: Node | null;
  readonly D: Node;
}

/** A per-step value of rows (the batch, or a fixed number of them): stacked over the steps it is [rows, T, …]. */
const batchRows = (n: Node) => n.shape.length === 2;

/** The share c of `next = add(carry, c)`, if c is a product or a row sum over the batch rows of one step. */
function shareOf(next: Node, carry: Node, index: number): Share | null {
  if (next.op !== "add") return null;
  const [x, y] = next.inputs as [Node, Node];
  const c = x === carry ? y : y === carry ? x : null;
  if (!c || c === carry) return null;
  if (c.op === "matmul" && c.attrs.transA && !c.attrs.transB && c.inputs.every(batchRows)) return { carry: index, A: c.inputs[0]!, D: c.inputs[1]! };
  if (c.op === "sum" && c.attrs.axis === 0 && !c.attrs.keepdims && batchRows(c.inputs[0]!)) return { carry: index, A: null, D: c.inputs[0]! };
  return null;
}

/** Whether n is all zeros (the usual start of a running sum: a folded constant, or a broadcast 0). */
const zeros = (n: Node): boolean =>
  (n.op === "const" && ((n.attrs.values as number[] | undefined)?.every((v) => v === 0) ?? n.attrs.value === 0)) || (n.op === "broadcastTo" && zeros(n.inputs[0]!));

/** The running sums of a reverse body that can leave its loop. */
function sharesOf(body: ScanBody): Share[] {
  if (body.differentiable || body.backward) return [];
  const g = body.graph;
  const uses = new Map<Node, number>();
  for (const n of g.nodes) for (const i of n.inputs) uses.set(i, (uses.get(i) ?? 0) + 1);
  for (const [, o] of g.outputs) uses.set(o, (uses.get(o) ?? 0) + 1);
  const shares: Share[] = [];
  for (let i = 0; i < body.carries; i++) {
    const carry = g.inputs[i]!, next = g.outputs[i]![1];
    // The carry feeds only its own update, and the update is only the new carry.
    if (uses.get(carry) !== 1 || uses.get(next) !== 1) continue;
    const share = shareOf(next, carry, i);
    if (share) shares.push(share);
  }
  return shares;
}

// Not rebuild()'s hook: rebuild makes each node before its hook sees it, and a `part` of the old scan
// made on the new one would be checked against the new scan's results, which have moved. Here a part
// is replaced before it is made.
export const hoistStepSums: Pass = (g) => {
  let changes = 0;
  const ctx = createContext();
  const map = new Map<Node, Node>();
  /** For a rebuilt scan whose sums left it: its new node, and what each old result index became. */
  const moved = new Map<Node, { readonly scan: Node; readonly result: (index: number) => Node }>();
  withContext(ctx, () => {
    for (const n of g.nodes) {
      const inputs = n.inputs.map((i) => map.get(i)!);
      ctx.loc = n.loc;
      const from = n.op === "part" ? moved.get(n.inputs[0]!) : undefined;
      if (from) {
        const result = from.result(n.attrs.index as number);
        if (n.name && !result.name) result.name = n.name;
        map.set(n, result);
        continue;
      }
      const shares = n.op === "scan" ? sharesOf((n.attrs as unknown as ScanAttrs).body) : [];
      if (shares.length === 0) {
        const made = ctx.builder.make(n.def, inputs, n.attrs, n.loc, n.name);
        if (n.origin && !made.origin) made.origin = n.origin;
        map.set(n, made);
        continue;
      }
      changes += shares.length;
      moved.set(n, hoist(n, inputs, shares));
      map.set(n, moved.get(n)!.scan);
    }
  });
  return changes === 0 ? { graph: g, changes } : { graph: withRoots(g, map), changes };
};

/** The scan without the hoisted carries, storing the per-step values the sums need; the sums after it. */
function hoist(scan: Node, inputs: readonly Node[], shares: readonly Share[]): { scan: Node; result: (index: number) => Node } {
  const { body, length, reverse } = scan.attrs as unknown as ScanAttrs;
  const g = body.graph;
  const k = body.carries, m = body.steps;
  const gone = new Set(shares.map((s) => s.carry));
  // Each per-step value a sum reads, stacked [batch, T, …]: a step input is its sequence already; any other
  // value becomes a per-step output of the body (once, however many sums read it).
  // (A value the body already outputs per step — a step input's gradient δₜ — is read from that output.)
  const extra: Node[] = [];
  const stackedAt = new Map<Node, number | Node>();
  const stack = (v: Node): void => {
    if (stackedAt.has(v)) return;
    const j = g.inputs.indexOf(v);
    const q = g.outputs.findIndex(([, o], i) => i >= k && o === v);
    if (j >= k && j < k + m) stackedAt.set(v, inputs[j]!);
    else if (q >= 0) stackedAt.set(v, q - gone.size);
    else stackedAt.set(v, g.outputs.length - gone.size + extra.push(v) - 1);
  };
  for (const s of shares) {
    if (s.A) stack(s.A);
    stack(s.D);
  }
  // The new body's results: the carries that stay, the per-step outputs, then the stored values. Its
  // inputs: the carries that stay, and the step inputs and captures something still reads (a step input
  // only the sums read — hₜ, xₜ — is no longer copied in at every step).
  const outputs = [...g.outputs.filter((_, i) => !gone.has(i)), ...extra.map((v) => [`${v.name ?? v.op}_steps`, v] as const)];
  const read = reachable(outputs.map(([, v]) => v));
  const kept = g.inputs.map((ph, i) => (i < k ? !gone.has(i) : read.has(ph)));
  const newBody: ScanBody = {
    canonicalKey: bodyKey(),
    graph: makeGraph({ ...g, inputs: g.inputs.filter((_, i) => kept[i]), outputs }),
    carries: k - gone.size,
    steps: kept.slice(k, k + m).filter(Boolean).length,
  };
  const next = make(scanOp, inputs.filter((_, i) => kept[i]), { body: newBody, length, reverse });
  const sequence = (v: Node): Node => {
    const at = stackedAt.get(v)!;
    if (typeof at !== "number") return at;
    const p = part(next, at);
    p.name ??= `${v.name ?? v.op}_steps`;
    return p;
  };
  const sums = new Map(
    shares.map((s) => {
      const total = s.A ? make(matmulOp, [sequence(s.A), sequence(s.D)], { transA: true, transB: false }) : sum(sum(sequence(s.D), 0), 0);
      const initial = inputs[s.carry]!;
      return [s.carry, zeros(initial) ? total : add(initial, total)] as const;
    }),
  );
  const shift = (i: number) => i - [...gone].filter((c) => c < i).length;
  return { scan: next, result: (i) => sums.get(i) ?? part(next, shift(i)) };
}
