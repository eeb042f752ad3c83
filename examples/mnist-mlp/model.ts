// A multilayer perceptron for MNIST: 784 pixels → 128 ReLU units → 10 class scores, trained with
// softmax cross-entropy against the integer digit labels.
import { model, input, param, matmul, add, relu, softmax, softmaxCrossEntropy } from "gradc";

export default model("mnistMlp", () => {
  const x = input("x", ["batch", 784]); // pixels in 0..1, row-major 28×28
  const y = input("y", ["batch"], { dtype: "int" }); // the digit, 0..9
  const W1 = param("W1", [784, 128], { init: "he" });
  const b1 = param("b1", [128], { init: "zeros" });
  const W2 = param("W2", [128, 10], { init: "xavier" });
  const b2 = param("b2", [10], { init: "zeros" });
  const h1 = relu(add(matmul(x, W1), b1));
  const logits = add(matmul(h1, W2), b2);
  return { loss: softmaxCrossEntropy(logits, y), outputs: { logits, probabilities: softmax(logits) } };
});
