// `gradc summary model.ts`: a table of the model's layers, like Keras' model.summary() and torchinfo —
// each layer's output shape, parameter count and FLOPs per sample — and the totals.
//
// gradc has no layer objects: a model is a graph. A "layer" here is what the graph shows one to be,
// found in the optimized inference graph (what forward() and evaluate() compute), in this order of
// precedence:
//   - a linear layer: a matmul or convolution with a trainable weight, with its bias and activation
//     (explain's layers, compiler/explain/layers.ts; conv1d is its conv2d over one column);
//   - a pooling (maxPool2d, avgPool2d), an embedding (gather from a parameter table), a recurrence (a
//     scan with its cell: every parameter its body reads), a layer normalization (the export's match of
//     what layerNorm builds, compiler/export/layerNorm.ts);
//   - the parameters no such layer reads, grouped by name ("bn.weight", "bn.runningMean", … form "bn",
//     a batchNorm), each group with the ops that read it and the ops between those;
//   - then two rows for what is left: "(other)", the parameter-free ops between and after layers that
//     an output needs, and "(loss)", those only the loss needs.
// Every op of the graph is in exactly one row, so the rows' FLOPs add up to the forward total, and
// every parameter in exactly one (an unused one in "(unused)"), so their counts add up to the model's.
// FLOPs are compiler/ir/flops.ts's count at batch 1; a row is named as `gradc explain` names its output.
// Nothing here writes a file. Test: test/cli/summary.test.ts (through the CLI, on every example).
import { basename } from "node:path";
import { inferenceGraph, trainingGraph } from "./pipeline.js";
import { derive } from "./explain/derivation.js";
import { findLayers } from "./explain/layers.js";
import { findLayerNorms } from "./export/layerNorm.js";
import { loadModel } from "./frontend/load.js";
import { flops, nodeFlops } from "./ir/flops.js";
import { makeGraph, reachable, type Graph } from "./ir/graph.js";
import { formatLoc } from "./ir/loc.js";
import type { Node } from "./ir/node.js";
import { formatShape } from "./ir/shape.js";
import { opOf } from "./ops/op.js";
import type { ScanAttrs } from "./ops/scan.js";
import { optimize } from "./pipeline.js";
import type { ConvAttrs, PoolAttrs } from "./dsl/conv.js";

export interface SummaryOptions {
  readonly format?: "text" | "json";
}

export interface SummaryRow {
  /** The row's output as `gradc explain` names it (h₁, logits), or "(loss)", "(other)", "(unused)". */
  readonly name: string;
  /** What it computes: "conv2d 5×5, 1→8 + relu", "dense 256→10", "maxPool2d 2×2". */
  readonly kind: string;
  /** The output's shape, the batch dimension by its name ([batch, 24, 24, 8]); null for the rows of left-over ops. */
  readonly shape: string | null;
  /** Elements of the parameters the row owns: trainable, and non-trainable state (batchNorm's running statistics). */
  readonly params: number;
  readonly state: number;
  /** Their names, in declaration order. */
  readonly paramNames: readonly string[];
  /** Floating-point operations per sample (the batch dimension at 1), compiler/ir/flops.ts's count. */
  readonly flops: number;
  /** Where in model.ts its output is computed (model.ts:13:24), "" when nowhere in particular. */
  readonly at: string;
}

export interface ModelSummary {
  readonly model: string;
  readonly source: string;
  /** The symbolic batch dimension's name, or null when every shape is static. */
  readonly batchDim: string | null;
  readonly rows: readonly SummaryRow[];
  readonly totals: {
    /** Every parameter's elements, trainable and state. */
    readonly params: number;
    readonly trainable: number;
    readonly state: number;
    /** The parameters as float32 (4 bytes each), as a checkpoint or initParams holds them. */
    readonly bytesF32: number;
    /** What evaluate() computes (the loss and the outputs, inference mode), per sample. */
    readonly forwardFlops: number;
    /** One training step's forward and backward passes (the loss and every gradient, training mode), per sample, without the optimizer's update. */
    readonly trainingFlops: number;
  };
}

/** `gradc summary` in the caller's process (the CLI runs summaryText in the box). */
export async function summaryFile(file: string, options: SummaryOptions = {}): Promise<string> {
  return summaryText(await loadModel(file), basename(file), options.format ?? "text");
}

/** The summary of a traced model as the CLI prints it: the table, or its JSON. */
export function summaryText(traced: Graph, source: string, format: "text" | "json"): string {
  const summary = summarizeGraph(traced, source);
  return format === "json" ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary);
}

/** The summary of a traced model (its forward graph, as loadModel returns it). */
export function summarizeGraph(traced: Graph, source: string): ModelSummary {
  // Layers as the model writes them: a recurrence's input product stays in its scan's row (the compiled
  // module computes it before the loop, passes/hoistStepProducts.ts; the FLOPs are the same).
  const optimized = optimize(traced, { hoistStepProducts: false }).graph;
  const evaluation = inferenceGraph(optimized);
  const forward = forwardGraph(evaluation);
  const train = trainingGraph(optimized);
  const rows = findRows(evaluation, forward, source);
  const size = (p: Node) => (p.shape as number[]).reduce((a, b) => a * b, 1);
  const trainable = traced.params.filter((p) => p.attrs.trainable !== false).reduce((a, p) => a + size(p), 0);
  const state = traced.params.filter((p) => p.attrs.trainable === false).reduce((a, p) => a + size(p), 0);
  return {
    model: traced.name,
    source,
    batchDim: traced.batchDim,
    rows,
    totals: {
      params: trainable + state,
      trainable,
      state,
      bytesF32: 4 * (trainable + state),
      forwardFlops: flops(forward, 1),
      trainingFlops: flops(makeGraph({ ...train, outputs: [] }), 1),
    },
  };
}

/** The loss and the outputs, without the gradients the joint graph also holds. */
export const forwardGraph = (g: Graph): Graph => makeGraph({ ...g, grads: [], updates: [] });

// ── rows ────────────────────────────────────────────────────────────────────────────────────────

interface Group {
  readonly kind: string;
  /** The row's name when its output's is not the right one: a parameter group's ("bn"), a recurrence's (the scan's). */
  readonly name?: Node | string;
  readonly output: Node;
  readonly nodes: ReadonlySet<Node>;
  readonly params: readonly Node[];
}

const isView = (n: Node) => n.op === "reshape" || n.op === "broadcastTo";
const unview = (n: Node): Node => (isView(n) ? unview(n.inputs[0]!) : n);
const isParam = (n: Node) => n.op === "param";
const isLeaf = (n: Node) => opOf(n).kind === "leaf";

function findRows(evaluation: Graph, forward: Graph, source: string): SummaryRow[] {
  const inForward = new Set(forward.nodes);
  const claimed = new Set<Node>();
  const owner = new Map<Node, Group>(); // parameter → the first group that reads it
  const groups: Group[] = [];
  const add = (kind: string, output: Node, nodes: Iterable<Node>, name?: Node | string) => {
    const members = new Set([...nodes].filter((n) => inForward.has(n) && !claimed.has(n) && !isLeaf(n)));
    const params = [
      ...new Set(
        [...nodes]
          .flatMap((n) => [n, ...n.inputs])
          .map(unview)
          .filter((p) => isParam(p) && inForward.has(p)),
      ),
    ];
    const group: Group = {
      kind,
      output,
      nodes: members,
      params: params.filter((p) => !owner.has(p)),
      ...(name !== undefined ? { name } : {}),
    };
    for (const n of members) claimed.add(n);
    for (const p of params) if (!owner.has(p)) owner.set(p, group);
    groups.push(group);
  };
  const viewsOf = (n: Node): Node[] => (isView(n) ? [n, ...viewsOf(n.inputs[0]!)] : []);

  // linear layers, with their bias and activation
  for (const l of findLayers(evaluation)) {
    if (!inForward.has(l.linear)) continue;
    const out = l.activation ?? l.z;
    const between = [...reachable([out])].filter((n) => reachable([n]).has(l.linear)); // linear … out, views included
    add(linearKind(l.linear, l.weight, l.activation), out, [...between, ...viewsOf(l.linear.inputs[1]!)]);
  }
  for (const n of forward.nodes) {
    if (claimed.has(n)) continue;
    if (n.op === "maxPool2d" || n.op === "avgPool2d") add(poolKind(n), n, [n]);
    else if (n.op === "gather" && isParam(unview(n.inputs[0]!))) add(`embedding ${(unview(n.inputs[0]!).shape as number[]).join("×")}`, n, [n, ...viewsOf(n.inputs[0]!)]);
    else if (n.op === "scan") {
      const parts = forward.nodes.filter((p) => p.op === "part" && p.inputs[0] === n);
      const shown = [...parts].sort((a, b) => b.shape.length - a.shape.length)[0] ?? n;
      add(`scan, ${(n.attrs as unknown as ScanAttrs).length} steps`, shown, [n, ...parts, ...n.inputs.flatMap(viewsOf)], n);
    }
  }
  for (const [result, match] of findLayerNorms(forward.nodes)) {
    if (![...match.covers].some((n) => claimed.has(n))) add("layerNorm", result, match.covers);
  }
  // parameters no layer reads, by name ("bn.weight" … → "bn"), with the ops that read them and those between
  const byPrefix = new Map<string, Node[]>();
  for (const p of forward.nodes.filter((n) => isParam(n) && !owner.has(n))) {
    const name = String(p.attrs.name);
    const prefix = name.includes(".") ? name.slice(0, name.lastIndexOf(".")) : name;
    byPrefix.set(prefix, [...(byPrefix.get(prefix) ?? []), p]);
  }
  for (const [prefix, params] of byPrefix) {
    const readers = forward.nodes.filter((n) => !isView(n) && n.inputs.some((i) => params.includes(unview(i))));
    if (!readers.length) continue;
    const upstream = new Set(readers.flatMap((r) => [...reachable([r])])); // what the readers read, themselves included
    const hull = forward.nodes.filter((n) => upstream.has(n) && readers.some((r) => reachable([n]).has(r)));
    const output = hull.filter((n) => !claimed.has(n)).at(-1) ?? readers.at(-1)!;
    const isBatchNorm = params.some((p) => String(p.attrs.name).endsWith(".runningMean"));
    add(isBatchNorm ? "batchNorm" : [...new Set(readers.map((r) => r.op))].join(", "), output, [...hull, ...params], prefix);
  }
  // what is left: the ops the outputs (or later layers) need, and those only the loss needs
  const layerNodes = [...claimed];
  const needed = reachable([...forward.outputs.map(([, n]) => n), ...layerNodes]);
  const rest = forward.nodes.filter((n) => !claimed.has(n) && !isLeaf(n));
  const other = rest.filter((n) => needed.has(n));
  const loss = rest.filter((n) => !needed.has(n));

  const derivation = derive(evaluation, source);
  // The model's own name for the value (h1, logits), else explain's (a₁, z₂: an unnamed layer's output).
  const nameOf = (n: Node): string => {
    if (n.name) return n.name;
    const text = derivation.symbolOf(n).text;
    return /^[^\s()]+$/.test(text) ? text : n.op;
  };
  const size = (p: Node) => (p.shape as number[]).reduce((a, b) => a * b, 1);
  const declared = new Map(evaluation.params.map((p, k) => [String(p.attrs.name), k]));
  const byDeclaration = (ps: readonly Node[]) => [...ps].sort((a, b) => declared.get(String(a.attrs.name))! - declared.get(String(b.attrs.name))!);
  const row = (name: string, kind: string, shape: string | null, unordered: readonly Node[], nodes: Iterable<Node>, at: string): SummaryRow => {
    const params = byDeclaration(unordered);
    return {
      name,
      kind,
      shape,
      params: params.filter((p) => p.attrs.trainable !== false).reduce((a, p) => a + size(p), 0),
      state: params.filter((p) => p.attrs.trainable === false).reduce((a, p) => a + size(p), 0),
      paramNames: params.map((p) => String(p.attrs.name)),
      flops: [...nodes].reduce((a, n) => a + nodeFlops(n, 1), 0),
      at,
    };
  };
  const ops = (ns: Node[]) => [...new Set(ns.filter((n) => nodeFlops(n, 1) > 0 || !isView(n)).map((n) => n.op))].join(", ");
  const rows = groups
    .sort((a, b) => a.output.id - b.output.id)
    .map((g) => row(typeof g.name === "string" ? g.name : nameOf(g.name ?? g.output), g.kind, formatShape(g.output.shape), g.params, g.nodes, formatLoc(g.output.loc)));
  if (other.some((n) => nodeFlops(n, 1) > 0)) rows.push(row("(other)", ops(other), null, [], other, ""));
  if (loss.length) rows.push(row("(loss)", ops(loss), null, [], loss, forward.loss ? formatLoc(forward.loss.loc) : ""));
  const unused = evaluation.params.filter((p) => !owner.has(p));
  if (unused.length) rows.push(row("(unused)", "parameters no output or loss reads", null, unused, [], ""));
  return rows;
}

const two = (a: number, b: number) => (a === b ? `${a}` : `${a}×${b}`);

function linearKind(linear: Node, weight: Node, activation: Node | undefined): string {
  const act = activation ? ` + ${activation.op === "gelu" && activation.attrs.approximate === "tanh" ? "gelu (tanh)" : activation.op}` : "";
  if (linear.op === "matmul") {
    const [inputs, outputs] = weight.shape as number[];
    return `dense ${inputs}→${outputs}${act}`;
  }
  const a = linear.attrs as ConvAttrs;
  const [kh, kw, cin, cout] = linear.inputs[1]!.shape as number[];
  const oneColumn = weight.shape.length === 3 && kw === 1 && linear.inputs[0]!.shape[2] === 1;
  const stride = oneColumn ? (a.stride[0] === 1 ? "" : `, stride ${a.stride[0]}`) : a.stride[0] === 1 && a.stride[1] === 1 ? "" : `, stride ${two(a.stride[0], a.stride[1])}`;
  return oneColumn ? `conv1d ${kh}, ${cin}→${cout}${stride}${act}` : `conv2d ${kh}×${kw}, ${cin}→${cout}${stride}${act}`;
}

function poolKind(n: Node): string {
  const a = n.attrs as PoolAttrs;
  const stride = a.stride[0] === a.size[0] && a.stride[1] === a.size[1] ? "" : `, stride ${two(a.stride[0], a.stride[1])}`;
  return `${n.op} ${a.size[0]}×${a.size[1]}${stride}`;
}

// ── text ────────────────────────────────────────────────────────────────────────────────────────

const grouped = (v: number): string => String(v).replace(/\B(?=(\d{3})+(?!\d))/g, ",");

/** 1.2 K, 3.4 M, 5.6 G: a number's size at a glance. */
function human(v: number): string {
  for (const [unit, scale] of [
    ["G", 1e9],
    ["M", 1e6],
    ["K", 1e3],
  ] as const)
    if (v >= scale) return `${(v / scale).toFixed(v >= 10 * scale ? 1 : 2)} ${unit}`;
  return String(v);
}

function bytes(v: number): string {
  if (v >= 1 << 20) return `${(v / (1 << 20)).toFixed(2)} MiB`;
  if (v >= 1 << 10) return `${(v / (1 << 10)).toFixed(1)} KiB`;
  return `${v} B`;
}

export function formatSummary(s: ModelSummary): string {
  const header = ["layer", "kind", "output shape", "params", "FLOPs/sample", "at"];
  const cells = s.rows.map((r) => [
    r.name,
    r.kind,
    r.shape ?? "",
    r.state ? `${grouped(r.params + r.state)} (${grouped(r.state)} state)` : grouped(r.params),
    grouped(r.flops),
    r.at,
  ]);
  const width = header.map((h, k) => Math.max(h.length, ...cells.map((c) => [...c[k]!].length)));
  const right = new Set([3, 4]);
  const pad = (c: string, k: number) => (right.has(k) ? c.padStart(width[k]!) : c.padEnd(width[k]!));
  const line = (c: readonly string[]) => c.map(pad).join("  ").trimEnd();
  const t = s.totals;
  const layers = s.rows.filter((r) => !r.name.startsWith("(")).length;
  return [
    `Model "${s.model}" (${s.source}): ${layers} layer${layers === 1 ? "" : "s"}${s.batchDim ? `; "${s.batchDim}" is the batch dimension` : ""}; FLOPs per sample are counted at batch size 1.`,
    "",
    line(header),
    line(width.map((w) => "─".repeat(w))),
    ...cells.map(line),
    "",
    `params:            ${grouped(t.params)} (${grouped(t.trainable)} trainable, ${grouped(t.state)} non-trainable state)`,
    `parameter memory:  ${grouped(t.bytesF32)} bytes as float32 (${bytes(t.bytesF32)}); Adam and AdamW keep 2 floats more per trainable parameter (${bytes(8 * t.trainable)})`,
    `forward:           ${grouped(t.forwardFlops)} FLOPs per sample (${human(t.forwardFlops)}): the loss and the outputs, as evaluate() computes them`,
    `training step:     ${grouped(t.trainingFlops)} FLOPs per sample (${human(t.trainingFlops)}): forward and backward, without the optimizer's update`,
    "",
  ].join("\n");
}
