// The ambient graph builder that DSL calls (an op file's function, a derivative rule, a pass's
// replacement) add nodes to: the small builder every layer above ir/ builds graphs with. While a model
// is traced, each node's location is the model.ts call that made it; while gradients are built, it is
// the location of the forward node whose derivative rule is running.

import { codes, GradcError } from "../../runtime/errors.js";
import type { Loc } from "./loc.js";
import { noLoc } from "./loc.js";
import type { DifferentiateBody } from "./body.js";
import { Builder, type Attrs, type Node, type OpType } from "./node.js";
import { ShapeError } from "./shape.js";

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
  /**
   * How a traced scan body gets its reverse body (compiler/autodiff/scanBody.ts's differentiateBody):
   * given by whoever starts the trace (compiler/frontend/load.ts), so tracing imports no autodiff.
   */
  readonly differentiateBody?: DifferentiateBody;
}


let current: TraceContext | null = null;

export const newBuilder = (): Builder => new Builder();

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

export function createContext(opts: Partial<Pick<TraceContext, "modelFile" | "sourceFiles" | "mapPosition" | "fixedBatch" | "differentiateBody">> = {}): TraceContext {
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

/** Adds a node of op `def`; a shape rule's complaint becomes a located GC2001 error. */
export function make(def: OpType, inputs: readonly Node[], attrs: Attrs = {}, name?: string): Node {
  const ctx = context();
  const loc = callerLoc();
  try {
    return ctx.builder.make(def, inputs, attrs, loc, name);
  } catch (e) {
    if (e instanceof ShapeError) throw new GradcError(codes.shape, `${def.name}: ${e.message}`, loc);
    if (e instanceof GradcError && !e.loc) throw new GradcError(e.code, e.message, loc);
    throw e;
  }
}

export function fail(code: (typeof codes)[keyof typeof codes], message: string): never {
  throw new GradcError(code, message, current ? callerLoc() : undefined);
}
