// Emitted text goes through prettier, so generated modules read like hand-formatted code and
// diff cleanly; the options are fixed here so output never depends on a user's prettier config.
import { format } from "prettier";

export function formatTypeScript(source: string): Promise<string> {
  return format(source, { parser: "typescript", printWidth: 120, semi: true, singleQuote: false, trailingComma: "all" });
}
