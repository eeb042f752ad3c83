// The playground page: an editor holding model.ts; on every edit (debounced) the compiler worker
// compiles it and the page shows the generated module (highlighted), `explain` (KaTeX), the graph
// (Mermaid) or the diagnostic with its line marked. The text lives in the URL hash (#code= and the
// base64url of its UTF-8), so a link shares a model. Train runs the generated trainer in a second worker.
import { javascript } from "@codemirror/lang-javascript";
import { StateEffect, StateField, type Extension } from "@codemirror/state";
import { Decoration, EditorView, type DecorationSet } from "@codemirror/view";
import { classHighlighter, highlightCode } from "@lezer/highlight";
import { parser as jsParser } from "@lezer/javascript";
import { basicSetup } from "codemirror";
import katex from "katex";
import "katex/dist/katex.min.css";
import examples from "virtual:examples";
import { decodeCode, encodeCode } from "./share.js";
import "./styles.css";
import type { CompileReply, CompileRequest, StepReply, StepValue, TrainReply, TrainRequest } from "./protocol.js";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const EXAMPLES = examples as Record<string, string>;
const DEBOUNCE_MS = 300;
const TRAIN_STEPS = 2000;

// ── the editor, with the diagnostic's line marked ───────────────────────────────────────────────
const setErrorLine = StateEffect.define<number | null>();
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

const initial = decodeCode(location.hash) ?? EXAMPLES["worked"]!;
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
const editor = new EditorView({ doc: initial, extensions, parent: $("editor") });

const menu = $<HTMLSelectElement>("examples");
for (const name of Object.keys(EXAMPLES)) menu.add(new Option(`examples/${name}`, name));
menu.value = Object.keys(EXAMPLES).find((n) => EXAMPLES[n] === initial) ?? "";
menu.addEventListener("change", () => editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: EXAMPLES[menu.value]! } }));

for (const b of document.querySelectorAll<HTMLButtonElement>("nav button")) {
  b.addEventListener("click", () => {
    for (const o of document.querySelectorAll("nav button, .tab")) o.classList.remove("active");
    b.classList.add("active");
    $(b.dataset["tab"]!).classList.add("active");
    if (b.dataset["tab"] === "graph") void showGraph();
  });
}

// ── compiling ─────────────────────────────────────────────────────────────────────────────────────
const compiler = new Worker(new URL("./compileWorker.js", import.meta.url), { type: "module" });
let sent = 0;
let last: Extract<CompileReply, { ok: true }> | null = null;

function compile(text: string): void {
  history.replaceState(null, "", encodeCode(text));
  $("status").textContent = "compiling…";
  const request: CompileRequest = { kind: "compile", id: ++sent, text };
  compiler.postMessage(request);
}

compiler.onmessage = (event: MessageEvent<CompileReply | StepReply>) => {
  const r = event.data;
  if (r.kind === "step") return showStep(r);
  if (r.id !== sent) return; // an edit came after it
  if (!r.ok) {
    $("diagnostics").textContent = r.diagnostic;
    editor.dispatch({ effects: setErrorLine.of(r.line) });
    $("status").textContent = "error";
    return;
  }
  last = r;
  $("diagnostics").textContent = "";
  editor.dispatch({ effects: setErrorLine.of(null) });
  showGenerated(r.code);
  showExplain(r.latex, r.params);
  if ($("graph").classList.contains("active")) void showGraph();
  $("status").textContent = `compiled in ${Math.round(r.ms)} ms`;
};

function showGenerated(code: string): void {
  const out = $("generated");
  out.textContent = "";
  const tree = jsParser.configure({ dialect: "ts" }).parse(code);
  highlightCode(
    code,
    tree,
    classHighlighter,
    (text, classes) => {
      if (!classes) return out.append(text);
      const span = document.createElement("span");
      span.className = classes;
      span.textContent = text;
      out.append(span);
    },
    () => out.append("\n"),
  );
}

/**
 * `explain --format latex`: each align* block through KaTeX; the comment line just before a block is its
 * heading, other runs of comment lines are notes.
 */
function showExplain(latex: string, params: readonly string[]): void {
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

/** Mermaid (a large library) is loaded when the graph is first shown; each compile's graph is drawn once. */
let mermaid: Promise<typeof import("mermaid").default> | null = null;
let drawn = 0;
async function showGraph(): Promise<void> {
  const r = last;
  if (!r || drawn === r.id) return;
  drawn = r.id;
  mermaid ??= import("mermaid").then((m) => {
    m.default.initialize({ startOnLoad: false, securityLevel: "strict", maxTextSize: 1_000_000, maxEdges: 5000 });
    return m.default;
  });
  try {
    const { svg } = await (await mermaid).render(`graph-${r.id}`, r.mermaid);
    if (r === last) $("graph").innerHTML = svg;
  } catch (e) {
    if (r === last) $("graph").textContent = `Mermaid could not draw the graph: ${e instanceof Error ? e.message : String(e)}`;
  }
}

// ── one visible step ──────────────────────────────────────────────────────────────────────────────
$("step").addEventListener("click", () => {
  if (!last) return;
  const request: CompileRequest = { kind: "step", id: sent };
  compiler.postMessage(request);
});

function showTab(name: string): void {
  document.querySelector<HTMLButtonElement>(`nav button[data-tab="${name}"]`)!.click();
}

function formatValue(v: StepValue): string {
  const n = (x: number) => String(Number(x.toPrecision(5)));
  if (v.values) return v.values.length === 1 ? n(v.values[0]!) : `[${v.values.map(n).join(", ")}]`;
  return `‖·‖ = ${n(v.norm)}, min ${n(v.min)}, max ${n(v.max)}`;
}

function showStep(r: StepReply): void {
  if (r.id !== sent) return; // the model changed since
  const out = $("step-values");
  out.textContent = "";
  if (!r.ok) {
    out.textContent = `Step failed: ${r.message}`;
    return showTab("step-values");
  }
  const head = document.createElement("p");
  head.textContent = `Step ${r.step} on ${r.data}: loss ${Number(r.loss.toPrecision(6))} (before the update). Values from the compiler's float64 interpreter, forward then the gradients in reverse order.`;
  const table = document.createElement("table");
  table.innerHTML = "<tr><th>value</th><th>shape</th><th>model.ts</th><th></th></tr>";
  for (const v of r.values) {
    const tr = table.insertRow();
    tr.className = v.kind;
    for (const text of [v.name, `[${v.shape.join(", ")}]`, v.line ? `line ${v.line}` : "", formatValue(v)]) tr.insertCell().textContent = text;
  }
  out.append(head, table);
  showTab("step-values");
}

// ── training ──────────────────────────────────────────────────────────────────────────────────────
const trainer = new Worker(new URL("./trainWorker.js", import.meta.url), { type: "module" });
let training = false;
let losses: number[] = [];

$("train").addEventListener("click", () => {
  const post = (m: TrainRequest) => trainer.postMessage(m);
  if (training) return post({ kind: "stop" });
  if (!last) return;
  training = true;
  losses = [];
  $("train").textContent = "Stop";
  post({ kind: "start", javascript: last.javascript, steps: TRAIN_STEPS });
});

trainer.onmessage = (event: MessageEvent<TrainReply>) => {
  const m = event.data;
  if (m.kind === "data") {
    $("data-name").textContent = `data: ${m.name}`;
    return;
  }
  if (m.kind === "error") {
    $("diagnostics").textContent = `training: ${m.message}`;
  } else {
    losses.push(...m.losses);
    $("loss").textContent = String(Number(m.loss.toPrecision(6)));
    $("steps-per-second").textContent = String(Math.round(m.stepsPerSecond));
    $("step-count").textContent = `step ${m.step}`;
    drawCurve();
    if (m.kind === "progress") return;
  }
  training = false;
  $("train").textContent = "Train";
};

function drawCurve(): void {
  const canvas = $<HTMLCanvasElement>("loss-curve");
  const g = canvas.getContext("2d")!;
  g.clearRect(0, 0, canvas.width, canvas.height);
  const finite = losses.filter(Number.isFinite);
  if (finite.length < 2) return;
  const hi = Math.max(...finite);
  const lo = Math.min(0, ...finite);
  g.strokeStyle = "#0969da";
  g.lineWidth = 2;
  g.beginPath();
  losses.forEach((l, i) => {
    const x = (i / (losses.length - 1)) * (canvas.width - 10) + 5;
    const y = canvas.height - 5 - ((l - lo) / (hi - lo || 1)) * (canvas.height - 10);
    if (i === 0) g.moveTo(x, y);
    else g.lineTo(x, y);
  });
  g.stroke();
}

compile(initial);
