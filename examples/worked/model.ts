// The tutorial's hand-worked network: 2 inputs → 2 sigmoid hidden units → 1 sigmoid output,
// loss ½(y − t)², every weight given explicitly so each number can be checked by hand (see README.md).
import { model, input, param, matmul, add, sub, mul, sum, square, sigmoid } from "gradc";

export default model("worked", () => {
  const x = input("x", ["batch", 2]); // the tutorial feeds one example: x = [1, 2]
  const t = input("t", ["batch", 1]); // its target: t = 0.5
  // Weights are [in, out]: W1[i][j] is the weight from input i to hidden unit j.
  const W1 = param("W1", [2, 2], { init: [[0.1, 0.1], [0.2, 0.2]] });
  const b1 = param("b1", [2], { init: [0.3, 0.3] });
  const W2 = param("W2", [2, 1], { init: [[0.4], [0.5]] });
  const b2 = param("b2", [1], { init: [0.6] });
  const z1 = add(matmul(x, W1), b1); // hidden pre-activations
  const h1 = sigmoid(z1); //            hidden activations
  const z2 = add(matmul(h1, W2), b2); // output pre-activation
  const y = sigmoid(z2); //              output
  const loss = mul(0.5, sum(square(sub(y, t)))); // ½ Σ (y − t)²: for one example, ½(y − t)²
  return { loss, outputs: { z1, h1, z2, y } };
});
