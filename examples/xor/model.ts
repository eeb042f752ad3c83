// XOR: the smallest problem a linear model cannot solve. 2 inputs → 8 tanh units → 1 sigmoid output,
// trained with binary cross-entropy on the four points of {0, 1}².
import { model, input, param, matmul, add, tanh, sigmoid, binaryCrossEntropy } from "gradc";

export default model("xor", () => {
  const x = input("x", ["batch", 2]);
  const y = input("y", ["batch", 1]); // the label: x₁ XOR x₂, 0 or 1
  const W1 = param("W1", [2, 8], { init: "xavier" });
  const b1 = param("b1", [8], { init: "zeros" });
  const W2 = param("W2", [8, 1], { init: "xavier" });
  const b2 = param("b2", [1], { init: "zeros" });
  const h = tanh(add(matmul(x, W1), b1)); // hidden features
  const logit = add(matmul(h, W2), b2);
  const p = sigmoid(logit); //              P(y = 1 | x)
  return { loss: binaryCrossEntropy(p, y), outputs: { p } };
});
