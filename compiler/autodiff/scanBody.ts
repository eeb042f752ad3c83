// Differentiating a scan body: the body of the reverse scan that backpropagation through time runs.
//
// One step of the forward body maps (carry, x_t, captured) to (carry', y_t). Its reverse body is
// the reverse sweep (./sweep.ts) seeded with ∂L/∂carry' and ∂L/∂y_t, giving ∂L/∂carry (the carry of
// the reverse scan), ∂L/∂x_t (a per-step output) and this step's share of ∂L/∂captured, added to a
// running sum the reverse scan carries. The reverse body mentions forward values (σ(z) in σ'); each
// becomes one of its inputs:
//  - a step input or a captured value: the reverse scan reads the forward scan's own input;
//  - a value that does not change from step to step (Wᵀ): recomputed inside the reverse body;
//  - any other value: kept per step by the forward scan (an extra stacked output, `saved`).
import type { BackwardBody, DifferentiateBody, Differentiable, ScanBody } from "../ir/body.js";
import { bodyKey } from "../ir/body.js";
import { newBuilder } from "../ir/context.js";
import { makeGraph, type Graph } from "../ir/graph.js";
import { noLoc } from "../ir/loc.js";
import type { Builder, Node } from "../ir/node.js";
import { inBuilder } from "../passes/rewrite.js";
import { builders } from "./builders.js";
import { reverseSweep } from "./sweep.js";

const { add, broadcastTo, scalar } = builders;
import { inputOp } from "../ops/leaf.js";

export type { Differentiable } from "../ir/body.js";

/**
 * The forward body (traced in `builder`) with its reverse body and the values it saves for it. Tracing
 * a scan calls it through its trace context (TraceContext.differentiateBody), so compiler/dsl imports no autodiff.
 */
export const differentiateBody: DifferentiateBody = (fwd: Graph, builder: Builder, carries: number, steps: number, wants: Differentiable): ScanBody => {
  const k = carries;
  const carryIn = fwd.inputs.slice(0, k), stepIn = fwd.inputs.slice(k, k + steps), captureIn = fwd.inputs.slice(k + steps);
  const results = fwd.outputs.map(([, n]) => n);
  const placeholder = (name: string, like: Node, display: string) => builder.make(inputOp, [], { name, shape: like.shape, dtype: "f" }, like.loc, display);

  const { roots, seedNodes, sums, dSteps, dCaptures } = inBuilder(builder, noLoc, () => {
    // ∂L/∂h for a carry h; ∂L/∂y for a per-step output y.
    const seedNodes = results.map((n, i) => placeholder(i < k ? `dcarry${i}` : `dy${i - k}`, n, `d${i < k ? (carryIn[i]!.name ?? `carry${i}`) : (n.name ?? `y${i - k}`)}`));
    const seeds = results.map((n, i) => [n, seedNodes[i]!] as const).filter(([n]) => n.dtype === "f");
    const wrt = new Set<Node>([...carryIn.filter((n) => n.dtype === "f"), ...stepIn.filter((n, j) => wants.steps[j] && n.dtype === "f"), ...captureIn.filter((_, l) => wants.captures[l])]);
    const { adjoint } = reverseSweep(fwd.nodes, builder, seeds, (n) => wrt.has(n));
    const dCarries = carryIn.map((c) => adjoint.get(c) ?? broadcastTo(scalar(0), c.shape));
    const dCaptures = captureIn.flatMap((c, l) => (wrt.has(c) && adjoint.has(c) ? [l] : []));
    const sums = dCaptures.map((l) => placeholder(`sum${l}`, captureIn[l]!, `Σ∂${captureIn[l]!.name ?? `capture${l}`}`));
    const newSums = dCaptures.map((l, a) => add(sums[a]!, adjoint.get(captureIn[l]!)!));
    const dSteps = stepIn.flatMap((x, j) => (wrt.has(x) && adjoint.has(x) ? [j] : []));
    const dXs = dSteps.map((j) => adjoint.get(stepIn[j]!)!);
    return { roots: [...dCarries, ...newSums, ...dXs], seedNodes, sums, dSteps, dCaptures };
  });

  // Forward values that change from step to step.
  const variant = new Set<Node>([...carryIn, ...stepIn]);
  for (const n of fwd.nodes) if (n.inputs.some((i) => variant.has(i))) variant.add(n);
  const forward = new Set(fwd.nodes);

  const nb = newBuilder();
  const map = new Map<Node, Node>();
  const saved: Node[] = [];
  const stepRefs: number[] = [];
  const captureRefs: number[] = [];
  const stepRefNodes: Node[] = [];
  const captureRefNodes: Node[] = [];
  const savedNodes: Node[] = [];
  const leaf = (n: Node, attrs = n.attrs) => nb.make(n.def, [], attrs, n.loc, n.name);
  const mapNode = (n: Node): Node => {
    const known = map.get(n);
    if (known) return known;
    let made: Node;
    const j = stepIn.indexOf(n), l = captureIn.indexOf(n);
    if (n.inputs.length === 0 && !(forward.has(n) && n.op === "input")) made = leaf(n);
    else if (j >= 0) {
      made = leaf(n, { ...n.attrs, name: `step${j}` });
      stepRefs.push(j);
      stepRefNodes.push(made);
    } else if (l >= 0) {
      made = leaf(n, { ...n.attrs, name: `capture${l}` });
      captureRefs.push(l);
      captureRefNodes.push(made);
    } else if (forward.has(n) && variant.has(n)) {
      made = nb.make(inputOp, [], { name: `saved${saved.length}`, shape: n.shape, dtype: n.dtype }, n.loc, n.name ?? n.op);
      saved.push(n);
      savedNodes.push(made);
    } else {
      made = nb.make(n.def, n.inputs.map(mapNode), n.attrs, n.loc, n.name);
      if (n.origin && !made.origin) made.origin = n.origin;
    }
    map.set(n, made);
    return made;
  };
  const seeds = seedNodes.map(mapNode);
  const sumNodes = sums.map(mapNode);
  const outs = roots.map(mapNode);
  const nk = k + dCaptures.length;
  const reverse: ScanBody = {
    canonicalKey: bodyKey(),
    carries: nk,
    steps: results.length - k + saved.length + stepRefs.length,
    graph: makeGraph({
      name: `${fwd.name}, reversed`,
      batchDim: fwd.batchDim,
      inputs: [...seeds.slice(0, k), ...sumNodes, ...seeds.slice(k), ...savedNodes, ...stepRefNodes, ...captureRefNodes],
      params: [],
      loss: null,
      outputs: outs.map((n, i) => [i < k ? `dcarry${i}` : i < nk ? `sum${dCaptures[i - k]}` : `dstep${dSteps[i - nk]}`, n] as const),
      grads: [],
    }),
  };
  const backward: BackwardBody = { body: reverse, saved: saved.length, stepRefs, captureRefs, dSteps, dCaptures };
  return {
    canonicalKey: bodyKey(),
    carries: k,
    steps,
    graph: makeGraph({ ...fwd, outputs: [...fwd.outputs, ...saved.map((n, s) => [`saved${s}`, n] as const)] }),
    backward,
    differentiable: wants,
  };
};
