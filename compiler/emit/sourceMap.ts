// A version-3 source map for a generated module: every statement of a kernel maps to the model.ts
// expression the kernel implements, so a stack trace or a debugger stepping through the generated
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

export function buildSourceMap(code: string, options: { file: string; source: string; sourceName: string }): RawSourceMap & { file: string } {
  const lines = code.split("\n");
  let current: { line: number; col: number } | null = null;
  let prev = { genCol: 0, line: 0, col: 0 };
  const out: string[] = [];
  for (const text of lines) {
    const loc = KERNEL_LOC.exec(text);
    if (loc && loc[1] === options.sourceName) current = { line: +loc[2]! - 1, col: +loc[3]! - 1 };
    else if (/^\S/.test(text)) current = null; // a new top-level declaration ends the kernel
    const indent = text.search(/\S/);
    if (!current || indent < 0 || loc) {
      out.push(indent < 0 ? "" : encodeVlq(0)); // not model code: unmapped from its first column
      continue;
    }
    // one segment per line: [generated column, source 0, source line, source column], deltas per the format
    out.push(encodeVlq(indent) + encodeVlq(0) + encodeVlq(current.line - prev.line) + encodeVlq(current.col - prev.col));
    prev = { genCol: indent, line: current.line, col: current.col };
  }
  return { version: 3, file: options.file, sources: [options.source], names: [], mappings: out.join(";") };
}
