// A scan whose body is exactly one of gradc's recurrent cells (../dsl/recurrent.ts: torch's equations)
// becomes ONNX's LSTM, GRU or RNN operator instead of a generic Scan.
//
// "Exactly" is decided by building the cell itself: lstmCell / gruCell / rnnCell are traced on
// placeholders of the body's shapes and optimized as every scan body is (pipeline.ts), and the result
// must unify with the body node for node (./unify.ts) — same ops, attributes and shapes, each placeholder standing
// for one body input (x a step input, h and c carries, the weights captured parameters). A body that
// computes anything else (a per-step output other than h, a modified gate) falls back to Scan.
//
// gradc's weights are torch's transposed ([in, gates·H]) with torch's gate order; ONNX wants
// [gates·H, in] with its own order, so the initializers are rearranged once:
//   LSTM  torch i, f, g, o  →  ONNX i, o, f, c
//   GRU   torch r, z, n     →  ONNX z, r, h   (linear_before_reset = 1: torch applies r after h·W_hn + b_hn)
// ONNX recurrences take [T, batch, …] (layout 0), gradc's sequences are [batch, T, …]: transposes around.
// Test: test/export/onnx.test.ts ("recurrent layers")
import { createContext, make, withContext } from "../ir/context.js";
import { gruCell, lstmCell, rnnCell, type CellParams } from "../dsl/recurrent.js";
import { makeGraph, type Graph } from "../ir/graph.js";
import type { Node } from "../ir/node.js";
import type { Dim } from "../ir/shape.js";
import type { ScanAttrs } from "../ops/scan.js";
import { optimizeForwardBody } from "../pipeline.js";
import { int, ints, str } from "./onnxGraph.js";
import type { Lowering } from "./onnxOps.js";
import { unifier, unify } from "./unify.js";
import { inputOp } from "../ops/leaf.js";

type Kind = "lstm" | "gru" | "rnn-tanh" | "rnn-relu";

interface CellOp {
  readonly op: "LSTM" | "GRU" | "RNN";
  readonly gates: number;
  /** For each ONNX gate, the index of the gradc (torch) gate block it is. */
  readonly order: readonly number[];
  readonly carries: 1 | 2;
}

const CELLS: Record<Kind, CellOp> = {
  lstm: { op: "LSTM", gates: 4, order: [0, 3, 1, 2], carries: 2 },
  gru: { op: "GRU", gates: 3, order: [1, 0, 2], carries: 1 },
  "rnn-tanh": { op: "RNN", gates: 1, order: [0], carries: 1 },
  "rnn-relu": { op: "RNN", gates: 1, order: [0], carries: 1 },
};

/** The cell traced on placeholders named after their roles (x, h, c, Wih, Whh, bih, bhh), optimized as a scan body. */
function reference(kind: Kind, bias: boolean, batch: Dim, inSize: number, hidden: number, batchDim: string | null): { graph: Graph; next: Node[] } {
  const ctx = createContext();
  const width = CELLS[kind].gates * hidden;
  const { inputs, next } = withContext(ctx, () => {
    const ph = (name: string, shape: readonly Dim[]) => make(inputOp, [], { name, shape: [...shape], dtype: "f" });
    const x = ph("x", [batch, inSize]), h = ph("h", [batch, hidden]);
    const p: CellParams = { Wih: ph("Wih", [inSize, width]), Whh: ph("Whh", [hidden, width]), bih: bias ? ph("bih", [width]) : null, bhh: bias ? ph("bhh", [width]) : null };
    const weights = [p.Wih, p.Whh, ...(bias ? [p.bih!, p.bhh!] : [])];
    if (kind === "lstm") {
      const c = ph("c", [batch, hidden]);
      const s = lstmCell(x, { h, c }, p);
      return { inputs: [h, c, x, ...weights], next: [s.h, s.c] };
    }
    const h2 = kind === "gru" ? gruCell(x, h, p) : rnnCell(x, h, p, { nonlinearity: kind === "rnn-relu" ? "relu" : "tanh" });
    return { inputs: [h, x, ...weights], next: [h2] };
  });
  const g = makeGraph({ name: kind, batchDim, inputs, params: [], loss: null, outputs: next.map((n, i) => [`carry${i}`, n] as const), grads: [] });
  const optimized = optimizeForwardBody(g).graph;
  return { graph: optimized, next: optimized.outputs.map(([, n]) => n) };
}

interface Match {
  readonly kind: Kind;
  readonly bias: boolean;
  /** Body input index of x, and of h (and c). */
  readonly x: number;
  readonly carries: readonly number[];
  /** Scan input index of each weight role. */
  readonly weights: ReadonlyMap<string, number>;
}

function match(n: Node, used: ReadonlySet<number>): Match | null {
  const { body } = n.attrs as unknown as ScanAttrs;
  const bg = body.graph;
  const k = body.carries, m = body.steps;
  const h0 = bg.inputs[0]!;
  if (m < 1 || h0.shape.length !== 2 || typeof h0.shape[1] !== "number") return null;
  const hidden = h0.shape[1];
  const kinds = (Object.keys(CELLS) as Kind[]).filter((kind) => CELLS[kind].carries === k);
  const orders = k === 2 ? [[0, 1], [1, 0]] : [[0]];
  for (let j = 0; j < m; j++) {
    const x = bg.inputs[k + j]!;
    if (x.shape.length !== 2 || typeof x.shape[1] !== "number" || x.dtype !== "f") continue;
    for (const kind of kinds)
      for (const bias of [true, false]) {
        const ref = reference(kind, bias, h0.shape[0]!, x.shape[1], hidden, bg.batchDim);
        for (const carries of orders) {
          const u = unifier((_, node) => node.op === "input");
          const roles = u.roles;
          if (!ref.next.every((r, i) => unify(r, bg.outputs[carries[i]!]![1], u))) continue;
          // The roles must be the body inputs they stand for: x this step input, h (and c) their carries, weights captured.
          if (roles.get("x") !== x || roles.get("h") !== bg.inputs[carries[0]!] || (k === 2 && roles.get("c") !== bg.inputs[carries[1]!])) continue;
          const weights = new Map<string, number>();
          for (const role of ["Wih", "Whh", ...(bias ? ["bih", "bhh"] : [])]) {
            const at = bg.inputs.indexOf(roles.get(role)!);
            if (at >= k + m) weights.set(role, at);
          }
          if (weights.size !== (bias ? 4 : 2)) continue;
          // Every per-step output that is read must be h itself (ONNX's Y holds every step's h).
          const h = bg.outputs[carries[0]!]![1];
          if ([...used].some((q) => q >= k && bg.outputs[q]![1] !== h)) continue;
          return { kind, bias, x: k + j, carries, weights };
        }
      }
  }
  return null;
}

/** The scan's results from an ONNX LSTM/GRU/RNN, or null when its body is not exactly one of these cells. */
export function exportCell(cx: Lowering, n: Node, input: (k: number) => string, used: ReadonlySet<number>): (string | null)[] | null {
  const found = match(n, used);
  if (!found) return null;
  const values = new Map<string, Float32Array>();
  for (const [role, at] of found.weights) {
    const v = cx.valuesOf(n.inputs[at]!);
    if (!v) return null; // computed weights: the generic Scan computes them as they are
    values.set(role, v);
  }
  const { body, reverse } = n.attrs as unknown as ScanAttrs;
  const bg = body.graph;
  const cell = CELLS[found.kind];
  const hidden = bg.inputs[0]!.shape[1] as number;
  const inSize = bg.inputs[found.x]!.shape[1] as number;
  const width = cell.gates * hidden;
  const g = cx.g;
  const doc = cx.doc(n);
  const name = n.name ?? found.kind;

  // gradc [rows, gates·H] (torch's gate order) → ONNX [1, gates·H, rows] (ONNX's gate order).
  const rearrange = (w: Float32Array, rows: number) => {
    const out = new Float32Array(w.length);
    cell.order.forEach((from, gate) => {
      for (let r = 0; r < hidden; r++) for (let j = 0; j < rows; j++) out[(gate * hidden + r) * rows + j] = w[j * width + from * hidden + r]!;
    });
    return out;
  };
  const gatesOf = (b: Float32Array) => {
    const out = new Float32Array(b.length);
    cell.order.forEach((from, gate) => out.set(b.subarray(from * hidden, (from + 1) * hidden), gate * hidden));
    return out;
  };
  const W = g.initializer(`${name}.W`, "f", [1, width, inSize], rearrange(values.get("Wih")!, inSize));
  const R = g.initializer(`${name}.R`, "f", [1, width, hidden], rearrange(values.get("Whh")!, hidden));
  let B = "";
  if (found.bias) {
    const b = new Float32Array(2 * width);
    b.set(gatesOf(values.get("bih")!), 0);
    b.set(gatesOf(values.get("bhh")!), width);
    B = g.initializer(`${name}.B`, "f", [1, 2 * width], b);
  }
  const X = g.op("Transpose", [input(found.x)], { perm: ints([1, 0, 2]) }, `${name}_time_major`, doc);
  const initial = found.carries.map((i) => g.op("Unsqueeze", [input(i), g.i64([0])], {}, `${bg.inputs[i]!.name ?? "state"}_initial`, doc));
  const attrs = {
    hidden_size: int(hidden),
    direction: str(reverse ? "reverse" : "forward"),
    ...(found.kind === "gru" ? { linear_before_reset: int(1) } : {}),
    ...(found.kind === "rnn-relu" ? { activations: { strings: ["Relu"] } } : {}),
  };
  const [Y, Yh, Yc] = g.node(cell.op, [X, W, R, B, "", ...initial], attrs, [`${name}_Y`, `${name}_Y_h`, ...(cell.carries === 2 ? [`${name}_Y_c`] : [])], doc);

  const out: (string | null)[] = bg.outputs.map(() => null);
  const last = [Yh!, Yc!];
  found.carries.forEach((i, r) => {
    if (used.has(i)) out[i] = g.op("Squeeze", [last[r]!, g.i64([0])], {}, `${bg.inputs[i]!.name ?? "state"}_last`, doc);
  });
  const perStep = [...used].filter((q) => q >= body.carries);
  if (perStep.length) {
    const steps = g.op("Transpose", [g.op("Squeeze", [Y!, g.i64([1])], {}, `${name}_steps`, doc)], { perm: ints([1, 0, 2]) }, `${name}_outputs`, doc);
    for (const q of perStep) out[q] = steps;
  }
  return out;
}
