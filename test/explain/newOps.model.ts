// A model with gelu (both forms), erf, clamp, the comparisons and where, maximum, minimum, logSumExp and
// conv1d, so `gradc explain` renders their notation and their derivatives (text and LaTeX).
import { model, input, param, matmul, add, mul, gelu, erf, clamp, greater, lessEqual, where, maximum, minimum, logSumExp, conv1d, flatten, mean, square } from "gradc";

export default model("newOps", () => {
  const seq = input("seq", ["batch", 6, 2]);
  const y = input("y", ["batch", 1]);
  const K = param("K", [3, 2, 4]);
  const c = param("c", [4], { init: "zeros" });
  const W = param("W", [12, 3]);
  const h1 = gelu(add(conv1d(seq, K, { stride: 2, padding: 1 }), c)); // [batch, 3, 4]
  const z2 = matmul(flatten(clamp(h1, -1, 6)), W);
  const h2 = gelu(z2, { approximate: "tanh" });
  const picked = where(greater(h2, 0), maximum(h2, erf(z2)), minimum(z2, mul(lessEqual(z2, 1), 0.5)));
  const score = logSumExp(picked, 1, true);
  return { loss: mean(square(add(score, y))), outputs: { score } };
});
