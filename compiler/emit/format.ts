// Emitted text goes through prettier, so generated modules read like hand-formatted code and
// diff cleanly; the options are fixed here so output never depends on a user's prettier config.
import { format, type Options } from "prettier";

const OPTIONS: Options = { printWidth: 120, semi: true, singleQuote: false, trailingComma: "all" };

export function formatTypeScript(source: string): Promise<string> {
  return format(source, { ...OPTIONS, parser: "typescript" });
}

/** `-o model.gen.js`: the transpiled module (./javascript.ts). */
export function formatJavaScript(source: string): Promise<string> {
  return format(source, { ...OPTIONS, parser: "babel" });
}
