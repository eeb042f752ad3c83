// The playground page: an editor holding model.ts; on every edit (debounced) the compiler worker
// compiles it and the page shows the generated module (highlighted), `explain` (KaTeX), the graph
// (Mermaid) or the diagnostic with its line marked. The text lives in the URL hash (#code= and the
// base64url of its UTF-8), so a link shares a model. Train runs the generated trainer in a second worker,
// on the bundled data or a CSV the user drops; Step shows one training step's values; the exercise
// hides one backward line and grades the learner's; the downloads take model, module and weights away.
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
import { valueText } from "./valueText.js";
import "./styles.css";
import type { CsvFile } from "./data.js";
import type { CompileReply, CompileRequest, DataReply, ExerciseTarget, GradeReply, StepReply, StepValue, TrainReply, TrainRequest } from "./protocol.js";

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

compiler.onmessage = (event: MessageEvent<CompileReply | StepReply | DataReply | GradeReply>) => {
  const r = event.data;
  if (r.kind === "step") return showStep(r);
  if (r.kind === "data") return showData(r);
  if (r.kind === "grade") return showGrade(r);
  if (r.id !== sent) return; // an edit came after it
  if (!r.ok) {
    $("diagnostics").textContent = r.diagnostic;
    editor.dispatch({ effects: setErrorLine.of(r.line) });
    $("status").textContent = "error";
    return;
  }
  last = r;
  stepGraph = null;
  $("diagnostics").textContent = "";
  editor.dispatch({ effects: setErrorLine.of(null) });
  showExercises(r.exercises);
  showGenerated(r.code);
  showExplain(r.latex, r.params);
  if ($("graph").classList.contains("active")) void showGraph();
  $("status").textContent = `compiled in ${Math.round(r.ms)} ms`;
};

/** The module, highlighted, one `span.line` per line (Step links to lines; the exercise masks some). */
function showGenerated(code: string): void {
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
  maskExercise();
}

const generatedLines = () => [...$("generated").querySelectorAll<HTMLElement>(".line")];

/**
 * The lines of the generated module where `name` is computed in the training pass: its comment
 * (`// delta2 = …`) and the statements under it, up to the next comment or block end. Falls back to
 * the first line in the training pass that mentions it, then to its comment anywhere (the forward pass).
 */
function linesOf(name: string): HTMLElement[] {
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
function goToCode(name: string): void {
  const lines = linesOf(name);
  if (!lines.length) return;
  showTab("generated");
  lines[0]!.scrollIntoView({ block: "center" });
  for (const l of lines) l.classList.add("flash");
  setTimeout(() => lines.forEach((l) => l.classList.remove("flash")), 1500);
}

/** Puts the editor's cursor on model.ts line `line` and scrolls to it. */
function goToModelLine(line: number): void {
  if (line > editor.state.doc.lines) return;
  const at = editor.state.doc.line(line);
  editor.dispatch({ selection: { anchor: at.from, head: at.to }, effects: EditorView.scrollIntoView(at.from, { y: "center" }) });
  editor.focus();
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

/**
 * Mermaid (a large library) is loaded when the graph is first shown; each graph is drawn once: the
 * compiled model's forward graph, or after a Step the training pass with that step's values.
 */
let mermaid: Promise<typeof import("mermaid").default> | null = null;
let drawn = "";
/** The last Step's graph, until the next compile. */
let stepGraph: { readonly key: string; readonly text: string } | null = null;
async function showGraph(): Promise<void> {
  const r = last;
  if (!r) return;
  const shown = stepGraph ?? { key: String(r.id), text: r.mermaid };
  if (drawn === shown.key) return;
  drawn = shown.key;
  mermaid ??= import("mermaid").then((m) => {
    m.default.initialize({ startOnLoad: false, securityLevel: "strict", maxTextSize: 1_000_000, maxEdges: 5000 });
    return m.default;
  });
  try {
    const { svg } = await (await mermaid).render(`graph-${shown.key.replace(":", "-")}`, shown.text);
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

/** A heat map of a larger value: red positive, blue negative, white zero, scaled by the largest |cell|. */
function heatCanvas(heat: NonNullable<StepValue["heat"]>): HTMLCanvasElement {
  const canvas = document.createElement("canvas");
  const scale = Math.max(1, Math.floor(96 / Math.max(heat.rows, heat.cols)));
  [canvas.width, canvas.height] = [heat.cols * scale, heat.rows * scale];
  const g = canvas.getContext("2d")!;
  const top = Math.max(...heat.cells.map(Math.abs)) || 1;
  heat.cells.forEach((v, k) => {
    const a = Math.min(1, Math.abs(v) / top);
    const fade = Math.round(255 * (1 - a));
    g.fillStyle = v >= 0 ? `rgb(255,${fade},${fade})` : `rgb(${fade},${fade},255)`;
    g.fillRect((k % heat.cols) * scale, Math.floor(k / heat.cols) * scale, scale, scale);
  });
  canvas.title = `mean of each cell's elements (${heat.rows} × ${heat.cols} cells); largest |cell| ${Number(top.toPrecision(4))}`;
  return canvas;
}

/** A link-styled button. */
function link(text: string, title: string, onClick: () => void): HTMLButtonElement {
  const b = Object.assign(document.createElement("button"), { type: "button", className: "link", textContent: text, title });
  b.addEventListener("click", onClick);
  return b;
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
  table.innerHTML = "<tr><th>value</th><th>shape</th><th>model.ts</th><th></th><th>generated code</th><th>explain</th></tr>";
  for (const v of r.values) {
    const tr = table.insertRow();
    tr.className = v.kind;
    for (const text of [v.name, `[${v.shape.join(", ")}]`, "", valueText(v), "", v.formula ?? ""]) tr.insertCell().textContent = text;
    if (v.line) tr.cells[2]!.append(link(`line ${v.line}`, "show it in the editor", () => goToModelLine(v.line!)));
    if (v.heat) tr.cells[3]!.append(heatCanvas(v.heat));
    const code = v.code;
    if (code && linesOf(code).length) tr.cells[4]!.append(link(code, "show where the generated module computes it", () => goToCode(code)));
  }
  out.append(head, table);
  stepGraph = { key: `${r.id}:${r.step}`, text: r.mermaid };
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
  post({ kind: "start", javascript: last.javascript, steps: TRAIN_STEPS, csv: dropped });
});

trainer.onmessage = (event: MessageEvent<TrainReply>) => {
  const m = event.data;
  if (m.kind === "data") {
    $("data-name").textContent = `data: ${m.name}`;
    return;
  }
  if (m.kind === "checkpoint") return download("model.ckpt", m.bytes);
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

// ── bring your own data: a CSV chosen or dropped on the page ───────────────────────────────────────
/** The dropped CSV the trainer uses, once the compiler accepted it for the model. */
let dropped: CsvFile | null = null;
let offered: CsvFile | null = null;

function offerData(csv: CsvFile | null): void {
  offered = csv;
  const request: CompileRequest = { kind: "data", id: sent, csv };
  compiler.postMessage(request);
}

function showData(r: DataReply): void {
  if (!r.ok) {
    $("diagnostics").textContent = r.diagnostic;
    return;
  }
  dropped = offered;
  $("diagnostics").textContent = "";
  $("data-name").textContent = `data: ${r.name}`;
  $("data-reset").hidden = dropped === null;
}

async function readCsv(file: File | undefined): Promise<void> {
  if (file) offerData({ file: file.name, text: await file.text() });
}

$<HTMLInputElement>("data-file").addEventListener("change", (e) => void readCsv((e.target as HTMLInputElement).files?.[0]));
$("data-reset").addEventListener("click", () => offerData(null));
document.addEventListener("dragover", (e) => {
  e.preventDefault();
  document.body.classList.add("dragging");
});
document.addEventListener("dragleave", () => document.body.classList.remove("dragging"));
document.addEventListener("drop", (e) => {
  e.preventDefault();
  document.body.classList.remove("dragging");
  void readCsv(e.dataTransfer?.files[0]);
});

// ── downloads: what was built here runs in a Node project unchanged ─────────────────────────────────
function download(name: string, data: string | Uint8Array): void {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([data as string | Uint8Array<ArrayBuffer>], { type: typeof data === "string" ? "text/plain" : "application/octet-stream" }));
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

$("download-model").addEventListener("click", () => download("model.ts", editor.state.doc.toString()));
$("download-module").addEventListener("click", () => last && download("model.gen.ts", last.code));
$("download-checkpoint").addEventListener("click", () => {
  if (!last) return;
  const request: TrainRequest = { kind: "checkpoint", javascript: last.javascript };
  trainer.postMessage(request);
});

// ── the exercise: write one backward line yourself ────────────────────────────────────────────────
let exercises: readonly ExerciseTarget[] = [];
/** The hidden line's name; null when none is hidden (or it was revealed). */
let hidden: string | null = null;
const targetMenu = $<HTMLSelectElement>("exercise-target");

function showExercises(targets: readonly ExerciseTarget[]): void {
  exercises = targets;
  const chosen = targetMenu.value;
  targetMenu.textContent = "";
  targetMenu.add(new Option("— nothing hidden —", ""));
  for (const t of targets) targetMenu.add(new Option(`${t.name}: ${t.meaning}`, t.name));
  targetMenu.value = targets.some((t) => t.name === chosen) ? chosen : "";
  if (hidden !== null && !targets.some((t) => t.name === hidden)) hidden = null;
  describeExercise();
}

function describeExercise(): void {
  const t = exercises.find((e) => e.name === targetMenu.value);
  $("exercise-about").textContent = t
    ? `${t.name} is ${t.meaning}, shape [${t.shape.join(", ")}]${t.origin ? `, from the rule ${t.origin}` : ""} at ${t.loc}. You may use: ${t.uses.join(", ")}.`
    : "";
}

/** Masks the hidden line's comment and statements in #generated (their text stays; only the view hides it). */
function maskExercise(): void {
  for (const l of $("generated").querySelectorAll(".exercise-hidden")) l.classList.remove("exercise-hidden");
  if (hidden) for (const l of linesOf(hidden)) l.classList.add("exercise-hidden");
}

targetMenu.addEventListener("change", () => {
  hidden = targetMenu.value || null;
  $("exercise-result").textContent = "";
  describeExercise();
  maskExercise();
});
$("exercise-reveal").addEventListener("click", () => {
  const name = hidden ?? targetMenu.value;
  hidden = null;
  maskExercise();
  if (name) goToCode(name);
});
$("exercise-check").addEventListener("click", () => {
  if (!targetMenu.value) return;
  const request: CompileRequest = { kind: "grade", id: sent, target: targetMenu.value, answer: $<HTMLTextAreaElement>("exercise-answer").value };
  $("exercise-result").textContent = "checking…";
  compiler.postMessage(request);
});

function showGrade(r: GradeReply): void {
  const out = $("exercise-result");
  if (r.id !== sent || r.target !== targetMenu.value) return;
  if (!r.ok) {
    out.className = "error";
    out.textContent = r.diagnostic;
    return;
  }
  const n = (x: number) => String(Number(x.toPrecision(6)));
  const list = (v: readonly number[] | null) => (v ? `[${v.map(n).join(", ")}]` : "(too many to list)");
  const lines = [
    r.verdict === "exact"
      ? `✓ exact: all ${r.elements} elements equal the compiler's ${r.target}.`
      : r.verdict === "approximate"
        ? `✓ right up to rounding: all ${r.elements} elements within a relative 1e-9 of the compiler's ${r.target} (largest difference ${n(r.maxDifference)} at element ${r.worst}; the same math in another order).`
        : `✗ different: the largest difference from the compiler's ${r.target} is ${n(r.maxDifference)} at element ${r.worst} (relative ${n(r.maxRelative)}).`,
  ];
  if (r.shapeNote) lines.push(r.shapeNote);
  if (r.verdict === "different") lines.push(`yours:      ${list(r.yours)}`, `compiler's: ${list(r.compilers)}`);
  out.className = r.verdict;
  out.textContent = lines.join("\n");
}

compile(initial);
