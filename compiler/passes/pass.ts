// A pass is a pure function Graph → Graph that also says how many changes it made (for --report).
import type { Graph } from "../ir/graph.js";

export interface PassResult {
  readonly graph: Graph;
  /** What changed: rewrites applied, nodes merged or removed. */
  readonly changes: number;
  /** Optional detail for the report, e.g. which stabilizing rewrite fired at which model.ts line. */
  readonly notes?: readonly string[];
}

export type Pass = (g: Graph) => PassResult;
