// Bring your own data: a CSV chosen or dropped on the page, offered to the compile worker, which checks it
// against the model's inputs (data.ts); the trainer uses it once accepted, until reset.
import { compiler, sent } from "./compiling.js";
import type { CsvFile } from "./data.js";
import { $ } from "./page.js";
import type { CompileRequest, DataReply } from "./protocol.js";

/** The dropped CSV the trainer uses, once the compiler accepted it for the model. */
export let dropped: CsvFile | null = null;
let offered: CsvFile | null = null;

function offerData(csv: CsvFile | null): void {
  offered = csv;
  const request: CompileRequest = { kind: "data", id: sent, csv };
  compiler.postMessage(request);
}

export function showData(r: DataReply): void {
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
