// One TypeScript file of the model (model.ts, or a file it imports): its parsed tree, and the
// questions the frontend asks of it: 1-based line:col of an offset, the call a V8 position falls in,
// the `const NAME = call(...)` names, its imports, its default export and model(...) call.
// Used by compiler/frontend/load.ts and modules.ts; tested through them (test/frontend/*.test.ts).

import { ts } from "ts-morph";
import type { Loc } from "../ir/loc.js";

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
