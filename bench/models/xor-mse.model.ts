// Benchmark workload W2: XOR with 2 inputs → 8 tanh units → 1 sigmoid output, trained with the mean
// squared error (not examples/xor's binary cross-entropy: MSE is what every peer, brain.js included,
// can express the same way).
import { model, input, param, matmul, add, tanh, sigmoid, mse } from "gradc";

export default model("xorMse", () => {
  const x = input("x", ["batch", 2]);
  const y = input("y", ["batch", 1]);
  const W1 = param("W1", [2, 8], { init: "xavier" });
  const b1 = param("b1", [8], { init: "zeros" });
  const W2 = param("W2", [8, 1], { init: "xavier" });
  const b2 = param("b2", [1], { init: "zeros" });
  const h = tanh(add(matmul(x, W1), b1));
  const p = sigmoid(add(matmul(h, W2), b2));
  return { loss: mse(p, y), outputs: { p } };
});
