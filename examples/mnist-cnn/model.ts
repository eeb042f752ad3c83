// A small convolutional network for MNIST (LeNet-like, NHWC): the 28×28 digit → 5×5 convolution with
// 8 filters → ReLU → 2×2 max-pool → 5×5 convolution with 16 filters → ReLU → 2×2 max-pool → 10 class
// scores, trained with softmax cross-entropy against the integer digit labels.
import { model, input, param, reshape, conv2d, maxPool2d, flatten, matmul, add, relu, softmax, softmaxCrossEntropy } from "gradc";

export default model("mnistCnn", () => {
  const x = input("x", ["batch", 784]); // pixels in 0..1, row-major 28×28
  const y = input("y", ["batch"], { dtype: "int" }); // the digit, 0..9
  const image = reshape(x, ["batch", 28, 28, 1]); // NHWC: one channel

  const K1 = param("K1", [5, 5, 1, 8], { init: "he" }); // filters are [kh, kw, in, out]
  const c1 = param("c1", [8], { init: "zeros" });
  const h1 = maxPool2d(relu(add(conv2d(image, K1), c1)), { size: 2 }); // [batch, 24, 24, 8] → [batch, 12, 12, 8]

  const K2 = param("K2", [5, 5, 8, 16], { init: "he" });
  const c2 = param("c2", [16], { init: "zeros" });
  const h2 = maxPool2d(relu(add(conv2d(h1, K2), c2)), { size: 2 }); // [batch, 8, 8, 16] → [batch, 4, 4, 16]

  const W = param("W", [256, 10], { init: "xavier" });
  const b = param("b", [10], { init: "zeros" });
  const logits = add(matmul(flatten(h2), W), b);
  return { loss: softmaxCrossEntropy(logits, y), outputs: { logits, probabilities: softmax(logits) } };
});
