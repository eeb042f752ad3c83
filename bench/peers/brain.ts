// brain.js (1.6.1, the npm "latest"): NeuralNetwork with one activation for every layer, trained online
// (one sample at a time, weights updated after each) with learning rate and (near-)zero momentum. Its
// training API has no per-batch step: one "step" here is one pass over the batch's samples,
// `net.train(batch, { iterations })`, i.e. the same number of samples and multiply-adds as a batch step
// of the others, but `batch` weight updates instead of one. It cannot start from gradc's parameters
// with the same net (its activations differ), so its loss is not comparable and is not checked.

import { createRequire } from "node:module";
import type { Impl } from "./impl.js";
import type { Batch, Workload } from "../workloads.js";

const require = createRequire(import.meta.url);

interface BrainNet {
  train(data: readonly { input: number[]; output: number[] }[], options: Record<string, unknown>): { error: number; iterations: number };
}

export function brainVersion(): string {
  return (require("brain.js/package.json") as { version: string }).version;
}

export function brainImpl(w: Workload, batches: readonly Batch[]): Impl {
  const setup = w.brain;
  if (!setup || !w.layers) throw new Error(`${w.id}: brain.js cannot express this workload`);
  const brain = require("brain.js") as { NeuralNetwork: new (o: Record<string, unknown>) => BrainNet };
  const layers = w.layers;
  const outputs = layers[layers.length - 1]!.out;
  const inputs = layers[0]!.in;
  const data = batches.map((b) =>
    Array.from({ length: w.batch }, (_, i) => {
      const input = Array.from(b.x.subarray(i * inputs, (i + 1) * inputs));
      let output: number[];
      if (w.loss === "mse") output = Array.from(b.y.subarray(i * outputs, (i + 1) * outputs));
      else {
        output = new Array<number>(outputs).fill(0);
        output[b.y[i]!] = 1;
      }
      return { input, output };
    }),
  );
  const lr = w.optimizer.lr;
  // brain.js validates momentum ∈ (0, 1) and errorThresh ∈ (0, 1): the smallest values it accepts.
  const opts = (iterations: number) => ({ iterations, errorThresh: 1e-300, momentum: 1e-300, learningRate: lr, log: false });
  const net = new brain.NeuralNetwork({ hiddenLayers: layers.slice(0, -1).map((l) => l.out), activation: setup.activation, learningRate: lr, momentum: 1e-300 });
  let next = 0;
  const count = data.length;
  return {
    id: "brain",
    label: `brain.js ${brainVersion()} (${setup.activation})`,
    note: setup.note,
    stepWithLoss(): number {
      const status = net.train(data[next]!, opts(1));
      next = (next + 1) % count;
      return status.error;
    },
    run(steps: number): number {
      if (count === 1) return net.train(data[0]!, opts(steps)).iterations;
      let done = 0;
      for (let s = 0; s < steps; s++) {
        done += net.train(data[next]!, opts(1)).iterations;
        next = next + 1 === count ? 0 : next + 1;
      }
      return done;
    },
  };
}
