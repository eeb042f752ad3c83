// The type-check of the frontend (./load.ts): every file of a model against the DSL's own types in one
// program (GC1002; an unknown "gradc" name is GC2002 with the names it may have meant), or, when
// type-checking is off, only that the names imported from "gradc" exist.
import { ts } from "ts-morph";
import * as dsl from "../dsl/index.js";
import * as layers from "../dsl/layers.js";
import { closeNames } from "../closeNames.js";
import { codes, GradcError } from "../diagnostics.js";
import type { Loc } from "../ir/loc.js";
import { host } from "./host.js";
import { isRelative, RESOLUTION, type ModuleGraph } from "./modules.js";
import type { ModelSource } from "./source.js";

/** What a model with an async build is told (GC1008), by the parse check and by the type-check. */
export const ASYNC_BUILD = "the build function is async (it returns a Promise): gradc traces it synchronously, so remove `async` and any `await` from it";

/** The modules model.ts may import from gradc: the DSL ("gradc") and "gradc/layers", by their file in ../dsl/. */
export const GRADC_MODULES: ReadonlyMap<string, { readonly file: string; readonly exports: object }> = new Map([
  ["gradc", { file: "index", exports: dsl }],
  ["gradc/layers", { file: "layers", exports: layers }],
]);

/** The DSL's types for the module specifier "gradc" (or another of GRADC_MODULES): the sources, or the declarations in dist/. */
export function dslTypesFile(module = "gradc"): string {
  return host.dslTypesFile(GRADC_MODULES.get(module)!.file);
}

/** How model files are type-checked: strictly, against ES2022 and the DSL's own types. */
function typecheckOptions(): ts.CompilerOptions {
  return {
    strict: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: RESOLUTION.moduleResolution!,
    allowImportingTsExtensions: true,
    lib: ["lib.es2022.d.ts"],
    esModuleInterop: true,
    skipLibCheck: true,
    noEmit: true,
    paths: Object.fromEntries([...GRADC_MODULES.keys()].map((m) => [m, [dslTypesFile(m)]])),
  };
}

/** @types/node, when one of the model's files uses anything of node's (a package or node: import, process, Buffer, ...). */
function nodeTypesFor(modules: ModuleGraph): string | null {
  const sources = [...modules.modules.values()].map((m) => m.src);
  const needs = (src: ModelSource) => src.imports().some((i) => !GRADC_MODULES.has(i.spec.text) && !isRelative(i.spec.text)) || mentionsNodeGlobals(src.sf);
  return sources.some(needs) ? host.nodeTypes([modules.root]) : null;
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

/** Type-checks every file of the model in one program; the first error of the first file that has one (imported files first). */
export function typecheck(modules: ModuleGraph): void {
  const files = new Map([...modules.modules.values()].map((m) => [m.src.file, m.src.text + (m.aside?.declarations ?? "")]));
  const { program, release } = host.program(files, typecheckOptions(), nodeTypesFor(modules));
  try {
    for (const { src } of modules.modules.values()) {
      const node = program.getSourceFile(src.file)!;
      const diags = [...program.getSyntacticDiagnostics(node), ...program.getSemanticDiagnostics(node)];
      const first = diags.find((d) => d.category === ts.DiagnosticCategory.Error);
      if (!first) continue;
      const loc = diagnosticLoc(first, src);
      const unknown = unknownGradcName(first, src);
      if (unknown) throw new GradcError(codes.unknownOp, unknownOpMessage(unknown), loc);
      const message = flatten(first);
      if (/Promise<[^]*'ModelResult'/.test(message)) throw new GradcError(codes.asyncModel, ASYNC_BUILD, loc);
      throw new GradcError(codes.typecheck, message, loc);
    }
  } finally {
    release();
  }
}

/** A TypeScript diagnostic's message on one line. */
export const flatten = (d: ts.Diagnostic): string => ts.flattenDiagnosticMessageText(d.messageText, "\n").replace(/\s*\n\s*/g, " ").trim();

export function diagnosticLoc(d: ts.Diagnostic, src: ModelSource): Loc | undefined {
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
export function checkGradcImports(src: ModelSource): void {
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
    const sf = ts.createSourceFile(file, host.readFile(file), ts.ScriptTarget.ES2022, false);
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
