// Assembling ONNX graphs: unique tensor names, nodes in the order they are made (a topological order,
// as ONNX requires), constants as initializers of the main graph, typed attributes, value infos. The
// messages are onnx-proto's (ONNX's onnx.proto compiled with protobufjs); this file only fills them in,
// and `encodeModel` serializes them. Test: test/export/onnx.test.ts
import onnxProto, { type onnx as proto } from "onnx-proto";
import type { Shape } from "../ir/shape.js";

export const { onnx } = onnxProto;
export type GraphProto = proto.IGraphProto;
type NodeProto = proto.INodeProto;
type TensorProto = proto.ITensorProto;
export type ValueInfoProto = proto.IValueInfoProto;
type AttributeProto = proto.IAttributeProto;

/** Element types gradc exports: its floats as float32, its integers (labels, token ids) as int32; int64 for shapes and axes. */
export type Elem = "f" | "i" | "i64";
const DATA_TYPE: Record<Elem, number> = { f: onnx.TensorProto.DataType.FLOAT, i: onnx.TensorProto.DataType.INT32, i64: onnx.TensorProto.DataType.INT64 };
export const dataType = (e: Elem): number => DATA_TYPE[e];

const A = onnx.AttributeProto.AttributeType;
/** An attribute value, tagged with its ONNX type (a number alone cannot say int or float). */
export type Attr =
  | { readonly int: number }
  | { readonly float: number }
  | { readonly ints: readonly number[] }
  | { readonly floats: readonly number[] }
  | { readonly string: string }
  | { readonly strings: readonly string[] }
  | { readonly graph: GraphProto };

export const int = (v: number): Attr => ({ int: v });
export const float = (v: number): Attr => ({ float: v });
export const ints = (v: readonly number[]): Attr => ({ ints: v });
export const str = (v: string): Attr => ({ string: v });

function attribute(name: string, a: Attr): AttributeProto {
  const utf8 = (s: string) => new TextEncoder().encode(s);
  if ("int" in a) return { name, type: A.INT, i: a.int };
  if ("float" in a) return { name, type: A.FLOAT, f: a.float };
  if ("ints" in a) return { name, type: A.INTS, ints: [...a.ints] };
  if ("floats" in a) return { name, type: A.FLOATS, floats: [...a.floats] };
  if ("string" in a) return { name, type: A.STRING, s: utf8(a.string) };
  if ("strings" in a) return { name, type: A.STRINGS, strings: a.strings.map(utf8) };
  return { name, type: A.GRAPH, g: a.graph };
}

/** A tensor's name: a hint for a fresh name, or `{ exact }`, a name claimed beforehand. */
export type Out = string | { readonly exact: string };

/** Typed values of an initializer. */
export type Values = Float32Array | Int32Array | BigInt64Array;

/** Names are unique across the whole model: ONNX forbids a subgraph to reuse a name of its outer graphs. */
export class Names {
  private readonly taken = new Set<string>();
  /** `hint` itself when free, else hint_2, hint_3, … */
  fresh(hint: string): string {
    const base = hint.replace(/\s+/g, "_") || "t";
    let name = base;
    for (let k = 2; this.taken.has(name); k++) name = `${base}_${k}`;
    this.taken.add(name);
    return name;
  }
  /** Claims a name that must be used exactly as given (a model input, parameter or output). */
  claim(name: string): string {
    if (this.taken.has(name)) throw new Error(`internal: the ONNX name "${name}" is taken twice`);
    this.taken.add(name);
    return name;
  }
}

/**
 * One ONNX graph being built: the main graph, or a loop body, whose constants and batch size go to the
 * main graph (a body reads them as outer-scope values).
 */
export class OnnxGraph {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private readonly constants = new Map<string, string>();

  constructor(
    readonly names: Names,
    /** The main graph, for a body; null for the main graph itself. */
    readonly main: OnnxGraph | null = null,
  ) {}

  /**
   * Adds a node; returns its output names: fresh names from `outputs` hints, an `{ exact }` name as it
   * is (a graph output, claimed beforehand), or "" for an optional output left out.
   */
  node(opType: string, inputs: readonly string[], attrs: Readonly<Record<string, Attr>> = {}, outputs: readonly Out[] = [opType], doc?: string): string[] {
    const out = outputs.map((o) => (typeof o !== "string" ? o.exact : o === "" ? "" : this.names.fresh(o)));
    this.nodes.push({
      opType,
      input: [...inputs],
      output: out,
      name: this.names.fresh(`${opType}_node`),
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
      ...(doc ? { docString: doc } : {}),
    });
    return out;
  }

  /** Adds a node with one output and returns its name. */
  op(opType: string, inputs: readonly string[], attrs: Readonly<Record<string, Attr>> = {}, hint = opType, doc?: string): string {
    return this.node(opType, inputs, attrs, [hint], doc)[0]!;
  }

  /** An initializer of the main graph, named from the hint or `{ exact }` (a parameter's name, claimed beforehand). */
  initializer(hint: Out, elem: Elem, dims: readonly number[], values: Values): string {
    if (this.main) return this.main.initializer(hint, elem, dims, values);
    const name = typeof hint === "string" ? this.names.fresh(hint) : hint.exact;
    const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    this.initializers.push({ name, dims: [...dims], dataType: dataType(elem), rawData: littleEndian(bytes, values.BYTES_PER_ELEMENT) });
    return name;
  }

  /** A small constant, shared by every use of the same values (int64 for shapes and axes). */
  constant(elem: Elem, dims: readonly number[], values: readonly number[], hint = "const"): string {
    if (this.main) return this.main.constant(elem, dims, values, hint);
    const key = `${elem}[${dims.join(",")}]${values.join(",")}`;
    let name = this.constants.get(key);
    if (!name) {
      const data = elem === "f" ? Float32Array.from(values) : elem === "i" ? Int32Array.from(values) : BigInt64Array.from(values, (v) => BigInt(v));
      name = this.initializer(hint, elem, dims, data);
      this.constants.set(key, name);
    }
    return name;
  }

  /** An int64 vector (shapes, axes, starts/ends). */
  i64(values: readonly number[], hint = "axes"): string {
    return this.constant("i64", [values.length], values, hint);
  }

  /** A float32 scalar. */
  scalar(value: number, hint = "const"): string {
    return this.constant("f", [], [value], hint);
  }

  proto(name: string, inputs: readonly ValueInfoProto[], outputs: readonly ValueInfoProto[], doc?: string): GraphProto {
    return onnx.GraphProto.create({
      name,
      node: this.nodes,
      initializer: this.initializers,
      input: [...inputs],
      output: [...outputs],
      ...(doc ? { docString: doc } : {}),
    });
  }
}

/** The type of a graph input or output: its element type and dimensions, the batch dimension by name. */
export function valueInfo(name: string, elem: Elem, shape: Shape): ValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: dataType(elem), shape: { dim: shape.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) } } },
  };
}

/** ONNX stores raw tensor data little-endian; typed arrays use the machine's order. */
function littleEndian(bytes: Uint8Array, width: number): Uint8Array {
  const copy = bytes.slice();
  if (new Uint8Array(Uint16Array.of(1).buffer)[0] === 1) return copy;
  for (let k = 0; k < copy.length; k += width) copy.subarray(k, k + width).reverse();
  return copy;
}

export interface ModelInfo {
  readonly graph: GraphProto;
  readonly opset: number;
  readonly irVersion: number;
  readonly producerVersion: string;
  readonly doc?: string;
}

/** The serialized ModelProto. */
export function encodeModel(m: ModelInfo): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: m.irVersion,
    opsetImport: [{ domain: "", version: m.opset }],
    producerName: "gradc",
    producerVersion: m.producerVersion,
    graph: m.graph,
    ...(m.doc ? { docString: m.doc } : {}),
  });
  return onnx.ModelProto.encode(model).finish();
}
