// Train: the generated trainer runs in a second worker (trainWorker.ts) on the bundled data or the CSV the
// user gave (droppedData.ts); the page shows its loss, rate and step count, draws the loss curve, and
// takes a checkpoint of the trained weights away.
import { last } from "./compiling.js";
import { dropped } from "./droppedData.js";
import { $, download } from "./page.js";
import type { TrainReply, TrainRequest } from "./protocol.js";

const TRAIN_STEPS = 2000;

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

$("download-checkpoint").addEventListener("click", () => {
  if (!last) return;
  const request: TrainRequest = { kind: "checkpoint", javascript: last.javascript };
  trainer.postMessage(request);
});
