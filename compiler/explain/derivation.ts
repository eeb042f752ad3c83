// The derivation `gradc explain` prints: the equations of the forward pass and of the backward pass of
// the optimized training graph, each value named by ./naming.ts, with δℓ = ∂L/∂zℓ per layer
// (./layers.ts), the textbook form of each δ next to what the compiled code computes, and the
// forward values each backward equation reuses. The formats (./text.ts, ./latex.ts, ./markdown.ts)
// only lay it out.
//
// Which values get an equation: what the generated training pass stores (the kernel plan), the
// layers' zℓ, hℓ and δℓ even where the code fuses them away, the loss and every parameter gradient;
// minus constant scalars (1/N) and unnamed single-use values, which read better inline (L = ½ Σ v₁²).
import { reachable, type Graph } from "../ir/graph.js";
import { formatLoc } from "../ir/loc.js";
import type { Node } from "../ir/node.js";
import { plan, storageOf } from "../lower/plan.js";
import { findLayers, type Layer } from "./layers.js";
import { applyOp, derivativeOf, math, numberMath, sumRows, type MathText } from "./math.js";
import { gradientSymbol, NameAllocator, renderSymbol, symbolOf } from "./naming.js";

export interface Equation {
  readonly node: Node;
  readonly lhs: MathText;
  /** What the symbol stands for, when it is not the left side itself: δ₁ is ∂L/∂z₁. */
  readonly meaning?: MathText;
  /** The textbook form of a δ: (δ₂·W₂ᵀ) ⊙ σ'(z₁), before forward values are substituted. */
  readonly rule?: MathText;
  /** What the compiled code computes, after simplification. */
  readonly rhs: MathText;
  /** The derivative rule that produced a backward value (`sigmoid'`). */
  readonly origin?: string;
  /** Where in model.ts (`model.ts:14:14`). */
  readonly loc: string;
  /** Forward values (computed ones, not inputs or parameters) this backward equation reads. */
  readonly reuses: readonly Node[];
  /** Other equations' nodes this one reads. */
  readonly uses: readonly Node[];
  /** For ∂L/∂P: the parameter's name. */
  readonly param?: string;
}

export interface Derivation {
  readonly model: string;
  readonly source: string;
  readonly forward: readonly Equation[];
  readonly backward: readonly Equation[];
  readonly layers: readonly Layer[];
  readonly symbolOf: (n: Node) => MathText;
  /**
   * The values that have a symbol of their own, by its plain ASCII form: z1, h1, delta1, v1, g1, dW1
   * (∂L/∂W₁), dh1 (∂L/∂h₁), loss. The emitter names its variables with these, so code and explain agree.
   */
  readonly plainNames: ReadonlyMap<Node, string>;
}

export function derive(g: Graph, source: string): Derivation {
  const loss = g.loss!;
  const layers = findLayers(g);
  const forwardSet = reachable([loss]);
  const roots = [loss, ...g.grads.map(([, n]) => n)];
  const p = plan(g, roots);
  const inPlan = new Set(p.nodes);

  // Uses of each node, looking through views (a reshape's readers read its input).
  const consumers = new Map<Node, Node[]>();
  for (const n of p.nodes) {
    for (const i of n.inputs) {
      const list = consumers.get(i);
      if (list) list.push(n);
      else consumers.set(i, [n]);
    }
  }
  const isView = (n: Node) => n.op === "reshape" || n.op === "broadcastTo";
  const readers = (n: Node): Node[] => (consumers.get(n) ?? []).flatMap((c) => (isView(c) ? readers(c) : [c]));
  const isLeaf = (n: Node) => n.op === "input" || n.op === "param" || n.op === "const" || n.op === "dim";
  const constantOnly = (n: Node) => ![...reachable([n])].some((a) => a.op === "input" || a.op === "param");

  const layerNodes = new Set<Node>(layers.flatMap((l) => [l.z, ...(l.activation ? [l.activation] : []), ...(l.delta ? [l.delta] : [])]).map(storageOf));
  const rootSet = new Set(roots.map(storageOf));
  const displayed = new Set<Node>();
  for (const k of p.kernels) {
    const n = storageOf(k.node);
    if (isLeaf(n) || (n.shape.length === 0 && constantOnly(n) && n !== loss)) continue;
    const single = readers(n).length === 1 && !n.name && !layerNodes.has(n) && !rootSet.has(n);
    const readByBackward = readers(n).some((r) => !forwardSet.has(r));
    if (single && !(forwardSet.has(n) && readByBackward)) continue;
    displayed.add(n);
  }
  for (const n of layerNodes) if (inPlan.has(n)) displayed.add(n);
  for (const n of rootSet) if (!isLeaf(n)) displayed.add(n);

  // ── symbols ──
  const symbols = new Map<Node, MathText>();
  const taken = new Set<string>([...g.inputs, ...g.params].map((n) => String(n.attrs.name)));
  for (const n of g.nodes) if (forwardSet.has(n) && n.name) taken.add(n.name);
  const names = new NameAllocator(taken);
  const byName = new Map<string, Node>();
  for (const n of g.nodes) if (forwardSet.has(n) && n.name && !byName.has(n.name)) byName.set(n.name, n);
  for (const n of [...g.inputs, ...g.params]) byName.set(String(n.attrs.name), n);

  const symbol = (n: Node): MathText => {
    const known = symbols.get(n);
    if (known) return known;
    if (n.op === "input" || n.op === "param") return renderSymbol(symbolOf(String(n.attrs.name), n.shape.length ? "tensor" : "scalar"));
    // A value without an equation of its own (a view, a value fused away) reads as its expression.
    return expand(n, !isView(n), new Set());
  };
  const style = (n: Node): "tensor" | "scalar" => (n.shape.length ? "tensor" : "scalar");
  const plainNames = new Map<Node, string>();
  /** Gives n its symbol, and the plain name of it the emitter uses. */
  const name = (n: Node, sym: MathText, plain: string): void => {
    symbols.set(n, sym);
    plainNames.set(n, plain);
  };
  const named = (n: Node, plain: string): void => name(n, renderSymbol(symbolOf(plain, style(n))), plain);
  name(loss, renderSymbol({ base: "L", style: "scalar" }), "loss");
  for (const l of [...layers].sort((a, b) => a.index - b.index)) {
    if (displayed.has(l.z) && !symbols.has(l.z)) named(l.z, l.z.name ?? names.pick([`z${l.index}`]));
    const a = l.activation;
    if (a && displayed.has(a) && !symbols.has(a)) named(a, a.name ?? names.pick([`h${l.index}`, `a${l.index}`]));
    if (l.delta && displayed.has(l.delta) && !symbols.has(l.delta)) name(l.delta, renderSymbol({ base: "δ", sub: String(l.index), style: "delta" }), `delta${l.index}`);
  }
  const paramByName = new Map(g.params.map((q) => [String(q.attrs.name), q]));
  const paramNamed = (name: string) => paramByName.get(name)!;
  /** Gradient value → the parameter it is named after (∂L/∂W₁); other parameters with it get a line of their own. */
  const ownGradient = new Map<Node, string>();
  for (const [param, root] of g.grads) {
    const n = storageOf(root);
    if (symbols.has(n) || isLeaf(n)) continue;
    name(n, gradientSymbol(symbol(paramNamed(param))), `d${param}`);
    ownGradient.set(n, param);
  }
  for (const n of g.nodes) {
    if (!displayed.has(n) || symbols.has(n)) continue;
    if (forwardSet.has(n)) named(n, n.name ?? names.next("v"));
    else {
      // The autodiff names an adjoint after its forward value: dh1 = ∂L/∂h1.
      const adjointOf = n.name?.startsWith("d") ? byName.get(n.name.slice(1)) : undefined;
      const of = adjointOf && (symbols.has(adjointOf) || isLeaf(adjointOf)) ? adjointOf : undefined;
      if (of) name(n, gradientSymbol(symbol(of)), `d${of.op === "input" || of.op === "param" ? String(of.attrs.name) : plainNames.get(of)!}`);
      else named(n, names.next("g"));
    }
  }

  // ── expressions ──
  /**
   * n as math, values with an equation of their own (and inputs, parameters) by their symbol, others
   * written out; `refs` collects the symbols used, in order. An explicit stack, not recursion: an
   * unnamed element-wise chain is written out thousands of operations deep.
   */
  function expand(n: Node, top: boolean, refs: Set<Node>): MathText {
    const open: { readonly node: Node; readonly args: MathText[] }[] = [];
    let next: Node | null = n;
    let nextTop = top;
    let text: MathText | null = null;
    for (;;) {
      if (next) {
        const m: Node = next;
        next = null;
        if (!nextTop && (displayed.has(m) || m.op === "input" || m.op === "param")) {
          refs.add(m);
          text = symbol(m);
        } else if (m.op === "const" && m.attrs.value !== undefined) text = numberMath(m.attrs.value as number);
        else if (m.op === "dim") text = math("N", "N");
        else if (isView(m) || m.inputs.length) {
          if (!isView(m)) open.push({ node: m, args: [] });
          next = m.inputs[0]!;
          nextTop = false;
          continue;
        } else text = applyOp(m.op, m.attrs, []);
      }
      // `text` is the next operand of the innermost open operation (or, with none open, the result).
      const op = open[open.length - 1];
      if (!op) return text!;
      op.args.push(text!);
      if (op.args.length < op.node.inputs.length) {
        next = op.node.inputs[op.args.length]!;
        nextTop = false;
        continue;
      }
      open.pop();
      const m = op.node;
      text = m.op === "sum" && m.attrs.axis === 0 && typeof m.inputs[0]!.shape[0] === "string" ? sumRows(op.args[0]!) : applyOp(m.op, m.attrs, op.args);
    }
  }

  const deltas = new Set(layers.flatMap((l) => (l.delta ? [l.delta] : [])));
  const equation = (n: Node, lhs: MathText, extra: Partial<Equation> = {}): Equation => {
    const refs = new Set<Node>();
    const rhs = expand(n, true, refs);
    const backward = !forwardSet.has(n);
    return {
      node: n,
      lhs,
      rhs,
      ...(backward && n.origin ? { origin: n.origin } : {}),
      loc: formatLoc(n.loc),
      reuses: backward ? [...refs].filter((r) => forwardSet.has(r) && !isLeaf(r)) : [],
      uses: [...refs].filter((r) => displayed.has(r)),
      ...extra,
    };
  };
  const textbook = (l: Layer): Pick<Equation, "meaning" | "rule"> => {
    const meaning = gradientSymbol(symbol(l.z));
    const d = l.delta!;
    const a = l.activation;
    if (!a || d.op !== "mul" || d.origin !== `${a.op}'` || dependsOn(d.inputs[1]!, d.inputs[0]!)) return { meaning };
    // reverse mode's f'-rule is upstream ⊙ f'(z): show the upstream as δℓ₊₁·Wℓ₊₁ᵀ when it is that, else ∂L/∂hℓ.
    const refs = new Set<Node>();
    const upstream = expand(d.inputs[0]!, false, refs);
    const shown = [...refs].some((r) => deltas.has(r)) ? upstream : gradientSymbol(symbol(a));
    return { meaning, rule: applyOp("mul", {}, [shown, derivativeOf(a.op, a.attrs, symbol(l.z))]) };
  };

  const forward: Equation[] = [];
  const backward: Equation[] = [];
  const layerOfDelta = new Map<Node, Layer>();
  for (const l of layers) if (l.delta && !layerOfDelta.has(l.delta)) layerOfDelta.set(l.delta, l);
  for (const n of g.nodes) {
    if (!displayed.has(n)) continue;
    const layer = layerOfDelta.get(n);
    const param = ownGradient.get(n);
    const eq = equation(n, symbol(n), { ...(layer ? textbook(layer) : {}), ...(param !== undefined ? { param } : {}) });
    (forwardSet.has(n) ? forward : backward).push(eq);
  }
  // A gradient that is another value (shared by two parameters, or a δ itself) gets its own line.
  const covered = new Set(ownGradient.values());
  for (const [name, root] of g.grads) {
    if (covered.has(name)) continue;
    const refs = new Set<Node>();
    const rhs = expand(storageOf(root), false, refs);
    const param = paramNamed(name);
    backward.push({ node: root, lhs: gradientSymbol(symbol(param)), rhs, loc: formatLoc(param.loc), reuses: [], uses: [...refs].filter((r) => displayed.has(r)), param: name });
  }
  return { model: g.name, source, forward, backward, layers, symbolOf: symbol, plainNames };
}

/**
 * Whether `target` is among the values `from` is computed from. Node ids are a topological order, so
 * the search never goes below target's id (a layer's check stays local instead of walking the network).
 */
function dependsOn(from: Node, target: Node): boolean {
  const seen = new Set<Node>();
  const stack = [from];
  while (stack.length) {
    const n = stack.pop()!;
    if (n === target) return true;
    if (n.id < target.id || seen.has(n)) continue;
    seen.add(n);
    for (const i of n.inputs) stack.push(i);
  }
  return false;
}

/** The backward equations ∂L/∂P for the parameters `params` depends on, in order. */
export function backwardFor(d: Derivation, params: readonly string[]): Equation[] {
  const byNode = new Map(d.backward.map((e) => [e.node, e]));
  const needed = new Set<Equation>();
  const visit = (e: Equation) => {
    if (needed.has(e)) return;
    needed.add(e);
    for (const u of e.uses) {
      const dep = byNode.get(u);
      if (dep) visit(dep);
    }
  };
  for (const e of d.backward) if (e.param !== undefined && params.includes(e.param)) visit(e);
  return d.backward.filter((e) => needed.has(e));
}
