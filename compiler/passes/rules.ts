// Rewrite rules as data: `rule("mul(x, 1)", "x", "x·1 → x")`. A pattern is an op call with
// sub-patterns, a variable (a lowercase name, binding any node; repeated names must bind the same
// node; `x:scalar` only a rank-0 node, `c:const` only a rank-0 constant) or a number (a scalar
// constant of that value). `op{axis=1}` also requires attrs. A rule
// fires when its pattern matches, its optional `when` guard accepts the match, and its replacement
// builds with the same shape as the node (a smaller replacement is broadcast back; a replacement that
// does not fit is skipped). A guard states what the pattern cannot: e.g. that two transposes cancel.
// The replacement is a pattern, or a function of the bindings for what a pattern cannot say (a
// constant computed from the matched ones); it builds with the DSL functions and may decline (undefined).
// A rule marked `commutative` also applies to its mirror image: the operands of every add and mul
// swapped, in the pattern and in a pattern replacement alike, so one line covers both operand orders
// and the replacement keeps the operands in the order the node had them.
import { context, make } from "../ir/context.js";
import { broadcastTo, reshape } from "../dsl/core.js";
import { makeGraph, type Graph } from "../ir/graph.js";
import { formatLoc } from "../ir/loc.js";
import type { Node } from "../ir/node.js";
import { rebuild } from "./rewrite.js";
import { broadcastShapes, sameShape } from "../ir/shape.js";
import { getOp } from "../ops/index.js";
import type { PassResult } from "./pass.js";
import { constOp } from "../ops/leaf.js";

type Pattern =
  | { readonly kind: "op"; readonly op: string; readonly attrs: Readonly<Record<string, unknown>>; readonly args: readonly Pattern[] }
  | { readonly kind: "var"; readonly name: string; readonly scalar: boolean; readonly constant?: true }
  | { readonly kind: "num"; readonly value: number };

/** Extra condition on a match: the matched node and the variables' bindings. */
export type RuleGuard = (node: Node, env: ReadonlyMap<string, Node>) => boolean;

/** A replacement a pattern cannot spell: built from the bindings (with DSL functions), or undefined to decline. */
export type RuleBuilder = (env: ReadonlyMap<string, Node>, node: Node) => Node | undefined;

export interface Rule {
  readonly from: Pattern;
  readonly to: Pattern | RuleBuilder;
  readonly description: string;
  readonly when?: RuleGuard;
  /** The same rule with add's and mul's operands swapped (a commutative rule's second order), if any. */
  readonly mirror?: Rule;
}

export interface RuleOptions {
  readonly when?: RuleGuard;
  /** Also match with the operands of every add and mul swapped (see the header). */
  readonly commutative?: boolean;
}

export function rule(from: string, to: string | RuleBuilder, description: string, options?: RuleGuard | RuleOptions): Rule {
  const { when, commutative } = typeof options === "function" ? { when: options, commutative: false } : (options ?? {});
  const r: Rule = { from: parse(from), to: typeof to === "string" ? parse(to) : to, description, ...(when ? { when } : {}) };
  if (typeof to === "string") {
    const bound = new Set(variables(r.from));
    for (const v of variables(r.to as Pattern)) {
      if (!bound.has(v)) throw new Error(`rule "${from}" → "${to}": the replacement uses "${v}", which the pattern does not bind`);
    }
  }
  if (!commutative) return r;
  const from2 = mirrored(r.from);
  if (JSON.stringify(from2) === JSON.stringify(r.from)) throw new Error(`rule "${from}": marked commutative, but it has no add or mul whose operands differ`);
  return { ...r, mirror: { ...r, from: from2, to: typeof r.to === "function" ? r.to : mirrored(r.to) } };
}

/** Ops whose operands may be swapped without changing the value (bit for bit, in IEEE arithmetic). */
const COMMUTATIVE = new Set(["add", "mul"]);

function mirrored(p: Pattern): Pattern {
  if (p.kind !== "op") return p;
  const args = p.args.map(mirrored);
  return { ...p, args: COMMUTATIVE.has(p.op) && args.length === 2 ? [args[1]!, args[0]!] : args };
}

function variables(p: Pattern): string[] {
  return p.kind === "var" ? [p.name] : p.kind === "op" ? p.args.flatMap(variables) : [];
}

function parse(src: string): Pattern {
  let pos = 0;
  const ws = () => {
    while (src[pos] === " ") pos++;
  };
  const expect = (c: string) => {
    ws();
    if (src[pos] !== c) throw new Error(`rule "${src}": expected "${c}" at ${pos}`);
    pos++;
  };
  const term = (): Pattern => {
    ws();
    const num = /^-?\d+(\.\d+)?/.exec(src.slice(pos));
    if (num) {
      pos += num[0].length;
      return { kind: "num", value: Number(num[0]) };
    }
    const id = /^[A-Za-z_]\w*/.exec(src.slice(pos));
    if (!id) throw new Error(`rule "${src}": unexpected "${src.slice(pos)}"`);
    pos += id[0].length;
    let attrs: Record<string, unknown> = {};
    if (src[pos] === "{") {
      const end = src.indexOf("}", pos);
      if (end < 0) throw new Error(`rule "${src}": unclosed "{" at ${pos}`);
      attrs = Object.fromEntries(src.slice(pos + 1, end).split(",").map((kv) => {
        const eq = kv.indexOf("=");
        const k = kv.slice(0, eq).trim();
        if (eq < 0 || !k) throw new Error(`rule "${src}": expected "name=value" in {...}, got "${kv.trim()}"`);
        try {
          return [k, JSON.parse(kv.slice(eq + 1).trim())];
        } catch {
          throw new Error(`rule "${src}": the value of attribute "${k}" is not a JSON value: "${kv.slice(eq + 1).trim()}"`);
        }
      }));
      pos = end + 1;
    }
    ws();
    if (src.startsWith(":scalar", pos)) {
      pos += ":scalar".length;
      return { kind: "var", name: id[0], scalar: true };
    }
    if (src.startsWith(":const", pos)) {
      pos += ":const".length;
      return { kind: "var", name: id[0], scalar: true, constant: true };
    }
    if (src[pos] !== "(") return { kind: "var", name: id[0], scalar: false };
    try {
      getOp(id[0]);
    } catch {
      throw new Error(`rule "${src}": unknown op "${id[0]}"`);
    }
    pos++;
    const args: Pattern[] = [];
    ws();
    if (src[pos] === ")") pos++;
    else {
      for (;;) {
        args.push(term());
        ws();
        if (src[pos] === ",") pos++;
        else break;
      }
      expect(")");
    }
    return { kind: "op", op: id[0], attrs, args };
  };
  const p = term();
  ws();
  if (pos !== src.length) throw new Error(`rule "${src}": trailing "${src.slice(pos)}"`);
  return p;
}

function match(p: Pattern, n: Node, env: Map<string, Node>): boolean {
  switch (p.kind) {
    case "num":
      return n.op === "const" && n.attrs.value === p.value;
    case "var": {
      if (p.scalar && n.shape.length !== 0) return false;
      if (p.constant && n.op !== "const") return false;
      const bound = env.get(p.name);
      if (bound) return bound === n;
      env.set(p.name, n);
      return true;
    }
    case "op":
      return (
        n.op === p.op &&
        n.inputs.length === p.args.length &&
        Object.entries(p.attrs).every(([k, v]) => n.attrs[k] === v) &&
        p.args.every((a, i) => match(a, n.inputs[i]!, env))
      );
  }
}

function build(p: Pattern, env: Map<string, Node>): Node {
  switch (p.kind) {
    case "num":
      return make(constOp, [], { value: p.value });
    case "var":
      return env.get(p.name)!;
    case "op":
      return make(getOp(p.op), p.args.map((a) => build(a, env)), p.attrs);
  }
}

/** The replacement with the node's shape, or null when it cannot have it. */
function fit(r: Node, like: Node): Node | null {
  if (sameShape(r.shape, like.shape)) return r;
  try {
    if (sameShape(broadcastShapes(r.shape, like.shape), like.shape)) return broadcastTo(r, like.shape);
  } catch {
    /* not broadcastable: try a reshape */
  }
  // Only a rule that rewrites a reshape may answer with a reshape: elsewhere equal sizes are no
  // evidence that the values line up. Whether the sizes are equal is the reshape op's own shape rule
  // (it throws, and tryRule then skips the rule).
  if (like.op !== "reshape") return null;
  return reshape(r, like.shape);
}

/** Tries each rule on `n` (whose inputs are already rewritten); the first that fits wins. */
export function applyRules(rules: readonly Rule[], n: Node, fired: (r: Rule) => void): Node | undefined {
  for (const r of rules) {
    const out = tryRule(r, n) ?? (r.mirror ? tryRule(r.mirror, n) : undefined);
    if (!out) continue;
    fired(r);
    return out;
  }
  return undefined;
}

/** The rule's replacement of `n`, fitted to its shape, or undefined when the rule does not apply. */
function tryRule(r: Rule, n: Node): Node | undefined {
  const env = new Map<string, Node>();
  if (!match(r.from, n, env) || (r.when && !r.when(n, env))) return undefined;
  let out: Node | null;
  try {
    const built = typeof r.to === "function" ? r.to(env, n) : build(r.to, env);
    out = built ? fit(built, n) : null;
  } catch {
    return undefined; // the replacement's own shape rule refused it
  }
  return out && out !== n ? out : undefined;
}

/** A pass that applies `rules` everywhere until none fires (bounded, in case two rules undo each other). */
export function rewritePass(rules: readonly Rule[], maxRounds = 20): (g: Graph) => PassResult {
  return (g) => {
    let graph = g;
    let changes = 0;
    const notes: string[] = [];
    for (let round = 0; round < maxRounds; round++) {
      let fired = 0;
      const before = graph;
      const rebuilt = rebuild(graph, (n) =>
        applyRules(rules, n, (r) => {
          fired++;
          const at = formatLoc(context().loc ?? n.loc);
          notes.push(at ? `${r.description}  (${at})` : r.description);
        }),
      );
      keepForwardNames(before, rebuilt.map);
      graph = rebuilt.graph;
      changes += fired;
      if (!fired) break;
    }
    return { graph: makeGraph(graph), changes, notes };
  };
}

/**
 * A gradient that simplifies to a forward value (½·(2·v) → v) must not lend it its name or derivative
 * rule: rebuilding gives a replacement the name of the node it replaces when it has none, which is
 * right for a forward value (h = x·1 becomes x, named h) but would call the forward value `v = y − t`
 * `dy`. A value keeps the name and origin it has as a forward node.
 */
function keepForwardNames(old: Graph, map: ReadonlyMap<Node, Node>): void {
  const forwardImage = new Map<Node, Node>();
  for (const n of old.nodes) if (!n.origin) forwardImage.set(map.get(n)!, n);
  for (const n of old.nodes) {
    const m = map.get(n)!;
    const forward = n.origin ? forwardImage.get(m) : undefined;
    if (!forward) continue;
    if (forward.name) m.name = forward.name;
    else delete m.name;
    delete m.origin;
  }
}
