// The trainer in a Web Worker: runs the generated module (the compiler worker's CommonJS transpile of
// it) against gradc's runtime, on the data set its input shapes choose (./data.ts), with Adam, and
// reports the loss and steps per second as it goes. It trains in slices of ~50 ms so a "stop" is heard.
import { batchOf, chooseData } from "./data.js";
import { loadGenerated } from "./generated.js";
import type { TrainReply, TrainRequest } from "./protocol.js";

const BATCH = 64;
/** The most losses one message carries: a slice's are thinned to this many, evenly. */
const CURVE_POINTS = 100;

function thin(losses: number[]): number[] {
  if (losses.length <= CURVE_POINTS) return losses;
  return Array.from({ length: CURVE_POINTS }, (_, i) => losses[Math.round((i * (losses.length - 1)) / (CURVE_POINTS - 1))]!);
}
let run = 0;

async function train(javascript: string, steps: number): Promise<void> {
  const mine = ++run;
  const post = (m: TrainReply) => self.postMessage(m);
  try {
    const m = loadGenerated(javascript);
    const data = await chooseData(m.spec, async (url) => new Uint8Array(await (await fetch(url)).arrayBuffer()));
    post({ kind: "data", name: data.name, rows: data.rows });
    const trainer = m.createTrainer(m.initParams(0), { optimizer: { kind: "adam", lr: data.lr } });
    const size = typeof m.spec.batch === "number" ? m.spec.batch : Math.min(BATCH, data.rows);
    const start = performance.now();
    let step = 0;
    let loss = NaN;
    // The first step's loss goes out alone (the curve's start); then what a slice of ~50 ms did.
    let curve: number[] = [];
    while (step < steps && mine === run) {
      const slice = performance.now();
      do {
        loss = trainer.step(batchOf(data, step++ * size, size));
        curve.push(loss);
      } while (step > 1 && step < steps && performance.now() - slice < 50);
      const rate = step / ((performance.now() - start) / 1000);
      post({ kind: step < steps && mine === run ? "progress" : "done", step, loss, losses: thin(curve), stepsPerSecond: rate });
      curve = [];
      await new Promise((r) => setTimeout(r, 0)); // let a "stop" in
    }
  } catch (e) {
    post({ kind: "error", message: e instanceof Error ? e.message : String(e) });
  }
}

self.onmessage = (event: MessageEvent<TrainRequest>) => {
  const r = event.data;
  if (r.kind === "stop") run++;
  else void train(r.javascript, r.steps);
};
