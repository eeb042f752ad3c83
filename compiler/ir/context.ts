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
  /** The model file, and the files whose stack frames give locations: the model's own files (default: the model file). */
  readonly modelFile?: string;
  readonly sourceFiles?: readonly string[];
  /** Maps a position V8 reports in one of those files (its generated code) to the file's source. */
  readonly mapPosition?: (file: string, line: number, col: number) => { line: number; col: number } | null;
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

export function createContext(opts: Partial<Pick<TraceContext, "modelFile" | "sourceFiles" | "mapPosition" | "fixedBatch">> = {}): TraceContext {
  return { builder: newBuilder(), loc: null, names: new Map(), inputs: [], params: [], updates: [], batchDim: null, ...opts };
}

/** The position of the innermost stack frame in one of the model's own files (model.ts or a file it imports). */
export function callerLoc(): Loc {
  const ctx = context();
  if (ctx.loc) return ctx.loc;
  return locFromStack(new Error().stack ?? "", ctx) ?? noLoc;
}

export function locFromStack(stack: string, ctx: Pick<TraceContext, "modelFile" | "sourceFiles" | "mapPosition">): Loc | null {
  const files = ctx.sourceFiles ?? (ctx.modelFile ? [ctx.modelFile] : []);
  if (!files.length) return null;
  for (const line of stack.split("\n")) {
    // `    at f (/abs/layers.ts:3:5)` or `    at /abs/model.ts:9:14`: the frame's file, then line and column
    const m = /^(.*):(\d+):(\d+)\)?\s*$/.exec(line);
    if (!m) continue;
    const file = files.find((f) => m[1]!.endsWith(f) && /[\s(]$|^$/.test(m[1]!.slice(0, -f.length)));
    if (!file) continue;
    const pos = ctx.mapPosition ? ctx.mapPosition(file, +m[2]!, +m[3]!) : { line: +m[2]!, col: +m[3]! };
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
