// An inference graph → an ONNX graph: each node in topological order becomes the ONNX operators its
// entry in ./onnxOps.ts adds. Inputs keep their names, parameters become initializers under their own
// names, every output is an Identity named after the output. A scan becomes an ONNX Scan whose body is
// lowered the same way (or an LSTM/GRU/RNN operator when its body is exactly such a cell: ./cells.ts).
// An op with no export is a located GC2011 error naming it. Test: test/export/onnx.test.ts
import { codes, GradcError } from "../diagnostics.js";
import { reachable, type Graph } from "../ir/graph.js";
import { formatLoc } from "../ir/loc.js";
import type { Node } from "../ir/node.js";
import { userOutputs, type ScanAttrs } from "../ops/scan.js";
import { exportCell } from "./cells.js";
import { findLayerNorms, reachableThrough, type LayerNormMatch } from "./layerNorm.js";
import { EXPORTS, NOT_EXPORTED, type Lowering } from "./onnxOps.js";
import { float, int, ints, Names, OnnxGraph, valueInfo, type Elem, type GraphProto } from "./onnxGraph.js";

export interface LowerOptions {
  readonly opset: number;
  /** Every parameter's float32 values (initParams or a checkpoint). */
  readonly params: ReadonlyMap<string, Float32Array>;
}

export const elemOf = (n: Node): Elem => (n.dtype === "i" ? "i" : "f");

/** A tensor, a scan's results, or a parameter or constant not yet needed (made on first use, so none is left unused). */
type Value = string | readonly (string | null)[] | (() => string);

/** What the main graph and every body lowered inside it share. */
interface Shared {
  readonly main: OnnxGraph;
  readonly options: LowerOptions;
  /** A model input with the batch dimension, and that dimension's axis (where the batch size is read). */
  readonly batchFrom: { readonly name: string; readonly axis: number } | null;
  batch?: string;
  readonly params: Map<string, string>;
  /** Which results of each scan are read (by `part` nodes). */
  readonly usedParts: Map<Node, Set<number>>;
}

/** The ONNX graph computing `g`'s outputs from the inputs they depend on. */
export function lowerInference(g: Graph, options: LowerOptions, doc: string): GraphProto {
  const names = new Names();
  const main = new OnnxGraph(names);
  const roots = g.outputs.map(([, n]) => n);
  const reach = reachable(roots);
  const inputs = g.inputs.filter((i) => reach.has(i));
  // The names the user chose are taken first, so no intermediate value takes one of them.
  for (const n of [...g.inputs, ...g.params]) names.claim(n.attrs.name as string);
  for (const [name] of g.outputs) names.claim(name);
  const withBatch = inputs.find((i) => i.shape.some((d) => typeof d !== "number"));
  const batchFrom = withBatch ? { name: withBatch.attrs.name as string, axis: withBatch.shape.findIndex((d) => typeof d !== "number") } : null;
  const shared: Shared = { main, options, batchFrom, params: new Map(), usedParts: new Map() };
  const lowerer = new Lowerer(main, shared, new Map(inputs.map((i) => [i, i.attrs.name as string])));
  lowerer.lower(roots);
  const outputs = g.outputs.map(([name, n]) => {
    main.node("Identity", [lowerer.value(n)], {}, [{ exact: name }], formatLoc(n.loc));
    return valueInfo(name, elemOf(n), n.shape);
  });
  return main.proto(g.name, inputs.map((i) => valueInfo(i.attrs.name as string, elemOf(i), i.shape)), outputs, doc);
}

class Lowerer implements Lowering {
  constructor(
    readonly g: OnnxGraph,
    private readonly shared: Shared,
    private readonly values: Map<Node, Value>,
  ) {}

  get opset(): number {
    return this.shared.options.opset;
  }

  /** Layer normalizations exported as one LayerNormalization (opset 17 and later), by their result node. */
  private fused: ReadonlyMap<Node, LayerNormMatch> = new Map();

  /** Lowers every node `roots` need that has no value yet. */
  lower(roots: readonly Node[]): void {
    if (this.opset >= 17) this.fused = findLayerNorms([...reachable(roots)]);
    const nodes = [...reachableThrough(roots, this.fused)].sort((a, b) => a.id - b.id);
    for (const n of nodes) {
      if (n.op !== "part") continue;
      const used = this.shared.usedParts.get(n.inputs[0]!) ?? new Set<number>();
      used.add(n.attrs.index as number);
      this.shared.usedParts.set(n.inputs[0]!, used);
    }
    for (const n of nodes) if (!this.values.has(n)) this.values.set(n, this.lowerNode(n));
  }

  /** The ONNX tensor holding a lowered node's value. */
  value(n: Node): string {
    let v = this.values.get(n);
    if (typeof v === "function") {
      v = v();
      this.values.set(n, v);
    }
    if (typeof v !== "string") throw new Error(`internal: ${n.op}#${n.id} has no single ONNX value`);
    return v;
  }

  /** Input k of n, cast to float where gradc computes with an integer as a number. */
  input(n: Node, k: number, index: ReadonlySet<number> = new Set()): string {
    const i = n.inputs[k]!;
    const v = this.value(i);
    return i.dtype === "i" && n.dtype === "f" && !index.has(k) ? this.g.op("Cast", [v], { to: int(1) }, `${i.name ?? "int"}_float`) : v;
  }

  doc(n: Node): string {
    return formatLoc(n.loc);
  }

  private lowerNode(n: Node): Value {
    switch (n.op) {
      case "input":
        throw new Error(`internal: input "${String(n.attrs.name)}" is not bound`);
      case "param":
        return () => this.param(n);
      case "const":
        return () =>
          n.attrs.values ? this.g.constant("f", n.attrs.shape as number[], n.attrs.values as number[], n.name ?? "const") : this.g.scalar(n.attrs.value as number);
      case "scan":
        return this.scan(n);
      case "part": {
        const v = this.values.get(n.inputs[0]!);
        const r = Array.isArray(v) ? (v as (string | null)[])[n.attrs.index as number] : null;
        if (!r) throw new Error(`internal: result ${String(n.attrs.index)} of a scan was not exported`);
        return r;
      }
    }
    const norm = this.fused.get(n);
    if (norm) return this.layerNorm(n, norm);
    const entry = EXPORTS[n.op];
    if (!entry) {
      const why = NOT_EXPORTED[n.op];
      throw new GradcError(
        codes.noExport,
        `${n.op} has no ONNX export: ${why ?? "gradc does not write it in ONNX yet (compiler/export/onnxOps.ts)"}`,
        n.loc.line ? n.loc : undefined,
      );
    }
    const index = new Set(entry.indexInputs ?? []);
    return entry.emit(this, n, n.inputs.map((_, k) => this.input(n, k, index)));
  }

  /** ONNX LayerNormalization over the last axis (its scale is required: ones when the model has no γ). */
  private layerNorm(n: Node, m: LayerNormMatch): string {
    const width = n.shape[n.shape.length - 1] as number;
    const scale = m.gamma ? this.value(m.gamma) : this.g.constant("f", [width], new Array<number>(width).fill(1), "ones");
    const inputs = [this.value(m.x), scale, ...(m.beta ? [this.value(m.beta)] : [])];
    return this.g.op("LayerNormalization", inputs, { axis: int(-1), epsilon: float(m.eps) }, n.name ?? "layerNorm", this.doc(n));
  }

  private param(n: Node): string {
    const name = n.attrs.name as string;
    let made = this.shared.params.get(name);
    if (!made) {
      const values = this.shared.options.params.get(name);
      if (!values) throw new Error(`internal: no values for parameter "${name}"`);
      made = this.g.initializer({ exact: name }, "f", n.shape as number[], values);
      this.shared.params.set(name, made);
    }
    return made;
  }

  valuesOf(n: Node): Float32Array | null {
    if (n.op === "param") return this.shared.options.params.get(n.attrs.name as string) ?? null;
    if (n.op === "const") return Float32Array.from((n.attrs.values as number[] | undefined) ?? [n.attrs.value as number]);
    return null;
  }

  batch(at: Node): string {
    const { shared } = this;
    if (shared.batch) return shared.batch;
    if (!shared.batchFrom) {
      throw new GradcError(
        codes.noExport,
        "this value needs the batch size, but no input the outputs depend on has the batch dimension to read it from",
        at.loc.line ? at.loc : undefined,
      );
    }
    const shape = shared.main.op("Shape", [shared.batchFrom.name], {}, "input_shape");
    shared.batch = shared.main.op("Gather", [shape, shared.main.i64([shared.batchFrom.axis])], { axis: int(0) }, "batch");
    return shared.batch;
  }

  /** A scan: an LSTM/GRU/RNN operator when its body is exactly such a cell (its weights rearranged, never used as they are), else ONNX Scan. */
  private scan(n: Node): (string | null)[] {
    const used = this.shared.usedParts.get(n) ?? new Set<number>();
    return exportCell(this, n, (k) => this.input(n, k), used) ?? this.genericScan(n, n.inputs.map((_, k) => this.input(n, k)), used);
  }

  /**
   * ONNX Scan over axis 1 of gradc's [batch, T, …] sequences; per-step outputs stacked on axis 1 (a
   * scalar per step: axis 0). Captured values are read from the enclosing graph by name; a scan with
   * no sequence gets a dummy one of length T, since ONNX Scan counts its steps from its sequences.
   */
  private genericScan(n: Node, inputs: readonly string[], used: ReadonlySet<number>): (string | null)[] {
    const { body, length, reverse } = n.attrs as unknown as ScanAttrs;
    const bg = body.graph;
    const k = body.carries, m = body.steps;
    const sub = new OnnxGraph(this.g.names, this.shared.main);
    const values = new Map<Node, Value>();
    const bodyInputs = bg.inputs.slice(0, k + m).map((ph) => {
      const name = this.g.names.fresh(ph.name ?? (ph.attrs.name as string));
      values.set(ph, name);
      return valueInfo(name, elemOf(ph), ph.shape);
    });
    bg.inputs.slice(k + m).forEach((ph, l) => values.set(ph, inputs[k + m + l]!));
    let sequences = inputs.slice(k, k + m);
    let inputAxes = sequences.map(() => 1);
    if (m === 0) {
      bodyInputs.push(valueInfo(this.g.names.fresh("step"), "f", []));
      sequences = [this.g.constant("f", [length], new Array<number>(length).fill(0), "steps")];
      inputAxes = [0];
    }
    const results = bg.outputs.map((_, q) => q).filter((q) => q < k || (q < k + userOutputs(body) && used.has(q)));
    const lowerer = new Lowerer(sub, this.shared, values);
    lowerer.lower(results.map((q) => bg.outputs[q]![1]));
    const bodyOutputs = results.map((q) => {
      const [key, node] = bg.outputs[q]!;
      const name = sub.op("Identity", [lowerer.value(node)], {}, `${key}_next`);
      return valueInfo(name, elemOf(node), node.shape);
    });
    const graph = sub.proto(`${n.name ?? "scan"}_body`, bodyInputs, bodyOutputs);
    const perStep = results.filter((q) => q >= k);
    const directions = (count: number) => (reverse ? ints(new Array<number>(count).fill(1)) : undefined);
    const attrs = {
      body: { graph },
      num_scan_inputs: int(sequences.length),
      scan_input_axes: ints(inputAxes),
      scan_output_axes: ints(perStep.map((q) => (bg.outputs[q]![1].shape.length === 0 ? 0 : 1))),
      ...(reverse ? { scan_input_directions: directions(sequences.length)!, scan_output_directions: directions(perStep.length)! } : {}),
    };
    const outNames = this.g.node("Scan", [...inputs.slice(0, k), ...sequences], attrs, results.map((q) => (q < k ? `${bg.inputs[q]!.name ?? "carry"}_last` : `${bg.outputs[q]![1].name ?? "y"}_steps`)), this.doc(n));
    const out: (string | null)[] = bg.outputs.map(() => null);
    results.forEach((q, j) => (out[q] = outNames[j]!));
    return out;
  }
}
