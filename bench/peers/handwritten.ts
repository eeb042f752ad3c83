// The hand-written W3 trainer (bench/handwritten/w3.ts) as a benchmark peer.

import { createW3Trainer, type W3Params } from "../handwritten/w3.js";
import type { Impl, ParamArrays } from "./impl.js";
import type { Batch, Workload } from "../workloads.js";

export function handwrittenImpl(init: ParamArrays, w: Workload, batches: readonly Batch[]): Impl {
  if (w.optimizer.kind !== "sgd") throw new Error("the hand-written W3 trainer does plain SGD only");
  const trainer = createW3Trainer(init as unknown as W3Params, { lr: w.optimizer.lr, batch: w.batch });
  const xs = batches.map((b) => b.x);
  const ys = batches.map((b) => b.y as Int32Array);
  let next = 0;
  const count = batches.length;
  return {
    id: "handwritten",
    label: "hand-written (bench/handwritten/w3.ts)",
    stepWithLoss(): number {
      const loss = trainer.step(xs[next]!, ys[next]!);
      next = (next + 1) % count;
      return loss;
    },
    run(steps: number): number {
      for (let s = 0; s < steps; s++) {
        trainer.step(xs[next]!, ys[next]!);
        next = next + 1 === count ? 0 : next + 1;
      }
      return steps;
    },
    params: () => trainer.params() as unknown as ParamArrays,
  };
}
