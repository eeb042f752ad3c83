// `gradc explain`: each parameter's gradient in matrix notation, as the chain of named values the
// compiled training pass computes after simplification — δℓ = ∂L/∂zℓ per layer, the textbook form of
// each δ next to what the code computes, and which forward values the backward pass reuses — as text
// (default), LaTeX or Markdown. The naming scheme is in compiler/explain/naming.ts; tests in test/explain/.
import { basename } from "node:path";
import { codes, GradcError } from "./diagnostics.js";
import type { Graph } from "./ir/graph.js";
import { loadModel } from "./frontend/load.js";
import { optimize, trainingModeGraph } from "./pipeline.js";
import { backwardFor, derive } from "./explain/derivation.js";
import { formatText } from "./explain/text.js";
import { scanSections } from "./explain/scan.js";
import { formatLatex } from "./explain/latex.js";
import { formatMarkdown } from "./explain/markdown.js";

export const EXPLAIN_FORMATS = ["text", "latex", "markdown"] as const;
export type ExplainFormat = (typeof EXPLAIN_FORMATS)[number];

export interface ExplainOptions {
  readonly param?: string;
  readonly batch?: number;
  readonly format?: ExplainFormat;
}

export async function explainFile(file: string, options: ExplainOptions = {}): Promise<string> {
  checkFormat(options.format);
  const traced = await loadModel(file, options.batch !== undefined ? { batch: options.batch } : {});
  return explainGraph(optimize(traced).graph, basename(file), options);
}

export function explainGraph(g: Graph, source: string, options: ExplainOptions = {}): string {
  const format = checkFormat(options.format);
  const names = g.grads.map(([n]) => n);
  if (options.param !== undefined && !names.includes(options.param)) {
    throw new GradcError(codes.badArgument, `no parameter named ${JSON.stringify(options.param)}; parameters: ${names.join(", ")}`);
  }
  // The gradient is the training step's (dropout keeps its mask, batchNorm uses batch statistics): the
  // graph the generated training pass is lowered from, before its gradient markers are erased.
  const trainGraph = trainingModeGraph(g);
  const d = derive(trainGraph, source);
  const params = options.param === undefined ? names : [options.param];
  const backward = backwardFor(d, params);
  if (format === "latex") return formatLatex(d, backward);
  const recurrences = scanSections(trainGraph, (n) => d.symbolOf(n).text);
  if (format === "markdown") return formatMarkdown(d, backward, params, recurrences);
  return formatText(d, backward, recurrences);
}

function checkFormat(format: string | undefined): ExplainFormat {
  if (format === undefined) return "text";
  if (!(EXPLAIN_FORMATS as readonly string[]).includes(format)) {
    throw new GradcError(codes.usage, `unknown explain format ${JSON.stringify(format)}; expected ${EXPLAIN_FORMATS.join(", ")}`);
  }
  return format as ExplainFormat;
}
