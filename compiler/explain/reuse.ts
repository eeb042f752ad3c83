// Which forward values the backward pass reads again, and where: the "saved for backward" view of the
// derivation (compile --report gives the same list with storage and bytes).
import type { Node } from "../ir/node.js";
import type { Derivation, Equation } from "./derivation.js";

export interface Reuse {
  readonly value: Equation;
  readonly readBy: readonly Equation[];
}

export function reusedValues(d: Derivation, backward: readonly Equation[]): Reuse[] {
  const readBy = new Map<Node, Equation[]>();
  for (const e of backward) for (const r of e.reuses) readBy.set(r, [...(readBy.get(r) ?? []), e]);
  return d.forward.filter((f) => readBy.has(f.node)).map((f) => ({ value: f, readBy: readBy.get(f.node)! }));
}
