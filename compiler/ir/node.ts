// Tensor nodes and the hash-consing builder that creates them.
//
// A node is immutable by convention: `{ op, inputs, attrs, shape, dtype, loc }`. Every node is made
// by a Builder, which keys nodes by (op, input ids, attrs): building the same expression twice
// returns the same node, so common subexpressions are shared as they are written.

import type { Loc } from "./loc.js";
import type { Shape } from "./shape.js";
import type { Tensor } from "./tensor.js";

export type Attrs = Readonly<Record<string, unknown>>;
/** Element type: floating point values, or integer class labels. */
export type ElemType = "f" | "i";

export interface Node {
  /** Unique within its builder and increasing in creation order, hence a topological order. */
  readonly id: number;
  /** The op's name (`def.name`): what passes match and printouts show. */
  readonly op: string;
  /** The op itself, as the IR sees it: so the interpreter, verify and flops need no op table. */
  readonly def: OpType;
  readonly inputs: readonly Node[];
  readonly attrs: Attrs;
  readonly shape: Shape;
  readonly dtype: ElemType;
  readonly loc: Loc;
  /** A readable name (the model.ts variable, a parameter's name, `dL/dh1`); never part of identity. */
  name?: string;
  /** For gradient nodes: the derivative rule that made it (`relu'`), shown in emitted comments. */
  origin?: string;
}

/**
 * How the lowering treats an op:
 * - leaf: input, param, const, dim — values that exist before any loop runs;
 * - elementwise: one scalar expression per output element (with broadcasting), fusable anywhere;
 * - reduce: sum or max along one axis or all; fusable with the elementwise chain that feeds it;
 * - matmul: a loop nest with an elementwise epilogue;
 * - view: a reshape, which is free on row-major data;
 * - layout: broadcastTo / transpose, which become index arithmetic;
 * - rowwise: an op over the last axis of each row (softmax, logSoftmax, cross-entropy), lowered by its
 *   own `lowerRow` template;
 * - kernel: an op with its own loop nest over whole tensors (convolution, pooling, slicing), lowered by
 *   its `lowerKernel` template; it runs on its own (no fusion with neighbours).
 */
export type OpKind = "leaf" | "elementwise" | "reduce" | "matmul" | "view" | "layout" | "rowwise" | "kernel";

/** What an op's flop count can ask: a node's element count and a whole graph's flops, at the counted batch size. */
export interface FlopCounter {
  size(n: Node): number;
  graph(g: { readonly nodes: readonly Node[] }): number;
}

/**
 * What the IR knows of an op: its name, kind, shape rule, element type, reference semantics and flop
 * count. An op (compiler/ops/op.ts's OpDef) is more — derivative, lowering, notation — but the IR's
 * own tools (the builder, the interpreter, verify, flops) need only this, so ir/ imports nothing of ops/.
 */
export interface OpType {
  readonly name: string;
  readonly kind: OpKind;
  /** Its value is several tensors, each read through a `part` node (scan). */
  readonly tuple?: boolean;
  shape(inputs: readonly Node[], attrs: Attrs): Shape;
  dtype?(inputs: readonly Node[], attrs: Attrs): ElemType;
  /** Reference semantics in float64 (concrete shapes): constant folding and tests use it. */
  eval(inputs: readonly Tensor[], attrs: Attrs, outShape: readonly number[]): Tensor;
  /** Floating-point operations of a node, when one per output element undercounts (a scan runs its body T times). */
  flops?(node: Node, count: FlopCounter): number;
}

/** Stable JSON with sorted keys, so attrs written in any order hash alike. */
export function canonical(v: unknown): string {
  // An attribute that is itself a graph (a scan's body) is identified by its key, not walked.
  if (v && typeof v === "object" && typeof (v as { canonicalKey?: unknown }).canonicalKey === "string") return (v as { canonicalKey: string }).canonicalKey;
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(",")}}`;
  }
  if (typeof v === "number" && Object.is(v, -0)) return "-0";
  if (typeof v === "number" && !Number.isFinite(v)) return String(v); // JSON would make ±Infinity and NaN all "null"
  return JSON.stringify(v) ?? "undefined";
}

/**
 * canonical(attrs), computed once per attrs object: passes rebuild every node with the attrs object it
 * had, and a parameter's explicit init values (a 5 MB literal is 400,000 numbers) are part of its
 * attrs. Attrs are never mutated, so the text stays right.
 */
const attrsKeys = new WeakMap<Attrs, string>();
export function attrsKey(attrs: Attrs): string {
  let key = attrsKeys.get(attrs);
  if (key === undefined) {
    key = canonical(attrs);
    attrsKeys.set(attrs, key);
  }
  return key;
}

/**
 * Gives a builder's own stand-in for a node made by another builder. A scan body is traced in a
 * builder of its own; the outer values it mentions (weights, biases) become its captured inputs.
 */
export type Adopt = (foreign: Node) => Node;

export class Builder {
  private readonly table = new Map<string, Node>();
  private readonly own = new WeakSet<Node>();
  private nextId = 0;
  constructor(private readonly adopt?: Adopt) {}

  /** The node for (op, inputs, attrs), created on first use; shape rules run here (they may throw). */
  make(def: OpType, given: readonly Node[], attrs: Attrs, loc: Loc, name?: string): Node {
    const op = def.name;
    const inputs = this.adopt && given.some((i) => !this.own.has(i)) ? given.map((i) => (this.own.has(i) ? i : this.adopt!(i))) : given;
    const key = `${op}(${inputs.map((i) => i.id).join(",")})${attrsKey(attrs)}`;
    const found = this.table.get(key);
    if (found) {
      if (name && !found.name) found.name = name;
      return found;
    }
    const node: Node = {
      id: this.nextId++,
      op,
      def,
      inputs,
      attrs,
      shape: def.shape(inputs, attrs),
      dtype: def.dtype ? def.dtype(inputs, attrs) : "f",
      loc,
      ...(name ? { name } : {}),
    };
    this.table.set(key, node);
    this.own.add(node);
    return node;
  }

  /** `n` itself when this builder made it, else its stand-in (see Adopt). */
  local(n: Node): Node {
    if (this.own.has(n)) return n;
    if (!this.adopt) throw new Error(`internal: ${n.op}#${n.id} belongs to another builder`);
    return this.adopt(n);
  }

  get size(): number {
    return this.table.size;
  }
}
