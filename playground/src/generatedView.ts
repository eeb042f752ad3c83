// The Generated tab: the compiled module, highlighted (Lezer), one `span.line` per line, and finding the
// lines where a value is computed, which Step's table links to and the exercise hides.
import { classHighlighter, highlightCode } from "@lezer/highlight";
import { parser as jsParser } from "@lezer/javascript";
import { $, showTab } from "./page.js";

/** The module, highlighted, one `span.line` per line (Step links to lines; the exercise masks some). */
export function showGenerated(code: string): void {
  const out = $("generated");
  out.textContent = "";
  const newLine = () => out.appendChild(Object.assign(document.createElement("span"), { className: "line" }));
  let line = newLine();
  const tree = jsParser.configure({ dialect: "ts" }).parse(code);
  highlightCode(
    code,
    tree,
    classHighlighter,
    (text, classes) => {
      if (!classes) return line.append(text);
      const span = document.createElement("span");
      span.className = classes;
      span.textContent = text;
      line.append(span);
    },
    () => {
      out.append("\n");
      line = newLine();
    },
  );
}

const generatedLines = () => [...$("generated").querySelectorAll<HTMLElement>(".line")];

/**
 * The lines of the generated module where `name` is computed in the training pass: its comment
 * (`// delta2 = …`) and the statements under it, up to the next comment or block end. Falls back to
 * the first line in the training pass that mentions it, then to its comment anywhere (the forward pass).
 */
export function linesOf(name: string): HTMLElement[] {
  const lines = generatedLines();
  const texts = lines.map((l) => l.textContent ?? "");
  // The training pass: a function named for training (trainPass), not its workspace's allocator.
  const start = texts.findIndex((t) => /^(export )?function \w*[Tt]rain(?!\w*Workspace)\w*\(/.test(t));
  const end = start < 0 ? -1 : texts.findIndex((t, i) => i > start && /^(export )?function /.test(t));
  const [from, to] = start < 0 ? [0, texts.length] : [start, end < 0 ? texts.length : end];
  const comment = new RegExp(`^\\s*// ${name.replace(/\$/g, "\\$")}(:| = )`);
  const inPass = (test: (t: string) => boolean) => texts.findIndex((t, i) => i >= from && i < to && test(t));
  let at = inPass((t) => comment.test(t));
  if (at >= 0) {
    let stop = at + 1;
    while (stop < to && !/^\s*(\/\/|\}|$)/.test(texts[stop]!)) stop++;
    return lines.slice(at, stop);
  }
  const word = new RegExp(`\\b${name.replace(/\$/g, "\\$")}\\b`);
  at = inPass((t) => word.test(t));
  if (at < 0) at = texts.findIndex((t) => comment.test(t));
  return at < 0 ? [] : [lines[at]!];
}

/** Shows the generated module at `name`'s lines, highlighted for a moment. */
export function goToCode(name: string): void {
  const lines = linesOf(name);
  if (!lines.length) return;
  showTab("generated");
  lines[0]!.scrollIntoView({ block: "center" });
  for (const l of lines) l.classList.add("flash");
  setTimeout(() => lines.forEach((l) => l.classList.remove("flash")), 1500);
}
