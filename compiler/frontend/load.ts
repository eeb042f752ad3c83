// The frontend: model.ts → forward Graph.
//
//   read → parse (GC1001) → type-check against the DSL's own types (GC1002, GC2002) → transpile to
//   CommonJS in memory → evaluate with vm.compileFunction under the model's real path (so stack frames
//   name model.ts) → check the default export (GC1004, GC1008) → trace (GC2xxx, GC1003, GC1008) →
//   name nodes after the `const NAME = dslCall(...)` that made them.
//
// This runs the model's code in the caller's process. The CLI calls it inside gradc's box (compiler/box/),
// which passes a ModelGuard: the box learns how to locate model code and may refuse its imports.
//
// Nothing is written to disk. Locations are 1-based line:col in model.ts, at the start of the DSL call
// expression (the `a` of `add(matmul(x, W1), b1)`): V8 reports the generated code's call position,
// the transpiler's source map takes it back to model.ts, and `snapToCall` moves it from the callee or
// the argument list's `(` to the start of the call. Tested in test/frontend/*.test.ts.

import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import vm from "node:vm";
import { Project, ts } from "ts-morph";
import { createContext, locFromStack, type TraceContext } from "../dsl/context.js";
import * as dsl from "../dsl/index.js";
import * as layers from "../dsl/layers.js";
import { isModel, trace } from "../dsl/model.js";
import { codes, GradcError, isGradcError, type Code } from "../diagnostics.js";
import type { Graph } from "../ir/graph.js";
import type { Loc } from "../ir/loc.js";
import type { Node } from "../ir/node.js";
import { setAsideBulkLiterals } from "./bulkLiterals.js";
import { SourceMap } from "./sourceMap.js";
import { closeNames } from "../closeNames.js";
import { displayPath } from "../../runtime/userErrors.js";

export interface LoadOptions {
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
    text = await readFile(modelPath, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new GradcError(codes.io, `cannot read ${displayPath(file)}: ${code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory, not a model file" : (e as Error).message}`);
  }
  return loadModelSource(modelPath, text, options);
}

/** As loadModel, with the source text given (the file need not exist; `modelPath` names it). */
export function loadModelSource(modelPath: string, text: string, options: LoadOptions = {}): Graph {
  checkBatch(options.batch);
  // Megabyte literals of numbers stand aside while the TypeScript compiler works (./bulkLiterals.ts).
  const aside = setAsideBulkLiterals(text);
  const src = new ModelSource(path.resolve(modelPath), aside?.text ?? text);
  const transpiled = transpile(src);
  const code = transpiled.code + (aside?.definitions ?? "");
  const map = transpiled.map;
  checkImports(src);
  checkSyncBuild(src);
  if (options.typecheck ?? true) typecheck(src, aside?.declarations ?? "");
  else checkGradcImports(src);

  const mapPosition = (line: number, col: number): { line: number; col: number } | null => {
    const p = map.originalPosition(line - 1, col - 1);
    if (!p) return null;
    return src.lineCol(src.snapToCall(src.offset(p.line, p.col)));
  };
  const ctx = createContext({ modelFile: src.file, mapPosition, ...(options.batch !== undefined ? { fixedBatch: options.batch } : {}) });

  // Deep DSL helpers (mse → mean → div → make → callerLoc) must not push the model frame out of the stack.
  const savedLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = Math.max(savedLimit, 200);
  const guard = options.guard;
  guard?.enter((stack) => locFromStack(stack, ctx));
  try {
    let exported: unknown;
    try {
      exported = evaluate(src, code, guard);
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
    nameNodes(graph, src);
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

// ── the model's source: positions, calls, variable names ─────────────────────────────────────────

/** A call expression's callee span: V8 reports a call at its callee or at the `(` of its arguments. */
interface CallSpan {
  readonly start: number;
  readonly paren: number;
}

export class ModelSource {
  readonly sf: ts.SourceFile;
  /** The calls by start (and source order, to break ties as a scan in source order would). */
  private calls: (CallSpan & { readonly order: number })[] | undefined;
  private longestCallee: number | undefined;
  private names: Map<number, string> | undefined;

  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    this.sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  }

  offset(line0: number, col0: number): number {
    const starts = this.sf.getLineStarts();
    if (line0 >= starts.length) return this.text.length;
    return Math.min(starts[line0]! + col0, line0 + 1 < starts.length ? starts[line0 + 1]! : this.text.length);
  }

  /** 1-based line:col of an offset. */
  lineCol(offset: number): Loc {
    const { line, character } = this.sf.getLineAndCharacterOfPosition(Math.max(0, Math.min(offset, this.text.length)));
    return { file: this.file, line: line + 1, col: character + 1 };
  }

  locOf(node: ts.Node): Loc {
    return this.lineCol(node.getStart(this.sf));
  }

  /**
   * The start of the innermost call whose callee (up to its argument list's `(`) covers `offset` (the
   * first in source order among equals). Looked up among the calls sorted by start, from the last one
   * starting at or before `offset` back to the longest callee's reach: tracing asks once per node, and a
   * model written out unrolled has thousands of calls.
   */
  snapToCall(offset: number): number {
    this.calls ??= collectCalls(this.sf)
      .map((c, order) => ({ ...c, order }))
      .sort((a, b) => a.start - b.start || a.order - b.order);
    this.longestCallee ??= this.calls.reduce((m, c) => Math.max(m, c.paren - c.start), 0);
    const calls = this.calls;
    let lo = 0, hi = calls.length; // the first call starting after offset
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (calls[mid]!.start <= offset) lo = mid + 1;
      else hi = mid;
    }
    let best: (CallSpan & { order: number }) | null = null;
    for (let k = lo - 1; k >= 0 && calls[k]!.start >= offset - this.longestCallee; k--) {
      const c = calls[k]!;
      const shorter = best && (c.paren - c.start < best.paren - best.start || (c.paren - c.start === best.paren - best.start && c.order < best.order));
      if (offset <= c.paren && (!best || shorter)) best = c;
    }
    return best ? best.start : offset;
  }

  /** Start offset of `const NAME = call(...)` initializers → NAME. */
  variableNames(): Map<number, string> {
    if (this.names) return this.names;
    const names = new Map<number, string>();
    const visit = (n: ts.Node): void => {
      if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer) {
        const init = unwrap(n.initializer);
        if (ts.isCallExpression(init)) names.set(init.getStart(this.sf), n.name.text);
      }
      ts.forEachChild(n, visit);
    };
    visit(this.sf);
    return (this.names = names);
  }

  /** Import and export-from declarations with their module specifiers. */
  imports(): { decl: ts.ImportDeclaration | ts.ExportDeclaration; spec: ts.StringLiteral }[] {
    const out: { decl: ts.ImportDeclaration | ts.ExportDeclaration; spec: ts.StringLiteral }[] = [];
    for (const s of this.sf.statements) {
      if ((ts.isImportDeclaration(s) || ts.isExportDeclaration(s)) && s.moduleSpecifier && ts.isStringLiteral(s.moduleSpecifier)) {
        out.push({ decl: s, spec: s.moduleSpecifier });
      }
    }
    return out;
  }

  /** The expression after `export default`, if any. */
  defaultExport(): ts.Expression | null {
    for (const s of this.sf.statements) if (ts.isExportAssignment(s) && !s.isExportEquals) return s.expression;
    return null;
  }

  defaultExportLoc(): Loc | null {
    for (const s of this.sf.statements) {
      if (ts.isExportAssignment(s) && !s.isExportEquals) return this.locOf(s.expression);
      if ((ts.isFunctionDeclaration(s) || ts.isClassDeclaration(s)) && s.modifiers?.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword)) {
        return this.locOf(s);
      }
    }
    return null;
  }

  /** The `model(...)` call that is exported (directly, or through a top-level const). */
  modelCall(): ts.CallExpression | null {
    let e = this.defaultExport();
    if (e && ts.isIdentifier(e)) {
      const name = e.text;
      e = null;
      for (const s of this.sf.statements) {
        if (!ts.isVariableStatement(s)) continue;
        for (const d of s.declarationList.declarations) if (ts.isIdentifier(d.name) && d.name.text === name && d.initializer) e = d.initializer;
      }
    }
    if (!e) return null;
    e = unwrap(e);
    return ts.isCallExpression(e) ? e : null;
  }

  /** The last `return` of the model's build function (or its expression body). */
  buildReturn(): ts.Node | null {
    const build = this.modelCall()?.arguments[1];
    if (!build || !(ts.isArrowFunction(build) || ts.isFunctionExpression(build))) return null;
    if (!ts.isBlock(build.body)) return build.body;
    let last = null as ts.Node | null;
    const visit = (n: ts.Node): void => {
      if (ts.isReturnStatement(n)) last = n;
      if (!ts.isFunctionLike(n)) ts.forEachChild(n, visit);
    };
    ts.forEachChild(build.body, visit);
    return last;
  }
}

const unwrap = (e: ts.Expression): ts.Expression => {
  while (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e) || ts.isNonNullExpression(e) || ts.isTypeAssertionExpression(e)) e = e.expression;
  return e;
};

function collectCalls(sf: ts.SourceFile): CallSpan[] {
  const out: CallSpan[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n) || (ts.isNewExpression(n) && n.arguments)) {
      // `arguments.pos` is just after the `(`; type arguments sit between the callee and it.
      out.push({ start: n.getStart(sf), paren: n.arguments!.pos - 1 });
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

// ── parse and transpile ───────────────────────────────────────────────────────────────────────────

function transpile(src: ModelSource): { code: string; map: SourceMap } {
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
  const code = out.outputText.replace(/\n\/\/# sourceMappingURL=[^\n]*\s*$/, "\n");
  return { code, map: SourceMap.parse(out.sourceMapText!) };
}

/** An async build function returns a Promise, and tracing cannot wait for one (GC1008). */
function checkSyncBuild(src: ModelSource): void {
  const build = src.modelCall()?.arguments[1];
  if (build && (ts.isArrowFunction(build) || ts.isFunctionExpression(build)) && build.modifiers?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword)) {
    throw new GradcError(codes.asyncModel, ASYNC_BUILD, src.locOf(build));
  }
}

const ASYNC_BUILD = "the build function is async (it returns a Promise): gradc traces it synchronously, so remove `async` and any `await` from it";

/** Only "gradc" and packages: model.ts is compiled alone, so local modules cannot be imported. */
function checkImports(src: ModelSource): void {
  for (const { spec } of src.imports()) {
    const s = spec.text;
    if (s.startsWith(".") || path.isAbsolute(s) || s.startsWith("file:")) {
      throw new GradcError(
        codes.typecheck,
        `cannot import "${s}": gradc compiles model.ts on its own and does not support importing local files; keep the model in one file and import DSL functions from "gradc"`,
        src.locOf(spec),
      );
    }
  }
}

// ── type-check ────────────────────────────────────────────────────────────────────────────────────

/** The modules model.ts may import from gradc: the DSL ("gradc") and "gradc/layers", by their file in ../dsl/. */
const GRADC_MODULES: ReadonlyMap<string, { readonly file: string; readonly exports: object }> = new Map([
  ["gradc", { file: "index", exports: dsl }],
  ["gradc/layers", { file: "layers", exports: layers }],
]);

/** The DSL's types for the module specifier "gradc" (or another of GRADC_MODULES): the sources, or the declarations in dist/. */
export function dslTypesFile(module = "gradc"): string {
  const dir = fileURLToPath(new URL("../dsl/", import.meta.url));
  const base = GRADC_MODULES.get(module)!.file;
  const order = import.meta.url.endsWith(".ts") ? [`${base}.ts`, `${base}.d.ts`] : [`${base}.d.ts`, `${base}.ts`];
  for (const f of order) if (existsSync(path.join(dir, f))) return path.join(dir, f);
  throw new Error(`internal: no gradc DSL types (${base}.ts or ${base}.d.ts) in ${dir}`);
}

// `console` without all of @types/node (which triples the cold type-check time).
const PRELUDE = `declare var console: { log(...data: any[]): void; info(...data: any[]): void; warn(...data: any[]): void; error(...data: any[]): void; debug(...data: any[]): void; table(data: any): void };\n`;

const projects = new Map<string, Project>();

/** One Project per process (and per need of node's types): lib files and DSL types are parsed once. */
function project(nodeTypes: string | null): Project {
  const key = nodeTypes ?? "";
  let p = projects.get(key);
  if (p) return p;
  p = new Project({
    skipAddingFilesFromTsConfig: true,
    compilerOptions: {
      strict: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      lib: ["lib.es2022.d.ts"],
      types: nodeTypes ? ["node"] : [],
      ...(nodeTypes ? { typeRoots: [path.dirname(nodeTypes)] } : {}),
      esModuleInterop: true,
      skipLibCheck: true,
      noEmit: true,
      paths: Object.fromEntries([...GRADC_MODULES.keys()].map((m) => [m, [dslTypesFile(m)]])),
    },
  });
  if (!nodeTypes) p.createSourceFile(path.join(path.dirname(dslTypesFile()), "__gradc_prelude__.d.ts"), PRELUDE, { overwrite: true });
  projects.set(key, p);
  return p;
}

/** @types/node, when model.ts uses anything of node's (an import other than "gradc", process, Buffer, ...). */
function nodeTypesFor(src: ModelSource): string | null {
  if (!src.imports().some((i) => !GRADC_MODULES.has(i.spec.text)) && !mentionsNodeGlobals(src.sf)) return null;
  for (const from of [src.file, fileURLToPath(import.meta.url)]) {
    try {
      return path.dirname(createRequire(from).resolve("@types/node/package.json"));
    } catch {
      // not installed there
    }
  }
  return null;
}

const NODE_GLOBALS = new Set(["process", "Buffer", "require", "module", "exports", "__dirname", "__filename", "global", "NodeJS", "setImmediate"]);

function mentionsNodeGlobals(sf: ts.SourceFile): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isIdentifier(n) && NODE_GLOBALS.has(n.text) && !(ts.isPropertyAccessExpression(n.parent) && n.parent.name === n)) found = true;
    else ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

/** `declarations`: appended to the text (after every position a diagnostic can have). */
function typecheck(src: ModelSource, declarations = ""): void {
  const p = project(nodeTypesFor(src));
  const sf = p.createSourceFile(src.file, src.text + declarations, { overwrite: true });
  try {
    const program = p.getProgram().compilerObject;
    const node = sf.compilerNode;
    const diags = [...program.getSyntacticDiagnostics(node), ...program.getSemanticDiagnostics(node)];
    const first = diags.find((d) => d.category === ts.DiagnosticCategory.Error);
    if (!first) return;
    const loc = diagnosticLoc(first, src);
    const unknown = unknownGradcName(first, src);
    if (unknown) throw new GradcError(codes.unknownOp, unknownOpMessage(unknown), loc);
    const message = flatten(first);
    if (/Promise<[^]*'ModelResult'/.test(message)) throw new GradcError(codes.asyncModel, ASYNC_BUILD, loc);
    throw new GradcError(codes.typecheck, message, loc);
  } finally {
    p.removeSourceFile(sf);
  }
}

const flatten = (d: ts.Diagnostic): string => ts.flattenDiagnosticMessageText(d.messageText, "\n").replace(/\s*\n\s*/g, " ").trim();

function diagnosticLoc(d: ts.Diagnostic, src: ModelSource): Loc | undefined {
  return d.file && d.start !== undefined ? src.lineCol(d.start) : undefined;
}

/** The name when a diagnostic says "gradc" has no such export (an import, or `g.foo` on `import * as g`). */
function unknownGradcName(d: ts.Diagnostic, src: ModelSource): string | null {
  if (d.start === undefined) return null;
  const at = tokenAt(src.sf, d.start);
  if (!at || !ts.isIdentifier(at)) return null;
  if (d.code === 2305 || d.code === 2724) {
    const spec = at.parent;
    if (ts.isImportSpecifier(spec) && importedFrom(spec) === "gradc") return at.text;
    return null;
  }
  if (d.code === 2339 || d.code === 2551) {
    const pa = at.parent;
    if (ts.isPropertyAccessExpression(pa) && pa.name === at && ts.isIdentifier(pa.expression) && gradcNamespaces(src).has(pa.expression.text)) return at.text;
  }
  return null;
}

function importedFrom(spec: ts.ImportSpecifier): string | null {
  const decl = spec.parent.parent.parent;
  return ts.isImportDeclaration(decl) && ts.isStringLiteral(decl.moduleSpecifier) ? decl.moduleSpecifier.text : null;
}

function gradcNamespaces(src: ModelSource): Set<string> {
  const out = new Set<string>();
  for (const { decl, spec } of src.imports()) {
    if (spec.text !== "gradc" || !ts.isImportDeclaration(decl)) continue;
    const b = decl.importClause?.namedBindings;
    if (b && ts.isNamespaceImport(b)) out.add(b.name.text);
  }
  return out;
}

function tokenAt(sf: ts.SourceFile, pos: number): ts.Node | null {
  let found = null as ts.Node | null;
  const visit = (n: ts.Node): void => {
    if (n.getStart(sf) <= pos && pos < n.getEnd()) {
      found = n;
      ts.forEachChild(n, visit);
    }
  };
  visit(sf);
  return found;
}

/** Without the type-checker: named imports from "gradc" must exist (values or types). */
function checkGradcImports(src: ModelSource): void {
  const known = dslExportNames();
  for (const { decl, spec } of src.imports()) {
    if (spec.text !== "gradc" || !ts.isImportDeclaration(decl)) continue;
    const b = decl.importClause?.namedBindings;
    if (!b || !ts.isNamedImports(b)) continue;
    for (const el of b.elements) {
      const name = (el.propertyName ?? el.name).text;
      if (!known.includes(name)) throw new GradcError(codes.unknownOp, unknownOpMessage(name), src.locOf(el.propertyName ?? el.name));
    }
  }
}

let exportNames: string[] | undefined;

/** Every name the "gradc" module exports: its values, and the types its index declares. */
export function dslExportNames(): string[] {
  if (exportNames) return exportNames;
  const names = new Set<string>(Object.keys(dsl));
  try {
    const file = dslTypesFile();
    const sf = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, false);
    for (const s of sf.statements) {
      if (ts.isExportDeclaration(s) && s.exportClause && ts.isNamedExports(s.exportClause)) for (const e of s.exportClause.elements) names.add(e.name.text);
      else if ((ts.isTypeAliasDeclaration(s) || ts.isInterfaceDeclaration(s)) && s.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) names.add(s.name.text);
    }
  } catch {
    // the runtime names are enough
  }
  return (exportNames = [...names].filter((n) => n !== "default").sort());
}

export function unknownOpMessage(name: string): string {
  const all = dslExportNames();
  const close = closeNames(name, all);
  return close.length
    ? `unknown op '${name}': "gradc" has no export of that name; did you mean ${close.map((c) => `'${c}'`).join(", ")}?`
    : `unknown op '${name}': "gradc" has no export of that name; it exports ${all.join(", ")}`;
}

// ── evaluate ──────────────────────────────────────────────────────────────────────────────────────

/**
 * Runs the transpiled module; `require("gradc")` (and "gradc/layers") is the compiler's own DSL module,
 * any other import passes the guard first. Returns the default export.
 */
function evaluate(src: ModelSource, code: string, guard: ModelGuard | undefined): unknown {
  const nodeRequire = createRequire(src.file);
  const requireOf = (spec: string): unknown => {
    const own = GRADC_MODULES.get(spec);
    if (own) return own.exports;
    guard?.checkImport(spec);
    return nodeRequire(spec);
  };
  // In the box, require.cache would hand out other modules' own (unguarded) require functions.
  const requireFn = Object.assign(requireOf, guard ? { resolve: nodeRequire.resolve } : { resolve: nodeRequire.resolve, cache: nodeRequire.cache });
  const fn = vm.compileFunction(code, ["exports", "require", "module", "__filename", "__dirname"], { filename: src.file });
  const module = { exports: {} as Record<string, unknown> };
  fn.call(module.exports, module.exports, requireFn, module, src.file, path.dirname(src.file));
  return module.exports.default;
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
    if (n.loc.file !== src.file || !n.loc.line) continue;
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
