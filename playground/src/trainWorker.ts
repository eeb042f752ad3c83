// The trainer in a Web Worker: runs the generated module (the compiler worker's CommonJS transpile of
// it) against gradc's runtime, on the data set its input shapes choose (./data.ts) or the CSV the user
// dropped, with Adam, and reports the loss and steps per second as it goes. It trains in slices of
// ~50 ms so a "stop" is heard. It keeps the last trainer, so the page can download its parameters and
// optimizer state as a checkpoint that `loadCheckpoint` (Node) or `gradc export --checkpoint` reads.
import { encodeCheckpoint } from "../../runtime/index.js";
import { batchOf, chooseData } from "./data.js";
import { loadGenerated, type GeneratedModule, type GeneratedTrainer } from "./generated.js";
import type { TrainReply, TrainRequest } from "./protocol.js";

const BATCH = 64;
/** The most losses one message carries: a slice's are thinned to this many, evenly. */
const CURVE_POINTS = 100;

function thin(losses: number[]): number[] {
  if (losses.length <= CURVE_POINTS) return losses;
  return Array.from({ length: CURVE_POINTS }, (_, i) => losses[Math.round((i * (losses.length - 1)) / (CURVE_POINTS - 1))]!);
}
let run = 0;
/** The latest run's module (by its text) and trainer, and the steps it took. */
let latest: { javascript: string; module: GeneratedModule; trainer: GeneratedTrainer; steps: number } | null = null;

async function train(request: Extract<TrainRequest, { kind: "start" }>): Promise<void> {
  const mine = ++run;
  const post = (m: TrainReply) => self.postMessage(m);
  try {
    const m = loadGenerated(request.javascript);
    const data = await chooseData(m.spec, async (url) => new Uint8Array(await (await fetch(url)).arrayBuffer()), request.csv);
    post({ kind: "data", name: data.name, rows: data.rows });
    const trainer = m.createTrainer(m.initParams(0), { optimizer: { kind: "adam", lr: data.lr } });
    const size = typeof m.spec.batch === "number" ? m.spec.batch : Math.min(BATCH, data.rows);
    const session = { javascript: request.javascript, module: m, trainer, steps: 0 };
    latest = session;
    const start = performance.now();
    let loss = NaN;
    // The first step's loss goes out alone (the curve's start); then what a slice of ~50 ms did.
    let curve: number[] = [];
    while (session.steps < request.steps && mine === run) {
      const slice = performance.now();
      do {
        loss = trainer.step(batchOf(data, session.steps++ * size, size));
        curve.push(loss);
      } while (session.steps > 1 && session.steps < request.steps && performance.now() - slice < 50);
      const rate = session.steps / ((performance.now() - start) / 1000);
      post({ kind: session.steps < request.steps && mine === run ? "progress" : "done", step: session.steps, loss, losses: thin(curve), stepsPerSecond: rate });
      curve = [];
      await new Promise((r) => setTimeout(r, 0)); // let a "stop" in
    }
  } catch (e) {
    post({ kind: "error", message: e instanceof Error ? e.message : String(e) });
  }
}

/** The latest trainer's state if it ran this module, else the module's initParams(0) before any step. */
function checkpoint(javascript: string): TrainReply {
  try {
    const own = latest?.javascript === javascript ? latest : null;
    const m = own?.module ?? loadGenerated(javascript);
    const trainer = own?.trainer ?? m.createTrainer(m.initParams(0), { optimizer: { kind: "adam", lr: 0.01 } });
    const step = own?.steps ?? 0;
    const bytes = encodeCheckpoint({ spec: m.spec, params: trainer.params, ...(step ? { optimizer: trainer.optimizer.state() } : {}), step });
    return { kind: "checkpoint", bytes, step };
  } catch (e) {
    return { kind: "error", message: e instanceof Error ? e.message : String(e) };
  }
}

self.onmessage = (event: MessageEvent<TrainRequest>) => {
  const r = event.data;
  if (r.kind === "stop") run++;
  else if (r.kind === "checkpoint") self.postMessage(checkpoint(r.javascript));
  else void train(r);
};
