// The only place passes are ordered. Reads top to bottom: stabilize the forward graph, differentiate
// it, then optimize forward and backward together; then the two graphs the generated module's passes
// are lowered from (training and inference), which the emitter, explain and `gradc graph` all take
// from here.
import { grad } from "./autodiff/grad.js";
import type { Graph } from "./ir/graph.js";
import { flops } from "./ir/flops.js";
import { verify } from "./ir/verify.js";
import { constFold } from "./passes/constFold.js";
import { cse } from "./passes/cse.js";
import { dce } from "./passes/dce.js";
import { eraseGradientMarkers } from "./passes/eraseGradientMarkers.js";
import { foldTranspose } from "./passes/foldTranspose.js";
import { joinSlices } from "./passes/joinSlices.js";
import type { Pass } from "./passes/pass.js";
import { hoistStepProducts } from "./passes/hoistStepProducts.js";
import { hoistStepSums } from "./passes/hoistStepSums.js";
import { reuseForward } from "./passes/reuseForward.js";
import { scanBodies } from "./passes/scanBodies.js";
import { simplify } from "./passes/simplify.js";
import { specialize } from "./passes/specialize.js";
import { stabilize } from "./passes/stabilize.js";

/** The passes a scan's body gets: those of the forward graph (stabilize, simplify, constFold), then cse and dce. */
export function optimizeForwardBody(body: Graph): { graph: Graph; changes: number } {
  return sequence(body, [stabilize, simplify, constFold, cse, dce]);
}

/**
 * The passes the reverse body of backpropagation through time gets: those run after grad on the outer
 * graph. It is lowered as it is, so its gradient markers (a forward value it recomputes) go first.
 */
export function optimizeReverseBody(body: Graph): { graph: Graph; changes: number } {
  return sequence(body, [eraseGradientMarkers, simplify, constFold, joinSlices, foldTranspose, reuseForward, simplify, cse, dce]);
}

/** A forward body once differentiated is lowered as it is: its gradient markers become their values. */
export function finishForwardBody(body: Graph): { graph: Graph; changes: number } {
  return sequence(body, [eraseGradientMarkers]);
}

function sequence(g: Graph, passes: readonly Pass[]): { graph: Graph; changes: number } {
  let changes = 0;
  for (const pass of passes) {
    const r = pass(g);
    changes += r.changes;
    g = r.graph;
  }
  return { graph: g, changes };
}

/** The batch size flop counts in reports assume. */
export const REPORT_BATCH = 64;

export interface PassReport {
  readonly pass: string;
  readonly nodesBefore: number;
  readonly nodesAfter: number;
  /** Flops of the graph after the pass, with the batch at REPORT_BATCH rows. */
  readonly flops?: number;
  readonly changes: number;
  readonly notes: readonly string[];
}

export interface Optimized {
  readonly forward: Graph;
  readonly graph: Graph;
  readonly report: readonly PassReport[];
}

export interface OptimizeOptions {
  /** Check the graph after every pass (ir/verify.ts). */
  readonly verify?: boolean;
  /**
   * Take a recurrence's input products out of its loop (passes/hoistStepProducts.ts); default true. The
   * ONNX export turns it off: ONNX's LSTM, GRU and RNN operators compute x·W_ih themselves, and a scan is
   * recognized as one only while its body is exactly the cell.
   */
  readonly hoistStepProducts?: boolean;
}

export function optimize(traced: Graph, options: OptimizeOptions = {}): Optimized {
  const report: PassReport[] = [];
  const run = (name: string, pass: Pass, g: Graph): Graph => {
    const r = pass(g);
    if (options.verify) verify(r.graph, name);
    report.push({ pass: name, nodesBefore: g.nodes.length, nodesAfter: r.graph.nodes.length, flops: flops(r.graph, REPORT_BATCH), changes: r.changes, notes: r.notes ?? [] });
    return r.graph;
  };
  const differentiate: Pass = (g) => {
    const d = grad(g);
    return { graph: d, changes: d.nodes.length - g.nodes.length };
  };

  let g = traced;
  g = run("stabilize", stabilize, g);
  g = run("simplify", simplify, g);
  g = run("constFold", constFold, g);
  if (options.hoistStepProducts !== false) g = run("hoistStepProducts", hoistStepProducts, g);
  g = run("scanBodies", scanBodies({ forward: optimizeForwardBody, reverse: optimizeReverseBody, differentiated: finishForwardBody }), g);
  const forward = g;
  g = run("grad", differentiate, g);
  g = run("simplify", simplify, g);
  g = run("constFold", constFold, g);
  g = run("joinSlices", joinSlices, g);
  g = run("foldTranspose", foldTranspose, g);
  g = run("reuseForward", reuseForward, g);
  g = run("hoistStepSums", hoistStepSums, g);
  g = run("simplify", simplify, g);
  g = run("cse", cse, g);
  g = run("dce", dce, g);
  return { forward, graph: g, report };
}

/**
 * The training-mode graph (dropout masks, batch statistics) with its gradient markers: what `gradc
 * explain` derives the gradients from, showing stopGradient as sg(·) and a customGradient's forward.
 */
export const trainingModeGraph = (optimized: Graph): Graph => specialize("train")(optimized).graph;

/** The graph the training pass is lowered from: the training-mode graph without its gradient markers. */
export const trainingGraph = (optimized: Graph): Graph => eraseGradientMarkers(trainingModeGraph(optimized)).graph;

/** The graph forward() and evaluate() are lowered from: inference mode, no gradient markers, simplified once more. */
export const inferenceGraph = (optimized: Graph): Graph => sequence(optimized, [specialize("infer"), eraseGradientMarkers, simplify, cse]).graph;
