// A model that uses most ops gradc has, so `gradc explain` renders their notation (text and LaTeX).
import { model, input, param, matmul, add, sub, mul, div, exp, log, sqrt, pow, abs, square, tanh, leakyRelu, softplus, sigmoid, max, mean, sum, concat, slice, gather, layerNorm, dropout, batchNorm, transpose, reshape, avgPool2d, softmaxCrossEntropy } from "gradc";

export default model("manyOps", () => {
  const x = input("x", ["batch", 4]);
  const ids = input("ids", ["batch"], { dtype: "int" });
  const y = input("y", ["batch"], { dtype: "int" });
  const E = param("E", [5, 4]);
  const W1 = param("W1", [8, 8]);
  const b1 = param("b1", [8], { init: "zeros" });
  const gamma = param("gamma", [8], { init: "ones" });
  const W_out = param("W_out", [8, 3]);
  const both = concat([x, gather(E, ids)]);
  const z1 = add(matmul(layerNorm(both, gamma), W1), b1);
  const h1 = dropout(leakyRelu(batchNorm(z1, "bn"), 0.1), 0.25);
  const odd = mul(slice(h1, { start: 1, step: 2 }), tanh(slice(h1, { end: 4 })));
  const smooth = add(softplus(h1), div(sqrt(add(square(h1), 1)), add(exp(abs(h1)), 1)));
  const pooled = reshape(avgPool2d(reshape(smooth, ["batch", 2, 4, 1]), { size: 2 }), ["batch", 2]);
  const extra = sub(log(add(sigmoid(odd), 1)), mean(pow(add(abs(pooled), 1), 0.5), 1, true));
  const logits = matmul(add(h1, transpose(transpose(h1, [1, 0]), [1, 0])), W_out);
  const penalty = add(mean(max(extra, 1)), sum(square(W1)));
  return { loss: add(softmaxCrossEntropy(logits, y), mul(0.001, penalty)), outputs: { logits } };
});
