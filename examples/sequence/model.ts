// Adding two binary numbers bit by bit with an LSTM: at step t the network reads bit t of a and of b
// (least significant first) and must output bit t of a + b. The carry from one column to the next
// is exactly what the LSTM's memory has to learn to keep.
import { model, input, param, add, matmul, sigmoid, binaryCrossEntropy, zeros, scan, lstmCell, cellParams, type Tensor } from "gradc";

const BITS = 9; // two 8-bit numbers and their 9-bit sum
const HIDDEN = 16;

export default model("adder", () => {
  const bits = input("bits", ["batch", BITS, 2]); // [a_t, b_t] at each step
  const sums = input("sums", ["batch", BITS, 1]); // (a + b)_t
  const lstm = cellParams("lstm", "lstm", 2, HIDDEN); // W_ih [2, 64], W_hh [16, 64], gates i, f, g, o as torch
  const Wo = param("Wo", [HIDDEN, 1], { init: "xavier" });
  const bo = param("bo", [1], { init: "zeros" });

  // One time step: the LSTM cell, then a logit for this step's sum bit.
  const step = (state: { h: Tensor; c: Tensor }, x: Tensor) => {
    const next = lstmCell(x, state, lstm);
    return { carry: next, output: add(matmul(next.h, Wo), bo) };
  };
  const start = { h: zeros(["batch", HIDDEN]), c: zeros(["batch", HIDDEN]) };
  const logits = scan(step, start, bits).outputs; // [batch, BITS, 1]

  const p = sigmoid(logits);
  return { loss: binaryCrossEntropy(p, sums), outputs: { p } };
});
