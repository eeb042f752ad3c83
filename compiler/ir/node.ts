// Tensor nodes and the hash-consing builder that creates them.
//
// A node is immutable by convention: `{ op, inputs, attrs, shape, dtype, loc }`. Every node is made
// by a Builder, which keys nodes by (op, input ids, attrs): building the same expression twice
// returns the same node, so common subexpressions are shared as they are written.

import type { Loc } from "./loc.js";
import type { Shape } from "./shape.js";

export type Attrs = Readonly<Record<string, unknown>>;
/** Element type: floating point values, or integer class labels. */
export type ElemType = "f" | "i";

export interface Node {
  /** Unique within its builder and increasing in creation order, hence a topological order. */
  readonly id: number;
  readonly op: string;
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

/** What an op contributes to node construction: its shape rule and element type. */
export interface NodeTyping {
  shape(inputs: readonly Node[], attrs: Attrs): Shape;
  dtype?(inputs: readonly Node[], attrs: Attrs): ElemType;
}

export type TypingLookup = (op: string) => NodeTyping;

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
function attrsKey(attrs: Attrs): string {
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
  constructor(
    private readonly typing: TypingLookup,
    private readonly adopt?: Adopt,
  ) {}

  /** The node for (op, inputs, attrs), created on first use; shape rules run here (they may throw). */
  make(op: string, given: readonly Node[], attrs: Attrs, loc: Loc, name?: string): Node {
    const inputs = this.adopt && given.some((i) => !this.own.has(i)) ? given.map((i) => (this.own.has(i) ? i : this.adopt!(i))) : given;
    const key = `${op}(${inputs.map((i) => i.id).join(",")})${attrsKey(attrs)}`;
    const found = this.table.get(key);
    if (found) {
      if (name && !found.name) found.name = name;
      return found;
    }
    const t = this.typing(op);
    const node: Node = {
      id: this.nextId++,
      op,
      inputs,
      attrs,
      shape: t.shape(inputs, attrs),
      dtype: t.dtype ? t.dtype(inputs, attrs) : "f",
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
