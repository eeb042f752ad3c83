// `gradc explain`: each parameter's gradient in math notation, as the chain of named intermediate
// values the compiled training pass computes (after simplification), forward values first.
import { basename } from "node:path";
import { codes, GradcError } from "./diagnostics.js";
import { formatLoc } from "./ir/loc.js";
import { reachable, type Graph } from "./ir/graph.js";
import type { Node } from "./ir/node.js";
import { loadModel } from "./frontend/load.js";
import { plan, storageOf } from "./lower/plan.js";
import { formula } from "./emit/notation.js";
import { optimize } from "./pipeline.js";
import { formatNumber } from "./ops/leaf.js";

export interface ExplainOptions {
  readonly param?: string;
  readonly batch?: number;
}

export async function explainFile(file: string, options: ExplainOptions = {}): Promise<string> {
  const traced = await loadModel(file, options.batch !== undefined ? { batch: options.batch } : {});
  return explainGraph(optimize(traced).graph, basename(file), options);
}

export function explainGraph(g: Graph, source: string, options: ExplainOptions = {}): string {
  const grads = options.param === undefined ? g.grads : g.grads.filter(([name]) => name === options.param);
  if (!grads.length) throw new GradcError(codes.badArgument, `no parameter named ${JSON.stringify(options.param)}; parameters: ${g.grads.map(([n]) => n).join(", ")}`);
  const roots = [g.loss!, ...grads.map(([, n]) => n)];
  const p = plan(g, roots);
  const forward = reachable([g.loss!]);
  const gradName = new Map(grads.map(([name, n]) => [n, `∂L/∂${name}`]));
  const names = new Map<Node, string>();
  let delta = 0;
  const display = (n: Node): string => {
    if (n.op === "dim") return "N";
    if (n === g.loss) return "L";
    if (n.op === "const" && n.attrs.value !== undefined) return formatNumber(n.attrs.value as number);
    if (n.op === "reshape") return display(n.inputs[0]!);
    const known = gradName.get(n) ?? names.get(n) ?? n.name ?? (n.op === "input" || n.op === "param" ? String(n.attrs.name) : undefined);
    if (known) return known;
    const made = forward.has(n) ? `t${names.size + 1}` : `δ${++delta}`;
    names.set(n, made);
    return made;
  };
  const line = (n: Node) => {
    const lhs = display(n);
    const where = [forward.has(n) ? "" : n.origin ?? "", formatLoc(n.loc)].filter(Boolean).join(", ");
    return `  ${lhs} = ${formula(n, p.inline, display)}${where ? `    (${where})` : ""}`;
  };
  const kernels = p.kernels.map((k) => storageOf(k.node));
  const fwd = kernels.filter((n) => forward.has(n)).map(line);
  const bwd = kernels.filter((n) => !forward.has(n)).map(line);
  const title = `Gradients of model ${JSON.stringify(g.name)} (${source}), after simplification. N is the batch size; ⊙ multiplies elementwise; Σ_axis0 sums over the batch.`;
  return [title, "", "forward:", ...fwd, "", "backward (reverse mode, from L back to the parameters):", ...bwd, ""].join("\n");
}

