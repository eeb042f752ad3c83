// bench/RESULTS.md is written by two commands: `npm run bench` (bench/run.ts) writes the file, and
// `npm run bench:scaling` (bench/scaling.ts) its last section, "Compile-time scaling". Each keeps what
// the other wrote.

export const SECTION = "## Compile-time scaling";

/** `text` with its compile-time scaling section (from SECTION to the end) replaced by `section`. */
export function replaceSection(text: string, section: string): string {
  const at = text.indexOf(`\n${SECTION}`);
  const rest = at < 0 ? text : text.slice(0, at + 1);
  return `${rest.trimEnd()}\n\n${section.trimEnd()}\n`;
}

/** The compile-time scaling section of `text` (from SECTION to the end), or "". */
export function scalingSection(text: string): string {
  const at = text.indexOf(`\n${SECTION}`);
  return at < 0 ? "" : text.slice(at + 1);
}
