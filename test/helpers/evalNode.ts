// Evaluating DSL expressions directly with the reference interpreter, without a model around them
// (no loss, no parameters needed): build nodes with DSL calls, get their float64 values.

import { GradcError } from "../../compiler/diagnostics.js";
import { createContext, withContext, type TraceContext } from "../../compiler/ir/context.js";
import { makeGraph } from "../../compiler/ir/graph.js";
import { evaluate, type Bindings } from "../../compiler/ir/interpret.js";
import type { Node } from "../../compiler/ir/node.js";
import type { Tensor } from "../../compiler/ir/tensor.js";
import { differentiateBody } from "../../compiler/autodiff/scanBody.js";

/** Runs `build` in a fresh trace context (DSL calls work inside it) and returns what it returns. */
export function inContext<T>(build: () => T): { ctx: TraceContext; result: T } {
  const ctx = createContext({ differentiateBody });
  return { ctx, result: withContext(ctx, build) };
}

/** Builds one or more nodes and evaluates them; `bindings` binds inputs and params by name. */
export function evalNodes<K extends string>(build: () => Record<K, Node>, bindings: Partial<Bindings> = {}): Record<K, Tensor> {
  const { ctx, result } = inContext(build);
  const outputs = Object.entries(result) as [K, Node][];
  const g = makeGraph({ name: "eval", batchDim: ctx.batchDim, inputs: ctx.inputs, params: ctx.params, loss: null, outputs, grads: [] });
  const values = evaluate(g, { inputs: bindings.inputs ?? {}, params: bindings.params ?? {} });
  return Object.fromEntries(outputs.map(([k, n]) => [k, values.get(n)!])) as Record<K, Tensor>;
}

/** The value of one node: { shape, data as a plain array }. */
export function evalNode(build: () => Node, bindings: Partial<Bindings> = {}): { shape: number[]; data: number[] } {
  const t = evalNodes(() => ({ y: build() }), bindings).y;
  return { shape: [...t.shape], data: [...t.data] };
}

/** The GradcError `build` throws in a fresh trace context, as { code, message }; fails if it throws none. */
export function diagnostic(build: () => unknown): { code: string; message: string } {
  try {
    inContext(build);
  } catch (e) {
    if (e instanceof GradcError) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error("expected a diagnostic, but the call succeeded");
}
