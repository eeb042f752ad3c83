// The editor holding model.ts (CodeMirror): its first text (the link's #code=, else examples/worked), the
// examples menu, a compile after each edit (debounced), the diagnostic's line marked, and moving the
// cursor to a line that Step's table links to.
import { javascript } from "@codemirror/lang-javascript";
import { StateEffect, StateField, type Extension } from "@codemirror/state";
import { Decoration, EditorView, type DecorationSet } from "@codemirror/view";
import { basicSetup } from "codemirror";
import examples from "virtual:examples";
import { compile } from "./compiling.js";
import { $ } from "./page.js";
import { decodeCode } from "./share.js";

const EXAMPLES = examples as Record<string, string>;
const DEBOUNCE_MS = 300;

export const setErrorLine = StateEffect.define<number | null>();
const errorLine = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(marks, tr) {
    for (const e of tr.effects) {
      if (!e.is(setErrorLine)) continue;
      if (e.value === null || e.value > tr.state.doc.lines) return Decoration.none;
      return Decoration.set([Decoration.line({ class: "cm-error-line" }).range(tr.state.doc.line(e.value).from)]);
    }
    return marks.map(tr.changes);
  },
  provide: (f) => EditorView.decorations.from(f),
});

export const initial = decodeCode(location.hash) ?? EXAMPLES["worked"]!;
let timer: ReturnType<typeof setTimeout> | undefined;
const extensions: Extension[] = [
  basicSetup,
  javascript({ typescript: true }),
  errorLine,
  EditorView.updateListener.of((u) => {
    if (!u.docChanged) return;
    clearTimeout(timer);
    timer = setTimeout(() => compile(u.state.doc.toString()), DEBOUNCE_MS);
  }),
];
export const editor = new EditorView({ doc: initial, extensions, parent: $("editor") });

const menu = $<HTMLSelectElement>("examples");
for (const name of Object.keys(EXAMPLES)) menu.add(new Option(`examples/${name}`, name));
menu.value = Object.keys(EXAMPLES).find((n) => EXAMPLES[n] === initial) ?? "";
menu.addEventListener("change", () => editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: EXAMPLES[menu.value]! } }));

/** Puts the editor's cursor on model.ts line `line` and scrolls to it. */
export function goToModelLine(line: number): void {
  if (line > editor.state.doc.lines) return;
  const at = editor.state.doc.line(line);
  editor.dispatch({ selection: { anchor: at.from, head: at.to }, effects: EditorView.scrollIntoView(at.from, { y: "center" }) });
  editor.focus();
}
