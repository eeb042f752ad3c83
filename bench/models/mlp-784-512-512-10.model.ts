// Benchmark workload W4: 784 pixels → 512 ReLU → 512 ReLU → 10 class scores, softmax cross-entropy
// against integer labels.
import { model, input, param, matmul, add, relu, softmaxCrossEntropy } from "gradc";

export default model("mlp784x512x512x10", () => {
  const x = input("x", ["batch", 784]);
  const y = input("y", ["batch"], { dtype: "int" });
  const W1 = param("W1", [784, 512], { init: "he" });
  const b1 = param("b1", [512], { init: "zeros" });
  const W2 = param("W2", [512, 512], { init: "he" });
  const b2 = param("b2", [512], { init: "zeros" });
  const W3 = param("W3", [512, 10], { init: "xavier" });
  const b3 = param("b3", [10], { init: "zeros" });
  const h1 = relu(add(matmul(x, W1), b1));
  const h2 = relu(add(matmul(h1, W2), b2));
  const logits = add(matmul(h2, W3), b3);
  return { loss: softmaxCrossEntropy(logits, y), outputs: { logits } };
});
