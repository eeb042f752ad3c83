// `gradc compile -o model.gen.js`: the generated module as plain JavaScript (an ES module) and its
// declarations (`model.gen.d.ts`), for projects without TypeScript and for plain Node, which cannot
// run TypeScript. Both come from the formatted TypeScript module through TypeScript's own
// single-file transforms (the compiler bundled in ts-morph): `transpileModule` erases the types and
// keeps every comment, so the JavaScript reads as the TypeScript does and its source map is read off
// its kernel comments as the TypeScript's is (./sourceMap.ts); `transpileDeclaration` writes the
// declarations without a type-checking program (the module's exports all carry their types), so
// nothing depends on where gradc/runtime is installed. Both are formatted with prettier: the output
// is deterministic byte for byte. Tested in test/emit/javascript.test.ts.
import { ts } from "ts-morph";
import { formatJavaScript, formatTypeScript } from "./format.js";

const COMPILER_OPTIONS: ts.CompilerOptions = { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, removeComments: false };

export async function toJavaScript(typescript: string, fileName: string): Promise<{ readonly code: string; readonly declarations: string }> {
  const js = ts.transpileModule(typescript, { fileName, compilerOptions: COMPILER_OPTIONS, reportDiagnostics: true });
  const dts = ts.transpileDeclaration(typescript, { fileName, compilerOptions: COMPILER_OPTIONS, reportDiagnostics: true });
  const problems = [...(js.diagnostics ?? []), ...(dts.diagnostics ?? [])];
  if (problems.length) throw new Error(`internal: the generated module does not transpile: ${problems.map((d) => ts.flattenDiagnosticMessageText(d.messageText, " ")).join("; ")}`);
  return { code: separateDeclarations(await formatJavaScript(js.outputText)), declarations: await formatTypeScript(dts.outputText) };
}

/**
 * The blank lines between top-level declarations that transpiling drops (prettier keeps blank lines
 * but adds none): one before each top-level statement (with its leading comments), except between
 * one-line statements of the same kind (a run of module constants stays together).
 */
function separateDeclarations(js: string): string {
  const sf = ts.createSourceFile("model.gen.js", js, ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS);
  const line = (pos: number) => sf.getLineAndCharacterOfPosition(pos).line;
  const start = (s: ts.Statement) => ts.getLeadingCommentRanges(js, s.pos)?.[0]?.pos ?? s.getStart(sf);
  const oneLine = (s: ts.Statement) => line(start(s)) === line(s.end);
  const before = new Set<number>();
  sf.statements.forEach((s, k) => {
    const prev = sf.statements[k - 1];
    if (prev && !(oneLine(prev) && oneLine(s) && prev.kind === s.kind)) before.add(line(start(s)));
  });
  const lines = js.split("\n");
  return lines.map((l, k) => (before.has(k) && lines[k - 1] !== "" ? `\n${l}` : l)).join("\n");
}
