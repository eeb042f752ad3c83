// The first operation that produced a non-finite value in one training step, found by replaying the
// step on the model's graph in a checking mode. `gradc train` calls it when a run diverges (the runtime
// hands it the failing step: the parameters before it, its batch, its dropout state; see
// runtime/divergence.ts).
//
// Why this goes further than PyTorch's detect_anomaly: that one checks each backward function's output,
// so it names the backward op where a NaN surfaced (often far from its cause) and says nothing when the
// forward pass made the first infinity. Here every value of the step is checked in forward-then-backward
// order — the loss and every forward value first, then every gradient — and the first non-finite one is
// reported: its op, its model.ts line, whether it was the forward or the backward pass, the derivative
// rule that made a gradient (`log'`), where in the tensor (and which sample of the batch), and its
// operands there, so the cause (a log of 0, an exp that overflows float32) is visible.
//
// The step is replayed with the compiler's reference interpreter (ir/interpret.ts) on the training
// graph the module was generated from (emit/passGraphs.ts's trainPass), not with the generated code: the
// interpreter can stop at any node. It computes in float64; for a float32 module each value is rounded
// to float32 as it is produced, so a value that overflows only in float32 overflows here too. The
// generated code differs in two ways that matter only at the edge of the float32 range: it may order a
// sum differently, and it keeps fused intermediate values in double-precision locals (only what it
// stores is float32). So the replay may name a value beyond float32 that the module never stored (the
// squared error inside mse, say, when the module's first non-finite value was the update it led to), and
// in rare borderline cases stay finite where the module did not; the caller then reports the step
// without an operation.
//
// A pure function of (graph, values, dtype) — no files, no module — so it can run wherever the graph
// is (in-process today; inside the model's box as a job that receives typed arrays and returns this
// plain description: numbers, strings and arrays, which structured clone (worker or child-process IPC
// with serialization "advanced") carries as they are; JSON would turn its non-finite `value` into null).
import { formula } from "./emit/notation.js";
import { trainPass } from "./emit/passGraphs.js";
import type { Graph } from "./ir/graph.js";
import { reachable } from "./ir/graph.js";
import { concrete, batchOf, evaluate } from "./ir/interpret.js";
import type { Node } from "./ir/node.js";
import type { Tensor } from "./ir/tensor.js";

/** The failing step's values: the parameters before it, its inputs, the dropout generator before it. */
export interface StepValues {
  readonly params: Readonly<Record<string, ArrayLike<number>>>;
  readonly inputs: Readonly<Record<string, ArrayLike<number>>>;
  readonly rngState?: readonly number[] | null;
}

/** An operand of the failing operation, as its value reads where the operation went wrong. */
export interface Operand {
  /** Its name in model.ts or in the gradient (`z1`, `dh1`), or its op. */
  readonly name: string;
  /** The element at the failing index, when the operand has the operation's shape. */
  readonly value?: number;
  /** Otherwise its smallest and largest elements. */
  readonly min?: number;
  readonly max?: number;
}

/** The first non-finite value of a step (plain data: it may cross a process boundary). */
export interface Anomaly {
  readonly pass: "forward" | "backward";
  readonly op: string;
  /** The operation in notation, its operands by name: `log(p)`, `dL/dz ⊙ (1 − h²)`. */
  readonly math: string;
  /** The value's name in model.ts or in the gradient (`h1`, `dh1`), when it has one. */
  readonly name?: string;
  /** For a gradient: the derivative rule that made it (`log'`). */
  readonly rule?: string;
  /** Where in model.ts the operation (or, for a gradient, the forward operation it differentiates) is. */
  readonly loc?: { readonly file: string; readonly line: number; readonly col: number };
  /** The value's shape (the batch dimension at the step's batch size) and the first bad element's index. */
  readonly shape: readonly number[];
  readonly index: readonly number[];
  readonly value: number;
  /** The sample of the batch that element belongs to, when the value has the batch dimension first. */
  readonly sample?: number;
  readonly operands: readonly Operand[];
}

/**
 * Replays one training step of `optimized` (the joint graph compileGraph optimized: `Compiled.optimized.graph`)
 * and returns its first non-finite value, forward pass first, or null when every value is finite.
 */
export function firstNonFinite(optimized: Graph, values: StepValues, dtype: "f32" | "f64"): Anomaly | null {
  const { graph, roots, forward } = trainPass(optimized);
  const needed = reachable(roots);
  const order = (n: Node) => (forward.has(n) ? 0 : 1);
  const nodes = [...needed].sort((a, b) => order(a) - order(b) || a.id - b.id);
  const batch = batchOf(graph, values.inputs);
  let found: Anomaly | null = null;
  const computed = new Map<Node, Tensor>();
  evaluate(graph, { inputs: values.inputs, params: values.params, ...(values.rngState ? { rngState: values.rngState } : {}) }, nodes, (n, t) => {
    const value = dtype === "f32" ? toFloat32(t) : t;
    computed.set(n, value);
    // Leaves are the step's own inputs (checked finite before the step) and the model's constants.
    if (n.op === "input" || n.op === "param" || n.op === "const" || n.op === "dim") return value;
    const bad = firstBad(value);
    if (bad === undefined) return value;
    found = describe(n, value, bad, forward.has(n) ? "forward" : "backward", batch, computed);
    return undefined;
  });
  return found;
}

/** One paragraph for a person: what, where, and the operands at that element. */
export function describeAnomaly(a: Anomaly, sampleLine?: string): string {
  const where = a.loc ? ` at ${a.loc.file.split(/[\\/]/).pop()}:${a.loc.line}:${a.loc.col}` : "";
  const what =
    a.pass === "forward"
      ? `the forward pass: ${a.name ? `${a.name} = ` : ""}${a.math}${where}`
      : `the backward pass: ${a.name ? `${a.name} = ` : ""}${a.math}${a.rule ? `, by the derivative rule ${a.rule}` : ""}${a.loc ? ` of the ${a.rule ? a.rule.replace(/'$/, "") : a.op}${where}` : ""}`;
  const element = a.shape.length ? ` at [${a.index.join(", ")}]` : "";
  const sample = a.sample !== undefined ? ` (sample ${a.sample} of the batch${sampleLine ? `, ${sampleLine}` : ""})` : "";
  const operands = a.operands
    .map((o) => (o.value !== undefined ? `${o.name} = ${fmt(o.value)}` : `${o.name} in [${fmt(o.min!)}, ${fmt(o.max!)}]`))
    .join(", ");
  return `the first non-finite value of the step is in ${what}: it is ${fmt(a.value)}${element}${sample}${operands ? `, where ${operands}` : ""}`;
}

function describe(n: Node, value: Tensor, flat: number, pass: "forward" | "backward", batch: number, computed: ReadonlyMap<Node, Tensor>): Anomaly {
  const shape = concrete(n.shape, batch);
  const index = unflatten(flat, shape);
  // Values read by name where they have one, else written out (`log(relu(x·W1 + b1))`).
  const named = (m: Node) => m.name ?? (m.op === "input" || m.op === "param" ? String(m.attrs.name) : undefined);
  const unnamed = new Set([...reachable([n])].filter((m) => named(m) === undefined));
  const display = (m: Node): string => {
    const name = named(m);
    if (name !== undefined) return name;
    const text = formula(m, unnamed, display);
    return text.length > 60 ? `${text.slice(0, 59)}…` : text;
  };
  const operands = n.inputs.map((input): Operand => {
    const t = computed.get(input)!;
    const name = display(input);
    if (t.data.length === value.data.length && t.data.length > 0) return { name, value: t.data[flat]! };
    let min = Infinity;
    let max = -Infinity;
    for (const v of t.data) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    return { name, min, max };
  });
  const batched = typeof n.shape[0] === "string";
  return {
    pass,
    op: n.op,
    math: formula(n, unnamed, display),
    ...(n.name ? { name: n.name } : {}),
    ...(pass === "backward" && n.origin ? { rule: n.origin } : {}),
    ...(n.loc.line ? { loc: { file: n.loc.file, line: n.loc.line, col: n.loc.col } } : {}),
    shape,
    index,
    value: value.data[flat]!,
    ...(batched ? { sample: index[0]! } : {}),
    operands,
  };
}

/** The index of the first element that is not finite (NaN or ±Infinity); a scan's parts are checked by the part nodes that read them. */
function firstBad(t: Tensor): number | undefined {
  for (let i = 0; i < t.data.length; i++) if (!Number.isFinite(t.data[i])) return i;
  return undefined;
}

/** Each element rounded to float32, as a float32 module stores it. */
function toFloat32(t: Tensor): Tensor {
  const data = Float64Array.from(Float32Array.from(t.data));
  return t.parts ? { ...t, data, parts: t.parts.map(toFloat32) } : { ...t, data };
}

function unflatten(flat: number, shape: readonly number[]): number[] {
  const index = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    index[d] = flat % shape[d]!;
    flat = Math.floor(flat / shape[d]!);
  }
  return index;
}

const fmt = (x: number): string => (Number.isFinite(x) && x !== 0 && (Math.abs(x) >= 1e6 || Math.abs(x) < 1e-4) ? x.toExponential(4) : String(x));
