// The step functions of a model's recurrences, for `gradc explain`: a scan is one symbol in the
// derivation (v₂ = scan…), so each gets a section of its own — the equations of one time step as the
// generated loop computes them, what it keeps per step, and the reverse step that backpropagation
// through time runs from t = T down to 1.
import type { Graph } from "../ir/graph.js";
import { formatLoc } from "../ir/loc.js";
import type { Node } from "../ir/node.js";
import { plan, storageOf } from "../lower/plan.js";
import { formula } from "../emit/notation.js";
import { formatNumber } from "../ops/leaf.js";
import { userOutputs, type ScanAttrs, type ScanBody } from "../ops/scan.js";

/** One section per scan of `g` (none when it has no scan); `symbol` names outer values as the derivation does. */
export function scanSections(g: Graph, symbol: (n: Node) => string): string[][] {
  return g.nodes
    .filter((n) => n.op === "scan" && (n.attrs as unknown as ScanAttrs).body.backward)
    .map((n) => {
      const { body, length } = n.attrs as unknown as ScanAttrs;
      const k = body.carries;
      const carryNames = body.graph.inputs.slice(0, k).map((c) => c.name ?? "carry");
      const steps = body.graph.inputs.slice(k, k + body.steps).map((x) => x.name ?? "x");
      const forwardNames = new Map<Node, string>();
      const out = [
        `${symbol(n)} = scan over t = 1…${length} (${formatLoc(n.loc)}): carries ${carryNames.join(", ")}${steps.length ? `; step inputs ${steps.join(", ")}` : ""}; at each step:`,
        ...stepEquations(body, "forward", forwardNames),
      ];
      // The reverse step reads the kept values under the names the forward step gave them.
      const bw = body.backward!;
      const saved = body.graph.outputs.slice(k + userOutputs(body));
      const reverseInputs = bw.body.graph.inputs.slice(bw.body.carries + userOutputs(body), bw.body.carries + userOutputs(body) + bw.saved);
      const preset = new Map(reverseInputs.map((ph, s) => [ph, forwardNames.get(saved[s]![1]) ?? ph.name ?? "saved"] as const));
      out.push(`  its derivative, a reverse scan over t = ${length}…1 (backpropagation through time), at each step:`, ...stepEquations(bw.body, "reverse", new Map(), preset));
      return out;
    });
}

function stepEquations(body: ScanBody, kind: "forward" | "reverse", names: Map<Node, string>, preset: ReadonlyMap<Node, string> = new Map()): string[] {
  const g = body.graph;
  const roots = g.outputs.map(([, n]) => n);
  const p = plan(g, roots);
  const used = new Map<string, number>();
  for (const [n, name] of preset) {
    names.set(n, name);
    used.set(name, 1);
  }
  const display = (n: Node): string => {
    if (n.op === "const" && n.attrs.value !== undefined) return formatNumber(n.attrs.value as number);
    if (n.op === "dim") return "N";
    if (n.op === "reshape") return display(n.inputs[0]!);
    const known = names.get(n);
    if (known) return known;
    const base = n.name ?? (n.op === "input" ? String(n.attrs.name) : n.op);
    const count = (used.get(base) ?? 0) + 1;
    used.set(base, count);
    const made = count === 1 ? base : `${base}${count}`;
    names.set(n, made);
    return made;
  };
  for (const x of g.inputs) display(x);
  const k = body.carries;
  // A carry that only accumulates (the reverse step's running sums of ∂L/∂W) reads Σ∂W += …
  const accumulates = new Map<Node, Node>();
  g.outputs.slice(0, k).forEach(([, n], i) => {
    if (n.op === "add" && n.inputs[0] === g.inputs[i]) accumulates.set(n, g.inputs[i]!);
  });
  const lines = p.kernels
    .map((kn) => storageOf(kn.node))
    .map((n) => {
      const sum = accumulates.get(n);
      if (sum) return `    ${display(sum)} += ${formula(n.inputs[1]!, p.expanded, display, false)}`;
      return `    ${display(n)} = ${formula(n, p.expanded, display)}`;
    });
  const carries = g.outputs.slice(0, k).flatMap(([, n], i) => (accumulates.has(n) ? [] : [`${display(g.inputs[i]!)} ← ${display(n)}`]));
  const userEnd = kind === "forward" ? k + userOutputs(body) : g.outputs.length;
  const outputs = g.outputs.slice(k, userEnd).map(([, n]) => display(n));
  const kept = g.outputs.slice(userEnd).map(([, n]) => display(n));
  return [
    ...lines,
    `    carries for the ${kind === "forward" ? "next" : "previous"} step: ${carries.join(", ")}`,
    ...(outputs.length ? [`    output of step t: ${outputs.join(", ")}`] : []),
    ...(kept.length ? [`    kept per step for the reverse step: ${kept.join(", ")}`] : []),
  ];
}
