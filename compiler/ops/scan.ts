// scan: a recurrence over a static number of time steps, and `part`, which reads one of its results.
//
// A scan runs a body graph once per step t: carries (h, c) flow from one step to the next, step
// inputs are the slices xs[:, t] of sequences laid out [batch, T, …], captured values (weights) are
// the same at every step. Its results are the final carries and each per-step output stacked back to
// [batch, T, …]; `part(scan, k)` is result k (the body's k-th output).
//
// Backpropagation through time is a second scan running backwards (`reverse`) over the body's
// gradient graph, made when the scan is traced (../autodiff/scanBody.ts): its carries are ∂L/∂carry
// and the running sums of ∂L/∂captured; it reads the forward values it needs from per-step buffers
// the forward scan fills (the body's extra `saved` outputs). Both bodies are emitted once, inside
// one `for (t …)` loop each.
import type { ScanBody } from "../ir/body.js";
import { make } from "../ir/context.js";
import { evaluate } from "../ir/interpret.js";
import type { Node } from "../ir/node.js";
import { batchDims, formatShape, sameShape, ShapeError, staticPart, type Shape } from "../ir/shape.js";
import { sizeOf, type Tensor } from "../ir/tensor.js";
import { scaledByBatch } from "./kernelLoops.js";
import { defineOp, element, readOnlyElementwise, type StepView } from "./op.js";

export type { BackwardBody, ScanBody } from "../ir/body.js";

export interface ScanAttrs {
  readonly body: ScanBody;
  readonly length: number;
  readonly reverse: boolean;
}

/** A per-step value of shape [B, …rest] stacked over T steps: [B, T, …rest] (a scalar per step: [T]). */
export const stacked = (s: Shape, length: number): Shape => (s.length === 0 ? [length] : [s[0]!, length, ...s.slice(1)]);


/** Number of per-step outputs the user asked for (the rest of the stacked outputs are saved values). */
export const userOutputs = (b: ScanBody): number => b.graph.outputs.length - b.carries - (b.backward?.saved ?? 0);

export const scanOp = defineOp({
  name: "scan",
  kind: "kernel",
  tuple: true,
  shape(inputs, a) {
    const { body, length } = a as unknown as ScanAttrs;
    const ph = body.graph.inputs;
    if (inputs.length !== ph.length) throw new ShapeError(`${inputs.length} inputs for a body of ${ph.length}`);
    inputs.forEach((x, k) => {
      const want = k >= body.carries && k < body.carries + body.steps ? stacked(ph[k]!.shape, length) : ph[k]!.shape;
      if (!sameShape(x.shape, want)) throw new ShapeError(`input ${k} has shape ${formatShape(x.shape)}, the body needs ${formatShape(want)}`);
    });
    return [];
  },
  eval(inputs, a) {
    const { body, length, reverse } = a as unknown as ScanAttrs;
    const g = body.graph;
    const k = body.carries;
    let carries = inputs.slice(0, k);
    const outs: (Tensor | undefined)[] = [];
    for (let s = 0; s < length; s++) {
      const t = reverse ? length - 1 - s : s;
      const bind: Record<string, Float64Array> = {};
      g.inputs.forEach((ph, i) => {
        const v = i < k ? carries[i]! : i < k + body.steps ? stepOf(inputs[i]!, t, length) : inputs[i]!;
        bind[ph.attrs.name as string] = v.data;
      });
      const values = evaluate(g, { inputs: bind, params: {} });
      carries = g.outputs.slice(0, k).map(([, n]) => values.get(n)!);
      g.outputs.slice(k).forEach(([, n], q) => {
        const v = values.get(n)!;
        outs[q] ??= { shape: stacked(v.shape, length) as number[], data: new Float64Array(v.data.length * length) };
        putStep(outs[q]!, v, t, length);
      });
    }
    return { shape: [], data: new Float64Array(0), parts: [...carries, ...(outs as Tensor[])] };
  },
  vjpParts(adjoints, node, { broadcastTo, scalar }) {
    const { body, length, reverse } = node.attrs as unknown as ScanAttrs;
    const bw = body.backward;
    if (!bw) throw new Error("internal: the scan of a derivative is not differentiated again");
    const k = body.carries, m = body.steps;
    const p = userOutputs(body);
    const inits = node.inputs.slice(0, k), seqs = node.inputs.slice(k, k + m), captures = node.inputs.slice(k + m);
    const zeros = (s: Shape) => broadcastTo(scalar(0), s);
    const dCarries = inits.map((x, i) => adjoints[i] ?? zeros(x.shape));
    const sums = bw.dCaptures.map((l) => zeros(captures[l]!.shape));
    const dYs = Array.from({ length: p }, (_, q) => adjoints[k + q] ?? zeros(partShape(node, k + q)));
    // Forward values kept per step for the reverse body: `tanh_steps` holds tanh(c_t) for every t.
    const saved = Array.from({ length: bw.saved }, (_, s) => {
      const kept = part(node, k + p + s);
      const value = body.graph.outputs[k + p + s]![1];
      kept.name ??= `${value.name ?? value.op}_steps`;
      return kept;
    });
    const back = make(scanOp, [...dCarries, ...sums, ...dYs, ...saved, ...bw.stepRefs.map((j) => seqs[j]!), ...bw.captureRefs.map((l) => captures[l]!)], { body: bw.body, length, reverse: !reverse });
    const out: (Node | null)[] = node.inputs.map(() => null);
    inits.forEach((_, i) => (out[i] = part(back, i)));
    bw.dCaptures.forEach((l, a) => (out[k + m + l] = part(back, k + a)));
    bw.dSteps.forEach((j, d) => (out[k + j] = part(back, k + bw.dCaptures.length + d)));
    return out;
  },
  lowerKernel(ctx, a) {
    const { body, length, reverse } = a as unknown as ScanAttrs;
    const nested = ctx.nested, parts = ctx.parts;
    if (!nested || !parts) throw new Error("internal: scan is lowered by a pass emitter");
    const g = body.graph;
    const k = body.carries, m = body.steps;
    const t = ctx.local("t");
    const bind = new Map<Node, string>();
    const lines: string[] = [];
    // Carries live in the final-carry buffers (or scratch when unused): the body reads them, its new
    // carries are copied back after each step.
    const carries = g.inputs.slice(0, k).map((ph, i) => {
      const id = parts[i]?.array ?? nested.buffer(ph.name ?? `carry${i}`, ph.shape);
      bind.set(ph, id);
      lines.push(copy(ctx.inputs[i]!.array, id, ph.shape, ctx.local));
      return id;
    });
    // A step input that only element-wise ops read is read where its stacked array holds it (a StepView:
    // its [i, j] is the array's [i, t, j]); any other one is copied into a step buffer first.
    const results = new Set(g.outputs.map(([, n]) => n));
    const inPlace = (ph: Node) => !results.has(ph) && readOnlyElementwise(g, ph);
    const views = new Map<Node, StepView>();
    const stepIn: string[] = [];
    g.inputs.slice(k, k + m).forEach((ph, j) => {
      if (inPlace(ph)) {
        views.set(ph, { array: ctx.inputs[k + j]!.array, stacked: stacked(ph.shape, length), t });
        return;
      }
      const id = nested.buffer(ph.name ?? `step${j}`, ph.shape);
      bind.set(ph, id);
      stepIn.push(...copyStep(ctx.inputs[k + j]!.array, id, ph.shape, length, t, ctx.local, "in"));
    });
    g.inputs.slice(k + m).forEach((ph, l) => bind.set(ph, ctx.inputs[k + m + l]!.array));
    const live = g.outputs.map(([, n], i) => (i < k || parts[i] ? n : null));
    const roots = live.filter((n): n is Node => n !== null);
    // A per-step result the body computes (not a carry, not two results at once) is offered its place in
    // its stacked array: written there, it needs no copy after the step.
    const carryOuts = new Set(live.slice(0, k));
    const times = new Map<Node, number>();
    for (const n of live.slice(k)) if (n) times.set(n, (times.get(n) ?? 0) + 1);
    const outputViews = new Map<Node, StepView>();
    live.forEach((n, i) => {
      if (i >= k && n && n.inputs.length > 0 && !carryOuts.has(n) && times.get(n) === 1) outputViews.set(n, { array: parts[i]!.array, stacked: stacked(n.shape, length), t });
    });
    const emitted = nested.body(g, roots, bind, views, outputViews);
    const stepOut: string[] = [];
    live.forEach((n, i) => {
      if (i >= k && n && !emitted.inPlace.has(n)) stepOut.push(...copyStep(emitted.storage.get(n)!, parts[i]!.array, n.shape, length, t, ctx.local, "out"));
    });
    const carryBack = carries.flatMap((id, i) => {
      const from = emitted.storage.get(live[i]!)!;
      return from === id ? [] : [copy(from, id, live[i]!.shape, ctx.local)];
    });
    const loop = reverse ? `for (let ${t} = ${length - 1}; ${t} >= 0; ${t}--) {` : `for (let ${t} = 0; ${t} < ${length}; ${t}++) {`;
    return [...lines, loop, ...stepIn, ...emitted.lines, ...stepOut, ...carryBack, "}"];
  },
  flops: (node, count) => {
    const { body, length } = node.attrs as unknown as ScanAttrs;
    return length * count.graph(body.graph);
  },
  notation: (args, a) => {
    const { body, length, reverse } = a as unknown as ScanAttrs;
    return `scan${reverse ? "ᴿ" : ""}_{t=1..${length}}(${args.slice(0, body.carries).join(", ")}; ${args.slice(body.carries).join(", ")})`;
  },
  latex: (args, a) => {
    const { body, length, reverse } = a as unknown as ScanAttrs;
    // Backslashes doubled: in a template literal `\r` is a carriage return and `\o`, `\d`, `\l` lose theirs.
    const range = reverse ? `t=${length},\\dots,1` : `t=1,\\dots,${length}`;
    return `\\operatorname{scan}_{${range}}\\left(${args.slice(0, body.carries).join(", ")};\\ ${args.slice(body.carries).join(", ")}\\right)`;
  },
});

/** Result k of a scan: a final carry, or a per-step output stacked over time. attrs { index }. */
export const partOp = defineOp({
  name: "part",
  kind: "view",
  shape: ([tuple], a) => partShape(tuple!, a.index as number),
  dtype: ([tuple], a) => (tuple!.attrs as unknown as ScanAttrs).body.graph.outputs[a.index as number]![1].dtype,
  eval: ([tuple], a) => tuple!.parts![a.index as number]!,
  notation: ([tuple], a) => `${tuple}[${String(a.index)}]`,
  latex: ([tuple], a) => `{${tuple}}_{[${String(a.index)}]}`,
});

export function partShape(tuple: Node, index: number): Shape {
  const { body, length } = tuple.attrs as unknown as ScanAttrs;
  const out = body.graph.outputs[index];
  if (!out) throw new ShapeError(`scan has no result ${index}`);
  return index < body.carries ? out[1].shape : stacked(out[1].shape, length);
}

export function part(tuple: Node, index: number): Node {
  return make(partOp, [tuple], { index });
}

/** Step t of a stacked value [B, T, …rest] (or [T]). */
function stepOf(x: Tensor, t: number, length: number): Tensor {
  const shape = x.shape.length === 1 ? [] : [x.shape[0]!, ...x.shape.slice(2)];
  const rows = x.shape.length === 1 ? 1 : x.shape[0]!;
  const r = sizeOf(shape) / rows;
  const data = new Float64Array(rows * r);
  for (let i = 0; i < rows; i++) for (let j = 0; j < r; j++) data[i * r + j] = x.data[(i * length + t) * r + j]!;
  return { shape, data };
}

function putStep(into: Tensor, v: Tensor, t: number, length: number): void {
  const rows = v.shape.length === 0 ? 1 : v.shape[0]!;
  const r = v.data.length / rows;
  for (let i = 0; i < rows; i++) for (let j = 0; j < r; j++) into.data[(i * length + t) * r + j] = v.data[i * r + j]!;
}

/**
 * A copy of a whole value (a loop, not `set`: the source may be a workspace array that the memory
 * plan sized for a larger value it also holds).
 */
function copy(from: string, to: string, shape: Shape, local: (hint: string) => string): string {
  const k = local("k");
  const count = scaledByBatch(batchDims(shape), staticPart(shape));
  return `for (let ${k} = 0; ${k} < ${count}; ${k}++) ${to}[${k}] = ${element(from, k)};`;
}

/** Statements copying step t between a stacked array [B, T, …rest] and a step array [B, …rest]. */
function copyStep(from: string, to: string, step: Shape, length: number, t: string, local: (hint: string) => string, direction: "in" | "out"): string[] {
  const rows = step.length === 0 ? 1 : step[0]!;
  const r = step.slice(1).reduce<number>((a, d) => a * (d as number), 1);
  const i = local("i"), j = local("j");
  const stackedAt = (row: string, col: string) => `(${row} * ${length} + ${t}) * ${r}${col === "0" ? "" : ` + ${col}`}`;
  const stepAt = (row: string, col: string) => `${row} * ${r}${col === "0" ? "" : ` + ${col}`}`;
  const assign = (row: string, col: string) =>
    direction === "in" ? `${to}[${stepAt(row, col)}] = ${element(from, stackedAt(row, col))};` : `${to}[${stackedAt(row, col)}] = ${element(from, stepAt(row, col))};`;
  const rowBound = typeof rows === "number" ? String(rows) : "n";
  if (r === 1) return [`for (let ${i} = 0; ${i} < ${rowBound}; ${i}++) ${assign(i, "0")}`];
  return [`for (let ${i} = 0; ${i} < ${rowBound}; ${i}++) for (let ${j} = 0; ${j} < ${r}; ${j}++) ${assign(i, j)}`];
}
