// The Explain tab: `gradc explain --format latex`'s output typeset with KaTeX, its comments turned into
// headings and notes.
import katex from "katex";
import "katex/dist/katex.min.css";
import { $ } from "./page.js";

/**
 * `explain --format latex`: each align* block through KaTeX; the comment line just before a block is its
 * heading, other runs of comment lines are notes.
 */
export function showExplain(latex: string, params: readonly string[]): void {
  const out = $("explain");
  out.textContent = "";
  const add = (tag: string, text: string, className?: string) => {
    const el = document.createElement(tag);
    el.textContent = text;
    if (className) el.className = className;
    out.append(el);
  };
  add("p", `Gradients of the parameters ${params.join(", ")}:`, "note");
  let comments: string[] = [];
  const flush = (heading: boolean) => {
    const title = heading ? comments.pop() : undefined;
    if (comments.length) add("p", comments.join(" "), "note");
    if (title !== undefined) add("h3", title);
    comments = [];
  };
  const math = (tex: string) => {
    const div = document.createElement("div");
    katex.render(tex, div, { displayMode: true, throwOnError: false });
    out.append(div);
  };
  const lines = latex.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith("%")) comments.push(line.replace(/^%\s?/, ""));
    else if (/^\s*\\begin\{/.test(line)) {
      flush(true);
      const block: string[] = [];
      for (; i < lines.length; i++) {
        block.push(lines[i]!.replace(/(?<!\\)%.*$/, ""));
        if (/^\s*\\end\{/.test(lines[i]!)) break;
      }
      math(block.join("\n"));
    } else if (line.trim()) {
      flush(false);
      math(line.replace(/(?<!\\)%.*$/, ""));
    }
  }
  flush(false);
}
