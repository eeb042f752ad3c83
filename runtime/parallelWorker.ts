// One worker of the data-parallel trainer (./parallel.ts). It imports the generated module, reports
// "ready" on parentPort, then loops for good: block in Atomics.wait until the main thread bumps the
// command generation, run `gradInto(sharedParams, itsShardOfTheBatch, itsGradientBuffers)`, store the
// shard's loss, mark the generation done and notify. Nothing is allocated per step unless the shard's
// row count changes (new input views) or the main thread sends bigger input buffers.
//
// The protocol is in ./parallelProtocol.ts. Failures inside a step are caught and reported on the
// MessagePort (read synchronously by the main thread with receiveMessageOnPort); the worker then waits
// for the next command, so one bad step does not end the trainer.
import { parentPort, receiveMessageOnPort, workerData } from "node:worker_threads";
import { withFastMath } from "./fastMath.js";
import {
  CMD,
  CMD_STEP,
  CMD_STOP,
  CONTROL_INTS,
  DONE,
  GEN,
  LOSS_BYTE_OFFSET,
  REBIND,
  ROWS,
  SEED,
  STATUS,
  STATUS_EXITED,
  STATUS_FAILED,
  STATUS_OK,
  type RebindMessage,
  type WorkerReport,
  type WorkerSetup,
  sharedView,
} from "./parallelProtocol.js";

type Arr = Float32Array | Float64Array | Int32Array;
interface GradModule {
  gradInto(params: Record<string, Arr>, inputs: Record<string, Arr>, grads: Record<string, Arr>, seed?: number): number;
}

const setup = workerData as WorkerSetup;
const control = new Int32Array(setup.control, 0, CONTROL_INTS);
const lossSlot = new Float64Array(setup.control, LOSS_BYTE_OFFSET, 1);
const params: Record<string, Arr> = {};
const grads: Record<string, Arr> = {};
setup.params.forEach((p, k) => {
  params[p.name] = sharedView(setup.dtype, p.buffer, p.length, p.byteOffset);
  grads[p.name] = sharedView(setup.dtype, setup.grads[k], p.length);
});

// If the thread ends for any reason while the main thread may be waiting, wake it with EXITED.
process.on("exit", () => {
  Atomics.store(control, STATUS, STATUS_EXITED);
  Atomics.store(control, DONE, -1);
  Atomics.notify(control, DONE);
});

function describe(e: unknown): WorkerReport {
  if (e instanceof Error) return { kind: "error", message: e.message, name: e.name, ...(e.stack !== undefined ? { stack: e.stack } : {}) };
  return { kind: "error", message: String(e) };
}

let mod: GradModule;
try {
  mod = (await import(setup.moduleUrl)) as GradModule;
  if (typeof mod.gradInto !== "function") {
    throw new Error(`${setup.moduleUrl} exports no gradInto function: compile the model again with this gradc`);
  }
} catch (e) {
  parentPort!.postMessage(describe(e));
  process.exit(1);
}
parentPort!.postMessage({ kind: "ready" } satisfies WorkerReport);
serve(mod);

function serve(m: GradModule): void {
  const port = setup.port;
  let buffers: readonly SharedArrayBuffer[] = [];
  let inputs: Record<string, Arr> = {};
  let viewRows = -1; // rows the views in `inputs` were made for (-1: none yet)
  let seen = 0;
  for (;;) {
    Atomics.wait(control, GEN, seen); // returns at once if GEN already moved on
    const gen = Atomics.load(control, GEN);
    if (gen === seen) continue;
    seen = gen;
    const cmd = control[CMD];
    if (cmd === CMD_STOP) break;
    try {
      if (cmd !== CMD_STEP) throw new Error(`unknown command ${cmd}`);
      if (control[REBIND] === 1) {
        const msg = receiveMessageOnPort(port);
        if (!msg) throw new Error("input buffers announced but not received");
        buffers = (msg.message as RebindMessage).buffers;
        viewRows = -1;
      }
      const rows = control[ROWS];
      if (rows !== viewRows) {
        inputs = {};
        setup.inputs.forEach((input, k) => {
          inputs[input.name] = sharedView(input.dtype, buffers[k], input.batched ? rows * input.rowSize : input.rowSize);
        });
        viewRows = rows;
      }
      const shard = (): number => m.gradInto(params, inputs, grads, control[SEED]! >>> 0);
      lossSlot[0] = setup.fastMath ? withFastMath(shard, undefined) : shard();
      control[STATUS] = STATUS_OK;
    } catch (e) {
      port.postMessage(describe(e));
      control[STATUS] = STATUS_FAILED;
    }
    Atomics.store(control, DONE, gen);
    Atomics.notify(control, DONE);
  }
  port.close();
}
