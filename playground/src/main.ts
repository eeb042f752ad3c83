// The playground page: an editor holding model.ts; on every edit (debounced) the compiler worker
// compiles it and the page shows the generated module (highlighted), `explain` (KaTeX), the graph
// (Mermaid) or the diagnostic with its line marked. The text lives in the URL hash (#code= and the
// base64url of its UTF-8), so a link shares a model. Train runs the generated trainer in a second worker,
// on the bundled data or a CSV the user drops; Step shows one training step's values; the exercise
// hides one backward line and grades the learner's; the downloads take model, module and weights away.
//
// This file wires the page's parts together: the tabs, the compile worker's replies to the views, the
// downloads of model and module, and the first compile. Each part is in its own file: editor.ts,
// compiling.ts (the compile worker), generatedView.ts, explainView.ts, graphView.ts, stepView.ts,
// training.ts, droppedData.ts, exerciseView.ts, page.ts (DOM helpers).
import { compile, compiler, last, remember, sent } from "./compiling.js";
import { showData } from "./droppedData.js";
import { editor, initial, setErrorLine } from "./editor.js";
import { maskExercise, showExercises, showGrade } from "./exerciseView.js";
import { showExplain } from "./explainView.js";
import { showGenerated } from "./generatedView.js";
import { setStepGraph, showGraph } from "./graphView.js";
import { $, download } from "./page.js";
import type { CompileReply, DataReply, GradeReply, StepReply } from "./protocol.js";
import { showStep } from "./stepView.js";
import "./styles.css";
import "./training.js";

for (const b of document.querySelectorAll<HTMLButtonElement>("nav button")) {
  b.addEventListener("click", () => {
    for (const o of document.querySelectorAll("nav button, .tab")) o.classList.remove("active");
    b.classList.add("active");
    $(b.dataset["tab"]!).classList.add("active");
    if (b.dataset["tab"] === "graph") void showGraph();
  });
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
  remember(r);
  setStepGraph(null);
  $("diagnostics").textContent = "";
  editor.dispatch({ effects: setErrorLine.of(null) });
  showExercises(r.exercises);
  showGenerated(r.code);
  maskExercise();
  showExplain(r.latex, r.params);
  if ($("graph").classList.contains("active")) void showGraph();
  $("status").textContent = `compiled in ${Math.round(r.ms)} ms`;
};

$("download-model").addEventListener("click", () => download("model.ts", editor.state.doc.toString()));
$("download-module").addEventListener("click", () => last && download("model.gen.ts", last.code));

compile(initial);
