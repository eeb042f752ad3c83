// Rewrite rules as data: `rule("mul(x, 1)", "x", "x·1 → x")`. A pattern is an op call with
// sub-patterns, a variable (a lowercase name, binding any node; repeated names must bind the same
// node; `x:scalar` only a rank-0 node) or a number (a scalar constant of that value). `op{axis=1}`
// also requires attrs. A rule
// fires when its pattern matches, its optional `when` guard accepts the match, and its replacement
// builds with the same shape as the node (a smaller replacement is broadcast back; a replacement that
// does not fit is skipped). A guard states what the pattern cannot: e.g. that two transposes cancel.
import { context, make } from "../ir/context.js";
import { broadcastTo, reshape } from "../dsl/core.js";
import { makeGraph, type Graph } from "../ir/graph.js";
import { formatLoc } from "../ir/loc.js";
import type { Node } from "../ir/node.js";
import { rebuild } from "../ir/rewrite.js";
import { broadcastShapes, sameShape, staticPart } from "../ir/shape.js";
import { getOp } from "../ops/index.js";
import type { PassResult } from "./pass.js";
import { constOp } from "../ops/leaf.js";

type Pattern =
  | { readonly kind: "op"; readonly op: string; readonly attrs: Readonly<Record<string, unknown>>; readonly args: readonly Pattern[] }
  | { readonly kind: "var"; readonly name: string; readonly scalar: boolean }
  | { readonly kind: "num"; readonly value: number };

/** Extra condition on a match: the matched node and the variables' bindings. */
export type RuleGuard = (node: Node, env: ReadonlyMap<string, Node>) => boolean;

export interface Rule {
  readonly from: Pattern;
  readonly to: Pattern;
  readonly description: string;
  readonly when?: RuleGuard;
}

export function rule(from: string, to: string, description: string, when?: RuleGuard): Rule {
  const r = { from: parse(from), to: parse(to), description, ...(when ? { when } : {}) };
  const bound = new Set(variables(r.from));
  for (const v of variables(r.to)) {
    if (!bound.has(v)) throw new Error(`rule "${from}" → "${to}": the replacement uses "${v}", which the pattern does not bind`);
  }
  return r;
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
  // evidence that the values line up.
  if (like.op !== "reshape") return null;
  const symbolic = (s: Node["shape"]) => s.filter((d) => typeof d !== "number").length;
  if (staticPart(r.shape) === staticPart(like.shape) && symbolic(r.shape) === symbolic(like.shape)) return reshape(r, like.shape);
  return null;
}

/** Tries each rule on `n` (whose inputs are already rewritten); the first that fits wins. */
export function applyRules(rules: readonly Rule[], n: Node, fired: (r: Rule) => void): Node | undefined {
  for (const r of rules) {
    const env = new Map<string, Node>();
    if (!match(r.from, n, env) || (r.when && !r.when(n, env))) continue;
    let out: Node | null;
    try {
      out = fit(build(r.to, env), n);
    } catch {
      continue; // the replacement's own shape rule refused it
    }
    if (!out || out === n) continue;
    fired(r);
    return out;
  }
  return undefined;
}

/** A pass that applies `rules` everywhere until none fires (bounded, in case two rules undo each other). */
export function rewritePass(rules: readonly Rule[], maxRounds = 20): (g: Graph) => PassResult {
  return (g) => {
    let graph = g;
    let changes = 0;
    const notes: string[] = [];
    for (let round = 0; round < maxRounds; round++) {
      let fired = 0;
      graph = rebuild(graph, (n) =>
        applyRules(rules, n, (r) => {
          fired++;
          const at = formatLoc(context().loc ?? n.loc);
          notes.push(at ? `${r.description}  (${at})` : r.description);
        }),
      ).graph;
      changes += fired;
      if (!fired) break;
    }
    return { graph: makeGraph(graph), changes, notes };
  };
}
