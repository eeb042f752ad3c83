// What `gradc graph` draws, before any syntax: nodes with a role and a label, edges in data-flow
// direction, and (with --fused) one cluster per kernel the emitter generates. Mermaid and DOT render
// this one structure (compiler/graph/mermaid.ts, compiler/graph/dot.ts), so both show the same graph.
//
// The graph is the one a generated pass is lowered from (compiler/emit/passGraphs.ts), after the
// compiler's whole optimization pipeline:
//  - forward (default): the evaluation pass, inference mode, computing the loss and the outputs;
//  - --backward: the training pass, training mode, computing the loss and every gradient (outputs the
//    loss does not need are not part of a training step, so they are not drawn there).
// Clusters are plan()'s kernels for that pass: a kernel's stored node, the nodes computed inline in its
// loop, and a matmul fused as its prologue. Leaves, views (reshape) and broadcasts read by index
// arithmetic belong to no kernel and are drawn outside every cluster.
// Tests: test/graph/model.test.ts
import type { Graph } from "../ir/graph.js";
import type { Node } from "../ir/node.js";
import { formatLoc } from "../ir/loc.js";
import { formula } from "../emit/notation.js";
import { derive } from "../explain/derivation.js";
import { literal } from "../emit/kernels.js";
import { Names } from "../emit/names.js";
import { opOf } from "../ops/op.js";
import { evaluatePass, passPlan, trainPass, type PassGraph } from "../emit/passGraphs.js";
import { plan, storageOf, type Plan } from "../lower/plan.js";
import { kernelLabel, nodeLabel } from "./labels.js";

/** How a node is drawn: leaves by kind, the loss and outputs marked, gradients apart from forward values. */
export type Role = "input" | "param" | "constant" | "value" | "output" | "loss" | "gradient" | "paramGradient";

export interface DrawnNode {
  /** An identifier safe in every format: `n` and the node's id (stable for a given model). */
  readonly key: string;
  readonly label: string;
  readonly role: Role;
  /** Where in model.ts the node comes from (`model.ts:11:14`), or "" for nodes the compiler made. */
  readonly where: string;
  /** A second line under the label (the playground's Step writes the node's value there). */
  readonly note?: string;
}

export interface DrawnEdge {
  readonly from: string;
  readonly to: string;
  /** The edge feeds a gradient computation. */
  readonly backward: boolean;
}

export interface DrawnCluster {
  /** `k1`, `k2`, … in plan() order (the emitter may still merge several into one batch loop). */
  readonly key: string;
  /** Lines: the kernel's math as the generated module's comment says it, then its number and kind. */
  readonly label: readonly string[];
  /** Keys of the nodes the kernel computes, in topological order. */
  readonly members: readonly string[];
}

export interface Drawing {
  readonly title: string;
  readonly nodes: readonly DrawnNode[];
  readonly edges: readonly DrawnEdge[];
  /** Empty unless fused clusters were asked for. */
  readonly clusters: readonly DrawnCluster[];
}

export interface DrawingOptions {
  /** Draw the training pass (forward and backward) instead of the forward evaluation. */
  readonly backward?: boolean;
  /** Group nodes into the kernels the emitter generates. */
  readonly fused?: boolean;
  /** The model file's name for the title (a basename: output must not depend on where it is built). */
  readonly source: string;
}

/** The drawing of an optimized graph (`optimize(traced).graph`). */
export function drawing(optimized: Graph, options: DrawingOptions): Drawing {
  return drawPass(options.backward ? trainPass(optimized) : evaluatePass(optimized), options);
}

/** The drawing of one pass (`trainPass(optimized)` when options.backward): node keys are `n` + the pass graph's node ids. */
export function drawPass(pass: PassGraph, options: DrawingOptions): Drawing {
  const p = passPlan(pass);
  const names = readableNames(pass.graph);
  const gradient = (n: Node) => !pass.forward.has(n);
  const key = (n: Node) => `n${n.id}`;

  const roleOf = roles(pass);
  const nodes = p.nodes.map((n): DrawnNode => ({ key: key(n), label: nodeLabel(n, names.get(n), gradient(n)), role: roleOf(n), where: whereOf(n) }));
  const edges = p.nodes.flatMap((n) => n.inputs.map((i): DrawnEdge => ({ from: key(i), to: key(n), backward: gradient(n) })));
  const clusters = options.fused ? kernelClusters(pass, p, gradient).map((c) => ({ ...c, members: c.members.map(key) })) : [];
  const what = options.backward ? "forward and backward (one training step)" : "forward (loss and outputs)";
  const title = `gradc graph of model ${JSON.stringify(pass.graph.name)} (${options.source}): ${what}, after optimization${options.fused ? ", grouped into the kernels the compiler generates" : ""}`;
  return { title, nodes, edges, clusters };
}

/** Names a reader knows: L for the loss, ∂L/∂W for a parameter's gradient, model.ts variables, output names. */
function readableNames(g: Graph): Map<Node, string> {
  const names = new Map<Node, string>();
  for (const [state, n] of g.updates ?? []) names.set(n, `${state} (next)`);
  for (const [name, n] of g.outputs) names.set(n, n.name ?? name);
  // One value can be two parameters' gradient (an LSTM's b_ih and b_hh both get Σ δ): ∂L/∂b_ih = ∂L/∂b_hh.
  const gradientOf = new Map<Node, string[]>();
  for (const [param, n] of g.grads) gradientOf.set(n, [...(gradientOf.get(n) ?? []), `∂L/∂${param}`]);
  for (const [n, params] of gradientOf) names.set(n, params.join(" = "));
  if (g.loss) names.set(g.loss, "L");
  for (const n of g.nodes) {
    if (names.has(n)) continue;
    if (n.op === "input" || n.op === "param") names.set(n, String(n.attrs.name));
    else if (n.name !== undefined) names.set(n, n.name);
  }
  return names;
}

/** Each node's role in the drawing (gradients and outputs looked up in sets: a deep model has thousands). */
function roles(pass: PassGraph): (n: Node) => Role {
  const g = pass.graph;
  const gradients = new Set(g.grads.map(([, d]) => d));
  const outputs = new Set(g.outputs.map(([, o]) => o));
  return (n) => {
    if (n === g.loss) return "loss";
    if (n.op === "input") return "input";
    if (n.op === "param") return "param";
    if (n.op === "const" || n.op === "dim") return "constant";
    if (gradients.has(n)) return "paramGradient";
    if (!pass.forward.has(n)) return "gradient";
    if (outputs.has(n)) return "output";
    return "value";
  };
}

const whereOf = (n: Node): string => formatLoc(n.loc);

/**
 * One cluster per kernel, holding its stored node and the nodes it computes inline. The math in the
 * label names values the way the emitter's comments do: a model.ts name when there is one, else the
 * identifier of the buffer holding the value, given out in the emitter's order (compiler/emit/pass.ts).
 */
function kernelClusters(pass: PassGraph, p: Plan, gradient: (n: Node) => boolean): { key: string; label: readonly string[]; members: Node[] }[] {
  const g = pass.graph;
  const consumer = new Map<Node, Node>();
  for (const n of p.nodes) for (const i of n.inputs) if (!consumer.has(i)) consumer.set(i, n);
  // The kernel an inline node's value is computed in: the node its single consumer ends up in
  // (plan() inlines only nodes with exactly one consumer; a fused matmul's consumer is its epilogue).
  const home = (n: Node): Node => {
    while (p.inline.has(n)) n = consumer.get(n)!;
    return n;
  };

  // The names the emitter uses: explain's (z1, delta1, v1) where it gives one.
  const textbook = g.loss ? derive(g, "").plainNames : new Map<Node, string>();
  const identifiers = bufferIdentifiers(pass, p, textbook);
  const display = (n: Node): string => {
    if (n.op === "const" && n.attrs.value !== undefined) return literal(n.attrs.value as number);
    if (n.op === "dim") return "N";
    if (n.op === "reshape") return display(n.inputs[0]!);
    return textbook.get(n) ?? n.name ?? identifiers.get(storageOf(n)) ?? n.op;
  };

  const members = new Map<Node, Node[]>(p.kernels.map((k) => [k.node, []]));
  for (const n of p.nodes) members.get(home(n))?.push(n);
  return p.kernels.map((k, index) => ({
    key: `k${index + 1}`,
    label: kernelLabel(k, index, `${display(k.node)} = ${formula(k.node, p.expanded, display)}`, gradient(k.node)),
    members: members.get(k.node)!,
  }));
}

/**
 * The identifiers the emitter gives arrays and kernel results, in the order it gives them out
 * (emit/pass.ts: the pass's inputs, then params, constant tensors and scan results in node order,
 * then every kernel's result; a scan itself has no array of its own).
 */
function bufferIdentifiers(pass: PassGraph, p: Plan, textbook: ReadonlyMap<Node, string>): Map<Node, string> {
  const g = pass.graph;
  if (!pass.forwardFirst) return passIdentifiers(g, p, pass.roots, textbook, new Names(), new Map());
  // A training pass that calls the forward pass first: the forward pass's names, then the training
  // pass's own, which read the values the forward pass left by their names there.
  const first = plan(g, pass.forwardFirst.roots);
  const ids = passIdentifiers(g, first, pass.forwardFirst.roots, textbook, new Names(), new Map());
  const given = new Map(pass.forwardFirst.given.map((n) => [n, ids.get(storageOf(n))!]));
  const names = new Names();
  for (const id of given.values()) names.reserve(id);
  const then = plan(g, pass.roots, new Set(given.keys()));
  return new Map([...ids, ...passIdentifiers(g, then, pass.roots, textbook, names, given)]);
}

/** The identifiers one pass's emitter gives (../emit/pass.ts), after those `preset` already has. */
function passIdentifiers(g: Graph, p: Plan, roots: readonly Node[], textbook: ReadonlyMap<Node, string>, names: Names, preset: ReadonlyMap<Node, string>): Map<Node, string> {
  const ids = new Map(preset);
  for (const n of p.nodes) if (n.op === "input" && !ids.has(n)) ids.set(n, names.fresh(n.attrs.name as string));
  for (const n of p.nodes) {
    if (ids.has(n)) continue;
    if (n.op === "param") ids.set(n, names.fresh(n.attrs.name as string));
    else if (n.op === "const" && n.attrs.values) ids.set(n, names.fresh((n.name ?? "c").toLowerCase()));
    else if (n.op === "part") ids.set(n, names.fresh(n.name ?? "part"));
  }
  const kernelNodes = new Set(p.kernels.map((k) => k.node));
  const rootSet = new Set(roots);
  for (const n of p.nodes) {
    if (!kernelNodes.has(n) || opOf(n).tuple || ids.has(n)) continue;
    const scalarLocal = n.shape.length === 0 && !(rootSet.has(n) && n !== g.loss);
    ids.set(n, names.fresh(scalarLocal && n === g.loss ? "loss" : (textbook.get(n) ?? n.name ?? n.op)));
  }
  return ids;
}
