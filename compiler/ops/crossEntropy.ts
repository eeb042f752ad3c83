// Cross-entropy of logits, one value per row (the DSL's softmaxCrossEntropy takes their mean), and
// onehot. Computed as −Σ_j t_j·(x_j − max − log Σ exp(x − max)): finite for logits near ±1000.
// The derivative is the textbook one, with no log or exp of the forward pass to differentiate:
//   ∂/∂x = (softmax(x)·Σ_j t_j − t) ⊙ g      which for class labels (Σ_j t_j = 1) is (softmax(x) − onehot)⊙g
import { make } from "../ir/context.js";
import type { Node } from "../ir/node.js";
import { formatShape, ShapeError } from "../ir/shape.js";
import { checkTensor, tensorOf, type Operand, type Tensor } from "./build.js";
import { defineOp } from "./op.js";
import { rowMaxAndSum, rowStats } from "./softmax.js";

const isLabels = (t: Node) => t.dtype === "i";

export const softmaxCEOp = defineOp({
  name: "softmaxCE",
  kind: "rowwise",
  indexBounds: (n) => (n.inputs[1]!.dtype === "i" ? [[1, n.inputs[0]!.shape[1] as number]] : []), // labels, not float targets
  shape: ([x, t]) => {
    const bad = () => new ShapeError(`logits ${formatShape(x!.shape)} need labels [${String(x!.shape[0])}] (integers) or targets ${formatShape(x!.shape)}, got ${formatShape(t!.shape)}${isLabels(t!) ? " integers" : ""}`);
    if (x!.shape.length !== 2 || typeof x!.shape[1] !== "number") throw new ShapeError(`logits must be [rows, classes] with static classes, got ${formatShape(x!.shape)}`);
    if (isLabels(t!) ? t!.shape.length !== 1 || t!.shape[0] !== x!.shape[0] : t!.shape.length !== 2 || t!.shape[0] !== x!.shape[0] || t!.shape[1] !== x!.shape[1]) throw bad();
    return [x!.shape[0]!];
  },
  eval: ([x, t], _, shape) => {
    const out = new Float64Array(shape[0]!);
    const c = x!.shape[1]!;
    const labels = t!.shape.length === 1;
    rowStats(x!, (row, m, s, r) => {
      const ls = Math.log(s);
      if (labels) out[r] = -(row[t!.data[r]!]! - m - ls);
      else {
        let acc = 0;
        for (let j = 0; j < c; j++) acc += t!.data[r * c + j]! * (row[j]! - m - ls);
        out[r] = -acc;
      }
    });
    return { shape, data: out };
  },
  vjp: (g, { inputs: [x, t] }, { broadcastTo, logSoftmax, mul, neg, onehot, reshape, softmax, sub, sum }) => {
    const perRow = broadcastTo(reshape(g, [x!.shape[0]!, 1]), x!.shape);
    if (isLabels(t!)) return [mul(sub(softmax(x!), onehot(t!, x!.shape[1] as number)), perRow), null];
    const dx = mul(sub(mul(softmax(x!), broadcastTo(sum(t!, -1, true), x!.shape)), t!), perRow);
    return [dx, mul(neg(logSoftmax(x!)), perRow)];
  },
  lowerRow(ctx) {
    const { m, s, lines } = rowMaxAndSum(ctx);
    const ls = ctx.local("logSum");
    lines.push(`const ${ls} = Math.log(${s});`);
    if (ctx.hasRowScalar(1)) return [...lines, `${ctx.output("0")} = -(${ctx.input(0, ctx.rowScalar(1))} - ${m} - ${ls});`];
    const acc = ctx.local("acc"), j = ctx.local("j");
    return [
      ...lines,
      `let ${acc} = 0;`,
      `for (let ${j} = 0; ${j} < ${ctx.len}; ${j}++) ${acc} += ${ctx.input(1, j)} * (${ctx.input(0, j)} - ${m} - ${ls});`,
      `${ctx.output("0")} = -${acc};`,
    ];
  },
  notation: ([x, t]) => `CE(softmax(${x}), ${t})`,
});

/** onehot(labels, C)[r, j] = [labels[r] = j]. */
export const onehotOp = defineOp({
  name: "onehot",
  kind: "rowwise",
  indexBounds: (n) => [[0, n.attrs.classes as number]],
  shape: ([l], { classes }) => {
    if (l!.dtype !== "i" || l!.shape.length !== 1) throw new ShapeError(`onehot needs integer labels [rows], got ${formatShape(l!.shape)}`);
    return [l!.shape[0]!, classes as number];
  },
  eval: ([l], { classes }, shape) => {
    const c = classes as number;
    const out = new Float64Array(shape[0]! * c);
    l!.data.forEach((v, r) => (out[r * c + v] = 1));
    return { shape, data: out };
  },
  vjp: () => [null],
  lowerRow(ctx) {
    const j = ctx.local("j");
    return [`for (let ${j} = 0; ${j} < ${ctx.len}; ${j}++) ${ctx.output(j)} = ${ctx.rowScalar(0)} === ${j} ? 1 : 0;`];
  },
  notation: ([l]) => `onehot(${l})`,
});

// ── the DSL functions (model.ts imports them from "gradc": ../dsl/index.ts re-exports them) ─────────

export function onehot(labels: Tensor, classes: number): Tensor {
  return make(onehotOp, [labels], { classes });
}

/** Per-row −Σ targets·logSoftmax(logits): integer labels [rows] or target rows [rows, classes]. */
export function softmaxCrossEntropyRows(logits: Operand, targets: Tensor): Tensor {
  return make(softmaxCEOp, [tensorOf(logits), checkTensor(targets)]);
}
