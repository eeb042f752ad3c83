// A version-3 source map for a generated module: every statement of a kernel maps to the model.ts
// expression the kernel implements (or to the expression in a file model.ts imports, layers.ts), so a stack trace or a debugger stepping through the generated
// code lands on the model line. The map is read off the formatted text itself: each kernel starts
// with a comment ending in `(…, model.ts:LINE:COL)`, and every line up to the next kernel comment (or
// the end of the function) is that kernel's code. Every other line gets an explicit "unmapped" segment
// (a generated column alone): without one, a consumer such as Node's --enable-source-maps attributes
// the line to the last mapping above it, so a frame in lossAndGrad or createTrainer would name the
// model.ts line of the kernel before it. Test: test/emit/sourceMap.test.ts
import { encodeVlq, type RawSourceMap } from "../frontend/sourceMap.js";

export { encodeVlq };

/** A kernel comment's location: `// … (relu', model.ts:9:14)` → line 9, column 14 (1-based). */
const KERNEL_LOC = /^\s*\/\/ .*\((?:[^()]*, )?([^(),\s]+):(\d+):(\d+)\)\s*$/;

/**
 * `source` is the model's path as the map names it, `sourceName` the name kernel comments give it;
 * `imported` does the same for the files the model imports (comment name → path), which become
 * further sources of the map in the order the code first cites them.
 */
export function buildSourceMap(
  code: string,
  options: { file: string; source: string; sourceName: string; imported?: Readonly<Record<string, string>> },
): RawSourceMap & { file: string } {
  const lines = code.split("\n");
  const sources = [options.source];
  const sourceIndex = (name: string): number => {
    if (name === options.sourceName) return 0;
    const file = options.imported && Object.hasOwn(options.imported, name) ? options.imported[name]! : null;
    if (file === null) return -1;
    if (!sources.includes(file)) sources.push(file);
    return sources.indexOf(file);
  };
  let current: { source: number; line: number; col: number } | null = null;
  let prev = { genCol: 0, source: 0, line: 0, col: 0 };
  const out: string[] = [];
  for (const text of lines) {
    const loc = KERNEL_LOC.exec(text);
    const source = loc ? sourceIndex(loc[1]!) : -1;
    // A kernel comment starts a kernel; one citing a file the map does not know ends the one before
    // it (its lines are not that kernel's); so does a new top-level declaration.
    if (loc) current = source >= 0 ? { source, line: +loc[2]! - 1, col: +loc[3]! - 1 } : null;
    else if (/^\S/.test(text)) current = null;
    const indent = text.search(/\S/);
    if (!current || indent < 0 || loc) {
      out.push(indent < 0 ? "" : encodeVlq(0)); // not model code: unmapped from its first column
      continue;
    }
    // one segment per line: [generated column, source, source line, source column], deltas per the format
    out.push(encodeVlq(indent) + encodeVlq(current.source - prev.source) + encodeVlq(current.line - prev.line) + encodeVlq(current.col - prev.col));
    prev = { genCol: indent, source: current.source, line: current.line, col: current.col };
  }
  return { version: 3, file: options.file, sources, names: [], mappings: out.join(";") };
}
