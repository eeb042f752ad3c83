// Recognizing a DSL function's own result in a graph (an exact recurrent cell, a layerNorm): trace the
// function on placeholders, optimize it as the graph was, then unify it with the graph node for node.
// Placeholders ("input" nodes of the reference, and constants of a sentinel value) are roles that bind
// to graph nodes; everything else must agree in op, attributes, shape, element type and inputs.
import { canonical, type Node } from "../ir/node.js";
import { sameShape } from "../ir/shape.js";

export interface Unifier {
  /** Role name → the graph node it stands for. */
  readonly roles: Map<string, Node>;
  /** Whether a graph node may play a role (a body input, any value, a scalar constant). */
  readonly accepts: (role: string, node: Node) => boolean;
  /** Constants whose value names a role rather than a number (layerNorm's eps). */
  readonly sentinels?: ReadonlyMap<number, string>;
  readonly seen: Map<Node, Node>;
}

export const unifier = (accepts: Unifier["accepts"], sentinels?: ReadonlyMap<number, string>): Unifier => ({ roles: new Map(), seen: new Map(), accepts, ...(sentinels ? { sentinels } : {}) });

/** Whether `act` is `ref` with its roles bound (binding them as it goes); two roles never bind one node. */
export function unify(ref: Node, act: Node, u: Unifier): boolean {
  const known = u.seen.get(ref);
  if (known) return known === act;
  if (!sameShape(ref.shape, act.shape) || ref.dtype !== act.dtype) return false;
  const role = ref.op === "input" ? (ref.attrs.name as string) : ref.op === "const" ? u.sentinels?.get(ref.attrs.value as number) : undefined;
  if (role !== undefined) {
    if (u.roles.has(role) || [...u.roles.values()].includes(act) || !u.accepts(role, act)) return false;
    u.roles.set(role, act);
    u.seen.set(ref, act);
    return true;
  }
  if (ref.op !== act.op || ref.inputs.length !== act.inputs.length || canonical(ref.attrs) !== canonical(act.attrs)) return false;
  u.seen.set(ref, act);
  return ref.inputs.every((r, k) => unify(r, act.inputs[k]!, u));
}
