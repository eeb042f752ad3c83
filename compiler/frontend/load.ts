// The frontend: model.ts → forward Graph.
//
//   read → parse (GC1001) → follow the relative imports of the user's own files (modules.ts) →
//   type-check them all against the DSL's own types (GC1002, GC2002) → transpile each to CommonJS in
//   memory → evaluate each with vm.compileFunction under its real path (so stack frames name
//   model.ts, layers.ts, …) → check the default export (GC1004, GC1008) → trace (GC2xxx, GC1003,
//   GC1008) → name nodes after the `const NAME = dslCall(...)` that made them.
//
// Reading files, running the code, packages and the type-check's program go through the host
// (./host.ts): node's (node:fs, node:vm, ts-morph) here, a browser's in the playground.
//
// This runs the model's code in the caller's process. The CLI calls it inside gradc's box (compiler/box/),
// which passes a ModelGuard: the box learns how to locate model code and may refuse its imports.
//
// Nothing is written to disk. Locations are 1-based line:col in the innermost of the model's own files
// on the stack (model.ts, or the helper file that made the call), at the start of the DSL call
// expression (the `a` of `add(matmul(x, W1), b1)`): V8 reports the generated code's call position,
// that file's transpiler source map takes it back to its text, and `snapToCall` moves it from the
// callee or the argument list's `(` to the start of the call. The type-check is ./typecheck.ts.
// Tested in test/frontend/*.test.ts and,
// for models in several files, test/cli/multiFile.test.ts.

import path from "node:path";
import { ts } from "ts-morph";
import { differentiateBody } from "../autodiff/scanBody.js";
import { createContext, locFromStack, type TraceContext } from "../ir/context.js";
import { isModel, trace } from "../dsl/model.js";
import { codes, GradcError, isGradcError, type Code } from "../diagnostics.js";
import type { Graph } from "../ir/graph.js";
import type { Loc } from "../ir/loc.js";
import type { Node } from "../ir/node.js";
import { SourceMap } from "./sourceMap.js";
import { displayPath } from "../../runtime/userErrors.js";
import { isRelative, moduleGraph, openSource, type ModuleGraph, type UserFile } from "./modules.js";
import { ModelSource } from "./source.js";
import { host } from "./host.js";
import { ASYNC_BUILD, checkGradcImports, diagnosticLoc, flatten, GRADC_MODULES, typecheck } from "./typecheck.js";

export { ModelSource } from "./source.js";
export { dslExportNames, dslTypesFile, unknownOpMessage } from "./typecheck.js";

export interface LoadOptions {
  /** Told the model's files (model.ts and every file it imports) once they are known: `--watch` watches them. */
  readonly onFiles?: (files: readonly string[]) => void;
  /** `--batch N`: fix the symbolic batch dimension to N. */
  readonly batch?: number;
  /** Type-check model.ts against the DSL's types first (default true). */
  readonly typecheck?: boolean;
  /** Watches the model's code while it runs (gradc's box: compiler/box/guard.ts). */
  readonly guard?: ModelGuard;
}

/**
 * How gradc's box watches model code: it is told when model code starts and how to find a stack's
 * innermost model.ts frame, may refuse what model.ts imports, and may word the errors model code
 * threw (Node's permission model raises a bare "Access to this API has been restricted").
 */
export interface ModelGuard {
  /** Model code is about to run; `locate` finds the innermost model.ts frame of a stack. */
  enter(locate: (stack: string) => Loc | null): void;
  /** The model's code has returned (or thrown): tracing is done. */
  leave(): void;
  /** model.ts itself imports `spec` (a package or a Node built-in): throw a GradcError to refuse it. */
  checkImport(spec: string): void;
  /** A message for an error model code threw, when the guard knows better than "uncaught Error: ...". */
  describe(e: unknown): string | undefined;
}

/** Loads, checks, evaluates and traces `file`; returns the forward graph. Throws GradcError. */
export async function loadModel(file: string, options: LoadOptions = {}): Promise<Graph> {
  checkBatch(options.batch);
  const modelPath = path.resolve(file);
  let text: string;
  try {
    text = host.readFile(modelPath);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new GradcError(codes.io, `cannot read ${displayPath(file)}: ${code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory, not a model file" : (e as Error).message}`);
  }
  return loadModelSource(modelPath, text, options);
}

/** As loadModel, with the source text given (the file need not exist; `modelPath` names it). */
export function loadModelSource(modelPath: string, text: string, options: LoadOptions = {}): Graph {
  checkBatch(options.batch);
  const root = openSource(path.resolve(modelPath), text);
  const src = root.src;
  const compiled = new Map([[src.file, transpile(root)]]);
  const modules = moduleGraph(root, options.guard ? (e) => options.guard!.describe(e) : undefined);
  options.onFiles?.([...modules.modules.keys()]);
  for (const m of modules.modules.values()) if (!compiled.has(m.src.file)) compiled.set(m.src.file, transpile(m));
  checkSyncBuild(src);
  if (options.typecheck ?? true) typecheck(modules);
  else for (const m of modules.modules.values()) checkGradcImports(m.src);

  const mapPosition = (file: string, line: number, col: number): { line: number; col: number } | null => {
    const s = modules.modules.get(file)?.src;
    const p = s && compiled.get(file)!.map.originalPosition(line - 1, col - 1);
    if (!s || !p) return null;
    return s.lineCol(s.snapToCall(s.offset(p.line, p.col)));
  };
  const ctx = createContext({
    differentiateBody,
    modelFile: src.file,
    sourceFiles: [...modules.modules.keys()],
    mapPosition,
    ...(options.batch !== undefined ? { fixedBatch: options.batch } : {}),
  });

  // Deep DSL helpers (mse → mean → div → make → callerLoc) must not push the model frame out of the stack.
  const savedLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = Math.max(savedLimit, 200);
  const guard = options.guard;
  guard?.enter((stack) => locFromStack(stack, ctx));
  try {
    let exported: unknown;
    try {
      exported = evaluate(modules, compiled, guard);
    } catch (e) {
      throw locate(e, src, ctx, null, guard);
    }
    if (isThenable(exported)) {
      throw new GradcError(codes.asyncModel, `the default export of ${path.basename(src.file)} is a Promise: gradc evaluates model.ts synchronously; export the model itself, \`export default model("name", () => { ... })\``, src.defaultExportLoc() ?? src.lineCol(0));
    }
    if (!isModel(exported)) {
      const base = path.basename(src.file);
      const what = exported === undefined ? `${base} has no default export` : `the default export of ${base} is ${describe(exported)}, not a model`;
      throw new GradcError(codes.noModel, `${what}: write \`export default model("name", () => { ... return { loss, outputs }; })\``, src.defaultExportLoc() ?? src.lineCol(0));
    }
    let graph: Graph;
    try {
      graph = trace(exported, ctx);
    } catch (e) {
      throw locate(e, src, ctx, src.modelCall(), guard);
    }
    for (const m of modules.modules.values()) nameNodes(graph, m.src);
    return graph;
  } finally {
    guard?.leave();
    Error.stackTraceLimit = savedLimit;
  }
}

export function checkBatch(batch: unknown): void {
  if (batch === undefined) return;
  if (typeof batch !== "number" || !Number.isInteger(batch) || batch <= 0) {
    throw new GradcError(codes.batch, `--batch must be a positive integer, got ${typeof batch === "number" ? batch : JSON.stringify(batch)}`);
  }
}

// ── parse and transpile ───────────────────────────────────────────────────────────────────────────

/** One file to CommonJS, with the definitions of its set-aside literals (./bulkLiterals.ts) at the end. */
function transpile({ src, aside }: UserFile): { code: string; map: SourceMap } {
  const out = ts.transpileModule(src.text, {
    fileName: src.file,
    reportDiagnostics: true,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      sourceMap: true,
      inlineSources: false,
      esModuleInterop: true,
    },
  });
  const first = (out.diagnostics ?? []).find((d) => d.category === ts.DiagnosticCategory.Error);
  if (first) throw new GradcError(codes.parse, flatten(first), diagnosticLoc(first, src));
  // Drop the `//# sourceMappingURL=` comment: there is no map file, and node must not look for one.
  const code = out.outputText.replace(/\n\/\/# sourceMappingURL=[^\n]*\s*$/, "\n") + (aside?.definitions ?? "");
  return { code, map: SourceMap.parse(out.sourceMapText!) };
}

/** An async build function returns a Promise, and tracing cannot wait for one (GC1008). */
function checkSyncBuild(src: ModelSource): void {
  const build = src.modelCall()?.arguments[1];
  if (build && (ts.isArrowFunction(build) || ts.isFunctionExpression(build)) && build.modifiers?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword)) {
    throw new GradcError(codes.asyncModel, ASYNC_BUILD, src.locOf(build));
  }
}

// ── evaluate ──────────────────────────────────────────────────────────────────────────────────────

/**
 * Runs the transpiled files, each once, from model.ts down its imports (as CommonJS would): `require`
 * of a file of the model is that file's exports, "gradc" (and "gradc/layers") the compiler's own DSL
 * module, any other import passes the guard first. Returns model.ts's default export.
 */
function evaluate(modules: ModuleGraph, compiled: ReadonlyMap<string, { code: string }>, guard: ModelGuard | undefined): unknown {
  const loaded = new Map<string, { exports: Record<string, unknown> }>();
  const run = (file: string): Record<string, unknown> => {
    const done = loaded.get(file);
    if (done) return done.exports;
    const { deps } = modules.modules.get(file)!;
    const nodeRequire = host.packageRequire(file);
    const requireOf = (spec: string): unknown => {
      const own = GRADC_MODULES.get(spec);
      if (own) return own.exports;
      const dep = deps.get(spec);
      if (dep) return run(dep);
      if (isRelative(spec)) {
        throw new Error(`cannot load "${spec}" while the model runs: gradc follows the model's static imports (import … from "${spec}"), not require() or import() of other files`);
      }
      guard?.checkImport(spec);
      return nodeRequire(spec);
    };
    // In the box, require.cache would hand out other modules' own (unguarded) require functions.
    const requireFn = Object.assign(requireOf, guard ? { resolve: nodeRequire.resolve } : { resolve: nodeRequire.resolve, cache: nodeRequire.cache });
    const fn = host.compileFunction(compiled.get(file)!.code, ["exports", "require", "module", "__filename", "__dirname"], file);
    const module = { exports: {} as Record<string, unknown> };
    loaded.set(file, module); // before it runs, as CommonJS does (only `import type` cycles reach here, and those vanish in transpiling)
    fn.call(module.exports, module.exports, requireFn, module, file, path.dirname(file));
    return module.exports;
  };
  return run(modules.root).default;
}

const isThenable = (v: unknown): v is PromiseLike<unknown> => !!v && (typeof v === "object" || typeof v === "function") && typeof (v as { then?: unknown }).then === "function";

const describe = (v: unknown): string =>
  v === null ? "null" : Array.isArray(v) ? "an array" : typeof v === "function" ? "a function" : typeof v === "object" ? "an object" : `a ${typeof v}`;

const hasLoc = (l: Loc | undefined): l is Loc => !!l && l.line > 0;

/**
 * Gives an error from model code a model.ts location: GradcErrors keep theirs (or get the innermost
 * model.ts frame, or the model's return / model(...) call); anything else becomes GC1003.
 */
function locate(e: unknown, src: ModelSource, ctx: TraceContext, modelCall: ts.CallExpression | null, guard: ModelGuard | undefined): GradcError {
  const stack = e instanceof Error ? (e.stack ?? "") : "";
  const fromStack = locFromStack(stack, ctx) ?? undefined;
  const fallback = (code: Code | null): Loc => {
    const ret = code === codes.noLoss ? src.buildReturn() : null;
    if (ret) return src.locOf(ret);
    if (modelCall) return src.locOf(modelCall);
    return src.defaultExportLoc() ?? src.lineCol(0);
  };
  if (isGradcError(e)) {
    if (hasLoc(e.loc)) return e;
    const err = new GradcError(e.code, e.message, fromStack ?? fallback(e.code));
    err.stack = e.stack;
    return err;
  }
  const message = guard?.describe(e) ?? (e instanceof Error ? `uncaught ${e.name}: ${e.message}` : `uncaught exception: ${safeString(e)}`);
  const err = new GradcError(codes.threw, message, fromStack ?? fallback(null));
  if (e instanceof Error) err.stack = `${err.name}: ${message}\n${stack.split("\n").slice(1).join("\n")}`;
  return err;
}

function safeString(v: unknown): string {
  try {
    return typeof v === "string" ? JSON.stringify(v) : String(v);
  } catch {
    return typeof v;
  }
}

// ── names ─────────────────────────────────────────────────────────────────────────────────────────

/**
 * `const z1 = add(matmul(x, W1), b1)` names the node that call returns "z1". Every node a call makes
 * shares the call's loc (mse makes five); its result is the one no other node of that loc consumes.
 * A call site run more than once (a helper called per layer) names each of its results.
 */
function nameNodes(graph: Graph, src: ModelSource): void {
  const byLoc = new Map<string, Node[]>();
  for (const n of graph.nodes) {
    if (n.loc.file !== src.file || !n.loc.line) continue; // names come from the file the node was made in
    const key = `${n.loc.line}:${n.loc.col}`;
    const l = byLoc.get(key);
    if (l) l.push(n);
    else byLoc.set(key, [n]);
  }
  for (const [offset, name] of src.variableNames()) {
    const { line, col } = src.lineCol(offset);
    const nodes = byLoc.get(`${line}:${col}`);
    if (!nodes) continue;
    const consumed = new Set<Node>();
    for (const n of nodes) for (const i of n.inputs) consumed.add(i);
    for (const n of nodes) if (!consumed.has(n) && !n.name) n.name = name;
  }
}
