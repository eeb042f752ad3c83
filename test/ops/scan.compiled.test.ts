// scan through the whole compiler: the emitted module's lossAndGrad (the forward scan, then the
// reverse scan of backpropagation through time, each body emitted once inside its time loop) against
// central finite differences of the reference interpreter, and forward() against the interpreter.
import { describe, expect, it } from "vitest";
import * as d from "../../compiler/dsl/core.js";
import { model } from "../../compiler/dsl/model.js";
import { gru, lstm, rnn } from "../../compiler/dsl/recurrent.js";
import { scan } from "../../compiler/dsl/scan.js";
import type { Node } from "../../compiler/ir/node.js";
import { checkCompiled } from "../helpers/checkCompiled.js";
import { compileAndImport } from "../helpers/compiled.js";
import { checkGradients } from "../helpers/gradcheck.js";
import { mulberry32, uniformArray } from "../helpers/rng.js";

const B = 3, T = 6, D = 2;
const rng = mulberry32(5);
const xs = uniformArray(rng, B * T * D, -1, 1);

/** Per-step sigmoid outputs from an LSTM, binary cross-entropy against 0/1 targets (the adding task's shape). */
const lstmTagger = model("lstmTagger", () => {
  const x = d.input("xs", ["batch", T, D]);
  const y = d.input("y", ["batch", T, 1]);
  const { outputs } = lstm(x, { name: "lstm", hidden: 5 });
  const Wo = d.param("Wo", [5, 1], { init: "xavier" });
  const bo = d.param("bo", [1], { init: "zeros" });
  const logits = scan((_: Node, h: Node) => ({ carry: _, output: d.add(d.matmul(h, Wo), bo) }), d.zeros(["batch", 1]), outputs).outputs as Node;
  return { loss: d.binaryCrossEntropy(d.sigmoid(logits), y), outputs: { p: d.sigmoid(logits) } };
});

const gruLast = model("gruLast", () => {
  const x = d.input("xs", ["batch", T, D]);
  const y = d.input("y", ["batch", 4]);
  const { h } = gru(x, { name: "gru", hidden: 4 });
  return { loss: d.mse(h, y), outputs: { h } };
});

const reverseRnn = model("reverseRnn", () => {
  const x = d.input("xs", ["batch", T, D]);
  const y = d.input("y", ["batch", T, 3]);
  const { outputs } = rnn(x, { name: "rnn", hidden: 3, reverse: true });
  return { loss: d.mse(outputs, y), outputs: { outputs } };
});

/** A body with one carry and two per-step outputs, each in the loss with its own weight (adjoint q of the outputs is the scan's part k + q). */
const twoOutputs = model("twoOutputs", () => {
  const x = d.input("xs", ["batch", T, D]);
  const y = d.input("y", ["batch", T, D]);
  const W = d.param("W", [D, D], { init: "xavier" });
  const { outputs } = scan((h: Node, xt: Node) => {
    const next = d.tanh(d.add(d.matmul(xt, W), h));
    return { carry: next, output: { a: next, b: d.mul(xt, next) } };
  }, d.zeros(["batch", D]), x);
  const { a, b } = outputs as { a: Node; b: Node };
  return { loss: d.add(d.mse(a, y), d.mul(3, d.mse(b, y))), outputs: { a, b } };
});

/** A scalar output per step (Σ of the state over the batch), stacked to [T]: steps of shape [] in both sweeps. */
const scalarSteps = model("scalarSteps", () => {
  const x = d.input("xs", ["batch", T, D]);
  const y = d.input("y", [T]);
  const W = d.param("W", [D, D], { init: "xavier" });
  const { outputs } = scan((h: Node, xt: Node) => {
    const next = d.tanh(d.add(d.matmul(xt, W), h));
    return { carry: next, output: d.sum(d.mul(next, next)) };
  }, d.zeros(["batch", D]), x);
  return { loss: d.mse(outputs as Node, y), outputs: { out: outputs as Node } };
});

/** Two sequences, each computed from its own parameter before the scan, and a capture: each sequence's gradient goes back to its own input. */
const twoSequences = model("twoSequences", () => {
  const x = d.input("xs", ["batch", T, D]);
  const y = d.input("y", ["batch", D]);
  const A = d.param("A", [D], { init: "ones" }), C = d.param("C", [D], { init: "ones" });
  const U = d.param("U", [D, D], { init: "xavier" });
  const { carry } = scan((h: Node, s: { a: Node; b: Node }) => ({ carry: d.tanh(d.add(d.add(d.mul(s.a, h), s.b), d.matmul(h, U))) }), d.zeros(["batch", D]), { a: d.mul(x, A), b: d.sigmoid(d.mul(x, C)) });
  return { loss: d.mse(carry as Node, y), outputs: { h: carry as Node } };
});

describe("scan, compiled", () => {
  it("an LSTM tagger (a scan feeding a scan): BPTT gradients and outputs", async () => {
    const y = Array.from({ length: B * T }, (_, k) => (k % 3 === 0 ? 1 : 0));
    const code = await checkCompiled(lstmTagger, { xs, y });
    // The bodies are emitted once, inside loops over time (not unrolled per step).
    expect(code.match(/for \(let t\w* = 0; t\w* < 6; t\w*\+\+\)/g)?.length).toBeGreaterThanOrEqual(2);
    expect(code.match(/for \(let t\w* = 5; t\w* >= 0; t\w*--\)/g)?.length).toBeGreaterThanOrEqual(2);
    // The second scan passes its carry through unchanged: no copy of a buffer onto itself.
    expect(code).not.toMatch(/(\w+)\[(\w+)\] = \1\[\2\]!?;/);
  });
  it("a GRU's last state under MSE", async () => {
    await checkCompiled(gruLast, { xs, y: uniformArray(mulberry32(2), B * 4, -0.5, 0.5) });
  });
  it("two per-step outputs, each with its own gradient (the final carry unused)", async () => {
    await checkCompiled(twoOutputs, { xs, y: uniformArray(mulberry32(4), B * T * D, -0.5, 0.5) });
  });
  it("a scalar output per step, stacked to [T]", async () => {
    const inputs = { xs, y: uniformArray(mulberry32(7), T, -0.5, 0.5) };
    await checkCompiled(scalarSteps, inputs);
    // The interpreter's own backpropagation through time, which reads the stacked [T] gradient one scalar per step.
    const { module } = await compileAndImport(scalarSteps);
    const params = Object.fromEntries(Object.entries(module.initParams(1)).map(([k, v]) => [k, Float64Array.from(v)]));
    checkGradients(scalarSteps, { inputs, params });
  });
  it("two sequences made from parameters and a captured weight: a gradient for each", async () => {
    await checkCompiled(twoSequences, { xs, y: uniformArray(mulberry32(8), B * D, -0.5, 0.5) });
  });
  it("a reverse RNN's outputs under MSE", async () => {
    await checkCompiled(reverseRnn, { xs, y: uniformArray(mulberry32(3), B * T * 3, -0.5, 0.5) });
  });
});
