// model(name, build) and tracing: running `build` inside a trace context turns DSL calls into a graph.
import { codes, GradcError } from "../diagnostics.js";
import { makeGraph, type Graph } from "../ir/graph.js";
import type { Node } from "../ir/node.js";
import { formatShape } from "../ir/shape.js";
import { withContext, type TraceContext } from "../ir/context.js";
import { checkNotReserved } from "./core.js";

export interface ModelResult {
  readonly loss?: Node;
  readonly outputs?: Readonly<Record<string, Node>>;
}

export interface ModelDef {
  readonly kind: "gradc.model";
  readonly name: string;
  readonly build: () => ModelResult;
}

/** Declares a model; gradc traces `build` when it compiles the file. */
export function model(name: string, build: () => ModelResult): ModelDef {
  return { kind: "gradc.model", name, build };
}

export const isModel = (v: unknown): v is ModelDef => !!v && typeof v === "object" && (v as ModelDef).kind === "gradc.model";

const isThenable = (v: unknown): v is PromiseLike<unknown> => !!v && typeof v === "object" && typeof (v as { then?: unknown }).then === "function";

const isNode = (v: unknown): v is Node => !!v && typeof v === "object" && "op" in v && "shape" in v && "inputs" in v;

/** Runs the model's definition and collects the forward graph. */
export function trace(def: ModelDef, ctx: TraceContext): Graph {
  if (typeof def.name !== "string" || !/^[A-Za-z_][\w-]*$/.test(def.name)) {
    throw new GradcError(codes.badArgument, `model name must be a simple identifier, got ${JSON.stringify(def.name)}`);
  }
  const result = withContext(ctx, () => def.build());
  if (isThenable(result)) {
    result.then(undefined, () => {}); // its rejection (DSL calls after tracing ended) is not the news
    throw new GradcError(codes.asyncModel, "the build function returned a Promise (is it async?): gradc traces it synchronously, so remove `async` and any `await` from it");
  }
  if (!result || typeof result !== "object") throw new GradcError(codes.noLoss, "the model must return { loss, outputs }");
  const { loss, outputs = {} } = result;
  const hidden: unknown = outputs && typeof outputs === "object" ? Object.getPrototypeOf(outputs) : null;
  if (isNode(hidden)) {
    // `outputs: { __proto__: y }` sets the object's prototype: the output would silently not exist.
    throw new GradcError(codes.reservedName, `outputs: { __proto__: … } sets the object's prototype in JavaScript, not an output named "__proto__"; choose another name, e.g. "proto"`, hidden.loc);
  }
  if (loss === undefined) throw new GradcError(codes.noLoss, "the model returns no loss: return { loss: ..., outputs: { ... } }");
  if (!isNode(loss)) throw new GradcError(codes.noLoss, "the model's loss is not a tensor");
  if (loss.shape.length !== 0) throw new GradcError(codes.lossNotScalar, `the loss must be a scalar, got shape ${formatShape(loss.shape)} (take mean(...) or sum(...))`, loss.loc);
  if (loss.dtype !== "f") throw new GradcError(codes.lossNotScalar, "the loss must be a floating-point value", loss.loc);
  const outs: [string, Node][] = [];
  for (const [name, node] of Object.entries(outputs)) {
    if (!isNode(node)) throw new GradcError(codes.badArgument, `output "${name}" is not a tensor`);
    checkNotReserved(name, "output", node.loc);
    if (ctx.inputs.some((i) => i.attrs.name === name) || ctx.params.some((p) => p.attrs.name === name)) {
      throw new GradcError(codes.duplicate, `output "${name}" has the name of an input or parameter`, node.loc);
    }
    outs.push([name, node]);
  }
  if (!ctx.params.some((p) => p.attrs.trainable !== false)) throw new GradcError(codes.badArgument, "the model has no parameters to train (declare them with param(...))");
  return makeGraph({
    name: def.name,
    batchDim: ctx.fixedBatch !== undefined ? null : ctx.batchDim,
    inputs: ctx.inputs,
    params: ctx.params,
    loss,
    outputs: outs,
    grads: [],
    ...(ctx.updates.length ? { updates: ctx.updates } : {}),
  });
}
