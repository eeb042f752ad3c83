// The reference interpreter: evaluates a graph in float64 with each op's `eval`. Tests compare
// emitted code and finite differences against it; constant folding uses the ops' eval directly.
// Each node carries its op (`n.def`), so the interpreter needs no op table.
import type { Graph } from "./graph.js";
import type { Node } from "./node.js";
import type { Shape } from "./shape.js";
import { sizeOf, type Tensor } from "./tensor.js";
import { createRng, createRngFromState, type Rng } from "../../runtime/rng.js";

/** A dropout mask, drawn exactly as the generated kernel draws it (see ops/mode.ts). */
function drawMask(n: Node, rng: Rng, batch: number): Tensor {
  const shape = concrete(n.shape, batch);
  const keep = 1 - (n.attrs.p as number);
  const data = new Float64Array(sizeOf(shape));
  for (let k = 0; k < data.length; k++) data[k] = rng.uniform() < keep ? 1 / keep : 0;
  return { shape, data };
}

export interface Bindings {
  readonly inputs: Readonly<Record<string, ArrayLike<number>>>;
  readonly params: Readonly<Record<string, ArrayLike<number>>>;
  /** Seed of the generator dropout masks are drawn from, in node order (default 0), as in generated code. */
  readonly seed?: number;
  /** That generator's state instead of a seed (a trainer's rngState() before a step, to replay the step). */
  readonly rngState?: readonly number[];
}

/**
 * Sees each value as soon as it is computed: returns the value to keep (the same, or e.g. rounded to
 * float32), or undefined to stop the evaluation there.
 */
export type Visit = (n: Node, value: Tensor) => Tensor | undefined;

/** The concrete shape once the batch size is known. */
export const concrete = (s: Shape, batch: number): number[] => s.map((d) => (typeof d === "number" ? d : batch));

/** The batch size implied by the inputs (1 when no input has the batch dimension). */
export function batchOf(g: Graph, inputs: Bindings["inputs"]): number {
  for (const i of g.inputs) {
    const s = i.shape;
    if (s.some((d) => typeof d !== "number")) {
      const v = inputs[i.attrs.name as string];
      if (!v) throw new Error(`missing input "${String(i.attrs.name)}"`);
      return v.length / sizeOf(concrete(s, 1));
    }
  }
  return 1;
}

export function evaluate(g: Graph, b: Bindings, nodes: readonly Node[] = g.nodes, visit?: Visit): Map<Node, Tensor> {
  const batch = batchOf(g, b.inputs);
  const values = new Map<Node, Tensor>();
  let rng: Rng | undefined;
  const leaf = (n: Node, from: Bindings["inputs"], kind: string): Tensor => {
    const v = from[n.attrs.name as string];
    const shape = concrete(n.shape, batch);
    if (!v) throw new Error(`missing ${kind} "${String(n.attrs.name)}"`);
    if (v.length !== sizeOf(shape)) throw new Error(`${kind} "${String(n.attrs.name)}": expected ${sizeOf(shape)} values, got ${v.length}`);
    return { shape, data: Float64Array.from(v) };
  };
  for (const n of nodes) {
    let t: Tensor;
    if (n.op === "input") t = leaf(n, b.inputs, "input");
    else if (n.op === "param") t = leaf(n, b.params, "param");
    else if (n.op === "dim") t = { shape: [], data: Float64Array.of(batch) };
    else if (n.op === "dropoutMask") t = drawMask(n, (rng ??= b.rngState ? createRngFromState(b.rngState) : createRng(b.seed ?? 0)), batch);
    else t = n.def.eval(n.inputs.map((i) => values.get(i)!), n.attrs, concrete(n.shape, batch));
    if (visit) {
      const kept = visit(n, t);
      if (!kept) break;
      t = kept;
    }
    values.set(n, t);
  }
  return values;
}
