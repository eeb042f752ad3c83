// `gradc compile --runtime inline`: a generated module that imports nothing. The module's one import
// from the runtime is replaced by the runtime's own TypeScript declarations that the module uses —
// the imported names and everything they reach, found by following identifiers from declaration to
// declaration across the runtime's files — so the module keeps its types under the user's strict
// settings and runs with no gradc installed (a one-file artifact for an app, a worker or a browser).
//
// The declarations are copied from the runtime sources shipped with gradc (runtime/*.ts at the
// package root), in the order ES modules would evaluate them (a file's imports before the file, each
// file in source order), without their `export`s and with their doc comments. The runtime's files and
// the emitted code then share one scope: a private runtime name that the module (or an earlier runtime
// file) also declares is renamed in the copy. Tested in test/emit/inlineRuntime.test.ts.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ts } from "ts-morph";

/** Replaces `import { … } from "<specifier>"` in `moduleText` by the runtime declarations it needs. */
export function inlineRuntime(moduleText: string, specifier: string): string {
  const sf = ts.createSourceFile("model.gen.ts", moduleText, ts.ScriptTarget.ES2022, true);
  const imp = sf.statements.find((s): s is ts.ImportDeclaration => ts.isImportDeclaration(s) && ts.isStringLiteral(s.moduleSpecifier) && s.moduleSpecifier.text === specifier);
  if (!imp) throw new Error(`internal: the generated module has no import from ${specifier} to inline`);
  const bindings = imp.importClause?.namedBindings;
  if (!bindings || !ts.isNamedImports(bindings) || bindings.elements.some((e) => e.propertyName)) {
    throw new Error(`internal: the runtime import must be a list of names without aliases to inline it`);
  }
  const runtime = new RuntimeSources(runtimeDir());
  const wanted = bindings.elements.map((e) => runtime.resolve("index.ts", e.name.text));
  const moduleNames = new Set(sf.statements.filter((s) => s !== imp).flatMap(declaredNames));
  const code = runtime.closure(wanted, moduleNames);
  const head = `// ── gradc/runtime ${gradcVersion()}, inlined by \`gradc compile --runtime inline\`: the declarations this module uses ──\n`;
  const tail = `// ── end of the inlined gradc/runtime ──\n`;
  return moduleText.slice(0, imp.getStart(sf)) + head + code + tail + moduleText.slice(imp.getEnd()).replace(/^[ \t]*\n/, "");
}

/** A top-level name of one runtime file: every statement declaring it (overloads, merged interfaces) is copied. */
interface Declaration {
  readonly file: string;
  readonly name: string;
}

class RuntimeSources {
  private readonly files = new Map<string, ts.SourceFile>();

  constructor(private readonly dir: string) {}

  private source(file: string): ts.SourceFile {
    let sf = this.files.get(file);
    if (!sf) {
      const full = path.join(this.dir, file);
      if (!existsSync(full)) throw new Error(`internal: the runtime source ${full} is missing (gradc's package ships runtime/*.ts for --runtime inline)`);
      sf = ts.createSourceFile(full, readFileSync(full, "utf8"), ts.ScriptTarget.ES2022, true);
      this.files.set(file, sf);
    }
    return sf;
  }

  /** Where `name`, as `file` sees it, is declared: in `file` itself, or through an import or re-export. */
  resolve(file: string, name: string): Declaration {
    const sf = this.source(file);
    for (const s of sf.statements) {
      if (declaredNames(s).includes(name)) return { file, name };
      if (!ts.isImportDeclaration(s) && !ts.isExportDeclaration(s)) continue;
      const from = relativeFile(s.moduleSpecifier);
      const list = ts.isImportDeclaration(s) ? s.importClause?.namedBindings : s.exportClause;
      if (from && list && (ts.isNamedImports(list) || ts.isNamedExports(list))) {
        const el = list.elements.find((e) => e.name.text === name);
        if (el) {
          if (el.propertyName) throw new Error(`internal: runtime/${file} renames ${el.propertyName.text} as ${name}; --runtime inline needs one name per declaration`);
          return this.resolve(from, name);
        }
      }
    }
    throw new Error(`internal: runtime/${file} has no declaration of ${name}`);
  }

  /**
   * The text of everything `roots` reach, in evaluation order. A runtime name that `taken` (the
   * module's own names) or an earlier runtime file already declares is renamed NAME_runtime in the
   * copy (the runtime's private sgdUpdate beside the module's emitted one); imported names keep theirs.
   */
  closure(roots: readonly Declaration[], taken: Set<string>): string {
    const keep = new Set<ts.Statement>();
    const work = [...roots];
    for (let d = work.pop(); d; d = work.pop()) {
      const sf = this.source(d.file);
      for (const statement of sf.statements) {
        if (keep.has(statement) || !declaredNames(statement).includes(d.name)) continue;
        keep.add(statement);
        for (const id of referencedNames(statement)) {
          const found = this.lookup(d.file, sf, id.text);
          if (found) work.push(found);
        }
      }
    }
    const order = this.evaluationOrder("index.ts");
    const renamed = new Map<string, string>(); // `${file}:${name}` → the name in the copy
    const keyOf = (d: Declaration) => `${d.file}:${d.name}`;
    for (const file of order) {
      const declared = new Set(this.source(file).statements.filter((s) => keep.has(s)).flatMap(declaredNames)); // overloads declare a name more than once
      for (const name of declared) {
        let as = name;
        for (let k = 1; taken.has(as); k++) as = `${name}_runtime${k > 1 ? k : ""}`;
        if (as !== name) renamed.set(keyOf({ file, name }), as);
        taken.add(as);
      }
    }
    const text: string[] = [];
    for (const file of order) {
      const sf = this.source(file);
      const nameIn = (id: ts.Identifier): string | undefined => {
        const d = this.lookup(file, sf, id.text);
        return d ? renamed.get(keyOf(d)) : undefined;
      };
      for (const s of sf.statements) if (keep.has(s)) text.push(statementText(s, sf, nameIn));
    }
    return text.join("\n");
  }

  /** `name` as a top-level declaration of `file` or one of its imports; null for anything else (locals, globals). */
  private lookup(file: string, sf: ts.SourceFile, name: string): Declaration | null {
    for (const s of sf.statements) {
      if (declaredNames(s).includes(name)) return { file, name };
      if (ts.isImportDeclaration(s)) {
        const b = s.importClause?.namedBindings;
        if (b && ts.isNamedImports(b) && b.elements.some((e) => e.name.text === name)) {
          const from = relativeFile(s.moduleSpecifier);
          if (!from) throw new Error(`internal: runtime/${file} imports ${name} from a package; the inlined runtime may import nothing`);
          return this.resolve(from, name);
        }
      }
    }
    return null;
  }

  /** Files in the order ES modules evaluate them: each file's imports (depth first) before the file. */
  private evaluationOrder(entry: string): string[] {
    const order: string[] = [];
    const seen = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const s of this.source(file).statements) {
        const from = ts.isImportDeclaration(s) || ts.isExportDeclaration(s) ? relativeFile(s.moduleSpecifier) : null;
        if (from) visit(from);
      }
      order.push(file);
    };
    visit(entry);
    return order;
  }
}

/** "./rng.js" → "rng.ts"; null for a package. (Exported for its tests, as the helpers below.) */
export function relativeFile(spec: ts.Expression | undefined): string | null {
  if (!spec || !ts.isStringLiteral(spec) || !spec.text.startsWith("./")) return null;
  return spec.text.slice(2).replace(/\.js$/, ".ts");
}

/** The names a top-level statement declares (function, class, interface, type, enum, const/let). */
export function declaredNames(s: ts.Statement): string[] {
  if ((ts.isFunctionDeclaration(s) || ts.isClassDeclaration(s) || ts.isInterfaceDeclaration(s) || ts.isTypeAliasDeclaration(s) || ts.isEnumDeclaration(s)) && s.name) return [s.name.text];
  if (ts.isVariableStatement(s)) return s.declarationList.declarations.flatMap((d) => bindingNames(d.name));
  return [];
}

function bindingNames(n: ts.BindingName): string[] {
  if (ts.isIdentifier(n)) return [n.text];
  return n.elements.flatMap((e) => (ts.isBindingElement(e) ? bindingNames(e.name) : []));
}

/** Identifiers a statement mentions, except property names (`a.name`, `{ name: … }`), which never refer to declarations. */
export function referencedNames(s: ts.Statement): ts.Identifier[] {
  const out: ts.Identifier[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isIdentifier(n)) {
      const p = n.parent;
      const isPropertyName =
        (ts.isPropertyAccessExpression(p) && p.name === n) ||
        ((ts.isPropertyAssignment(p) || ts.isPropertySignature(p) || ts.isPropertyDeclaration(p) || ts.isMethodDeclaration(p) || ts.isMethodSignature(p) || ts.isGetAccessor(p) || ts.isSetAccessor(p)) && p.name === n) ||
        (ts.isBindingElement(p) && p.propertyName === n) ||
        (ts.isQualifiedName(p) && p.right === n);
      if (!isPropertyName) out.push(n);
    }
    ts.forEachChild(n, visit);
  };
  visit(s);
  return out;
}

/**
 * The statement with the comment lines right above it (not a file header split off by a blank line),
 * without `export`, and with the identifiers `nameIn` renames renamed (`{ x }` becomes `{ x: x_runtime }`).
 */
export function statementText(s: ts.Statement, sf: ts.SourceFile, nameIn: (id: ts.Identifier) => string | undefined): string {
  const start = s.getStart(sf);
  const edits: { from: number; to: number; text: string }[] = [];
  const exported = ts.canHaveModifiers(s) ? ts.getModifiers(s)?.find((m) => m.kind === ts.SyntaxKind.ExportKeyword) : undefined;
  if (exported) edits.push({ from: exported.getStart(sf), to: exported.getEnd() + 1, text: "" });
  for (const id of referencedNames(s)) {
    const as = nameIn(id);
    if (as === undefined) continue;
    const p = id.parent;
    const keepsKey = (ts.isShorthandPropertyAssignment(p) && p.name === id) || (ts.isBindingElement(p) && !p.propertyName && p.name === id);
    edits.push({ from: id.getStart(sf), to: id.getEnd(), text: keepsKey ? `${id.text}: ${as}` : as });
  }
  let body = sf.text.slice(start, s.getEnd());
  for (const e of edits.sort((a, b) => b.from - a.from)) body = body.slice(0, e.from - start) + e.text + body.slice(e.to - start);
  const comment = sf.text.slice(s.getFullStart(), start).split(/\n[ \t]*\n/).pop()!.trim();
  return `${comment ? `${comment}\n` : ""}${body}\n`;
}

/** gradc's package root: the directory above this file whose package.json is gradc's (sources or dist/). */
function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, "package.json");
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "gradc") return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error("internal: cannot find gradc's package.json above the compiler");
    dir = up;
  }
}

const runtimeDir = (): string => path.join(packageRoot(), "runtime");
const gradcVersion = (): string => (JSON.parse(readFileSync(path.join(packageRoot(), "package.json"), "utf8")) as { version: string }).version;
