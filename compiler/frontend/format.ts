// Diagnostics as tsc prints them (its --pretty layout, without colors):
//
//   model.ts:7:15 - error GC2001: matmul: inner dimensions differ: [batch, 3] · [2, 1] (3 vs 2)
//
//   7   const out = matmul(x, W);
//                   ~~~~~~~~~~~~
//
// The underline starts at the location and covers the call expression that starts there (or, failing
// that, the token there), on the location's line. Tested in test/frontend/format.test.ts.

import { ts } from "ts-morph";
import type { GradcError } from "../diagnostics.js";
import type { Loc } from "../ir/loc.js";
import { dataDiagnostic, displayPath } from "../../runtime/userErrors.js";
import { host } from "./host.js";

/** `file:line:col - error GCnnnn: message` and a code frame; `error GCnnnn: message` without a location. */
export function formatDiagnostic(err: GradcError, sourceText?: string, cwd: string = process.cwd()): string {
  const head = `error ${err.code}: ${err.message}`;
  const loc = err.loc;
  if (!loc || !loc.line || !loc.file) return head;
  const file = displayPath(loc.file, cwd);
  if (!loc.col) return dataDiagnostic(file, loc.line, head, sourceText ?? tryRead(loc.file));
  const first = `${file}:${loc.line}:${loc.col} - ${head}`;
  const text = sourceText ?? tryRead(loc.file);
  const frame = text === undefined ? null : codeFrame(text, loc);
  return frame ? `${first}\n\n${frame}\n` : first;
}

function tryRead(file: string): string | undefined {
  try {
    return host.readFile(file);
  } catch {
    return undefined;
  }
}

/** The location's line with a line-number gutter, and `~` under the expression that starts there. */
export function codeFrame(text: string, loc: Pick<Loc, "line" | "col">): string | null {
  const sf = ts.createSourceFile("model.ts", text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const starts = sf.getLineStarts();
  const lineStart = starts[loc.line - 1];
  if (lineStart === undefined) return null;
  const raw = text.slice(lineStart, starts[loc.line] ?? text.length);
  const line = raw.replace(/\t/g, " ").replace(/\s+$/, "");
  const start = Math.max(0, loc.col - 1);
  const length = Math.max(1, Math.min(spanLength(sf, lineStart + start, lineStart + line.length), line.length - start));
  const gutter = String(loc.line);
  return `${gutter} ${line}\n${" ".repeat(gutter.length)} ${" ".repeat(start)}${"~".repeat(length)}`;
}

/**
 * Characters to underline: the call starting at offset, or else the smallest node starting there (a
 * declaration rather than its `export` keyword), cut at the line's end.
 */
function spanLength(sf: ts.SourceFile, offset: number, lineEnd: number): number {
  const starting: ts.Node[] = [];
  const visit = (n: ts.Node): void => {
    if (n.getStart(sf) > offset || n.getEnd() <= offset) return;
    if (n.getStart(sf) === offset && n !== sf) starting.push(n);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  starting.sort((a, b) => a.getEnd() - b.getEnd());
  const isKeyword = (n: ts.Node) => n.kind >= ts.SyntaxKind.FirstKeyword && n.kind <= ts.SyntaxKind.LastKeyword;
  const node = starting.find((n) => ts.isCallExpression(n) || ts.isNewExpression(n)) ?? starting.find((n) => !isKeyword(n)) ?? starting[0];
  const end = node ? node.getEnd() : offset + 1;
  return Math.max(1, Math.min(end, lineEnd) - offset);
}
