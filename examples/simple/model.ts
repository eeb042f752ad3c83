// The classic PyTorch snippet: Linear(1, 2) → ReLU → Linear(2, 1), MSELoss.
import { model, input, param, matmul, add, relu, mse } from "gradc";

export default model("simple", () => {
  const x = input("x", ["batch", 1]);
  const y = input("y", ["batch", 1]);
  const W1 = param("W1", [1, 2], { init: "he" });
  const b1 = param("b1", [2], { init: "zeros" });
  const W2 = param("W2", [2, 1], { init: "xavier" });
  const b2 = param("b2", [1], { init: "zeros" });
  const h1 = relu(add(matmul(x, W1), b1));
  const out = add(matmul(h1, W2), b2);
  return { loss: mse(out, y), outputs: { out } };
});
