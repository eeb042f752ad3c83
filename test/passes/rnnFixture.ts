// The recurrence the scan passes' tests (hoistStepSums, hoistStepProducts) are shown on: an RNN step with
// torch's two biases, h ← tanh(x·Wih + bih + h·Whh + bhh), over 3 steps of 2 inputs, every step's h an
// output; and the values its gradients are checked at.
import * as d from "../../compiler/dsl/core.js";
import { scan } from "../../compiler/dsl/scan.js";
import type { Node } from "../../compiler/ir/node.js";

export const rnn = () => {
  const xs = d.input("xs", [2, 3, 2]);
  const Wih = d.param("Wih", [2, 3], { init: "zeros" });
  const Whh = d.param("Whh", [3, 3], { init: "zeros" });
  const bih = d.param("bih", [3], { init: "zeros" });
  const bhh = d.param("bhh", [3], { init: "zeros" });
  const r = scan((h: Node, x: Node) => {
    const h2 = d.tanh(d.add(d.add(d.matmul(x, Wih), bih), d.add(d.matmul(h, Whh), bhh)));
    return { carry: h2, output: h2 };
  }, d.zeros([2, 3]), xs);
  return { loss: d.sum(d.square(r.outputs as Node)), outputs: { hs: r.outputs as Node } };
};

export const values = {
  inputs: { xs: [0.5, -1, 2, 0.3, -0.7, 1.2, 0.1, 0.9, -2, 0.4, 1.5, -0.2] },
  params: { Wih: [0.3, -0.6, 0.8, 0.2, 0.1, -0.4], Whh: [0.2, -0.1, 0.05, 0.3, 0.4, -0.2, -0.3, 0.1, 0.25], bih: [0.1, -0.2, 0.05], bhh: [-0.05, 0.1, 0.2] },
};
