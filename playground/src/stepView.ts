// The Step tab: one training step made visible (the values come from the compile worker, step.ts): every
// named value with its shape, its model.ts line, its value or a heat map, where the generated module
// computes it and explain's formula.
import { compiler, last, sent } from "./compiling.js";
import { goToModelLine } from "./editor.js";
import { goToCode, linesOf } from "./generatedView.js";
import { setStepGraph } from "./graphView.js";
import { $, link, showTab } from "./page.js";
import type { CompileRequest, StepReply, StepValue } from "./protocol.js";
import { valueText } from "./valueText.js";

$("step").addEventListener("click", () => {
  if (!last) return;
  const request: CompileRequest = { kind: "step", id: sent };
  compiler.postMessage(request);
});

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

export function showStep(r: StepReply): void {
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
  setStepGraph({ key: `${r.id}:${r.step}`, text: r.mermaid });
  showTab("step-values");
}
