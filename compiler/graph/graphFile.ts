// `gradc graph`: a model's computation graph, after the compiler's optimization pipeline, as Mermaid or
// Graphviz DOT text: forward only, or forward and backward (--backward), optionally grouped into the
// kernels the emitter generates (--fused). What is drawn: compiler/graph/model.ts.
import { basename } from "node:path";
import { loadModel } from "../frontend/load.js";
import type { Graph } from "../ir/graph.js";
import { optimize } from "../pipeline.js";
import { toDot } from "./dot.js";
import { toMermaid } from "./mermaid.js";
import { drawing } from "./model.js";

export type GraphFormat = "mermaid" | "dot";

export interface GraphOptions {
  readonly format: GraphFormat;
  readonly backward?: boolean;
  readonly fused?: boolean;
  readonly batch?: number;
}

export async function graphFile(file: string, options: GraphOptions): Promise<string> {
  const traced = await loadModel(file, options.batch !== undefined ? { batch: options.batch } : {});
  return graphText(traced, basename(file), options);
}

/** The text for an already traced graph (tests and tools that build graphs directly use this). */
export function graphText(traced: Graph, source: string, options: GraphOptions): string {
  const d = drawing(optimize(traced).graph, { source, ...(options.backward ? { backward: true } : {}), ...(options.fused ? { fused: true } : {}) });
  return options.format === "dot" ? toDot(d) : toMermaid(d);
}
