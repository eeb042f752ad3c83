// The ambient graph builder that DSL calls add nodes to. While a model is traced, each node's
// location is the model.ts call that made it; while gradients are built, it is the location of the
// forward node whose derivative rule is running.

import { codes, GradcError } from "../diagnostics.js";
import type { Loc } from "../ir/loc.js";
import { noLoc } from "../ir/loc.js";
import { Builder, type Attrs, type Node } from "../ir/node.js";
import { ShapeError } from "../ir/shape.js";
import { getOp } from "../ops/index.js";

export interface TraceContext {
  readonly builder: Builder;
  /** Fixed location for every node made (gradient construction), or null to read the call stack. */
  loc: Loc | null;
  /** The model file whose stack frames give locations, and how to map generated → source positions. */
  readonly modelFile?: string;
  readonly mapPosition?: (line: number, col: number) => { line: number; col: number } | null;
  /** `--batch N`: the symbolic batch dimension becomes N. */
  readonly fixedBatch?: number;
  /** Names declared so far (inputs, params), to refuse duplicates. */
  readonly names: Map<string, Loc>;
  /** Declared inputs and parameters, in declaration order. */
  readonly inputs: Node[];
  readonly params: Node[];
  /** State name → its new value after a training step (batchNorm's running statistics). */
  readonly updates: [string, Node][];
  /** The symbolic batch dimension name, once one is seen. */
  batchDim: string | null;
}

let current: TraceContext | null = null;

export const newBuilder = (): Builder => new Builder(getOp);

export function withContext<T>(ctx: TraceContext, fn: () => T): T {
  const saved = current;
  current = ctx;
  try {
    return fn();
  } finally {
    current = saved;
  }
}

export function context(): TraceContext {
  if (!current) throw new Error("gradc DSL functions can only be called inside model(...) while gradc compiles it");
  return current;
}

export function createContext(opts: Partial<Pick<TraceContext, "modelFile" | "mapPosition" | "fixedBatch">> = {}): TraceContext {
  return { builder: newBuilder(), loc: null, names: new Map(), inputs: [], params: [], updates: [], batchDim: null, ...opts };
}

/** The model.ts position of the innermost stack frame in the model file. */
export function callerLoc(): Loc {
  const ctx = context();
  if (ctx.loc) return ctx.loc;
  return locFromStack(new Error().stack ?? "", ctx) ?? noLoc;
}

export function locFromStack(stack: string, ctx: Pick<TraceContext, "modelFile" | "mapPosition">): Loc | null {
  const file = ctx.modelFile;
  if (!file) return null;
  for (const line of stack.split("\n")) {
    const at = line.lastIndexOf(`${file}:`);
    if (at < 0) continue;
    const m = /^:(\d+):(\d+)/.exec(line.slice(at + file.length));
    if (!m) continue;
    const pos = ctx.mapPosition ? ctx.mapPosition(+m[1]!, +m[2]!) : { line: +m[1]!, col: +m[2]! };
    if (pos) return { file, line: pos.line, col: pos.col };
  }
  return null;
}

/** Adds a node; a shape rule's complaint becomes a located GC2001 error. */
export function make(op: string, inputs: readonly Node[], attrs: Attrs = {}, name?: string): Node {
  const ctx = context();
  const loc = callerLoc();
  try {
    return ctx.builder.make(op, inputs, attrs, loc, name);
  } catch (e) {
    if (e instanceof ShapeError) throw new GradcError(codes.shape, `${op}: ${e.message}`, loc);
    if (e instanceof GradcError && !e.loc) throw new GradcError(e.code, e.message, loc);
    throw e;
  }
}

export function fail(code: (typeof codes)[keyof typeof codes], message: string): never {
  throw new GradcError(code, message, current ? callerLoc() : undefined);
}
